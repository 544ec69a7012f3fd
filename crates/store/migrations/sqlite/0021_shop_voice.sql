-- A shop's words on each channel besides the phone's greeting, and whether its own staff may
-- write to customers from the console (off on a shared desk).
ALTER TABLE merchants ADD COLUMN greetings TEXT NOT NULL DEFAULT '{}';
ALTER TABLE merchants ADD COLUMN staff_may_reply BOOLEAN NOT NULL DEFAULT FALSE;
