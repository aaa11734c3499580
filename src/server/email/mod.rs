//! Email: the outbox written inside the caller's transaction, and delivery by the
//! background worker. The messages themselves are in `templates`.

pub(crate) mod templates;

#[cfg(test)]
mod snapshot_tests;

pub use templates::{password_reset, welcome};

use crate::server::config::{Config, Environment};
use crate::server::jobs::{self, Job, JobError};
use crate::server::sealing::SealingKey;
use crate::server::state::AppState;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::{Deserialize, Serialize};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

pub struct Email {
    pub template: &'static str,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// Something that grants access (a sign-in link). The stored bodies hold only an
    /// unguessable marker in its place and the value is kept sealed (`sealing`); it is
    /// opened and put in at delivery and then erased, so neither the database nor the
    /// admin panel can show it, before or after.
    pub secret: Option<Secret>,
    /// An iCalendar file (`domain::ical`) sent as an attachment.
    pub calendar: Option<String>,
}

impl Email {
    /// The email with `ics` attached as `session.ics`.
    pub fn with_calendar(self, ics: String) -> Email {
        Email { calendar: Some(ics), ..self }
    }
}

pub struct Secret {
    pub(crate) marker: String,
    /// The value sealed with the outbox key and bound to the marker: the plain value is
    /// never kept.
    sealed: String,
    expires: jiff::Timestamp,
}

impl Secret {
    pub fn new(key: &SealingKey, value: &str, expires: jiff::Timestamp) -> Self {
        let marker = format!("[[secret-{}]]", crate::server::tokens::new_token());
        let sealed = key.seal(value, &marker);
        Secret { marker, sealed, expires }
    }

    /// `value` sealed with this process's outbox key.
    pub fn sealed(
        config: &Config,
        value: &str,
        expires: jiff::Timestamp,
    ) -> Result<Self, crate::server::error::Failure> {
        let key = config
            .outbox_key
            .as_ref()
            .ok_or_else(|| crate::server::error::Failure::bug("no OUTBOX_KEY to seal the link with"))?;
        Ok(Secret::new(key, value, expires))
    }
}

/// What the stored bodies say where a secret was, once it has been delivered or expired.
pub const SECRET_REMOVED: &str = "[link removed after delivery]";

/// Templates whose body holds a secret (a sign-in link), hidden from the admin outbox.
pub fn holds_secret(template: &str) -> bool {
    matches!(template, "password_reset" | "set_password" | "confirm_sign_up")
}

/// Queues `email` for delivery inside the caller's transaction: the outbox row and its
/// delivery job commit or vanish together with the change that caused them.
pub async fn enqueue(
    conn: &mut PgConnection,
    user_id: Option<Uuid>,
    to: &str,
    email: &Email,
    now: jiff::Timestamp,
) -> Result<i64, sqlx::Error> {
    let secret = email.secret.as_ref();
    let id = sqlx::query_scalar!(
        "INSERT INTO email_outbox (user_id, to_address, template, subject, body_text, body_html,
                                   secret_marker, secret_value, secret_expires_at, calendar)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        user_id,
        to,
        email.template,
        email.subject,
        email.text,
        email.html,
        secret.map(|s| s.marker.as_str()),
        secret.map(|s| s.sealed.as_str()),
        secret.map(|s| crate::server::clock::to_db(s.expires)),
        email.calendar.as_deref(),
    )
    .fetch_one(&mut *conn)
    .await?;
    jobs::enqueue(conn, &DeliverEmail { outbox_id: id }, now).await?;
    Ok(id)
}

/// Sends one outbox row.
#[derive(Debug, Serialize, Deserialize)]
pub struct DeliverEmail {
    pub outbox_id: i64,
}

impl Job for DeliverEmail {
    const NAME: &'static str = "deliver_email";

    async fn run(self, state: &AppState) -> Result<(), JobError> {
        deliver(state, self.outbox_id).await.map_err(|e| match e {
            DeliveryError::Permanent(m) => JobError::Permanent(m),
            other => JobError::Transient(other.to_string()),
        })
    }

    async fn on_dead(self, state: &AppState) -> Result<(), JobError> {
        Ok(mark_failed(&state.pool, self.outbox_id).await?)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    /// The message or the configuration can never be sent as it is: retrying is useless.
    #[error("permanent: {0}")]
    Permanent(String),
    /// The server may accept it later (connection refused, 4xx reply).
    #[error("SMTP: {0}")]
    Transient(String),
}

impl DeliveryError {
    pub fn is_permanent(&self) -> bool {
        matches!(self, DeliveryError::Permanent(_))
    }
}

/// The bodies as they go out: the secret, if any, put back in place of its marker.
fn reveal(text: &str, html: &str, secret: Option<(&str, &str)>) -> (String, String) {
    match secret {
        Some((marker, value)) => {
            (text.replace(marker, value), html.replace(marker, &crate::domain::markup::escape(value)))
        }
        None => (text.to_owned(), html.to_owned()),
    }
}

/// Marks the row with its outcome and erases its secret in the same statement, so a
/// delivered or abandoned email never keeps a usable link.
async fn settle(pool: &PgPool, outbox_id: i64, status: &str, error: Option<&str>) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE email_outbox SET status = $2,
                sent_at = CASE WHEN $2 = 'sent' THEN now() ELSE sent_at END,
                attempts = attempts + 1, last_error = $3,
                body_text = CASE WHEN secret_marker IS NULL THEN body_text ELSE replace(body_text, secret_marker, $4) END,
                body_html = CASE WHEN secret_marker IS NULL THEN body_html ELSE replace(body_html, secret_marker, $4) END,
                secret_marker = NULL, secret_value = NULL, secret_expires_at = NULL
         WHERE id = $1",
        outbox_id,
        status,
        error,
        SECRET_REMOVED
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Sends one outbox row. Idempotent: a row already sent, held or failed is left alone.
pub async fn deliver(state: &AppState, outbox_id: i64) -> Result<(), DeliveryError> {
    let (pool, config) = (&state.pool, &*state.config);
    let Some(row) = sqlx::query!(
        r#"SELECT to_address, template, subject, body_text, body_html, status, secret_marker, calendar,
                  CASE WHEN secret_expires_at > $2 THEN secret_value END AS secret_value
           FROM email_outbox WHERE id = $1"#,
        outbox_id,
        state.clock.now_db()
    )
    .fetch_optional(pool)
    .await?
    else {
        tracing::warn!(outbox_id, "outbox row vanished before delivery");
        return Ok(());
    };
    if row.status != "pending" {
        return Ok(());
    }
    let sealed = row.secret_marker.as_deref().zip(row.secret_value.as_deref());
    if row.secret_marker.is_some() && sealed.is_none() {
        settle(pool, outbox_id, "failed", Some("its link expired before it could be sent")).await?;
        return Err(DeliveryError::Permanent("the email's link expired before delivery".into()));
    }
    let opened = match sealed {
        None => None,
        Some((marker, sealed)) => match config.outbox_key.as_ref().and_then(|key| key.open(sealed, marker)) {
            Some(value) => Some((marker, value)),
            None => {
                let why = "its link could not be unsealed: OUTBOX_KEY is not the key it was sealed with";
                tracing::error!(outbox_id, "{why}");
                settle(pool, outbox_id, "failed", Some(why)).await?;
                return Err(DeliveryError::Permanent(why.into()));
            }
        },
    };
    let (text, html) = reveal(&row.body_text, &row.body_html, opened.as_ref().map(|(m, v)| (*m, v.as_str())));
    let Some(smtp) = &config.smtp_url else {
        if config.env == Environment::Development {
            tracing::info!(outbox_id, to = %row.to_address, subject = %row.subject, body = %text, "email kept in the outbox (SMTP_URL is not set; development mode shows it here)");
        } else {
            tracing::info!(outbox_id, to = %row.to_address, subject = %row.subject, "email kept in the outbox (SMTP_URL is not set)");
        }
        settle(pool, outbox_id, "held", None).await?;
        return Ok(());
    };
    let message = build_message(config, &row.to_address, &row.subject, text, html, row.calendar);
    let message = match message {
        Ok(m) => m,
        Err(e) => {
            settle(pool, outbox_id, "failed", Some(&e.to_string())).await?;
            return Err(e);
        }
    };
    let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(smtp.expose())
        .map_err(|e| DeliveryError::Permanent(format!("SMTP_URL is not usable: {e}")))?
        .build();
    match transport.send(message).await {
        Ok(_) => {
            settle(pool, outbox_id, "sent", None).await?;
            tracing::info!(outbox_id, template = %row.template, "email sent");
            Ok(())
        }
        Err(e) if e.is_permanent() => {
            let msg = format!("rejected by the SMTP server: {e}");
            settle(pool, outbox_id, "failed", Some(&msg)).await?;
            Err(DeliveryError::Permanent(msg))
        }
        Err(e) => {
            let msg = e.to_string();
            sqlx::query!(
                "UPDATE email_outbox SET attempts = attempts + 1, last_error = $2 WHERE id = $1",
                outbox_id,
                msg
            )
            .execute(pool)
            .await?;
            Err(DeliveryError::Transient(msg))
        }
    }
}

fn build_message(
    config: &Config,
    to: &str,
    subject: &str,
    text: String,
    html: String,
    calendar: Option<String>,
) -> Result<Message, DeliveryError> {
    let from: Mailbox = config.mail_from.parse().map_err(|e| DeliveryError::Permanent(format!("MAIL_FROM: {e}")))?;
    let to: Mailbox = to.parse().map_err(|e| DeliveryError::Permanent(format!("recipient: {e}")))?;
    let body = MultiPart::alternative_plain_html(text, html);
    let body = match calendar {
        None => body,
        Some(ics) => {
            let kind = ContentType::parse("text/calendar; charset=utf-8; method=PUBLISH")
                .map_err(|e| DeliveryError::Permanent(e.to_string()))?;
            MultiPart::mixed().multipart(body).singlepart(Attachment::new("session.ics".to_owned()).body(ics, kind))
        }
    };
    Message::builder()
        .from(from)
        .to(to)
        .subject(subject)
        .multipart(body)
        .map_err(|e| DeliveryError::Permanent(e.to_string()))
}

/// Called when the delivery job has used up its retries.
pub async fn mark_failed(pool: &PgPool, outbox_id: i64) -> Result<(), sqlx::Error> {
    let pending = sqlx::query_scalar!("SELECT status = 'pending' AS \"p!\" FROM email_outbox WHERE id = $1", outbox_id)
        .fetch_optional(pool)
        .await?;
    if pending == Some(true) {
        settle(pool, outbox_id, "failed", Some("gave up after the last retry")).await?;
    }
    Ok(())
}

/// Erases secrets whose links have expired while their email waited, and deletes
/// delivered emails older than `retention`. Returns (secrets erased, rows deleted).
pub async fn purge(
    pool: &PgPool,
    now: time::OffsetDateTime,
    retention: std::time::Duration,
) -> Result<(u64, u64), sqlx::Error> {
    let erased = sqlx::query!(
        "UPDATE email_outbox SET secret_value = NULL WHERE secret_value IS NOT NULL AND secret_expires_at <= $1",
        now
    )
    .execute(pool)
    .await?
    .rows_affected();
    let cutoff = now - time::Duration::seconds(retention.as_secs() as i64);
    let deleted = sqlx::query!("DELETE FROM email_outbox WHERE status IN ('sent', 'held') AND created_at < $1", cutoff)
        .execute(pool)
        .await?
        .rows_affected();
    Ok((erased, deleted))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reset_email_stores_only_a_marker_and_puts_the_link_back_at_delivery() {
        let url = "https://a.example/reset-password?token=abc&x=1";
        let expires = "2026-11-25T15:05:00Z".parse().unwrap();
        let zone = crate::domain::TimeZone::parse("Asia/Kolkata").unwrap();
        let key = SealingKey::generate();
        let e = password_reset("Ada", Secret::new(&key, url, expires), &zone);
        assert!(!e.text.contains(url) && !e.html.contains("token=abc"), "stored bodies never hold the link");
        let secret = e.secret.as_ref().unwrap();
        assert!(!secret.sealed.contains("token=abc") && !secret.sealed.contains("reset-password"));
        let value = key.open(&secret.sealed, &secret.marker).unwrap();
        let (text, html) = reveal(&e.text, &e.html, Some((&secret.marker, &value)));
        assert!(text.contains(url));
        assert!(html.contains("https://a.example/reset-password?token=abc&amp;x=1"));
        assert!(holds_secret(e.template));
    }
}
