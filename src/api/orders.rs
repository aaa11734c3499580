//! Buying credit packs: the packs on sale, placing and paying for an order, and its
//! result. Prices, packages and order ownership are decided on the server only.

use crate::domain::AppError;
use crate::domain::types::{CreditPackage, OrderView, PaymentState, SandboxSession};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::server::{context, error::answer};

#[cfg(feature = "ssr")]
fn form_key(raw: &str) -> Result<uuid::Uuid, AppError> {
    uuid::Uuid::parse_str(raw.trim())
        .map_err(|_| AppError::invalid("key", "This form is out of date; reload the page and try again."))
}

/// The credit packs on sale, in display order.
#[server(endpoint = "credits/packages")]
pub async fn credit_packages() -> Result<Vec<CreditPackage>, AppError> {
    answer(async move { crate::server::packages::on_sale(&context::state()?).await }).await
}

/// Places an order for `package_id` and sends the customer to pay for it. `key` is the
/// one the form was rendered with, so a double submission makes one order. `for_order`
/// is the service order the credits are bought for, which the result page returns to.
#[server(endpoint = "credits/buy")]
pub async fn buy_credits(
    package_id: String,
    key: String,
    #[server(default)] for_order: String,
) -> Result<(), AppError> {
    answer(async move {
        let user = context::require_user().await?;
        let package_id = uuid::Uuid::parse_str(package_id.trim()).map_err(|_| {
            AppError::invalid("package_id", "That credit pack does not exist. Choose one from the list.")
        })?;
        let key = form_key(&key)?;
        let for_order = crate::domain::OrderNumber::parse(&for_order).ok();
        let url = crate::server::orders::place(&context::state()?, &user, package_id, key, for_order.as_ref()).await?;
        leptos_axum::redirect(&url);
        Ok(())
    })
    .await
}

/// Pays again for an order whose payment failed or was abandoned.
#[server(endpoint = "orders/pay")]
pub async fn pay_order(order: String) -> Result<(), AppError> {
    answer(async move {
        let user = context::require_user().await?;
        let number = crate::domain::OrderNumber::requested(&order)?;
        let url = crate::server::orders::resume(&context::state()?, &user, &number).await?;
        leptos_axum::redirect(&url);
        Ok(())
    })
    .await
}

/// One of the signed-in person's orders, checked with the provider while it awaits
/// payment.
#[server(endpoint = "orders/result")]
pub async fn order_result(order: String) -> Result<OrderView, AppError> {
    answer(async move {
        let user = context::require_user().await?;
        let number = crate::domain::OrderNumber::requested(&order)?;
        crate::server::orders::result(&context::state()?, &user, &number).await
    })
    .await
}

/// The signed-in person's credit-pack orders, newest first.
#[server(endpoint = "orders/mine")]
pub async fn my_orders() -> Result<Vec<OrderView>, AppError> {
    answer(async move {
        let user = context::require_user().await?;
        crate::server::orders::list_for(&context::state()?, user.id).await
    })
    .await
}

/// The sandbox provider's test checkout. Anyone holding the session's unguessable id
/// may see it, as with a hosted checkout page.
#[server(endpoint = "sandbox/checkout")]
pub async fn sandbox_checkout(session_id: String) -> Result<SandboxSession, AppError> {
    answer(async move { crate::server::payments::sandbox::checkout(&context::state()?, session_id.trim()).await }).await
}

/// Approves or declines a sandbox test payment, then returns to the shop.
#[server(endpoint = "sandbox/settle")]
pub async fn settle_sandbox(session_id: String, outcome: String) -> Result<(), AppError> {
    answer(async move {
        let approve = match outcome.as_str() {
            "approve" => true,
            "decline" => false,
            _ => return Err(AppError::invalid("outcome", "Choose approve or decline.").into()),
        };
        let url = crate::server::payments::sandbox::settle(&context::state()?, session_id.trim(), approve).await?;
        leptos_axum::redirect(&url);
        Ok(())
    })
    .await
}

/// The payment state of one of the signed-in person's orders, for the result page's
/// watcher (checked with the provider while it awaits payment).
#[server(endpoint = "orders/status")]
pub async fn watch_payment(order: String) -> Result<PaymentState, AppError> {
    answer(async move {
        let user = context::require_user().await?;
        let number = crate::domain::OrderNumber::requested(&order)?;
        let o = crate::server::orders::result(&context::state()?, &user, &number).await?;
        Ok(PaymentState { status: o.status, credits: o.credits + o.bonus_credits, invoice_number: o.invoice_number })
    })
    .await
}
