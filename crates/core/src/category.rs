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

/// The categories a shop's contacts are sorted into: those the shop wrote a talk script for
/// (its own words, e.g. 「ギフト・のし」), or the common ones while it has none; then `current`
/// (a category a contact came in with) when it is not among them.
pub fn shop_categories<'a>(scripted: impl IntoIterator<Item = &'a str>, current: Option<&str>) -> Vec<String> {
    let mut all: Vec<String> = Vec::new();
    for c in scripted {
        let c = c.trim();
        if !c.is_empty() && !all.iter().any(|a| a == c) {
            all.push(c.to_owned());
        }
    }
    if all.is_empty() {
        all = CONTACT_CATEGORIES.iter().map(|(ja, _)| (*ja).to_owned()).collect();
    }
    if let Some(c) = current.map(str::trim).filter(|c| !c.is_empty() && !all.iter().any(|a| a == c)) {
        all.push(c.to_owned());
    }
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shop_sorts_by_its_scripted_categories_or_the_common_ones() {
        let own = shop_categories(["ギフト・のし", "配送", " ", "ギフト・のし"], Some("配送について"));
        assert_eq!(own, vec!["ギフト・のし", "配送", "配送について"]);
        let common = shop_categories([], Some("配送について"));
        assert_eq!(common.len(), CONTACT_CATEGORIES.len());
    }
}
