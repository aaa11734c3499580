//! Read models for the admin panel's operational views.

use crate::domain::types::{JobRow, OutboxRow};
use crate::server::capability::Admin;
use crate::server::clock::from_db;
use crate::server::email::holds_secret;
use crate::server::error::Failure;
use crate::server::state::AppState;

/// The newest emails and text messages together. A text's stored body never holds its
/// sign-in code (only the marker where it goes), so no code can be read here.
pub async fn outbox(state: &AppState, _: &Admin, limit: i64) -> Result<Vec<OutboxRow>, Failure> {
    let rows = sqlx::query!(
        r#"SELECT id AS "id!", channel AS "channel!", to_address AS "to_address!", template AS "template!", subject AS "subject!",
                  status AS "status!", attempts AS "attempts!", last_error, created_at AS "created_at!", sent_at
           FROM (SELECT id, 'email' AS channel, to_address, template, subject, status, attempts, last_error, created_at, sent_at
                 FROM email_outbox
                 UNION ALL
                 SELECT id, 'sms', to_phone, template, body, status, attempts, last_error, created_at, sent_at
                 FROM sms_outbox) m
           ORDER BY created_at DESC, id DESC LIMIT $1"#,
        limit
    )
    .fetch_all(&state.pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| OutboxRow {
            id: r.id,
            channel: r.channel,
            to_address: r.to_address,
            subject: if holds_secret(&r.template) { format!("{} (link hidden)", r.subject) } else { r.subject },
            template: r.template,
            status: r.status,
            attempts: r.attempts,
            last_error: r.last_error,
            created_at: from_db(r.created_at),
            sent_at: r.sent_at.map(from_db),
        })
        .collect())
}

/// Jobs that need a human: dead ones, and ones that are retrying.
pub async fn troubled_jobs(state: &AppState, _: &Admin, limit: i64) -> Result<Vec<JobRow>, Failure> {
    let rows = sqlx::query!(
        "SELECT id, kind, status, attempts, max_attempts, last_error, run_at
         FROM jobs WHERE status = 'dead' OR (status = 'queued' AND attempts > 0)
         ORDER BY id DESC LIMIT $1",
        limit
    )
    .fetch_all(&state.pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| JobRow {
            id: r.id,
            kind: r.kind,
            status: r.status,
            attempts: r.attempts,
            max_attempts: r.max_attempts,
            last_error: r.last_error,
            run_at: from_db(r.run_at),
        })
        .collect())
}
