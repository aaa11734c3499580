//! Payments taken for an order that another checkout session had already paid. The one
//! fulfilment function (`orders::fulfil`, behind the webhook, the success page and the
//! reconciler) records such a payment once per session, under the order's lock, and
//! queues its refund in the same transaction. The refund returns the whole payment
//! through the provider with one idempotency key per session, so any number of reports
//! of the same payment, at once or one after another, refund it once.
//!
//! No credit note is issued: a credit note corrects an invoice, and the second payment
//! was never invoiced (the order's one invoice is for the payment that paid it, which
//! stands). The refund is recorded here with the provider's refund id, told to the
//! customer by email, counted in `attune_duplicate_payments_total` and shown to admins
//! on the order and the payments page.

use super::{Collected, RefundAnswer, RefundRequest};
use crate::domain::refunds::RefundStatus;
use crate::domain::types::DuplicatePaymentRow;
use crate::domain::{Currency, Locale, Money};
use crate::server::clock::{from_db, to_db};
use crate::server::email::{self, templates};
use crate::server::error::Failure;
use crate::server::jobs::{self, Enqueue, Job, JobError};
use crate::server::state::AppState;
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use uuid::Uuid;

/// Records `paid` as a duplicate payment of the order when a different session (or
/// credits) paid it, and queues its refund; in the caller's transaction, which holds
/// the order's lock. Returns whether this call recorded it (a repeat of a known
/// duplicate, or the paying session reported again, records nothing).
pub(crate) async fn catch(
    conn: &mut PgConnection,
    state: &AppState,
    order_id: Uuid,
    paid: &Collected,
    via: &str,
) -> Result<bool, Failure> {
    let paid_by =
        sqlx::query_scalar!("SELECT paid_session_id FROM orders WHERE id = $1", order_id).fetch_one(&mut *conn).await?;
    if !paid.paid || paid.amount_total <= 0 || paid_by.as_deref() == Some(paid.session_id.as_str()) {
        return Ok(false);
    }
    let currency = Currency::parse(&paid.currency)
        .map_err(|_| Failure::bug(format!("a payment in an unknown currency {:?}", paid.currency)))?;
    let now = state.clock.now();
    let id = sqlx::query_scalar!(
        "INSERT INTO duplicate_payments (order_id, session_id, payment_intent, amount_minor, currency, detected_via,
                                         status, detected_at)
         VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7)
         ON CONFLICT (session_id) DO NOTHING RETURNING id",
        order_id,
        paid.session_id,
        paid.payment_intent,
        paid.amount_total,
        currency.code(),
        via,
        to_db(now)
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(id) = id else { return Ok(false) };
    let options = Enqueue { dedup_key: Some(format!("duplicate-payment:{id}")), ..Enqueue::at(now) };
    jobs::enqueue_with(conn, &RefundDuplicatePayment { duplicate_id: id }, options).await?;
    state.metrics.duplicate_payments.with_label_values(&[state.config.payments.name(), "detected"]).inc();
    tracing::warn!(
        order = ?paid.order_number,
        session = %paid.session_id,
        amount = paid.amount_total,
        via,
        "a second payment for an order already paid; it is being refunded in full"
    );
    Ok(true)
}

/// Asks the provider to return a pending duplicate payment and records its answer. An
/// `Err` means the provider could not be reached: the job asks again with the same key.
pub async fn refund(state: &AppState, id: Uuid) -> Result<RefundStatus, Failure> {
    let r = sqlx::query!(
        "SELECT status, session_id, payment_intent, amount_minor, currency FROM duplicate_payments WHERE id = $1",
        id
    )
    .fetch_one(&state.pool)
    .await?;
    let status =
        RefundStatus::parse(&r.status).ok_or_else(|| Failure::bug("a duplicate payment in an unknown status"))?;
    if status != RefundStatus::Pending {
        return Ok(status);
    }
    let currency =
        Currency::parse(&r.currency).map_err(|_| Failure::bug("a duplicate payment in an unknown currency"))?;
    let request = RefundRequest {
        refund_id: id,
        idempotency_key: format!("duplicate-payment:{}", r.session_id),
        session_id: r.session_id,
        payment_intent: r.payment_intent,
        amount: Money::from_minor(r.amount_minor, currency),
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
                "UPDATE duplicate_payments SET provider_refund_id = $2 WHERE id = $1 AND status = 'pending'",
                id,
                provider_id
            )
            .execute(&mut *tx)
            .await?;
            RefundStatus::Pending
        }
        RefundAnswer::Refused { reason } => {
            refused(&mut tx, state, id, &reason).await?;
            RefundStatus::Failed
        }
    };
    tx.commit().await?;
    Ok(status)
}

/// The provider returned a duplicate payment (its answer, or a `charge.refunded`
/// event): recorded and told to the customer once. `None` for a refund that is not a
/// duplicate payment's, `Some(false)` when it was already settled.
pub async fn confirm(
    conn: &mut PgConnection,
    state: &AppState,
    id: Uuid,
    provider_refund_id: &str,
) -> Result<Option<bool>, Failure> {
    let Some(r) = sqlx::query!(
        r#"SELECT d.status, d.amount_minor, d.currency, o.number, o.item_name, o.invoice_number, o.user_id,
                  u.name, u.email AS "email?"
           FROM duplicate_payments d JOIN orders o ON o.id = d.order_id JOIN users u ON u.id = o.user_id
           WHERE d.id = $1 FOR UPDATE OF d"#,
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
    sqlx::query!(
        "UPDATE duplicate_payments SET status = 'succeeded', provider_refund_id = $2, completed_at = $3 WHERE id = $1",
        id,
        provider_refund_id,
        to_db(now)
    )
    .execute(&mut *conn)
    .await?;
    let amount = money(r.amount_minor, &r.currency)?.format(Locale::default());
    if let Some(to) = &r.email {
        let url = format!("{}/orders/{}", state.config.public_url, r.number);
        let mail = templates::duplicate_payment_refunded(
            &r.name,
            &r.number,
            &r.item_name,
            &amount,
            r.invoice_number.as_deref(),
            &url,
        );
        email::enqueue(conn, Some(r.user_id), to, &mail, now).await?;
    }
    state.metrics.duplicate_payments.with_label_values(&[state.config.payments.name(), "refunded"]).inc();
    tracing::info!(duplicate = %id, order = %r.number, provider_refund = provider_refund_id, "duplicate payment refunded");
    Ok(Some(true))
}

/// The provider refused to return a duplicate payment: recorded with its reason, and
/// the admins are told, since a person has to act now.
async fn refused(conn: &mut PgConnection, state: &AppState, id: Uuid, reason: &str) -> Result<(), Failure> {
    let r = sqlx::query!(
        "SELECT d.status, d.amount_minor, d.currency, o.number FROM duplicate_payments d JOIN orders o ON o.id = d.order_id
         WHERE d.id = $1 FOR UPDATE OF d",
        id
    )
    .fetch_one(&mut *conn)
    .await?;
    if r.status != RefundStatus::Pending.as_str() {
        return Ok(());
    }
    let now = state.clock.now();
    let reason: String = reason.chars().take(1000).collect();
    sqlx::query!(
        "UPDATE duplicate_payments SET status = 'failed', failure = $2, completed_at = $3 WHERE id = $1",
        id,
        reason,
        to_db(now)
    )
    .execute(&mut *conn)
    .await?;
    let amount = money(r.amount_minor, &r.currency)?.format(Locale::default());
    let admins = sqlx::query!(
        "SELECT id, name, email AS \"email!\" FROM users WHERE role = 'admin' AND disabled_at IS NULL AND email IS NOT NULL"
    )
    .fetch_all(&mut *conn)
    .await?;
    for admin in admins {
        let mail = templates::duplicate_payment_refused_admin(
            &admin.name,
            &r.number,
            &amount,
            &reason,
            &state.config.public_url,
        );
        email::enqueue(conn, Some(admin.id), &admin.email, &mail, now).await?;
    }
    state.metrics.duplicate_payments.with_label_values(&[state.config.payments.name(), "refund_refused"]).inc();
    tracing::error!(duplicate = %id, order = %r.number, %reason, "the provider refused to refund a duplicate payment");
    Ok(())
}

fn money(minor: i64, currency: &str) -> Result<Money, Failure> {
    let currency = Currency::parse(currency).map_err(|_| Failure::bug("a duplicate payment in an unknown currency"))?;
    Ok(Money::from_minor(minor, currency))
}

struct Row {
    order_number: crate::domain::OrderNumber,
    session_id: String,
    amount_minor: i64,
    currency: String,
    detected_at: time::OffsetDateTime,
    status: String,
    provider_refund_id: Option<String>,
    failure: Option<String>,
}

impl Row {
    fn view(self) -> Result<DuplicatePaymentRow, Failure> {
        Ok(DuplicatePaymentRow {
            amount: money(self.amount_minor, &self.currency)?,
            status: RefundStatus::parse(&self.status)
                .ok_or_else(|| Failure::bug("a duplicate payment in an unknown status"))?,
            order_number: self.order_number,
            session_id: self.session_id,
            detected_at: from_db(self.detected_at),
            provider_refund_id: self.provider_refund_id,
            failure: self.failure,
        })
    }
}

/// The duplicate payments of one order, oldest first, for its admin page.
pub async fn of_order(state: &AppState, order_id: Uuid) -> Result<Vec<DuplicatePaymentRow>, Failure> {
    sqlx::query_as!(
        Row,
        r#"SELECT o.number AS "order_number: crate::domain::OrderNumber", d.session_id, d.amount_minor, d.currency,
                d.detected_at, d.status, d.provider_refund_id, d.failure
         FROM duplicate_payments d JOIN orders o ON o.id = d.order_id WHERE d.order_id = $1 ORDER BY d.detected_at, d.id"#,
        order_id
    )
    .fetch_all(&state.pool)
    .await?
    .into_iter()
    .map(Row::view)
    .collect()
}

/// The newest duplicate payments of all orders, for the admin payments page.
pub async fn recent(state: &AppState, limit: i64) -> Result<Vec<DuplicatePaymentRow>, Failure> {
    sqlx::query_as!(
        Row,
        r#"SELECT o.number AS "order_number: crate::domain::OrderNumber", d.session_id, d.amount_minor, d.currency,
                d.detected_at, d.status, d.provider_refund_id, d.failure
         FROM duplicate_payments d JOIN orders o ON o.id = d.order_id ORDER BY d.detected_at DESC, d.id LIMIT $1"#,
        limit
    )
    .fetch_all(&state.pool)
    .await?
    .into_iter()
    .map(Row::view)
    .collect()
}

/// Returns a duplicate payment through the provider; retried with the same key while
/// the provider does not answer.
#[derive(Debug, Serialize, Deserialize)]
pub struct RefundDuplicatePayment {
    pub duplicate_id: Uuid,
}

impl Job for RefundDuplicatePayment {
    const NAME: &'static str = "refund_duplicate_payment";

    async fn run(self, state: &AppState) -> Result<(), JobError> {
        refund(state, self.duplicate_id).await.map(|_| ()).map_err(JobError::from)
    }

    async fn on_dead(self, state: &AppState) -> Result<(), JobError> {
        let mut tx = state.pool.begin().await?;
        let reason = "The provider could not be reached to refund it after every retry.";
        refused(&mut tx, state, self.duplicate_id, reason).await.map_err(JobError::from)?;
        tx.commit().await?;
        Ok(())
    }
}
