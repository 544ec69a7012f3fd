-- The desk looks a parcel up by its tracking number alone (a customer reads it off the slip).
CREATE INDEX shipments_tracking_number_idx ON shipments (tracking_number);
