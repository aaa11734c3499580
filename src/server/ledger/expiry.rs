//! Expiring credit: what is left in a lot whose time has come moves to the platform's
//! expired account, hourly by `ExpireCredits`.

use super::wallet::{lock_lots, lock_wallet, move_lots, open};
use super::{Kind, Movement};
use crate::domain::ledger::LedgerKey;
use crate::server::clock::to_db;
use crate::server::error::Failure;
use jiff::Timestamp;

/// Posts an expiry for every lot whose expiry has passed with credit left: what was
/// left moves from the wallet to the platform's expired account. One transaction per
/// lot, keyed by the lot (and how often it expired before), under the wallet's and the
/// lot's locks, so however often or on however many workers this runs, what a lot holds expires
/// once and never races a spend. Returns how many lots expired.
#[tracing::instrument(skip_all)]
pub async fn expire_due(pool: &sqlx::PgPool, now: Timestamp) -> Result<u64, Failure> {
    let due = sqlx::query!(
        "SELECT l.id, a.user_id AS \"user_id!\" FROM credit_lots l JOIN ledger_accounts a ON a.id = l.account_id
         WHERE l.remaining > 0 AND l.expires_at <= $1 ORDER BY l.expires_at LIMIT 1000",
        to_db(now)
    )
    .fetch_all(pool)
    .await?;
    let mut expired = 0;
    for lot in due {
        let mut tx = pool.begin().await?;
        let wallet = lock_wallet(&mut tx, lot.user_id).await?;
        let remaining = lock_lots(&mut tx, wallet, &[lot.id])
            .await?
            .first()
            .map(|l| l.remaining)
            .ok_or_else(|| Failure::bug("a due lot that is not its wallet's"))?;
        if remaining == 0 {
            continue;
        }
        // A lot can expire again if credits came back to it after it expired (a refund
        // the provider refused): each expiry of it has its own key.
        let earlier = sqlx::query_scalar!(
            "SELECT count(*) AS \"n!\" FROM ledger_transfers x JOIN ledger_transactions t ON t.id = x.transaction_id
             WHERE x.wallet = $1 AND x.lot = $2 AND x.change < 0 AND t.kind = 'expiry'",
            wallet,
            lot.id
        )
        .fetch_one(&mut *tx)
        .await?;
        let key = LedgerKey::Expiry { lot: lot.id, nth: earlier + 1 }.to_string();
        let m = Movement { kind: Kind::Expiry, key: &key, actor: None, reference: None, reason: None, at: now };
        let Some(transaction_id) = open(&mut tx, &m).await? else {
            continue;
        };
        move_lots(&mut tx, transaction_id, wallet, &[lot.id], &[remaining], "expired").await?;
        tx.commit().await?;
        expired += 1;
    }
    Ok(expired)
}

/// Hourly: expires lots whose time has come (see `expire_due`).
#[derive(serde::Serialize, serde::Deserialize)]
pub struct ExpireCredits;

impl crate::server::jobs::Job for ExpireCredits {
    const NAME: &'static str = "expire_credits";
    const MAX_ATTEMPTS: i32 = 3;

    async fn run(self, state: &crate::server::state::AppState) -> Result<(), crate::server::jobs::JobError> {
        let expired = expire_due(&state.pool, state.clock.now()).await?;
        tracing::info!(expired, "credit expiry done");
        Ok(())
    }
}
