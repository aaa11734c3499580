use crate::domain::AppError;
use crate::domain::types::{JobRow, LedgerStatus, OutboxRow, UserPage};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::{
    domain::Role,
    server::{accounts, admin, context, error::answer},
};

/// The id of the thing a form edits: empty for a new one; anything else that is not an
/// id is a thing that does not exist.
#[cfg(feature = "ssr")]
fn optional_id(raw: &str) -> Result<Option<uuid::Uuid>, AppError> {
    match raw.trim() {
        "" => Ok(None),
        raw => uuid::Uuid::parse_str(raw).map(Some).map_err(|_| AppError::NotFound),
    }
}

#[server(endpoint = "admin/users")]
pub async fn list_users(query: String, page: i64) -> Result<UserPage, AppError> {
    answer(async move {
        let admin = context::require_admin().await?;
        if query.chars().count() > 200 {
            return Err(AppError::invalid("query", "Search for at most 200 characters.").into());
        }
        accounts::search_users(&context::state()?, &admin, &query, page).await
    })
    .await
}

#[server(endpoint = "admin/users/role")]
pub async fn set_user_role(user_id: String, role: String) -> Result<(), AppError> {
    answer(async move {
        let actor = context::require_admin().await?;
        let target = uuid::Uuid::parse_str(user_id.trim())
            .map_err(|_| AppError::invalid("user_id", "That user does not exist."))?;
        let role =
            Role::parse(&role).ok_or_else(|| AppError::invalid("role", "Choose customer, practitioner or admin."))?;
        accounts::set_role(&context::state()?, &actor, target, role).await
    })
    .await
}

/// Adds (positive `delta`) or takes away credits from the customer with account number
/// `user_code`, for the reason given. `key` is the one the form was rendered with, so a
/// double submission moves credits once; success reloads the panel with a fresh form.
#[server(endpoint = "admin/credits/adjust")]
pub async fn adjust_credits(user_code: String, delta: String, reason: String, key: String) -> Result<(), AppError> {
    answer(async move {
        let actor = context::require_admin().await?;
        let target = crate::domain::UserCode::parse(&user_code)
            .ok_or_else(|| AppError::invalid("user_code", "Enter an account number such as U100042."))?;
        let (delta, reason) = crate::domain::ledger::parse_adjustment(&delta, &reason)?;
        let key = uuid::Uuid::parse_str(key.trim())
            .map_err(|_| AppError::invalid("key", "This form is out of date; reload the page and try again."))?;
        crate::server::credits::adjust_by_admin(&context::state()?, &actor, target, delta, &reason, key).await?;
        leptos_axum::redirect("/admin?adjusted=1#credits");
        Ok(())
    })
    .await
}

/// The newest scheduled ledger check, or `None` before the first has run.
#[server(endpoint = "admin/ledger/status")]
pub async fn last_ledger_check() -> Result<Option<LedgerStatus>, AppError> {
    answer(async move {
        context::require_admin().await?;
        let last = crate::server::ledger::last_check(&context::state()?.pool).await?;
        Ok(last.map(|(checked_at, r)| LedgerStatus {
            checked_at,
            clean: r.is_clean(),
            transactions: r.transactions,
            unbalanced: r.unbalanced + r.empty,
            drifted: r.wallet_drift + r.lot_drift,
        }))
    })
    .await
}

#[server(endpoint = "admin/outbox")]
pub async fn list_outbox() -> Result<Vec<OutboxRow>, AppError> {
    answer(async move {
        let admin = context::require_admin().await?;
        admin::outbox(&context::state()?, &admin, 100).await
    })
    .await
}

#[server(endpoint = "admin/jobs")]
pub async fn list_troubled_jobs() -> Result<Vec<JobRow>, AppError> {
    answer(async move {
        let admin = context::require_admin().await?;
        admin::troubled_jobs(&context::state()?, &admin, 100).await
    })
    .await
}

/// Every credit package, on sale or not.
#[server(endpoint = "admin/packages")]
pub async fn admin_packages() -> Result<Vec<crate::domain::types::CreditPackage>, AppError> {
    answer(async move {
        let admin = context::require_admin().await?;
        crate::server::packages::all(&context::state()?, &admin).await
    })
    .await
}

/// Creates a package (empty `id`) or saves changes to one. Orders already placed keep
/// what they bought.
#[server(endpoint = "admin/packages/save")]
pub async fn save_package(
    id: String,
    #[server(flatten)] form: crate::domain::orders::PackageForm,
) -> Result<(), AppError> {
    answer(async move {
        let actor = context::require_admin().await?;
        let id = optional_id(&id)?;
        let draft = form.parse()?;
        crate::server::packages::save(&context::state()?, &actor, id, &draft).await?;
        leptos_axum::redirect("/admin/packages?saved=1");
        Ok(())
    })
    .await
}

/// Every service type, active or not.
#[server(endpoint = "admin/service-types")]
pub async fn admin_service_types() -> Result<Vec<crate::domain::types::ServiceTypeAdmin>, AppError> {
    answer(async move {
        let admin = context::require_admin().await?;
        crate::server::catalog::all_types(&context::state()?, &admin).await
    })
    .await
}

/// Creates a service type (empty `id`) or saves changes to one.
#[server(endpoint = "admin/service-types/save")]
pub async fn save_service_type(
    id: String,
    #[server(flatten)] form: crate::domain::catalog::ServiceTypeForm,
) -> Result<(), AppError> {
    answer(async move {
        let actor = context::require_admin().await?;
        let id = optional_id(&id)?;
        let draft = form.parse()?;
        crate::server::catalog::save_type(&context::state()?, &actor, id, &draft).await?;
        leptos_axum::redirect("/admin/service-types?saved=1");
        Ok(())
    })
    .await
}

/// Orders, provider events and the last reconciliation, newest first.
#[server(endpoint = "admin/payments")]
pub async fn payment_overview() -> Result<crate::domain::types::PaymentsOverview, AppError> {
    answer(async move {
        let admin = context::require_admin().await?;
        crate::server::orders::payments_overview(&context::state()?, &admin).await
    })
    .await
}

/// Handles a failed provider event again.
#[server(endpoint = "admin/payments/retry")]
pub async fn retry_payment_event(event_id: String) -> Result<(), AppError> {
    answer(async move {
        let actor = context::require_admin().await?;
        let state = context::state()?;
        let outcome = crate::server::payments::webhooks::retry(&state, event_id.trim()).await?;
        tracing::info!(actor = %actor.code, event = %event_id.trim(), handled = outcome.is_ok(), "payment event retried by an admin");
        leptos_axum::redirect("/admin/payments?retried=1");
        Ok(())
    })
    .await
}

/// Asks the provider about unpaid orders now rather than at the next scheduled run.
#[server(endpoint = "admin/payments/reconcile")]
pub async fn reconcile_now() -> Result<(), AppError> {
    answer(async move {
        context::require_admin().await?;
        crate::server::orders::reconcile(&context::state()?).await?;
        leptos_axum::redirect("/admin/payments?reconciled=1");
        Ok(())
    })
    .await
}

/// One order with its customer, status history and checkout sessions.
#[server(endpoint = "admin/orders/detail")]
pub async fn order_detail(order: String) -> Result<crate::domain::types::OrderDetail, AppError> {
    answer(async move {
        let admin = context::require_admin().await?;
        let number = crate::domain::OrderNumber::requested(&order)?;
        crate::server::orders::detail(&context::state()?, &admin, &number).await
    })
    .await
}

/// Exactly what refunding `credits` paid credits of the order (all that can be, when
/// empty) would move: money, credits, the customer's balance and the order's status.
#[server(endpoint = "admin/orders/refund/preview")]
pub async fn refund_preview(order: String, credits: String) -> Result<crate::domain::types::RefundPreview, AppError> {
    answer(async move {
        let admin = context::require_admin().await?;
        let credits =
            if credits.trim().is_empty() { None } else { Some(crate::domain::refunds::parse_credits(&credits)?) };
        let number = crate::domain::OrderNumber::requested(&order)?;
        crate::server::refunds::preview(&context::state()?, &admin, &number, credits).await
    })
    .await
}

/// Refunds the order as previewed: `expected_amount_minor` is the amount the admin saw,
/// and `key` the one the confirmation was rendered with, so a double submission refunds
/// once. Success returns to the order page, saying where the refund got to.
#[server(endpoint = "admin/orders/refund")]
pub async fn refund_order(
    order: String,
    credits: String,
    expected_amount_minor: String,
    reason: String,
    key: String,
) -> Result<(), AppError> {
    answer(async move {
        let actor = context::require_admin().await?;
        let form = crate::server::refunds::RefundForm {
            credits: crate::domain::refunds::parse_credits(&credits)?,
            reason: crate::domain::refunds::parse_reason(&reason)?,
            expected_amount_minor: expected_amount_minor
                .trim()
                .parse()
                .map_err(|_| AppError::invalid("credits", "This form is out of date; preview the refund again."))?,
            request_key: uuid::Uuid::parse_str(key.trim())
                .map_err(|_| AppError::invalid("key", "This form is out of date; preview the refund again."))?,
        };
        let number = crate::domain::OrderNumber::requested(&order)?;
        let status = crate::server::refunds::request(&context::state()?, &actor, &number, &form).await?;
        leptos_axum::redirect(&format!("/admin/orders/{number}?refund={}", status.as_str()));
        Ok(())
    })
    .await
}

/// The lead imports, newest first.
#[server(endpoint = "admin/leads/batches")]
pub async fn lead_batches() -> Result<Vec<crate::domain::types::LeadBatchRow>, AppError> {
    answer(async move {
        let admin = context::require_admin().await?;
        crate::server::leads::batches(&context::state()?, &admin).await
    })
    .await
}

/// One lead import with the rows it refused.
#[server(endpoint = "admin/leads/batch")]
pub async fn lead_batch(batch: String) -> Result<crate::domain::types::LeadBatchDetail, AppError> {
    answer(async move {
        let admin = context::require_admin().await?;
        let id = uuid::Uuid::parse_str(batch.trim()).map_err(|_| AppError::NotFound)?;
        crate::server::leads::batch_detail(&context::state()?, &admin, id).await
    })
    .await
}

/// Every practitioner with where they are in onboarding.
#[server(endpoint = "admin/practitioners")]
pub async fn admin_practitioners() -> Result<Vec<crate::domain::types::PractitionerRow>, AppError> {
    answer(async move {
        let admin = context::require_admin().await?;
        crate::server::onboarding::list(&context::state()?, &admin).await
    })
    .await
}

/// One practitioner's onboarding as entered, for review.
#[server(endpoint = "admin/practitioners/one")]
pub async fn admin_practitioner(code: String) -> Result<crate::domain::types::WizardView, AppError> {
    answer(async move {
        context::require_admin().await?;
        let state = context::state()?;
        let code = crate::domain::UserCode::parse(&code).ok_or(AppError::NotFound)?;
        let id = crate::server::onboarding::id_of(&state, code).await?;
        crate::server::wizard::view(&state, id).await
    })
    .await
}

/// Approves a submitted profile or sends it back with a reason.
#[server(endpoint = "admin/practitioners/review")]
pub async fn review_practitioner(code: String, decision: String, reason: Option<String>) -> Result<(), AppError> {
    answer(async move {
        use crate::server::onboarding::{Decision, review};
        let admin = context::require_admin().await?;
        let state = context::state()?;
        let parsed = crate::domain::UserCode::parse(&code).ok_or(AppError::NotFound)?;
        let reason = reason.unwrap_or_default();
        let decision = match decision.as_str() {
            "approve" => Decision::Approve,
            "reject" => Decision::Reject { reason: &reason },
            "suspend" => Decision::Suspend { reason: &reason },
            "reinstate" => Decision::Reinstate,
            _ => return Err(AppError::invalid("decision", "Choose approve, reject, suspend or reinstate.").into()),
        };
        review(&state, &admin, parsed, decision).await?;
        leptos_axum::redirect(&format!("/admin/practitioners/{parsed}"));
        Ok(())
    })
    .await
}

/// The onboarding funnel, overall and per lead batch.
#[server(endpoint = "admin/practitioners/funnel")]
pub async fn onboarding_funnel() -> Result<Vec<crate::domain::types::FunnelRow>, AppError> {
    answer(async move {
        let admin = context::require_admin().await?;
        crate::server::onboarding::funnel(&context::state()?, &admin).await
    })
    .await
}
