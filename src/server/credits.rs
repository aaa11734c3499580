//! Credit services beyond the ledger's primitives: an admin's adjustment and the
//! customer's overview.

use crate::domain::ledger::{Lot, LotSource, spending_order};
use crate::domain::types::{CreditLotView, CreditMove, CreditOverview};
use crate::domain::{AppError, UserCode};
use crate::server::capability::Admin;
use crate::server::clock::{from_db, to_db};
use crate::server::error::Failure;
use crate::server::ledger::{self, Kind, Movement, Posted};
use crate::server::state::AppState;

/// Adjusts a customer's credits on an admin's word, with the reason, and records it in
/// the audit log in the same transaction. `key` comes from the form the admin
/// submitted, so submitting it twice moves credits once.
#[tracing::instrument(skip_all, fields(actor = %actor.code, target = %target, delta))]
pub async fn adjust_by_admin(
    state: &AppState,
    actor: &Admin,
    target: UserCode,
    delta: i64,
    reason: &str,
    key: uuid::Uuid,
) -> Result<Posted, Failure> {
    let mut tx = state.pool.begin().await?;
    let user_id = sqlx::query_scalar!("SELECT id FROM users WHERE code = $1", target.number())
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| AppError::invalid("user_code", "No account has that number."))?;
    let key = crate::domain::ledger::LedgerKey::Adjustment(key).to_string();
    let m = Movement {
        kind: Kind::Adjustment,
        key: &key,
        actor: Some(actor.id),
        reference: None,
        reason: Some(reason),
        at: state.clock.now(),
    };
    let posted = ledger::adjust(&mut tx, user_id, delta, &m).await?;
    if !posted.replayed {
        sqlx::query!(
            "INSERT INTO audit_log (actor_id, action, subject_id, details) VALUES ($1, 'credits.adjusted', $2, $3)",
            actor.id,
            user_id,
            serde_json::json!({ "delta": delta, "reason": reason, "transaction": posted.transaction_id })
        )
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    tracing::info!(transaction = posted.transaction_id, replayed = posted.replayed, "credits adjusted");
    Ok(posted)
}

/// How many movements the overview lists, newest first.
pub const HISTORY_ROWS: i64 = 50;

/// The customer's credits as the dashboard shows them.
pub async fn overview(state: &AppState, user_id: uuid::Uuid) -> Result<CreditOverview, Failure> {
    let now = state.clock.now();
    let rows = sqlx::query!(
        r#"SELECT l.id, l.source::text AS "source!", l.granted, l.remaining, l.expires_at
           FROM credit_lots l JOIN ledger_accounts a ON a.id = l.account_id
           WHERE a.user_id = $1 AND a.kind = 'wallet' AND l.remaining > 0 AND (l.expires_at IS NULL OR l.expires_at > $2)"#,
        user_id,
        to_db(now)
    )
    .fetch_all(&state.pool)
    .await?;
    let mut lots = rows
        .into_iter()
        .map(|r| {
            let source = LotSource::parse(&r.source).ok_or_else(|| Failure::bug("unknown lot source"))?;
            Ok(Lot { id: r.id, source, remaining: r.remaining, expires_at: r.expires_at.map(from_db) })
                .map(|l| (l, r.granted))
        })
        .collect::<Result<Vec<_>, Failure>>()?;
    lots.sort_by_key(|(l, _)| spending_order(l));
    let history = history(state, user_id, HISTORY_ROWS).await?;
    Ok(CreditOverview {
        available: lots.iter().map(|(l, _)| l.spendable_at(now)).sum(),
        lots: lots
            .into_iter()
            .map(|(l, granted)| CreditLotView {
                promotional: l.source == LotSource::Promotional,
                granted,
                remaining: l.remaining,
                expires_at: l.expires_at,
            })
            .collect(),
        history,
    })
}

/// The newest `limit` movements of the user's wallet, newest first, each with the
/// balance it left.
pub async fn history(state: &AppState, user_id: uuid::Uuid, limit: i64) -> Result<Vec<CreditMove>, Failure> {
    Ok(sqlx::query!(
        r#"WITH moves AS (
               SELECT t.id, t.created_at, t.kind::text AS kind, t.reason, sum(x.change)::bigint AS change
               FROM ledger_transfers x
               JOIN ledger_accounts a ON a.id = x.wallet AND a.user_id = $1 AND a.kind = 'wallet'
               JOIN ledger_transactions t ON t.id = x.transaction_id
               GROUP BY t.id)
           SELECT created_at, kind AS "kind!", reason, change AS "change!", (sum(change) OVER (ORDER BY id))::bigint AS "balance_after!"
           FROM moves ORDER BY id DESC LIMIT $2"#,
        user_id,
        limit
    )
    .fetch_all(&state.pool)
    .await?
    .into_iter()
    .map(|r| CreditMove { at: from_db(r.created_at), kind: r.kind, reason: r.reason, change: r.change, balance_after: r.balance_after })
    .collect())
}

/// Credits the user can spend now: what is left of their lots that have not expired.
pub async fn spendable(pool: &sqlx::PgPool, user_id: uuid::Uuid, now: jiff::Timestamp) -> Result<i64, Failure> {
    Ok(sqlx::query_scalar!(
        r#"SELECT COALESCE(sum(l.remaining), 0)::bigint AS "n!"
           FROM credit_lots l JOIN ledger_accounts a ON a.id = l.account_id
           WHERE a.user_id = $1 AND a.kind = 'wallet' AND l.remaining > 0 AND (l.expires_at IS NULL OR l.expires_at > $2)"#,
        user_id,
        to_db(now)
    )
    .fetch_one(pool)
    .await?)
}
