//! What the desk decides on a shop's order with: the shop's policies in force and its own closed
//! days (business-day windows skip them), read together so every path decides alike.

use chrono::NaiveDate;
use madoguchi_core::access::Scope;
use madoguchi_core::decision::{Decision, Request, decide};
use madoguchi_core::ids::MerchantId;
use madoguchi_core::order::Order;
use madoguchi_core::policy::Policies;
use madoguchi_core::time::now;
use madoguchi_store::merchants::MerchantKey;
use madoguchi_store::{Store, StoreError};

pub struct ShopRules {
    pub version: i32,
    pub policies: Policies,
    pub closed_days: Vec<NaiveDate>,
}

impl ShopRules {
    /// The decision on a request for the order, now.
    pub fn decide(&self, order: &Order, request: Request) -> Decision {
        decide(&self.policies, &self.closed_days, order, request, now())
    }
}

pub async fn shop_rules(store: &Store, scope: &Scope, merchant: MerchantId) -> Result<ShopRules, StoreError> {
    let current = store.current_policies(scope, merchant).await?;
    let shop = store.get_merchant(scope, MerchantKey::Id(merchant)).await?;
    Ok(ShopRules {
        version: current.version,
        policies: current.policies,
        closed_days: shop.closed_days.iter().map(|d| d.date).collect(),
    })
}
