//! The supervisor board: per queue, who waits and for how long, today's offered, answered and
//! abandoned contacts and the service level; agents by presence. The desk's, not the shops'.

use madoguchi_core::access::Principal;
use madoguchi_core::board::Board;
use madoguchi_core::ids::MerchantId;
use madoguchi_store::Store;

use crate::usecases::error::{UseCaseError, UseCaseResult};

/// Today's board (the day starts at midnight in Japan) of one merchant.
pub async fn today(store: &Store, p: &Principal, merchant: MerchantId) -> UseCaseResult<Board> {
    if p.role.is_merchant_role() {
        return Err(UseCaseError::Forbidden("the supervisor board is the desk's".into()));
    }
    Ok(store.board(&p.scope(), merchant, madoguchi_core::time::jst_day_start()).await?)
}
