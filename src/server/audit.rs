//! The audit log: who changed what, in the same transaction as the change.

use crate::server::error::Failure;
use sqlx::PgConnection;
use uuid::Uuid;

/// Records that `actor` did `action` to `subject`, with `details` as JSON.
pub async fn record(
    conn: &mut PgConnection,
    actor: Uuid,
    action: &str,
    subject: Uuid,
    details: &impl serde::Serialize,
) -> Result<(), Failure> {
    let details = serde_json::to_value(details).map_err(|e| Failure::bug(e.to_string()))?;
    sqlx::query!(
        "INSERT INTO audit_log (actor_id, action, subject_id, details) VALUES ($1, $2, $3, $4)",
        actor,
        action,
        subject,
        details
    )
    .execute(conn)
    .await?;
    Ok(())
}
