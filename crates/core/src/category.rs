//! The glossary's `Category`: what a contact is about. A customer picks one on the web form and
//! staff pick one when they type a contact in; the knowledge base keeps its own list of
//! article categories (`kb::DEFAULT_CATEGORIES`), which shoppers browse by.

/// What a contact may be about, in Japanese (stored and shown) and English (shown).
pub const CONTACT_CATEGORIES: &[(&str, &str)] = &[
    ("ご注文について", "About an order"),
    ("配送について", "Delivery"),
    ("返品・交換", "Returns and exchanges"),
    ("不良品", "Defective item"),
    ("キャンセル", "Cancellation"),
    ("お支払い", "Payment"),
    ("その他", "Other"),
];
