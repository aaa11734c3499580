//! Server functions of an approved practitioner's practice. Every one starts with
//! `require_live_practitioner`: until onboarding is approved they all refuse, and a test
//! enumerates every function under `practitioner/` to prove it.

use crate::domain::AppError;
use crate::domain::types::WizardView;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::server::{context, error::answer};

/// The practitioner's own profile as it is live, for their dashboard.
#[server(endpoint = "practitioner/overview")]
pub async fn practice_overview() -> Result<WizardView, AppError> {
    answer(async move {
        let user = context::require_live_practitioner().await?;
        crate::server::wizard::view(&context::state()?, user.id).await
    })
    .await
}

#[cfg(feature = "ssr")]
fn service_id(raw: &str) -> Result<uuid::Uuid, AppError> {
    uuid::Uuid::parse_str(raw.trim()).map_err(|_| AppError::NotFound)
}

/// The practitioner's services: the current ones, or the archived ones.
#[server(endpoint = "practitioner/services")]
pub async fn my_services(
    #[server(default)] archived: bool,
) -> Result<Vec<crate::domain::types::ServiceView>, AppError> {
    answer(async move {
        let user = context::require_live_practitioner().await?;
        crate::server::services::own(&context::state()?, &user, archived).await
    })
    .await
}

/// One of the practitioner's own services, for its editor.
#[server(endpoint = "practitioner/services/one")]
pub async fn my_service(#[server(default)] id: String) -> Result<crate::domain::types::ServiceView, AppError> {
    answer(async move {
        let user = context::require_live_practitioner().await?;
        crate::server::services::one_own(&context::state()?, &user, service_id(&id)?).await
    })
    .await
}

/// Creates a service (empty `id`; published unless `publish` is left unticked) or saves
/// changes to one, then opens its page in the editor.
#[server(endpoint = "practitioner/services/save")]
pub async fn save_service(
    #[server(default)] id: String,
    #[server(default)] publish: Option<String>,
    #[server(flatten)] form: crate::domain::catalog::ServiceForm,
) -> Result<(), AppError> {
    answer(async move {
        let user = context::require_live_practitioner().await?;
        let state = context::state()?;
        let draft = form.parse()?;
        let id = match id.trim() {
            "" => crate::server::services::create(&state, &user, &draft, publish.is_some()).await?,
            raw => {
                let id = service_id(raw)?;
                crate::server::services::update(&state, &user, id, &draft).await?;
                id
            }
        };
        leptos_axum::redirect(&format!("/practitioner/services/{id}?saved=1"));
        Ok(())
    })
    .await
}

/// Publishes (`active`), pauses, archives or restores a service.
#[server(endpoint = "practitioner/services/status")]
pub async fn set_service_status(
    #[server(default)] id: String,
    #[server(default)] status: String,
) -> Result<(), AppError> {
    answer(async move {
        let user = context::require_live_practitioner().await?;
        let to = crate::domain::catalog::ServiceStatus::parse(status.trim())
            .ok_or_else(|| AppError::invalid("status", "Choose publish, pause, archive or restore."))?;
        let id = service_id(&id)?;
        crate::server::services::set_status(&context::state()?, &user, id, to).await?;
        leptos_axum::redirect(&format!("/practitioner/services/{id}?status=1"));
        Ok(())
    })
    .await
}

/// Adds an intake question at the end of a service's list.
#[server(endpoint = "practitioner/services/questions/add")]
pub async fn add_question(
    #[server(default)] service: String,
    #[server(flatten)] form: crate::domain::catalog::QuestionForm,
) -> Result<(), AppError> {
    answer(async move {
        let user = context::require_live_practitioner().await?;
        let id = service_id(&service)?;
        crate::server::services::add_question(&context::state()?, &user, id, &form).await?;
        leptos_axum::redirect(&format!("/practitioner/services/{id}?question=added#questions"));
        Ok(())
    })
    .await
}

/// Removes an intake question, or moves it one place `up` or `down`.
#[server(endpoint = "practitioner/services/questions/change")]
pub async fn change_question(
    #[server(default)] service: String,
    #[server(default)] question: String,
    #[server(default)] change: String,
) -> Result<(), AppError> {
    answer(async move {
        let user = context::require_live_practitioner().await?;
        let (id, question) = (service_id(&service)?, service_id(&question)?);
        let state = context::state()?;
        match change.as_str() {
            "remove" => crate::server::services::remove_question(&state, &user, id, question).await?,
            "up" | "down" => {
                crate::server::services::move_question(&state, &user, id, question, change == "up").await?
            }
            _ => return Err(AppError::invalid("change", "Choose remove, up or down.").into()),
        }
        leptos_axum::redirect(&format!("/practitioner/services/{id}?question=changed#questions"));
        Ok(())
    })
    .await
}
