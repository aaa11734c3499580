use crate::domain::AppError;
use crate::domain::types::CreditOverview;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::server::{context, error::answer};

/// The signed-in person's credits: available now, by lot, and recent movements.
#[server(endpoint = "account/credits")]
pub async fn my_credits() -> Result<CreditOverview, AppError> {
    answer(async move {
        let user = context::require_user().await?;
        crate::server::credits::overview(&context::state()?, user.id).await
    })
    .await
}
