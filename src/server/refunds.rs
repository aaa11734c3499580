//! Refunds of credit-pack orders, in three steps that each leave the books right:
//!
//! 1. `request`, in one transaction under the order's lock: plan the refund from what
//!    is left unspent (`domain::refunds`), record it as pending, take its credits out
//!    of the order's own lots, reserve its amount on the order, and queue a job that
//!    finishes it should this process die.
//! 2. `complete`, outside any transaction: ask the provider to return the money, with
//!    one idempotency key per refund, so asking again after a timeout refunds once.
//! 3. `confirm` (the provider returned the money; from `complete` or a `charge.refunded`
//!    event): issue the credit note, move the order, email the customer. Or `fail` (the
//!    provider refused): give the credits back to their lots and release the amount.

use crate::domain::ledger::LotSource;
use crate::domain::orders::{OrderStatus, parse_order_number};
use crate::domain::refunds::{RefundPlan, RefundStatus, Refundable, credit_note_number};
use crate::domain::types::{RefundPreview, RefundRow, SessionUser};
use crate::domain::{AppError, Currency, Locale, Money, UserCode};
use crate::server::clock::{from_db, to_db};
use crate::server::email::{self, templates};
use crate::server::error::{Failure, chain};
use crate::server::jobs::{self, Enqueue, Job, JobError};
use crate::server::ledger::{self, Kind, LotLeft, Movement};
use crate::server::orders::{self, Row, next_document_number};
use crate::server::payments::{RefundAnswer, RefundRequest};
use crate::server::state::AppState;
use jiff::{SignedDuration, Timestamp};
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

fn order_keys(number: &str) -> [String; 2] {
    [format!("order:{number}:credits"), format!("order:{number}:bonus")]
}

/// The order's refund position now, and its lots.
async fn position(conn: &mut PgConnection, order: &Row, now: Timestamp) -> Result<(Refundable, Vec<LotLeft>), Failure> {
    let lots = ledger::lots_granted_by(conn, &order_keys(&order.number), now).await?;
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

fn refundable_status(order: &Row) -> Result<(), Failure> {
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

async fn wallet_balance(conn: &mut PgConnection, user_id: Uuid) -> Result<i64, Failure> {
    Ok(sqlx::query_scalar!("SELECT balance FROM wallet_balances WHERE user_id = $1", user_id)
        .fetch_optional(conn)
        .await?
        .flatten()
        .unwrap_or(0))
}

/// What refunding `credits` paid credits of the order would move; all of what is left
/// when `credits` is `None`.
pub async fn preview(state: &AppState, number: &str, credits: Option<i64>) -> Result<RefundPreview, Failure> {
    let number = parse_order_number(number).ok_or(AppError::NotFound)?;
    let mut conn = state.pool.acquire().await?;
    let order = orders::find_in(&mut conn, &number).await?.ok_or(AppError::NotFound)?;
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
    admin: &SessionUser,
    number: &str,
    form: &RefundForm,
) -> Result<RefundStatus, Failure> {
    let number = parse_order_number(number).ok_or(AppError::NotFound)?;
    let now = state.clock.now();
    let mut tx = state.pool.begin().await?;
    let order = orders::lock(&mut tx, &number).await?.ok_or(AppError::NotFound)?;
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
    let pending = sqlx::query_scalar!(
        "SELECT EXISTS (SELECT 1 FROM refunds WHERE order_id = $1 AND status = 'pending') AS \"p!\"",
        order.id
    )
    .fetch_one(&mut *tx)
    .await?;
    if pending {
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
    let key = format!("refund:{id}");
    let reference = format!("order:{number}");
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
        "SELECT r.status, r.amount_minor, r.credits, r.bonus_credits, r.reason, r.actor_id, o.number
         FROM refunds r JOIN orders o ON o.id = r.order_id WHERE r.id = $1 FOR UPDATE OF r",
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
    let to = if order.refunded_minor >= order.card_price()?.minor() {
        OrderStatus::Refunded
    } else {
        OrderStatus::PartiallyRefunded
    };
    let why = format!("Refunded {amount} ({note}): {}", r.reason);
    orders::transition(conn, &order, to, r.actor_id, &why, now).await?;
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
    let taken = format!("refund:{id}");
    let key = format!("refund:{id}:cancelled");
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

/// Starts refunding `amount` of a card-paid service order (a cancelled or lost
/// session) in the caller's transaction: the refund is recorded as pending, its amount
/// reserved on the order, and a job queued that asks the provider should this process
/// not get to it. No credits move. `actor` is `None` when the platform refunds on its own.
pub(super) async fn start_card_refund(
    conn: &mut PgConnection,
    order: &Row,
    amount: Money,
    reason: &str,
    actor: Option<Uuid>,
    now: Timestamp,
) -> Result<Uuid, Failure> {
    let id = sqlx::query_scalar!(
        "INSERT INTO refunds (order_id, request_key, amount_minor, credits, bonus_credits, reason, actor_id, status, created_at)
         VALUES ($1, $2, $3, 0, 0, $4, $5, 'pending', $6) RETURNING id",
        order.id,
        Uuid::new_v4(),
        amount.minor(),
        reason,
        actor,
        to_db(now)
    )
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query!("UPDATE orders SET refunded_minor = refunded_minor + $2 WHERE id = $1", order.id, amount.minor())
        .execute(&mut *conn)
        .await?;
    let key = format!("refund:{id}");
    jobs::enqueue_with(conn, &FinishRefund { refund_id: id }, Enqueue { dedup_key: Some(key), ..Enqueue::at(now) })
        .await?;
    Ok(id)
}

/// Asks the provider at once about the order's pending refunds, after the transaction
/// that started them committed. A provider that does not answer leaves them to their
/// queued job, so this only logs.
pub(super) async fn finish_pending_of(state: &AppState, order_id: Uuid) {
    let pending =
        match sqlx::query_scalar!("SELECT id FROM refunds WHERE order_id = $1 AND status = 'pending'", order_id)
            .fetch_all(&state.pool)
            .await
        {
            Ok(ids) => ids,
            Err(e) => {
                tracing::warn!(error = %e, "could not read the pending refunds; their jobs will finish them");
                return;
            }
        };
    for id in pending {
        if let Err(e) = complete(state, id).await {
            tracing::warn!(refund = %id, error = %chain(&e), "the provider did not answer the refund; the queued job will ask again");
        }
    }
}

/// The refunds of an order for its admin page, and how many paid credits could be
/// refunded now.
pub(super) async fn of_order(state: &AppState, order: &Row) -> Result<(Vec<RefundRow>, i64), Failure> {
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

/// Refunds a pending refund's request did not finish (the process died, or the
/// provider could not be reached): asks the provider again with the same key.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct FinishRefund {
    pub refund_id: Uuid,
}

impl Job for FinishRefund {
    const NAME: &'static str = "finish_refund";

    async fn run(self, state: &AppState) -> Result<(), JobError> {
        complete(state, self.refund_id).await.map(|_| ()).map_err(|e| JobError::Transient(chain(&e)))
    }
}
