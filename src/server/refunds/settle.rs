//! Steps 2 and 3: asking the provider to return a pending refund's money, and
//! recording its answer (confirmed, with a credit note, or refused, with the credits
//! given back); and the job that asks again when the request did not finish.

use crate::domain::ledger::LedgerKey;
use crate::domain::refunds::{RefundStatus, credit_note_number};
use crate::domain::{Currency, Locale, Money};
use crate::server::clock::to_db;
use crate::server::email::{self, templates};
use crate::server::error::Failure;
use crate::server::jobs::{Job, JobError};
use crate::server::ledger::{self, Kind, Movement};
use crate::server::orders::{self, next_document_number};
use crate::server::payments::{RefundAnswer, RefundRequest};
use crate::server::state::AppState;
use sqlx::PgConnection;
use uuid::Uuid;

/// Asks the provider to return a pending refund's money and records its answer (step
/// 2). An `Err` means the provider could not be reached: the refund stays pending and
/// the queued job asks again with the same key.
pub async fn complete(state: &AppState, id: Uuid) -> Result<RefundStatus, Failure> {
    let r = sqlx::query!(
        "SELECT r.status, r.amount_minor, o.currency, o.paid_session_id, o.payment_intent
         FROM refunds r JOIN orders o ON o.id = r.order_id WHERE r.id = $1",
        id
    )
    .fetch_one(&state.pool)
    .await?;
    let status = RefundStatus::parse(&r.status).ok_or_else(|| Failure::bug("a refund in an unknown status"))?;
    if status != RefundStatus::Pending {
        return Ok(status);
    }
    let currency = Currency::parse(r.currency.as_deref().unwrap_or_default())
        .map_err(|_| Failure::bug("a refund of an order without a card price"))?;
    let request = RefundRequest {
        refund_id: id,
        session_id: r.paid_session_id.ok_or_else(|| Failure::bug("a paid order without its checkout session"))?,
        payment_intent: r.payment_intent,
        amount: Money::from_minor(r.amount_minor, currency),
        idempotency_key: format!("refund:{id}"),
    };
    let answer = state.config.payments.refund(state, &request).await?;
    let mut tx = state.pool.begin().await?;
    let status = match answer {
        RefundAnswer::Succeeded { id: provider_id } => {
            confirm(&mut tx, state, id, &provider_id).await?;
            RefundStatus::Succeeded
        }
        RefundAnswer::Pending { id: provider_id } => {
            sqlx::query!(
                "UPDATE refunds SET provider_refund_id = $2 WHERE id = $1 AND status = 'pending'",
                id,
                provider_id
            )
            .execute(&mut *tx)
            .await?;
            RefundStatus::Pending
        }
        RefundAnswer::Refused { reason } => {
            fail(&mut tx, state, id, &reason).await?;
            RefundStatus::Failed
        }
    };
    tx.commit().await?;
    Ok(status)
}

/// The provider returned the money (step 3): the refund gets the year's next credit
/// note number, the order its new status, the customer an email. Returns `None` for a
/// refund that is not ours, `Some(false)` when it was already settled.
pub async fn confirm(
    conn: &mut PgConnection,
    state: &AppState,
    id: Uuid,
    provider_refund_id: &str,
) -> Result<Option<bool>, Failure> {
    let Some(r) = sqlx::query!(
        r#"SELECT r.status, r.amount_minor, r.credits, r.bonus_credits, r.reason, r.actor_id,
                  o.number AS "number: crate::domain::OrderNumber"
           FROM refunds r JOIN orders o ON o.id = r.order_id WHERE r.id = $1 FOR UPDATE OF r"#,
        id
    )
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(None);
    };
    if r.status != RefundStatus::Pending.as_str() {
        return Ok(Some(false));
    }
    let now = state.clock.now();
    let order = orders::lock(conn, &r.number).await?.ok_or_else(|| Failure::bug("a refund of a missing order"))?;
    let (year, n) = next_document_number(conn, "credit_note", now).await?;
    let note = credit_note_number(year, n);
    sqlx::query!(
        "UPDATE refunds SET status = 'succeeded', provider_refund_id = $2, credit_note_number = $3, completed_at = $4 WHERE id = $1",
        id,
        provider_refund_id,
        note,
        to_db(now)
    )
    .execute(&mut *conn)
    .await?;
    let currency = order.currency()?;
    let amount = Money::from_minor(r.amount_minor, currency).format(Locale::default());
    let in_full = order.refunded_minor >= order.card_price()?.minor();
    let why = format!("Refunded {amount} ({note}): {}", r.reason);
    let status = order.status()?;
    match status.after_refund(in_full) {
        Some(to) => orders::transition(conn, &order, to, r.actor_id, &why, now).await?,
        None => orders::record(conn, order.id, Some(status), status, r.actor_id, &why, now).await?,
    }
    let user = sqlx::query!("SELECT name, email FROM users WHERE id = $1", order.user_id).fetch_one(&mut *conn).await?;
    let facts = orders::facts(state, &user.name, &order)?;
    let invoice = order.invoice_number.as_deref().ok_or_else(|| Failure::bug("a paid order without an invoice"))?;
    let refund =
        templates::RefundFacts { amount, credits: r.credits, bonus: r.bonus_credits, credit_note: &note, invoice };
    if let Some(to) = &user.email {
        email::enqueue(conn, Some(order.user_id), to, &templates::order_refunded(&facts, &refund), now).await?;
    }
    state.metrics.payments.with_label_values(&[state.config.payments.name(), "refunded"]).inc();
    tracing::info!(refund = %id, credit_note = %note, "refund confirmed");
    Ok(Some(true))
}

/// The provider refused the refund: its credits go back to their lots and its amount
/// is released, so the order can be refunded again.
async fn fail(conn: &mut PgConnection, state: &AppState, id: Uuid, reason: &str) -> Result<(), Failure> {
    let r = sqlx::query!(
        "SELECT r.status, r.amount_minor, r.credits, r.bonus_credits, r.order_id, o.user_id
         FROM refunds r JOIN orders o ON o.id = r.order_id WHERE r.id = $1 FOR UPDATE OF r",
        id
    )
    .fetch_one(&mut *conn)
    .await?;
    if r.status != RefundStatus::Pending.as_str() {
        return Ok(());
    }
    let now = state.clock.now();
    let taken = LedgerKey::Refund(id).to_string();
    let key = LedgerKey::RefundCancelled(id).to_string();
    let m = Movement {
        kind: Kind::RefundCancelled,
        key: &key,
        actor: None,
        reference: Some(&taken),
        reason: Some(reason),
        at: now,
    };
    if r.credits + r.bonus_credits > 0 {
        ledger::give_back(conn, r.user_id, &taken, &m).await?;
    }
    sqlx::query!("UPDATE orders SET refunded_minor = refunded_minor - $2 WHERE id = $1", r.order_id, r.amount_minor)
        .execute(&mut *conn)
        .await?;
    sqlx::query!(
        "UPDATE refunds SET status = 'failed', failure = $2, completed_at = $3 WHERE id = $1",
        id,
        reason,
        to_db(now)
    )
    .execute(&mut *conn)
    .await?;
    state.metrics.payments.with_label_values(&[state.config.payments.name(), "refund_refused"]).inc();
    tracing::warn!(refund = %id, reason, "the provider refused a refund; its credits were given back");
    Ok(())
}

/// Refunds a pending refund's request did not finish (the process died, or the
/// provider could not be reached): asks the provider again with the same key.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct FinishRefund {
    pub refund_id: Uuid,
}

impl Job for FinishRefund {
    const NAME: &'static str = "finish_refund";

    async fn run(self, state: &AppState) -> Result<(), JobError> {
        complete(state, self.refund_id).await.map(|_| ()).map_err(JobError::from)
    }
}
