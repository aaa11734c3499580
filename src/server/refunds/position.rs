//! Where an order's refunds stand: the lots it granted and what is left unspent of
//! them, whether it may be refunded and whether a refund waits for the provider, and
//! its refunds as its admin page shows them.

use crate::domain::ledger::{LedgerKey, LotSource};
use crate::domain::orders::OrderStatus;
use crate::domain::refunds::{RefundStatus, Refundable};
use crate::domain::types::RefundRow;
use crate::domain::{AppError, Money, UserCode};
use crate::server::clock::from_db;
use crate::server::error::Failure;
use crate::server::ledger::{self, LotLeft};
use crate::server::orders::Row;
use crate::server::state::AppState;
use jiff::Timestamp;
use sqlx::PgConnection;
use uuid::Uuid;

fn order_keys(number: &str) -> [String; 2] {
    [LotSource::Paid, LotSource::Promotional].map(|source| LedgerKey::OrderGrant(number, source).to_string())
}

/// The order's refund position now, and its lots.
pub(super) async fn position(
    conn: &mut PgConnection,
    order: &Row,
    now: Timestamp,
) -> Result<(Refundable, Vec<LotLeft>), Failure> {
    let lots = ledger::lots_granted_by(conn, &order_keys(order.number.as_str()), now).await?;
    let done = sqlx::query!(
        r#"SELECT COALESCE(sum(credits), 0)::bigint AS "credits!", COALESCE(sum(bonus_credits), 0)::bigint AS "bonus!"
           FROM refunds WHERE order_id = $1 AND status <> 'failed'"#,
        order.id
    )
    .fetch_one(&mut *conn)
    .await?;
    let left = |source: LotSource| lots.iter().filter(|l| l.source == source).map(|l| l.spendable).sum::<i64>();
    let refundable = Refundable {
        price_minor: order.card_price()?.minor(),
        credits: order.credits,
        bonus_credits: order.bonus_credits,
        refunded_credits: done.credits,
        refunded_bonus: done.bonus,
        refunded_minor: order.refunded_minor,
        paid_unspent: left(LotSource::Paid),
        bonus_unspent: left(LotSource::Promotional),
    };
    Ok((refundable, lots))
}

pub(super) fn refundable_status(order: &Row) -> Result<(), Failure> {
    if order.is_service() {
        return Err(AppError::invalid(
            "credits",
            "This is a service order: refunds here return a credit pack's unspent credits and its money.",
        )
        .into());
    }
    let status = order.status()?;
    if !matches!(status, OrderStatus::Paid | OrderStatus::PartiallyRefunded) {
        return Err(AppError::invalid(
            "credits",
            format!("Only a paid order can be refunded; this one is {}.", status.label().to_lowercase()),
        )
        .into());
    }
    Ok(())
}

/// Whether a refund of the order waits for the provider: a second one waits until it
/// is settled.
pub(super) async fn has_pending(conn: &mut PgConnection, order_id: Uuid) -> Result<bool, Failure> {
    Ok(sqlx::query_scalar!(
        "SELECT EXISTS (SELECT 1 FROM refunds WHERE order_id = $1 AND status = 'pending') AS \"p!\"",
        order_id
    )
    .fetch_one(conn)
    .await?)
}

/// The refunds of an order for its admin page, and how many paid credits could be
/// refunded now.
pub(in crate::server) async fn of_order(state: &AppState, order: &Row) -> Result<(Vec<RefundRow>, i64), Failure> {
    if order.is_service() {
        return Ok((Vec::new(), 0));
    }
    let currency = order.currency()?;
    let rows = sqlx::query!(
        r#"SELECT r.created_at, r.amount_minor, r.credits, r.bonus_credits, r.status, r.credit_note_number, r.reason,
                  r.failure, u.code AS "actor?"
           FROM refunds r LEFT JOIN users u ON u.id = r.actor_id WHERE r.order_id = $1 ORDER BY r.created_at, r.id"#,
        order.id
    )
    .fetch_all(&state.pool)
    .await?
    .into_iter()
    .map(|r| {
        Ok(RefundRow {
            created_at: from_db(r.created_at),
            amount: Money::from_minor(r.amount_minor, currency),
            credits: r.credits,
            bonus_credits: r.bonus_credits,
            status: RefundStatus::parse(&r.status).ok_or_else(|| Failure::bug("a refund in an unknown status"))?,
            credit_note_number: r.credit_note_number,
            reason: r.reason,
            actor: r.actor.and_then(UserCode::from_number),
            failure: r.failure,
        })
    })
    .collect::<Result<Vec<_>, Failure>>()?;
    let refundable = if matches!(order.status()?, OrderStatus::Paid | OrderStatus::PartiallyRefunded) {
        let mut conn = state.pool.acquire().await?;
        position(&mut conn, order, state.clock.now()).await?.0.max_credits()
    } else {
        0
    };
    Ok((rows, refundable))
}
