//! Changes to a booked session by its sides: cancelling it (with the refund its policy
//! gives), moving it to another free time, closing it once it has started, and
//! choosing another time for the session of an order still at checkout.

use super::hold::{customer_zone, is_overlap, release_lapsed};
use super::moves::{Move, move_to};
use super::notify::{Notice, notify};
use super::panel::{paid_of, preview_of, side_of};
use super::slots::{check_free, nearest_free};
use super::{Locked, lock_of_order};
use crate::domain::booking::{BookingStatus, Paid, Side, check_notes, refund_due};
use crate::domain::datetime;
use crate::domain::ledger::{LedgerKey, OrderReference};
use crate::domain::orders::OrderStatus;
use crate::domain::types::{OrderRole, SessionUser};
use crate::domain::{AppError, OrderNumber};
use crate::server::checkout::Visitor;
use crate::server::clock::to_db;
use crate::server::error::Failure;
use crate::server::ledger::{self, Kind, Movement};
use crate::server::orders;
use crate::server::state::AppState;
use jiff::Timestamp;
use sqlx::{Connection, PgConnection};

/// A booked order as one of its sides may change it, locked for the caller's
/// transaction; anyone else is told it does not exist.
async fn lock_for(
    conn: &mut PgConnection,
    visitor: &Visitor,
    number: &OrderNumber,
) -> Result<(crate::server::checkout::Access, Locked, orders::Row), Failure> {
    let access = crate::server::checkout::access(conn, visitor, number).await?;
    let b = lock_of_order(conn, access.id).await?.ok_or(AppError::NotFound)?;
    let row = orders::find_in(conn, &access.number).await?.ok_or(AppError::NotFound)?;
    Ok((access, b, row))
}

fn not_open(b: &Locked) -> Failure {
    let why = match b.status {
        BookingStatus::Cancelled => "This session was already cancelled.",
        BookingStatus::Completed | BookingStatus::NoShow => "This session is over.",
        _ => "This session is not booked yet.",
    };
    AppError::invalid("booking", why).into()
}

/// Cancels the session. The customer gets back what the policy agreed at booking says
/// at this moment;
/// the practitioner (or an admin) cancelling refunds in full. `expected` is the refund
/// the person saw in the preview: if the moment has moved it into another window,
/// nothing happens and they are told what it would now be.
#[tracing::instrument(skip_all, fields(%number))]
pub async fn cancel(
    state: &AppState,
    visitor: &Visitor,
    number: &OrderNumber,
    expected: &str,
) -> Result<OrderNumber, Failure> {
    let now = state.clock.now();
    let mut tx = state.pool.begin().await?;
    let (access, b, row) = lock_for(&mut tx, visitor, number).await?;
    if b.status == BookingStatus::Cancelled {
        return Ok(access.number);
    }
    if b.status != BookingStatus::Confirmed || b.order_status != OrderStatus::Paid {
        return Err(not_open(&b));
    }
    if now >= b.ends_at {
        return Err(AppError::invalid("booking", "This session is over, so it can no longer be cancelled.").into());
    }
    let side = side_of(access.role);
    let paid = paid_of(&row, b.paid_with)?;
    let due = refund_due(&b.policy, paid, b.starts_at, now, side);
    let preview = preview_of(due, paid, &b.policy);
    if expected.trim() != preview.refund {
        return Err(AppError::invalid(
            "refund",
            format!(
                "What comes back changed since you looked: it is now {}. Check it and confirm again.",
                preview.refund
            ),
        )
        .into());
    }
    let actor = access.actor(visitor);
    move_to(&mut tx, &b, Move::Cancel { by: side }, now).await?;
    let who = match side {
        Side::Customer => "the customer",
        Side::Practitioner => "the practitioner",
        Side::Admin => "an admin",
    };
    let note = format!("Session cancelled by {who}; {} of {} comes back", preview.refund, preview.paid);
    match due.amount {
        a if a.is_zero() => {
            orders::transition(&mut tx, &row, OrderStatus::Cancelled, Some(actor), &note, now).await?;
        }
        Paid::Credits(credits) => {
            let reference = OrderReference(&b.number).to_string();
            let (spent, key) =
                (LedgerKey::OrderSpend(&b.number).to_string(), LedgerKey::OrderReturn(&b.number).to_string());
            let m = Movement {
                kind: Kind::Refund,
                key: &key,
                actor: Some(actor),
                reference: Some(&reference),
                reason: Some(&note),
                at: now,
            };
            ledger::return_spent(&mut tx, b.customer_id, &spent, credits, &m).await?;
            let to = if due.percent == 100 { OrderStatus::Refunded } else { OrderStatus::PartiallyRefunded };
            orders::transition(&mut tx, &row, to, Some(actor), &note, now).await?;
        }
        Paid::Card(money) => {
            orders::record(&mut tx, row.id, Some(OrderStatus::Paid), OrderStatus::Paid, Some(actor), &note, now)
                .await?;
            crate::server::refunds::start_card_refund(&mut tx, &row, money, &note, Some(actor), now).await?;
        }
    }
    notify(&mut tx, state, &b, Notice::Cancelled { by: side, refund: &preview.refund }, now).await?;
    tx.commit().await?;
    crate::server::refunds::finish_pending_of(state, row.id).await;
    tracing::info!(by = side.as_str(), refund = %preview.refund, "session cancelled");
    Ok(access.number)
}

/// Moves the session to another free time (its customer or its practitioner, before it
/// starts); the order and what was paid stay as they are.
#[tracing::instrument(skip_all, fields(%number))]
pub async fn reschedule(
    state: &AppState,
    visitor: &Visitor,
    number: &OrderNumber,
    at: Timestamp,
) -> Result<OrderNumber, Failure> {
    let now = state.clock.now();
    let mut tx = state.pool.begin().await?;
    let (access, b, row) = lock_for(&mut tx, visitor, number).await?;
    if b.status != BookingStatus::Confirmed || b.order_status != OrderStatus::Paid {
        return Err(not_open(&b));
    }
    if access.role == OrderRole::Admin {
        return Err(AppError::NotFound.into());
    }
    if now >= b.starts_at {
        return Err(AppError::invalid("at", "This session has started, so it can no longer be moved.").into());
    }
    if at == b.starts_at {
        return Ok(access.number);
    }
    let zone = crate::server::checkout::reader_zone(visitor);
    let calendar = check_free(&mut tx, b.practitioner_id, b.duration(), at, now, Some(b.id), &zone).await?;
    let end = at + b.duration();
    let (lo, hi) = calendar.blocks(at, end);
    release_lapsed(&mut tx, b.practitioner_id, lo, hi, now).await?;
    let mut sp = tx.begin().await?;
    let moved = sqlx::query!(
        "UPDATE bookings SET starts_at = $2, ends_at = $3, blocks = tstzrange($4, $5), sequence = sequence + 1,
                             reminded_at = CASE WHEN $2::timestamptz <= $6::timestamptz + interval '24 hours' THEN $6::timestamptz END,
                             updated_at = $6
         WHERE id = $1",
        b.id,
        to_db(at),
        to_db(end),
        to_db(lo),
        to_db(hi),
        to_db(now)
    )
    .execute(&mut *sp)
    .await;
    match moved {
        Ok(_) => sp.commit().await?,
        Err(e) if is_overlap(&e) => {
            sp.rollback().await?;
            let nearest = nearest_free(&mut tx, b.practitioner_id, b.duration(), at, now, Some(b.id), &zone).await?;
            return Err(AppError::SlotTaken { nearest }.into());
        }
        Err(e) => return Err(e.into()),
    }
    let actor = access.actor(visitor);
    let note = format!("Session moved from {} to {}", datetime::machine(b.starts_at), datetime::machine(at));
    orders::record(&mut tx, row.id, Some(OrderStatus::Paid), OrderStatus::Paid, Some(actor), &note, now).await?;
    let moved = Locked { starts_at: at, ends_at: end, ..b };
    notify(&mut tx, state, &moved, Notice::Moved { by: side_of(access.role) }, now).await?;
    tx.commit().await?;
    Ok(access.number)
}

/// After the start, the practitioner closes the session: completed (with private
/// notes) or missed by the customer.
pub async fn close(
    state: &AppState,
    user: &SessionUser,
    number: &OrderNumber,
    attended: bool,
    notes: &str,
) -> Result<OrderNumber, Failure> {
    let notes = check_notes(notes)?;
    let now = state.clock.now();
    let visitor = Visitor { user: Some(user.clone()), ..Visitor::default() };
    let mut tx = state.pool.begin().await?;
    let (access, b, row) = lock_for(&mut tx, &visitor, number).await?;
    if access.role != OrderRole::Practitioner {
        return Err(AppError::NotFound.into());
    }
    if b.status != BookingStatus::Confirmed || b.order_status != OrderStatus::Paid {
        return Err(not_open(&b));
    }
    if now < b.starts_at {
        return Err(AppError::invalid("booking", "A session can be closed once it has started.").into());
    }
    move_to(&mut tx, &b, Move::Close { attended, notes: &notes }, now).await?;
    let note = if attended { "Session completed" } else { "The customer did not attend" };
    orders::transition(&mut tx, &row, OrderStatus::Completed, Some(user.id), note, now).await?;
    tx.commit().await?;
    Ok(access.number)
}

/// Changes the time of a draft order's session (the one chosen was taken, or the
/// customer changed their mind); it must be free now.
pub async fn choose_time(
    state: &AppState,
    visitor: &Visitor,
    number: &OrderNumber,
    at: Timestamp,
) -> Result<OrderNumber, Failure> {
    let now = state.clock.now();
    let mut tx = state.pool.begin().await?;
    let (access, b, _) = lock_for(&mut tx, visitor, number).await?;
    if access.role != OrderRole::Customer {
        return Err(AppError::NotFound.into());
    }
    if !matches!(b.order_status, OrderStatus::Draft | OrderStatus::PendingPayment | OrderStatus::PaymentFailed) {
        return Err(
            AppError::invalid("at", "This order is no longer at checkout; move the session from its page.").into()
        );
    }
    if b.status == BookingStatus::Held && b.hold_until.is_some_and(|u| u > now) {
        return Err(AppError::invalid(
            "at",
            "This time is held for the card payment you started; finish or cancel that payment first.",
        )
        .into());
    }
    let zone = customer_zone(&mut tx, b.customer_id).await?;
    check_free(&mut tx, b.practitioner_id, b.duration(), at, now, Some(b.id), &zone).await?;
    move_to(&mut tx, &b, Move::Choose { starts_at: at, ends_at: at + b.duration() }, now).await?;
    tx.commit().await?;
    Ok(access.number)
}
