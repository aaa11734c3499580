//! Text messages: the outbox written inside the caller's transaction, and delivery by
//! the background worker through an HTTP SMS gateway (`SMS_URL`). Without a gateway a
//! message is held in the outbox, shown in the admin panel and, in development, the log.
//! A secret (a sign-in code) is kept beside the message, never in it: the stored body
//! has `SECRET_MARKER` in its place, the secret goes into the text only as it is sent,
//! and it is forgotten once the message is sent, held or refused, so neither the table
//! nor the admin panel ever shows it.

use crate::server::clock::to_db;
use crate::server::config::Environment;
use crate::server::jobs::{self, Job, JobError};
use crate::server::state::AppState;
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use std::time::Duration;
use uuid::Uuid;

/// Where a message's secret goes in its stored body.
pub const SECRET_MARKER: &str = "[sign-in code]";

/// Queues `body` for `to` in the caller's transaction, with its delivery job; `secret`
/// replaces `SECRET_MARKER` in the text that is sent, and only there.
pub async fn enqueue(
    conn: &mut PgConnection,
    user_id: Option<Uuid>,
    to: &str,
    template: &str,
    body: &str,
    secret: Option<&str>,
    now: jiff::Timestamp,
) -> Result<i64, sqlx::Error> {
    let id = sqlx::query_scalar!(
        "INSERT INTO sms_outbox (user_id, to_phone, template, body, secret_value, created_at)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        user_id,
        to,
        template,
        body,
        secret,
        to_db(now)
    )
    .fetch_one(&mut *conn)
    .await?;
    jobs::enqueue(conn, &DeliverSms { outbox_id: id }, now).await?;
    Ok(id)
}

/// Sends one SMS outbox row.
#[derive(Debug, Serialize, Deserialize)]
pub struct DeliverSms {
    pub outbox_id: i64,
}

impl Job for DeliverSms {
    const NAME: &'static str = "deliver_sms";

    async fn run(self, state: &AppState) -> Result<(), JobError> {
        deliver(state, self.outbox_id).await
    }

    async fn on_dead(self, state: &AppState) -> Result<(), JobError> {
        sqlx::query!(
            "UPDATE sms_outbox SET status = 'failed', last_error = COALESCE(last_error, 'gave up after the last retry'),
                                   secret_value = NULL
             WHERE id = $1 AND status = 'pending'",
            self.outbox_id
        )
        .execute(&state.pool)
        .await?;
        Ok(())
    }
}

/// What the gateway is sent: `POST SMS_URL` with this JSON and, when `SMS_TOKEN` is set,
/// `Authorization: Bearer <token>`. Any 2xx answer means accepted.
#[derive(Debug, Serialize)]
struct GatewayMessage<'a> {
    to: &'a str,
    body: &'a str,
    /// The same for every attempt at one message, so a gateway can drop repeats.
    reference: String,
}

async fn deliver(state: &AppState, outbox_id: i64) -> Result<(), JobError> {
    let pool = &state.pool;
    let Some(row) =
        sqlx::query!("SELECT to_phone, template, body, secret_value, status FROM sms_outbox WHERE id = $1", outbox_id)
            .fetch_optional(pool)
            .await?
    else {
        return Ok(());
    };
    if row.status != "pending" {
        return Ok(());
    }
    let text = match &row.secret_value {
        Some(secret) => row.body.replace(SECRET_MARKER, secret),
        None => row.body.clone(),
    };
    let Some(gateway) = &state.config.sms_url else {
        if state.config.env == Environment::Development {
            tracing::info!(outbox_id, to = %row.to_phone, body = %text, "text message not sent (SMS_URL is not set; development mode shows it here, and only here)");
        } else {
            tracing::info!(outbox_id, to = %row.to_phone, template = %row.template, "text message not sent (SMS_URL is not set)");
        }
        sqlx::query!(
            "UPDATE sms_outbox SET status = 'held', attempts = attempts + 1, secret_value = NULL WHERE id = $1",
            outbox_id
        )
        .execute(pool)
        .await?;
        return Ok(());
    };
    let message = GatewayMessage { to: &row.to_phone, body: &text, reference: format!("attune-sms-{outbox_id}") };
    let mut request = reqwest::Client::new().post(gateway.expose()).timeout(Duration::from_secs(10)).json(&message);
    if let Some(token) = &state.config.sms_token {
        request = request.bearer_auth(token.expose());
    }
    let outcome = match request.send().await {
        Ok(res) if res.status().is_success() => Ok(()),
        Ok(res) if res.status().is_client_error() && res.status() != reqwest::StatusCode::TOO_MANY_REQUESTS => {
            Err((true, format!("the SMS gateway refused the message: HTTP {}", res.status().as_u16())))
        }
        Ok(res) => Err((false, format!("the SMS gateway answered HTTP {}", res.status().as_u16()))),
        Err(e) => Err((false, format!("the SMS gateway could not be reached: {}", crate::server::error::chain(&e)))),
    };
    match outcome {
        Ok(()) => {
            sqlx::query!(
                "UPDATE sms_outbox SET status = 'sent', sent_at = $2, attempts = attempts + 1, last_error = NULL,
                                       secret_value = NULL
                 WHERE id = $1",
                outbox_id,
                state.clock.now_db()
            )
            .execute(pool)
            .await?;
            tracing::info!(outbox_id, template = %row.template, "text message sent");
            Ok(())
        }
        Err((permanent, why)) => {
            let status = if permanent { "failed" } else { "pending" };
            sqlx::query!(
                "UPDATE sms_outbox SET status = $2, attempts = attempts + 1, last_error = $3,
                                       secret_value = CASE WHEN $2 = 'failed' THEN NULL ELSE secret_value END
                 WHERE id = $1",
                outbox_id,
                status,
                why
            )
            .execute(pool)
            .await?;
            Err(if permanent { JobError::Permanent(why) } else { JobError::Transient(why) })
        }
    }
}
