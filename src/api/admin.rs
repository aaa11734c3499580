use crate::domain::AppError;
use crate::domain::types::{JobRow, OutboxRow, UserPage};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::{
    domain::Role,
    server::{accounts, admin, context, error::answer},
};

#[server(endpoint = "admin/users")]
pub async fn list_users(query: String, page: i64) -> Result<UserPage, AppError> {
    answer(async move {
        context::require_role(Role::Admin).await?;
        if query.chars().count() > 200 {
            return Err(AppError::invalid("query", "Search for at most 200 characters.").into());
        }
        accounts::search_users(&context::state()?, &query, page).await
    })
    .await
}

#[server(endpoint = "admin/users/role")]
pub async fn set_user_role(user_id: String, role: String) -> Result<(), AppError> {
    answer(async move {
        let actor = context::require_role(Role::Admin).await?;
        let target = uuid::Uuid::parse_str(user_id.trim())
            .map_err(|_| AppError::invalid("user_id", "That user does not exist."))?;
        let role =
            Role::parse(&role).ok_or_else(|| AppError::invalid("role", "Choose customer, practitioner or admin."))?;
        accounts::set_role(&context::state()?, &actor, target, role).await
    })
    .await
}

#[server(endpoint = "admin/outbox")]
pub async fn list_outbox() -> Result<Vec<OutboxRow>, AppError> {
    answer(async move {
        context::require_role(Role::Admin).await?;
        admin::outbox(&context::state()?, 100).await
    })
    .await
}

#[server(endpoint = "admin/jobs")]
pub async fn list_troubled_jobs() -> Result<Vec<JobRow>, AppError> {
    answer(async move {
        context::require_role(Role::Admin).await?;
        admin::troubled_jobs(&context::state()?, 100).await
    })
    .await
}
