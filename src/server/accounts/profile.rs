//! A person's own account: reading and updating their profile, and a customer
//! deleting their account.

use super::{code_of, role_of, zone_of};
use crate::domain::types::{Profile, SessionUser};
use crate::domain::{AppError, PersonName, Phone, TimeZone};
use crate::server::clock::{from_db, to_db};
use crate::server::error::Failure;
use crate::server::state::AppState;
use uuid::Uuid;

pub async fn profile(state: &AppState, user_id: Uuid) -> Result<Profile, Failure> {
    let r =
        sqlx::query!("SELECT code, email, name, phone, time_zone, role, created_at FROM users WHERE id = $1", user_id)
            .fetch_optional(&state.pool)
            .await?
            .ok_or(AppError::NotFound)?;
    Ok(Profile {
        code: code_of(r.code)?,
        email: r.email.unwrap_or_default(),
        name: r.name,
        phone: r.phone,
        time_zone: zone_of(&r.time_zone),
        role: role_of(&r.role)?,
        member_since: from_db(r.created_at),
    })
}

#[tracing::instrument(skip_all, fields(%user_id))]
pub async fn update_profile(
    state: &AppState,
    user_id: Uuid,
    name: &PersonName,
    phone: Option<&Phone>,
    zone: &TimeZone,
) -> Result<(), Failure> {
    sqlx::query!(
        "UPDATE users SET name = $2, phone = $3, time_zone = $4, updated_at = now(),
                phone_verified_at = CASE WHEN phone IS NOT DISTINCT FROM $3 THEN phone_verified_at END
         WHERE id = $1",
        user_id,
        name.as_str(),
        phone.map(Phone::as_str),
        zone.as_str()
    )
    .execute(&state.pool)
    .await?;
    Ok(())
}

/// The word a customer types to confirm deleting their account.
pub const DELETE_CONFIRMATION: &str = "DELETE";

/// Deletes a customer's account: their name, email, phone and password go, their orders'
/// answers and contact details and their messages are erased, their files removed, and
/// every session ends. The ledger, the orders' numbers and amounts and their invoices
/// stay. Refused while a paid order is still being worked on, so nothing in progress
/// loses its customer; open drafts are cancelled.
#[tracing::instrument(skip_all, fields(user = %user.code))]
pub async fn delete_account(
    state: &AppState,
    user: &SessionUser,
    password: &str,
    confirm: &str,
) -> Result<(), Failure> {
    if user.role != crate::domain::Role::Customer {
        return Err(AppError::invalid(
            "confirm",
            "Practitioner and admin accounts are closed with our support team, so clients and the books are looked after: write to us.",
        )
        .into());
    }
    if confirm.trim() != DELETE_CONFIRMATION {
        return Err(AppError::invalid("confirm", format!("Type {DELETE_CONFIRMATION} to confirm.")).into());
    }
    let stored =
        sqlx::query_scalar!("SELECT password_hash FROM users WHERE id = $1", user.id).fetch_one(&state.pool).await?;
    if !state.hasher.verify(stored, password).await? {
        return Err(AppError::invalid("password", "That is not your password.").into());
    }
    let now = state.clock.now();
    let mut tx = state.pool.begin().await?;
    sqlx::query!("SELECT id FROM users WHERE id = $1 FOR UPDATE", user.id).fetch_one(&mut *tx).await?;
    let busy = sqlx::query_scalar!(
        "SELECT number FROM orders WHERE user_id = $1 AND kind = 'service' AND status IN ('paid', 'in_progress') ORDER BY created_at LIMIT 1",
        user.id
    )
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(number) = busy {
        return Err(AppError::invalid(
            "confirm",
            format!("Order {number} is still being worked on. Delete your account once it is completed."),
        )
        .into());
    }
    let open = sqlx::query_scalar!(
        r#"SELECT number AS "number: crate::domain::OrderNumber" FROM orders
           WHERE user_id = $1 AND status IN ('draft', 'pending_payment', 'payment_failed') FOR UPDATE"#,
        user.id
    )
    .fetch_all(&mut *tx)
    .await?;
    for number in open {
        crate::server::orders::cancel(&mut tx, &number, user.id, "The customer deleted their account", now).await?;
    }
    sqlx::query!(
        "UPDATE orders SET answers = '{}', contact_name = NULL, contact_email = NULL, updated_at = $2
         WHERE user_id = $1 AND kind = 'service'",
        user.id,
        to_db(now)
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "UPDATE order_messages SET body = 'This message was removed when its author deleted their account.' WHERE author_id = $1",
        user.id
    )
    .execute(&mut *tx)
    .await?;
    let files =
        sqlx::query_scalar!("DELETE FROM order_documents WHERE uploaded_by = $1 RETURNING storage_key", user.id)
            .fetch_all(&mut *tx)
            .await?;
    sqlx::query!("DELETE FROM password_reset_tokens WHERE user_id = $1", user.id).execute(&mut *tx).await?;
    sqlx::query!("DELETE FROM login_addresses WHERE user_id = $1", user.id).execute(&mut *tx).await?;
    sqlx::query!(
        "UPDATE users SET name = 'Deleted account', email = NULL, phone = NULL, phone_verified_at = NULL,
                          password_hash = NULL, disabled_at = $2, deleted_at = $2, auth_epoch = auth_epoch + 1,
                          updated_at = $2
         WHERE id = $1",
        user.id,
        to_db(now)
    )
    .execute(&mut *tx)
    .await?;
    crate::server::audit::record(
        &mut tx,
        user.id,
        "account.delete",
        user.id,
        &serde_json::json!({ "files": files.len() }),
    )
    .await?;
    tx.commit().await?;
    crate::server::uploads::forget(&state.config.storage, &files).await;
    tracing::info!("account deleted");
    Ok(())
}
