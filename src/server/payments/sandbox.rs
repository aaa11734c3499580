//! The built-in sandbox provider: a stand-in for Stripe Checkout that takes no money.
//! It keeps its sessions in its own table (as Stripe keeps them on its side), shows a
//! clearly labelled test page where a person approves or declines, and reports the
//! outcome as Stripe-shaped events, signed with Stripe's scheme and delivered to the
//! same webhook handler a real provider's events reach.

use super::{Checkout, Collected, NewCheckout, RefundAnswer, RefundRequest, signature, webhooks};
use crate::domain::types::SandboxSession;
use crate::domain::{AppError, Currency, Money};
use crate::server::clock::{from_db, to_db};
use crate::server::error::Failure;
use crate::server::jobs::{self, Job, JobError};
use crate::server::state::AppState;
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;

pub async fn open(state: &AppState, new: &NewCheckout) -> Result<Checkout, Failure> {
    let id = format!("cs_sandbox_{}", uuid::Uuid::new_v4().simple());
    sqlx::query!(
        "INSERT INTO sandbox_sessions (id, client_reference_id, description, amount_total, currency, metadata,
                                       success_url, cancel_url, status, payment_status, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'open', 'unpaid', $9, $10)",
        id,
        new.order_number.as_str(),
        new.description,
        new.amount.minor(),
        new.amount.currency().code().to_ascii_lowercase(),
        serde_json::json!({ "order": new.order_number, "idempotency_key": new.idempotency_key }),
        new.success_path,
        new.cancel_path,
        state.clock.now_db(),
        to_db(new.expires_at),
    )
    .execute(&state.pool)
    .await?;
    Ok(Checkout { url: format!("/sandbox/checkout/{id}"), id })
}

struct Row {
    id: String,
    client_reference_id: String,
    description: String,
    amount_total: i64,
    currency: String,
    metadata: serde_json::Value,
    success_url: String,
    cancel_url: String,
    status: String,
    payment_status: String,
    declined: bool,
    expires_at: time::OffsetDateTime,
}

async fn row(conn: &mut PgConnection, id: &str, lock: bool) -> Result<Option<Row>, Failure> {
    Ok(if lock {
        sqlx::query_as!(
            Row,
            "SELECT id, client_reference_id, description, amount_total, currency, metadata, success_url, cancel_url,
                    status, payment_status, declined, expires_at
             FROM sandbox_sessions WHERE id = $1 FOR UPDATE",
            id
        )
        .fetch_optional(conn)
        .await?
    } else {
        sqlx::query_as!(
            Row,
            "SELECT id, client_reference_id, description, amount_total, currency, metadata, success_url, cancel_url,
                    status, payment_status, declined, expires_at
             FROM sandbox_sessions WHERE id = $1",
            id
        )
        .fetch_optional(conn)
        .await?
    })
}

impl Row {
    /// The session as Stripe's API and events show it.
    fn object(&self) -> serde_json::Value {
        serde_json::json!({
            "id": self.id,
            "object": "checkout.session",
            "mode": "payment",
            "client_reference_id": self.client_reference_id,
            "amount_total": self.amount_total,
            "currency": self.currency,
            "metadata": self.metadata,
            "status": self.status,
            "payment_status": self.payment_status,
            "payment_intent": format!("pi_sandbox_{}", self.id.trim_start_matches("cs_sandbox_")),
        })
    }
}

pub async fn look_up(state: &AppState, id: &str) -> Result<Option<Collected>, Failure> {
    let mut conn = state.pool.acquire().await?;
    match row(&mut conn, id, false).await? {
        Some(r) => Ok(Some(Collected::from_session(&r.object())?)),
        None => Ok(None),
    }
}

/// The sandbox's pages exist only while it is the configured provider.
fn enabled(state: &AppState) -> Result<(), Failure> {
    match state.config.payments {
        super::Provider::Sandbox { .. } => Ok(()),
        _ => Err(AppError::NotFound.into()),
    }
}

/// The test page's view of a session.
pub async fn checkout(state: &AppState, id: &str) -> Result<SandboxSession, Failure> {
    enabled(state)?;
    let mut conn = state.pool.acquire().await?;
    let r = row(&mut conn, id, false).await?.ok_or(AppError::NotFound)?;
    let currency =
        Currency::parse(&r.currency).map_err(|_| Failure::bug("a sandbox session in an unknown currency"))?;
    let open = r.status == "open" && from_db(r.expires_at) > state.clock.now();
    Ok(SandboxSession {
        id: r.id,
        order_number: r.client_reference_id,
        description: r.description,
        amount: Money::from_minor(r.amount_total, currency),
        open,
        paid: r.payment_status == "paid",
        declined: r.declined,
        cancel_path: r.cancel_url,
    })
}

/// A person approved (`approve`) or declined the test payment. Returns where to send
/// them: the order's success page, or its failure page. Pressing a button twice, or
/// both, settles the session once.
#[tracing::instrument(skip(state))]
pub async fn settle(state: &AppState, id: &str, approve: bool) -> Result<String, Failure> {
    enabled(state)?;
    let mut tx = state.pool.begin().await?;
    let mut r = row(&mut tx, id, true).await?.ok_or(AppError::NotFound)?;
    if r.status == "complete" {
        return Ok(if r.payment_status == "paid" { r.success_url } else { r.cancel_url });
    }
    if r.status == "expired" || from_db(r.expires_at) <= state.clock.now() {
        return Err(AppError::invalid(
            "session_id",
            "This test checkout has expired. Go back to your order and start the payment again.",
        )
        .into());
    }
    r.status = "complete".into();
    let kind = if approve {
        r.payment_status = "paid".into();
        "checkout.session.completed"
    } else {
        r.declined = true;
        "checkout.session.async_payment_failed"
    };
    sqlx::query!(
        "UPDATE sandbox_sessions SET status = $2, payment_status = $3, declined = $4 WHERE id = $1",
        r.id,
        r.status,
        r.payment_status,
        r.declined
    )
    .execute(&mut *tx)
    .await?;
    emit(&mut tx, state, kind, &r).await?;
    tx.commit().await?;
    tracing::info!(approve, "sandbox payment settled");
    Ok(if approve { r.success_url } else { r.cancel_url })
}

/// Refunds part or all of what a paid session collected, as Stripe's refund API does:
/// the same idempotency key returns the first refund; a refund beyond what is left of
/// the charge, or of an unpaid session, is refused. A refund is reported by a
/// `charge.refunded` event carrying the charge and its refunds.
#[tracing::instrument(skip_all, fields(session = %request.session_id))]
pub async fn refund(state: &AppState, request: &RefundRequest) -> Result<RefundAnswer, Failure> {
    let mut tx = state.pool.begin().await?;
    let Some(session) = row(&mut tx, &request.session_id, true).await? else {
        return Ok(RefundAnswer::Refused { reason: format!("No such checkout session: {}", request.session_id) });
    };
    let earlier =
        sqlx::query_scalar!("SELECT id FROM sandbox_refunds WHERE idempotency_key = $1", request.idempotency_key)
            .fetch_optional(&mut *tx)
            .await?;
    if let Some(id) = earlier {
        return Ok(RefundAnswer::Succeeded { id });
    }
    if session.payment_status != "paid" {
        return Ok(RefundAnswer::Refused { reason: "This checkout session did not collect a payment.".into() });
    }
    if !request.amount.currency().code().eq_ignore_ascii_case(&session.currency) {
        return Ok(RefundAnswer::Refused { reason: "The refund is in another currency than the charge.".into() });
    }
    let refunded = sqlx::query_scalar!(
        "SELECT COALESCE(sum(amount), 0)::bigint AS \"n!\" FROM sandbox_refunds WHERE session_id = $1",
        session.id
    )
    .fetch_one(&mut *tx)
    .await?;
    if refunded + request.amount.minor() > session.amount_total {
        return Ok(RefundAnswer::Refused { reason: "The refund is more than what is left of the charge.".into() });
    }
    let id = format!("re_sandbox_{}", uuid::Uuid::new_v4().simple());
    sqlx::query!(
        "INSERT INTO sandbox_refunds (id, session_id, amount, idempotency_key, metadata, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        id,
        session.id,
        request.amount.minor(),
        request.idempotency_key,
        serde_json::json!({ "refund_id": request.refund_id }),
        state.clock.now_db()
    )
    .execute(&mut *tx)
    .await?;
    let refunds: Vec<serde_json::Value> = sqlx::query!(
        "SELECT id, amount, metadata FROM sandbox_refunds WHERE session_id = $1 ORDER BY created_at DESC, id",
        session.id
    )
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .map(|r| {
        serde_json::json!({ "id": r.id, "object": "refund", "amount": r.amount, "currency": session.currency,
                            "status": "succeeded", "metadata": r.metadata })
    })
    .collect();
    let suffix = session.id.trim_start_matches("cs_sandbox_");
    let total_refunded = refunded + request.amount.minor();
    let charge = serde_json::json!({
        "id": format!("ch_sandbox_{suffix}"),
        "object": "charge",
        "amount": session.amount_total,
        "amount_refunded": total_refunded,
        "currency": session.currency,
        "payment_intent": format!("pi_sandbox_{suffix}"),
        "refunded": total_refunded == session.amount_total,
        "metadata": session.metadata,
        "refunds": { "object": "list", "data": refunds },
    });
    emit_object(&mut tx, state, "charge.refunded", charge).await?;
    tx.commit().await?;
    Ok(RefundAnswer::Succeeded { id })
}

/// Expires an open session, as Stripe does when asked to. Returns whether the session
/// is expired (it was open, or expired already).
pub async fn close(state: &AppState, id: &str) -> Result<bool, Failure> {
    let mut tx = state.pool.begin().await?;
    let Some(mut r) = row(&mut tx, id, true).await? else { return Ok(false) };
    if r.status == "open" {
        r.status = "expired".into();
        sqlx::query!("UPDATE sandbox_sessions SET status = 'expired' WHERE id = $1", r.id).execute(&mut *tx).await?;
        emit(&mut tx, state, "checkout.session.expired", &r).await?;
    }
    tx.commit().await?;
    Ok(r.status == "expired")
}

async fn emit(conn: &mut PgConnection, state: &AppState, kind: &str, r: &Row) -> Result<(), Failure> {
    emit_object(conn, state, kind, r.object()).await
}

async fn emit_object(
    conn: &mut PgConnection,
    state: &AppState,
    kind: &str,
    object: serde_json::Value,
) -> Result<(), Failure> {
    let event = serde_json::json!({
        "id": format!("evt_sandbox_{}", uuid::Uuid::new_v4().simple()),
        "object": "event",
        "type": kind,
        "created": state.clock.now().as_second(),
        "data": { "object": object },
    });
    jobs::enqueue(conn, &DeliverSandboxEvent { event }, state.clock.now()).await?;
    Ok(())
}

/// Sends one sandbox event, signed, to the webhook handler, as a provider's delivery
/// would; failures retry with the queue's backoff.
#[derive(Debug, Serialize, Deserialize)]
pub struct DeliverSandboxEvent {
    pub event: serde_json::Value,
}

impl Job for DeliverSandboxEvent {
    const NAME: &'static str = "sandbox_event";

    async fn run(self, state: &AppState) -> Result<(), JobError> {
        let body = serde_json::to_vec(&self.event).map_err(|e| JobError::Permanent(e.to_string()))?;
        let header = signature::sign(state.config.payments.webhook_secret(), state.clock.now().as_second(), &body);
        webhooks::receive(state, Some(&header), &body).await.map(|_| ()).map_err(|e| e.into_job_error())
    }
}
