//! Step 1 of a credit pack's refund, as an admin confirms it: the preview of what it
//! would move, and the request that records it, takes its credits back and queues the
//! job that finishes it.

use super::position::{has_pending, position, refundable_status};
use super::settle::{FinishRefund, complete};
use crate::domain::ledger::{LedgerKey, LotSource, OrderReference};
use crate::domain::refunds::{RefundPlan, RefundStatus};
use crate::domain::types::RefundPreview;
use crate::domain::{AppError, Locale, Money, OrderNumber};
use crate::server::capability::Admin;
use crate::server::clock::to_db;
use crate::server::error::{Failure, chain};
use crate::server::jobs::{self, Enqueue};
use crate::server::ledger::{self, Kind, LotLeft, Movement};
use crate::server::orders;
use crate::server::state::AppState;
use jiff::SignedDuration;
use sqlx::PgConnection;
use uuid::Uuid;

/// How long the safety-net job waits before finishing a refund the request did not.
const FINISH_AFTER: SignedDuration = SignedDuration::from_mins(2);

/// What an admin confirms: the refund as previewed.
#[derive(Debug, Clone)]
pub struct RefundForm {
    pub credits: i64,
    pub reason: String,
    /// The amount the preview showed: if the refund would now return anything else,
    /// nothing happens and the admin is asked to look again.
    pub expected_amount_minor: i64,
    pub request_key: Uuid,
}

/// Which lots a plan takes its credits from, and how many from each.
fn lots_for(plan: &RefundPlan, lots: &[LotLeft]) -> Vec<(i64, i64)> {
    let mut taken = Vec::new();
    for (source, mut wanted) in [(LotSource::Paid, plan.credits), (LotSource::Promotional, plan.bonus_credits)] {
        for lot in lots.iter().filter(|l| l.source == source && l.spendable > 0) {
            let n = wanted.min(lot.spendable);
            if n > 0 {
                taken.push((lot.id, n));
                wanted -= n;
            }
        }
    }
    taken
}

async fn wallet_balance(conn: &mut PgConnection, user_id: Uuid) -> Result<i64, Failure> {
    Ok(sqlx::query_scalar!("SELECT balance FROM wallet_balances WHERE user_id = $1", user_id)
        .fetch_optional(conn)
        .await?
        .flatten()
        .unwrap_or(0))
}

/// What refunding `credits` paid credits of the order would move; all of what is left
/// when `credits` is `None`.
pub async fn preview(
    state: &AppState,
    _: &Admin,
    number: &OrderNumber,
    credits: Option<i64>,
) -> Result<RefundPreview, Failure> {
    let mut conn = state.pool.acquire().await?;
    let order = orders::find_in(&mut conn, number).await?.ok_or(AppError::NotFound)?;
    refundable_status(&order)?;
    let (refundable, _) = position(&mut conn, &order, state.clock.now()).await?;
    let plan = refundable.plan(credits.unwrap_or(refundable.max_credits())).map_err(AppError::Invalid)?;
    let currency = order.currency()?;
    let balance_before = wallet_balance(&mut conn, order.user_id).await?;
    Ok(RefundPreview {
        order_number: order.number.clone(),
        invoice_number: order.invoice_number.clone().ok_or_else(|| Failure::bug("a paid order without an invoice"))?,
        credits: plan.credits,
        bonus_credits: plan.bonus_credits,
        amount: Money::from_minor(plan.amount_minor, currency),
        max_credits: refundable.max_credits(),
        refunded_so_far: Money::from_minor(order.refunded_minor, currency),
        status_after: plan.status_after,
        balance_before,
        balance_after: balance_before - plan.credits - plan.bonus_credits,
        provider: state.config.payments.name().to_owned(),
    })
}

/// Makes the refund an admin confirmed (step 1), then asks the provider (step 2).
/// Returns where the refund got to. The same form submitted twice makes one refund.
#[tracing::instrument(skip_all, fields(%number, credits = form.credits))]
pub async fn request(
    state: &AppState,
    admin: &Admin,
    number: &OrderNumber,
    form: &RefundForm,
) -> Result<RefundStatus, Failure> {
    let now = state.clock.now();
    let mut tx = state.pool.begin().await?;
    let order = orders::lock(&mut tx, number).await?.ok_or(AppError::NotFound)?;
    let earlier = sqlx::query_scalar!(
        "SELECT id FROM refunds WHERE order_id = $1 AND request_key = $2",
        order.id,
        form.request_key
    )
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(id) = earlier {
        tx.rollback().await?;
        return complete(state, id).await;
    }
    refundable_status(&order)?;
    if has_pending(&mut tx, order.id).await? {
        return Err(AppError::invalid(
            "credits",
            "An earlier refund of this order is still being processed; wait until it finishes.",
        )
        .into());
    }
    let (refundable, lots) = position(&mut tx, &order, now).await?;
    let plan = refundable.plan(form.credits).map_err(AppError::Invalid)?;
    let currency = order.currency()?;
    if plan.amount_minor != form.expected_amount_minor {
        let now_worth = Money::from_minor(plan.amount_minor, currency).format(Locale::default());
        return Err(AppError::invalid(
            "credits",
            format!("The refund changed since it was previewed: it would now return {now_worth}. Check it again."),
        )
        .into());
    }
    let id = sqlx::query_scalar!(
        "INSERT INTO refunds (order_id, request_key, amount_minor, credits, bonus_credits, reason, actor_id, status, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8) RETURNING id",
        order.id,
        form.request_key,
        plan.amount_minor,
        plan.credits,
        plan.bonus_credits,
        form.reason,
        admin.id,
        to_db(now)
    )
    .fetch_one(&mut *tx)
    .await?;
    let key = LedgerKey::Refund(id).to_string();
    let reference = OrderReference(number.as_str()).to_string();
    let m = Movement {
        kind: Kind::Refund,
        key: &key,
        actor: Some(admin.id),
        reference: Some(&reference),
        reason: Some(&form.reason),
        at: now,
    };
    ledger::take_back(&mut tx, order.user_id, &lots_for(&plan, &lots), &m).await?;
    sqlx::query!("UPDATE orders SET refunded_minor = refunded_minor + $2 WHERE id = $1", order.id, plan.amount_minor)
        .execute(&mut *tx)
        .await?;
    sqlx::query!(
        "INSERT INTO audit_log (actor_id, action, subject_id, details, created_at) VALUES ($1, 'order.refund_requested', $2, $3, $4)",
        admin.id,
        order.user_id,
        serde_json::json!({ "order": number, "refund": id, "amount_minor": plan.amount_minor, "credits": plan.credits,
                            "bonus_credits": plan.bonus_credits, "reason": form.reason }),
        to_db(now)
    )
    .execute(&mut *tx)
    .await?;
    let safety_net = Enqueue { dedup_key: Some(key.clone()), ..Enqueue::at(now + FINISH_AFTER) };
    jobs::enqueue_with(&mut tx, &FinishRefund { refund_id: id }, safety_net).await?;
    tx.commit().await?;
    tracing::info!(refund = %id, amount = plan.amount_minor, "refund requested");
    match complete(state, id).await {
        Ok(status) => Ok(status),
        Err(e) => {
            tracing::warn!(refund = %id, error = %chain(&e), "the provider did not answer the refund; the queued job will ask again");
            Ok(RefundStatus::Pending)
        }
    }
}
