//! Availability and booked sessions. Which times are free, whether a time can still be
//! taken, and what a cancellation returns are decided on the server only.

use crate::domain::AppError;
use crate::domain::types::{AvailabilityView, SlotPicker};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::server::{availability, booking, context, error::answer};

/// The signed-in practitioner's availability editor.
#[server(endpoint = "availability/view")]
pub async fn my_availability() -> Result<AvailabilityView, AppError> {
    answer(async move {
        let user = context::require_live_practitioner().await?;
        availability::view(&context::state()?, &user).await
    })
    .await
}

/// Saves the weekly hours, buffers, notice, horizon and cancellation policy.
#[server(endpoint = "availability/save")]
pub async fn save_availability(
    #[server(flatten)] form: crate::domain::booking::AvailabilityForm,
) -> Result<(), AppError> {
    answer(async move {
        let user = context::require_live_practitioner().await?;
        availability::save(&context::state()?, &user, &form).await?;
        leptos_axum::redirect("/practitioner/availability?saved=1");
        Ok(())
    })
    .await
}

/// Adds a day off or extra hours on a date.
#[server(endpoint = "availability/exceptions/add")]
pub async fn add_availability_exception(
    #[server(flatten)] form: crate::domain::booking::ExceptionForm,
) -> Result<(), AppError> {
    answer(async move {
        let user = context::require_live_practitioner().await?;
        availability::add_exception(&context::state()?, &user, &form).await?;
        leptos_axum::redirect("/practitioner/availability?added=1#exceptions");
        Ok(())
    })
    .await
}

/// Removes one of the practitioner's date exceptions.
#[server(endpoint = "availability/exceptions/remove")]
pub async fn remove_availability_exception(#[server(default)] id: String) -> Result<(), AppError> {
    answer(async move {
        let user = context::require_live_practitioner().await?;
        let id = id.trim().parse::<i64>().map_err(|_| AppError::NotFound)?;
        availability::remove_exception(&context::state()?, &user, id).await?;
        leptos_axum::redirect("/practitioner/availability#exceptions");
        Ok(())
    })
    .await
}

/// A week of free times for a session (from `week`, a date), shown in zone `tz` (the
/// signed-in person's own when empty); with `order`, for moving that order's session.
#[server(endpoint = "booking/slots")]
pub async fn free_slots(
    #[server(default)] service: String,
    #[server(default)] week: String,
    #[server(default)] tz: String,
    #[server(default)] order: String,
) -> Result<SlotPicker, AppError> {
    answer(async move {
        let state = context::state()?;
        let visitor = crate::api::checkout::visitor().await?;
        let given = |v: &str| Some(v.trim()).filter(|v| !v.is_empty()).map(str::to_owned);
        let order = given(&order).map(|n| crate::domain::OrderNumber::requested(&n)).transpose()?;
        let (week, tz) = (given(&week), given(&tz));
        booking::picker(&state, &visitor, &service, week.as_deref(), tz.as_deref(), order.as_ref()).await
    })
    .await
}

/// Changes the time of a session still at checkout, then returns to it.
#[server(endpoint = "checkout/time")]
pub async fn choose_session_time(
    #[server(default)] order: String,
    #[server(default)] at: String,
) -> Result<(), AppError> {
    answer(async move {
        let state = context::state()?;
        let at = booking::parse_at(&at, state.clock.now())?;
        let number = crate::domain::OrderNumber::requested(&order)?;
        let visitor = crate::api::checkout::visitor().await?;
        let number = booking::choose_time(&state, &visitor, &number, at).await?;
        leptos_axum::redirect(&format!("/checkout/{number}"));
        Ok(())
    })
    .await
}

/// Cancels a booked session. `refund` is what the preview said comes back; if that
/// changed, nothing happens.
#[server(endpoint = "booking/cancel")]
pub async fn cancel_session(
    #[server(default)] order: String,
    #[server(default)] refund: String,
) -> Result<(), AppError> {
    answer(async move {
        let number = crate::domain::OrderNumber::requested(&order)?;
        let visitor = crate::api::checkout::visitor().await?;
        let number = booking::cancel(&context::state()?, &visitor, &number, &refund).await?;
        leptos_axum::redirect(&format!("/orders/{number}?cancelled=1"));
        Ok(())
    })
    .await
}

/// Moves a booked session to another free time.
#[server(endpoint = "booking/reschedule")]
pub async fn reschedule_session(
    #[server(default)] order: String,
    #[server(default)] at: String,
) -> Result<(), AppError> {
    answer(async move {
        let state = context::state()?;
        let at = booking::parse_at(&at, state.clock.now())?;
        let number = crate::domain::OrderNumber::requested(&order)?;
        let visitor = crate::api::checkout::visitor().await?;
        let number = booking::reschedule(&state, &visitor, &number, at).await?;
        leptos_axum::redirect(&format!("/orders/{number}?moved=1"));
        Ok(())
    })
    .await
}

/// The practitioner closes a session after its start: `outcome=completed` (with private
/// notes) or `outcome=missed`.
#[server(endpoint = "booking/close")]
pub async fn close_session(
    #[server(default)] order: String,
    #[server(default)] outcome: String,
    #[server(default)] notes: String,
) -> Result<(), AppError> {
    answer(async move {
        let user = context::require_live_practitioner().await?;
        let attended = match outcome.trim() {
            "completed" => true,
            "missed" => false,
            _ => return Err(AppError::invalid("outcome", "Choose whether the session took place.").into()),
        };
        let number = crate::domain::OrderNumber::requested(&order)?;
        let number = booking::close(&context::state()?, &user, &number, attended, &notes).await?;
        leptos_axum::redirect(&format!("/orders/{number}"));
        Ok(())
    })
    .await
}

/// Makes the signed-in person's private calendar address (revoking any earlier one) and
/// keeps it in the session to be shown once.
#[server(endpoint = "calendar/feed/new")]
pub async fn new_calendar_feed(#[server(default)] back: String) -> Result<(), AppError> {
    answer(async move {
        let user = context::require_user().await?;
        let url = crate::server::calendar::new_feed(&context::state()?, &user).await?;
        context::session()
            .await?
            .insert(crate::server::calendar::NEW_FEED, url)
            .await
            .map_err(|e| crate::server::error::Failure::bug(format!("writing the session: {e}")))?;
        leptos_axum::redirect(&format!("{}#calendar", feed_page(&back)));
        Ok(())
    })
    .await
}

/// Stops the signed-in person's calendar address from working.
#[server(endpoint = "calendar/feed/revoke")]
pub async fn revoke_calendar_feed(#[server(default)] back: String) -> Result<(), AppError> {
    answer(async move {
        let user = context::require_user().await?;
        crate::server::calendar::revoke_feed(&context::state()?, &user).await?;
        leptos_axum::redirect(&format!("{}#calendar", feed_page(&back)));
        Ok(())
    })
    .await
}

/// The page a feed form returns to: the availability page or the dashboard.
#[cfg(feature = "ssr")]
fn feed_page(back: &str) -> &'static str {
    if back == "availability" { "/practitioner/availability" } else { "/dashboard" }
}

/// The signed-in person's calendar feed: whether they have one, and the address just
/// made (shown once).
#[server(endpoint = "calendar/feed")]
pub async fn calendar_feed_state() -> Result<crate::domain::types::FeedState, AppError> {
    answer(async move {
        let user = context::require_user().await?;
        let made = crate::server::calendar::feed_made(&context::state()?, user.id).await?;
        let fresh = context::session()
            .await?
            .remove::<String>(crate::server::calendar::NEW_FEED)
            .await
            .map_err(|e| crate::server::error::Failure::bug(format!("reading the session: {e}")))?;
        Ok(crate::domain::types::FeedState { made, fresh })
    })
    .await
}

/// The customer rates a completed session (1 to 5) with an optional review.
#[server(endpoint = "booking/review")]
pub async fn review_session(
    #[server(default)] order: String,
    #[server(default)] rating: String,
    #[server(default)] body: String,
) -> Result<(), AppError> {
    answer(async move {
        let user = context::require_user().await?;
        let number = crate::domain::OrderNumber::requested(&order)?;
        let number = crate::server::calendar::review(&context::state()?, &user, &number, &rating, &body).await?;
        leptos_axum::redirect(&format!("/orders/{number}?reviewed=1#session"));
        Ok(())
    })
    .await
}
