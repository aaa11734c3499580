use crate::domain::AppError;
use crate::domain::types::{ServiceType, StatsView};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::server::error::answer;

#[server(endpoint = "catalog/service-types")]
pub async fn service_types() -> Result<Vec<ServiceType>, AppError> {
    answer(async move {
        let state = crate::server::context::state()?;
        Ok(crate::server::catalog::service_types(&state).await?)
    })
    .await
}

/// Never fails: when the database cannot answer, the home page says so.
#[server(endpoint = "catalog/stats")]
pub async fn home_stats() -> Result<StatsView, AppError> {
    answer(async move {
        let state = crate::server::context::state()?;
        Ok(crate::server::catalog::home_stats(&state).await)
    })
    .await
}

/// A live practitioner's public profile by its address; anything else is not found.
#[server(endpoint = "catalog/practitioner")]
pub async fn public_profile(slug: String) -> Result<crate::domain::types::PublicProfile, AppError> {
    answer(async move {
        let state = crate::server::context::state()?;
        crate::server::onboarding::public_profile(&state, slug.trim()).await
    })
    .await
}

/// A page of the practitioner directory. A filter that cannot be understood is refused
/// by name rather than quietly ignored.
#[server(endpoint = "catalog/directory")]
pub async fn directory(
    #[server(flatten)] query: crate::domain::catalog::DirectoryQuery,
) -> Result<crate::domain::types::DirectoryPage, AppError> {
    answer(async move {
        let search = query.parse()?;
        crate::server::catalog::directory(&crate::server::context::state()?, search).await
    })
    .await
}

/// A published service's public page; anything else is not found.
#[server(endpoint = "catalog/service")]
pub async fn service_page(slug: String) -> Result<crate::domain::types::ServicePage, AppError> {
    answer(async move { crate::server::services::page(&crate::server::context::state()?, slug.trim()).await }).await
}
