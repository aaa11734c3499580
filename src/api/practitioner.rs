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
