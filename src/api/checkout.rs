//! The checkout for a service and the orders it makes. Who may see or change an order,
//! what it costs and whether it can be paid are decided on the server only; a guest's
//! drafts are the ones their session started.

use crate::domain::types::{CheckoutStart, CheckoutView, ServiceOrderRow, ServiceOrderView};
use crate::domain::{AppError, OrderNumber};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[cfg(feature = "ssr")]
use crate::server::{checkout, context, error::Failure, error::answer};

/// What opening the checkout for a service found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum CheckoutOpening {
    /// The visitor's draft for this service, to carry on with.
    Resume(OrderNumber),
    New(Box<CheckoutStart>),
}

/// The guest drafts kept in this session, newest last.
#[cfg(feature = "ssr")]
const GUEST_ORDERS_KEPT: usize = 20;

#[cfg(feature = "ssr")]
pub(crate) async fn visitor() -> Result<checkout::Visitor, Failure> {
    // The app is also rendered once at start-up to discover its routes: no request.
    if use_context::<http::request::Parts>().is_none() {
        return Ok(checkout::Visitor::default());
    }
    checkout::Visitor::of(&context::state()?, &context::session().await?).await
}

#[cfg(feature = "ssr")]
async fn keep_guest_order(number: &OrderNumber, zone: Option<crate::domain::TimeZone>) -> Result<(), Failure> {
    let session = context::session().await?;
    if let Some(zone) = zone {
        session
            .insert(checkout::GUEST_ZONE, zone.as_str())
            .await
            .map_err(|e| Failure::bug(format!("writing the session: {e}")))?;
    }
    let mut kept = session
        .get::<Vec<String>>(checkout::GUEST_ORDERS)
        .await
        .map_err(|e| Failure::bug(format!("reading the session: {e}")))?
        .unwrap_or_default();
    if !kept.iter().any(|n| n == number.as_str()) {
        kept.push(number.to_string());
    }
    let from = kept.len().saturating_sub(GUEST_ORDERS_KEPT);
    session
        .insert(checkout::GUEST_ORDERS, kept[from..].to_vec())
        .await
        .map_err(|e| Failure::bug(format!("writing the session: {e}")))
}

#[cfg(feature = "ssr")]
fn form_key(raw: &str) -> Result<uuid::Uuid, AppError> {
    uuid::Uuid::parse_str(raw.trim())
        .map_err(|_| AppError::invalid("key", "This form is out of date; reload the page and try again."))
}

/// The time a session's checkout starts with (`at`, from the slot picker) and the zone
/// it was read in (`tz`); nothing for a service that is not booked for a time.
#[cfg(feature = "ssr")]
fn chosen(
    at: &str,
    tz: &str,
    visitor: &checkout::Visitor,
    now: jiff::Timestamp,
) -> Result<Option<checkout::Chosen>, AppError> {
    if at.trim().is_empty() {
        return Ok(None);
    }
    let at = crate::server::booking::parse_at(at, now)?;
    let zone = crate::domain::TimeZone::parse(tz)
        .ok()
        .or_else(|| visitor.user.as_ref().map(|u| u.time_zone.clone()))
        .unwrap_or_else(crate::domain::TimeZone::utc);
    Ok(Some(checkout::Chosen { at, zone }))
}

/// Step 1 for a service (for a session, at the time `at` read in zone `tz`), or the
/// visitor's open draft for it.
#[server(endpoint = "checkout/open")]
pub async fn open_checkout(
    #[server(default)] service: String,
    #[server(default)] at: String,
    #[server(default)] tz: String,
) -> Result<CheckoutOpening, AppError> {
    answer(async move {
        let state = context::state()?;
        let visitor = visitor().await?;
        let chosen = chosen(&at, &tz, &visitor, state.clock.now())?;
        Ok(match checkout::start(&state, &visitor, &service, chosen).await? {
            checkout::Started::Resume(number) => CheckoutOpening::Resume(number),
            checkout::Started::New(start) => CheckoutOpening::New(start),
        })
    })
    .await
}

/// Saves step 1 (starting the order when `order` is empty) and goes on to the next step.
#[server(endpoint = "checkout/details")]
pub async fn save_checkout_details(
    #[server(default)] order: String,
    #[server(default)] service: String,
    #[server(default)] key: String,
    #[server(default)] at: String,
    #[server(default)] tz: String,
    #[server(flatten)] form: crate::domain::checkout::DetailsForm,
) -> Result<(), AppError> {
    answer(async move {
        let state = context::state()?;
        let visitor = visitor().await?;
        let existing = match order.trim() {
            "" => None,
            number => Some(OrderNumber::requested(number)?),
        };
        let target = match &existing {
            None => checkout::Target::New {
                slug: service.trim(),
                key: form_key(&key)?,
                chosen: chosen(&at, &tz, &visitor, state.clock.now())?,
            },
            Some(number) => checkout::Target::Existing(number),
        };
        if visitor.user.is_none() && matches!(target, checkout::Target::New { .. }) {
            crate::server::accounts::limit_new_accounts(&state, context::client_ip(&state)).await?;
        }
        let saved = checkout::save_details(&state, &visitor, target, &form).await?;
        if saved.by_guest {
            keep_guest_order(&saved.number, crate::domain::TimeZone::parse(&tz).ok()).await?;
        }
        leptos_axum::redirect(&format!("/checkout/{}", saved.number));
        Ok(())
    })
    .await
}

/// Saves step 2, the answers (`answers[<question id>]`), and goes on to review.
#[server(endpoint = "checkout/answers")]
pub async fn save_checkout_answers(
    #[server(default)] order: String,
    #[server(default)] answers: BTreeMap<String, String>,
) -> Result<(), AppError> {
    answer(async move {
        let number = OrderNumber::requested(&order)?;
        let number = checkout::save_answers(&context::state()?, &visitor().await?, &number, &answers).await?;
        leptos_axum::redirect(&format!("/checkout/{number}?step=3"));
        Ok(())
    })
    .await
}

/// Pays for the order, in credits (`method=credits`) or by card (`method=card`).
#[server(endpoint = "checkout/pay")]
pub async fn pay_checkout(#[server(default)] order: String, #[server(default)] method: String) -> Result<(), AppError> {
    answer(async move {
        let method = crate::domain::orders::PaidWith::from_form(&method)?;
        let number = OrderNumber::requested(&order)?;
        let url = checkout::pay(&context::state()?, &visitor().await?, &number, method).await?;
        leptos_axum::redirect(&url);
        Ok(())
    })
    .await
}

/// One of the visitor's service orders at checkout.
#[server(endpoint = "checkout/view")]
pub async fn checkout_state(#[server(default)] order: String) -> Result<CheckoutView, AppError> {
    answer(async move {
        let number = OrderNumber::requested(&order)?;
        checkout::view(&context::state()?, &visitor().await?, &number).await
    })
    .await
}

/// A service order's page, for its customer, its practitioner or an admin.
#[server(endpoint = "orders/service")]
pub async fn service_order(#[server(default)] order: String) -> Result<ServiceOrderView, AppError> {
    answer(async move {
        let number = OrderNumber::requested(&order)?;
        checkout::order_page(&context::state()?, &visitor().await?, &number).await
    })
    .await
}

/// The signed-in customer's service orders, newest first.
#[server(endpoint = "orders/services")]
pub async fn my_service_orders() -> Result<Vec<ServiceOrderRow>, AppError> {
    answer(async move {
        let user = context::require_user().await?;
        checkout::list(&context::state()?, &user, false).await
    })
    .await
}

/// The paid orders a practitioner is to deliver, newest first.
#[server(endpoint = "practitioner/orders")]
pub async fn orders_to_deliver() -> Result<Vec<ServiceOrderRow>, AppError> {
    answer(async move {
        let user = context::require_live_practitioner().await?;
        checkout::list(&context::state()?, &user, true).await
    })
    .await
}

/// The assigned practitioner accepts (`step=accept`) or completes (`step=complete`) an order.
#[server(endpoint = "practitioner/orders/work")]
pub async fn work_on_order(#[server(default)] order: String, #[server(default)] step: String) -> Result<(), AppError> {
    answer(async move {
        let user = context::require_live_practitioner().await?;
        let step = match step.trim() {
            "accept" => checkout::Work::Accept,
            "complete" => checkout::Work::Complete,
            _ => return Err(AppError::invalid("step", "Choose to accept or to complete the order.").into()),
        };
        let number = OrderNumber::requested(&order)?;
        checkout::work(&context::state()?, &user, &number, step).await?;
        leptos_axum::redirect(&format!("/orders/{number}"));
        Ok(())
    })
    .await
}

/// An admin gives a service order to another approved practitioner, by account code.
#[server(endpoint = "admin/orders/reassign")]
pub async fn reassign_order(
    #[server(default)] order: String,
    #[server(default)] practitioner: String,
) -> Result<(), AppError> {
    answer(async move {
        let admin = context::require_admin().await?;
        let number = OrderNumber::requested(&order)?;
        checkout::reassign(&context::state()?, &admin, &number, &practitioner).await?;
        leptos_axum::redirect(&format!("/orders/{number}"));
        Ok(())
    })
    .await
}

/// An admin cancels a paid service order that will not be delivered and refunds it in
/// full, saying why (the customer is told the order is cancelled and refunded).
#[server(endpoint = "admin/orders/refund-undelivered")]
pub async fn refund_undelivered(
    #[server(default)] order: String,
    #[server(default)] reason: String,
) -> Result<(), AppError> {
    answer(async move {
        let admin = context::require_admin().await?;
        let number = OrderNumber::requested(&order)?;
        crate::server::refunds::refund_undelivered(&context::state()?, &admin, &number, &reason).await?;
        leptos_axum::redirect(&format!("/orders/{number}"));
        Ok(())
    })
    .await
}

/// Adds a message to the order's thread, then returns to it.
#[server(endpoint = "orders/messages/post")]
pub async fn post_order_message(
    #[server(default)] order: String,
    #[server(default)] body: String,
) -> Result<(), AppError> {
    answer(async move {
        let number = OrderNumber::requested(&order)?;
        let number = crate::server::exchange::post(&context::state()?, &visitor().await?, &number, &body).await?;
        leptos_axum::redirect(&format!("/orders/{number}?sent=1#messages"));
        Ok(())
    })
    .await
}

/// What the practitioner earned per month, newest first.
#[server(endpoint = "practitioner/earnings")]
pub async fn my_earnings() -> Result<Vec<crate::domain::types::EarningsRow>, AppError> {
    answer(async move {
        let user = context::require_live_practitioner().await?;
        checkout::earnings(&context::state()?, &user).await
    })
    .await
}
