//! What happens to a paid service order: the assigned practitioner accepts and
//! completes it, and an admin may give it to another practitioner.

use super::{lock, page_of};
use crate::domain::orders::OrderStatus;
use crate::domain::{AppError, OrderNumber, UserCode};
use crate::server::capability::{Admin, LivePractitioner};
use crate::server::clock::to_db;
use crate::server::email::{self, templates};
use crate::server::error::Failure;
use crate::server::orders;
use crate::server::state::AppState;

/// What the assigned practitioner does with a paid order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Work {
    Accept,
    Complete,
}

/// The assigned practitioner accepts a paid order or completes one in progress. Only
/// those moves, only by them; a repeat of the same move changes nothing. A booked
/// session follows its booking instead: there is nothing to accept, and completing it
/// is closing it, once it has started.
pub async fn work(state: &AppState, user: &LivePractitioner, number: &OrderNumber, step: Work) -> Result<(), Failure> {
    let now = state.clock.now();
    let mut tx = state.pool.begin().await?;
    let order = lock(&mut tx, number).await?.ok_or(AppError::NotFound)?;
    if order.practitioner_id != user.id {
        return Err(AppError::NotFound.into());
    }
    if crate::server::booking::is_booked(&mut tx, order.id).await? {
        // A session is confirmed when paid and done once it has taken place: accepting
        // or completing it early would take it out of reach of its cancellation.
        tx.rollback().await?;
        return match step {
            Work::Accept => Err(AppError::invalid(
                "step",
                "A booked session is confirmed when it is paid; there is nothing to accept. Close it from its page once it has started.",
            )
            .into()),
            Work::Complete => crate::server::booking::close(state, user, number, true, "").await.map(|_| ()),
        };
    }
    let (from, to, note) = match step {
        Work::Accept => (OrderStatus::Paid, OrderStatus::InProgress, "Accepted by the practitioner"),
        Work::Complete => (OrderStatus::InProgress, OrderStatus::Completed, "Completed by the practitioner"),
    };
    let status = order.status()?;
    if status == to {
        return Ok(());
    }
    if status != from {
        let what = if step == Work::Accept { "accepted" } else { "completed" };
        return Err(AppError::invalid(
            "order",
            format!("This order is {} and cannot be {what} now.", status.label().to_lowercase()),
        )
        .into());
    }
    let row = orders::find_in(&mut tx, number).await?.ok_or(AppError::NotFound)?;
    orders::transition(&mut tx, &row, to, Some(user.id), note, now).await?;
    sqlx::query!("UPDATE orders SET updated_at = $2 WHERE id = $1", order.id, to_db(now)).execute(&mut *tx).await?;
    let customer = crate::server::parties::of_order(&mut tx, order.id).await?.customer;
    let facts = templates::ServiceOrderFacts {
        name: &customer.name,
        number: order.number.as_str(),
        service: &order.title,
        paid: String::new(),
        url: format!("{}{}", state.config.public_url, page_of(&order.number)),
    };
    if let Some(to_address) = customer.email.as_deref() {
        let mail = templates::service_order_moved(&facts, &user.name, step == Work::Complete);
        email::enqueue(&mut tx, Some(order.user_id), to_address, &mail, now).await?;
    }
    tx.commit().await?;
    tracing::info!(%number, to = to.as_str(), "service order moved");
    Ok(())
}

/// An admin gives an order to another live practitioner; the history says who had it.
pub async fn reassign(state: &AppState, admin: &Admin, number: &OrderNumber, to: &str) -> Result<(), Failure> {
    let now = state.clock.now();
    let code = UserCode::parse(to).ok_or_else(|| {
        AppError::invalid("practitioner", "Enter the practitioner's account code, as shown on their page.")
    })?;
    let mut tx = state.pool.begin().await?;
    let order = lock(&mut tx, number).await?.ok_or(AppError::NotFound)?;
    if order.delivery != "written" {
        return Err(AppError::invalid(
            "practitioner",
            "A session is booked in its practitioner's own calendar, so it cannot be reassigned; cancel it instead.",
        )
        .into());
    }
    let target = sqlx::query!(
        "SELECT u.id, u.name FROM users u JOIN practitioner_profiles p ON p.user_id = u.id
         WHERE u.code = $1 AND p.onboarding_state = 'approved' AND u.disabled_at IS NULL",
        code.number()
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| AppError::invalid("practitioner", "No approved practitioner has that account code."))?;
    if target.id == order.practitioner_id {
        return Err(AppError::invalid("practitioner", "The order is already with this practitioner.").into());
    }
    if target.id == order.user_id {
        return Err(AppError::invalid("practitioner", "That practitioner is the customer of this order.").into());
    }
    let status = order.status()?;
    if status.is_finished() {
        return Err(AppError::invalid(
            "practitioner",
            format!("This order is {}; it can no longer be reassigned.", status.label().to_lowercase()),
        )
        .into());
    }
    let before =
        sqlx::query_scalar!("SELECT name FROM users WHERE id = $1", order.practitioner_id).fetch_one(&mut *tx).await?;
    sqlx::query!(
        "UPDATE orders SET practitioner_id = $2, updated_at = $3 WHERE id = $1",
        order.id,
        target.id,
        to_db(now)
    )
    .execute(&mut *tx)
    .await?;
    let note = format!("Reassigned from {before} to {}", target.name);
    orders::record(&mut tx, order.id, Some(status), status, Some(admin.id), &note, now).await?;
    crate::server::audit::record(
        &mut tx,
        admin.id,
        "order.reassign",
        order.id,
        &serde_json::json!({ "to": target.id }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
