//! The admins' side of accounts: searching users, and changing a user's role (taking a
//! practitioner who stops practising off the platform).

use super::{code_of, role_of};
use crate::domain::onboarding::OnboardingState;
use crate::domain::types::{AdminUserRow, SessionUser, UserPage};
use crate::domain::{AppError, Role, UserCode};
use crate::server::capability::Admin;
use crate::server::clock::from_db;
use crate::server::error::Failure;
use crate::server::state::AppState;
use uuid::Uuid;

pub const USERS_PAGE: i64 = 50;
/// The last page number an admin may ask for (page numbers start at 0).
pub const USERS_MAX_PAGE: i64 = 10_000;

/// Admin search over name, email and user code. `page` must be within
/// `0..=USERS_MAX_PAGE`, so the offset can never overflow or go negative.
#[tracing::instrument(skip_all, fields(page))]
pub async fn search_users(state: &AppState, _: &Admin, query: &str, page: i64) -> Result<UserPage, Failure> {
    if !(0..=USERS_MAX_PAGE).contains(&page) {
        return Err(AppError::invalid("page", format!("Choose a page between 1 and {}.", USERS_MAX_PAGE + 1)).into());
    }
    let q = query.trim();
    let code = UserCode::parse(q).map(UserCode::number);
    let pattern = format!("%{}%", q.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
    let offset = page * USERS_PAGE;
    let rows = sqlx::query!(
        r#"SELECT id, code, email, name, role, created_at, count(*) OVER () AS "total!"
           FROM users
           WHERE $1 = '' OR email ILIKE $2 OR name ILIKE $2 OR code = $3
           ORDER BY created_at DESC, code DESC
           LIMIT $4 OFFSET $5"#,
        q,
        pattern,
        code,
        USERS_PAGE,
        offset
    )
    .fetch_all(&state.pool)
    .await?;
    let total = rows.first().map(|r| r.total).unwrap_or(0);
    let rows = rows
        .into_iter()
        .map(|r| {
            Ok(AdminUserRow {
                id: r.id,
                code: code_of(r.code)?,
                email: r.email.unwrap_or_default(),
                name: r.name,
                role: role_of(&r.role)?,
                created_at: from_db(r.created_at),
            })
        })
        .collect::<Result<Vec<_>, Failure>>()?;
    Ok(UserPage { rows, total })
}

/// Changes a user's role, ends their sessions (their privileges changed), and records
/// the action in the audit log, in one transaction.
#[tracing::instrument(skip_all, fields(actor = %actor.code, %target, role = role.as_str()))]
pub async fn set_role(state: &AppState, actor: &Admin, target: Uuid, role: Role) -> Result<(), Failure> {
    let mut tx = state.pool.begin().await?;
    // Every admin row is locked before counting, so two admins demoting each other at
    // the same moment cannot both succeed and leave the platform without one.
    let admins = sqlx::query_scalar!("SELECT id FROM users WHERE role = 'admin' AND disabled_at IS NULL FOR UPDATE")
        .fetch_all(&mut *tx)
        .await?;
    let previous = sqlx::query_scalar!("SELECT role FROM users WHERE id = $1 FOR UPDATE", target)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(AppError::NotFound)?;
    if !admins.contains(&actor.id) {
        return Err(AppError::Forbidden.into());
    }
    if previous == role.as_str() {
        return Ok(());
    }
    if role != Role::Admin && admins == [target] {
        return Err(AppError::LastAdmin.into());
    }
    if actor.id == target && role != Role::Admin {
        return Err(AppError::invalid("role", "You cannot remove your own admin role; ask another admin.").into());
    }
    let leaves_practice = previous == Role::Practitioner.as_str() && role != Role::Practitioner;
    if leaves_practice {
        stop_practising(&mut tx, state, actor, target).await?;
    }
    sqlx::query!(
        "UPDATE users SET role = $2, auth_epoch = auth_epoch + 1, updated_at = now() WHERE id = $1",
        target,
        role.as_str()
    )
    .execute(&mut *tx)
    .await?;
    if role == Role::Practitioner {
        crate::server::onboarding::start(&mut tx, target, Some(actor.id), state.clock.now()).await?;
    }
    sqlx::query!(
        "INSERT INTO audit_log (actor_id, action, subject_id, details) VALUES ($1, 'user.role_changed', $2, $3)",
        actor.id,
        target,
        serde_json::json!({ "from": previous, "to": role.as_str() })
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    if leaves_practice {
        crate::server::catalog::catalog_changed(state).await;
    }
    tracing::info!(actor = %actor.code, target = %target, to = role.as_str(), "role changed");
    Ok(())
}

/// Takes a practitioner who is changing role off the platform: refused while paid
/// orders wait to be delivered (they are reassigned, or cancelled and refunded, first;
/// the refusal names the first ten), otherwise a
/// live profile is suspended, so nothing of theirs stays listed or on sale.
async fn stop_practising(
    tx: &mut sqlx::PgConnection,
    state: &AppState,
    actor: &SessionUser,
    target: Uuid,
) -> Result<(), Failure> {
    let profile =
        sqlx::query_scalar!("SELECT onboarding_state FROM practitioner_profiles WHERE user_id = $1 FOR UPDATE", target)
            .fetch_optional(&mut *tx)
            .await?;
    let owed = sqlx::query!(
        r#"SELECT number, count(*) OVER () AS "count!" FROM orders
           WHERE practitioner_id = $1 AND kind = 'service' AND status IN ('paid', 'in_progress')
           ORDER BY created_at LIMIT 10"#,
        target
    )
    .fetch_all(&mut *tx)
    .await?;
    if let Some(first) = owed.first() {
        let count = first.count;
        return Err(AppError::OrdersToDeliver { count, numbers: owed.into_iter().map(|o| o.number).collect() }.into());
    }
    if profile.as_deref() == Some(OnboardingState::Approved.as_str()) {
        let now = state.clock.now();
        crate::server::onboarding::transition(
            tx,
            target,
            OnboardingState::Suspended,
            Some(actor.id),
            "No longer a practitioner",
            now,
        )
        .await?;
    }
    Ok(())
}
