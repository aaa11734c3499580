//! Email: templates (HTML and plain text), the outbox written inside the caller's
//! transaction, and delivery by the background worker.

use crate::server::config::{Config, Environment};
use crate::server::jobs;
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

pub struct Email {
    pub template: &'static str,
    pub subject: String,
    pub text: String,
    pub html: String,
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Wraps paragraphs and one call-to-action button in the shared email layout.
fn layout(title: &str, paragraphs: &[String], action: Option<(&str, &str)>) -> String {
    let body: String = paragraphs.iter().map(|p| format!("<p style=\"margin:0 0 16px\">{}</p>", escape(p))).collect();
    let button = action
        .map(|(label, url)| {
            format!(
                "<p style=\"margin:24px 0\"><a href=\"{}\" style=\"background:#4f46e5;color:#fff;padding:12px 20px;border-radius:8px;text-decoration:none;font-weight:600\">{}</a></p>\
                 <p style=\"margin:0 0 16px;font-size:13px;color:#555\">If the button does not work, paste this address into your browser:<br>{}</p>",
                escape(url), escape(label), escape(url)
            )
        })
        .unwrap_or_default();
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title></head>\
         <body style=\"font-family:system-ui,sans-serif;color:#1f2330;background:#f6f6fb;padding:24px\">\
         <div style=\"max-width:560px;margin:0 auto;background:#fff;border-radius:12px;padding:32px\">\
         <p style=\"font-weight:700;font-size:20px;margin:0 0 24px;color:#4f46e5\">Attune</p>{}{}\
         <p style=\"margin:32px 0 0;font-size:12px;color:#777\">You receive this email because of your Attune account.</p>\
         </div></body></html>",
        escape(title),
        body,
        button
    )
}

pub fn welcome(name: &str, code: &str, base_url: &str) -> Email {
    let url = format!("{base_url}/dashboard");
    let lines = vec![
        format!("Hello {name},"),
        format!("Welcome to Attune. Your account number is {code}; quote it whenever you contact us."),
        "From your dashboard you can manage your profile and security settings.".to_owned(),
    ];
    Email {
        template: "welcome",
        subject: "Welcome to Attune".to_owned(),
        text: format!("{}\n\nOpen your dashboard: {url}\n", lines.join("\n\n")),
        html: layout("Welcome to Attune", &lines, Some(("Open your dashboard", &url))),
    }
}

pub fn password_reset(name: &str, reset_url: &str, minutes: i64) -> Email {
    let lines = vec![
        format!("Hello {name},"),
        format!(
            "Someone asked to reset the password of your Attune account. The link below works once and expires in {minutes} minutes."
        ),
        "If it was not you, ignore this email: your password stays as it is.".to_owned(),
    ];
    Email {
        template: "password_reset",
        subject: "Reset your Attune password".to_owned(),
        text: format!("{}\n\nReset your password: {reset_url}\n", lines.join("\n\n")),
        html: layout("Reset your Attune password", &lines, Some(("Choose a new password", reset_url))),
    }
}

/// Templates whose body holds a secret (a sign-in link), hidden from the admin outbox.
pub fn holds_secret(template: &str) -> bool {
    template == "password_reset"
}

/// Queues `email` for delivery inside the caller's transaction: the outbox row and its
/// delivery job commit or vanish together with the change that caused them.
pub async fn enqueue(
    conn: &mut PgConnection,
    user_id: Option<Uuid>,
    to: &str,
    email: &Email,
) -> Result<i64, sqlx::Error> {
    let id = sqlx::query_scalar!(
        "INSERT INTO email_outbox (user_id, to_address, template, subject, body_text, body_html)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        user_id,
        to,
        email.template,
        email.subject,
        email.text,
        email.html,
    )
    .fetch_one(&mut *conn)
    .await?;
    jobs::enqueue(conn, jobs::DELIVER_EMAIL, serde_json::json!({ "outbox_id": id })).await?;
    Ok(id)
}

#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("building the message: {0}")]
    Build(String),
    #[error("SMTP: {0}")]
    Smtp(String),
}

/// Sends one outbox row. Idempotent: a row already sent or held is left alone.
pub async fn deliver(pool: &PgPool, config: &Config, outbox_id: i64) -> Result<(), DeliveryError> {
    let Some(row) = sqlx::query!(
        "SELECT to_address, template, subject, body_text, body_html, status FROM email_outbox WHERE id = $1",
        outbox_id
    )
    .fetch_optional(pool)
    .await?
    else {
        tracing::warn!(outbox_id, "outbox row vanished before delivery");
        return Ok(());
    };
    if row.status == "sent" || row.status == "held" {
        return Ok(());
    }
    let Some(smtp) = &config.smtp_url else {
        sqlx::query!("UPDATE email_outbox SET status = 'held', attempts = attempts + 1 WHERE id = $1", outbox_id)
            .execute(pool)
            .await?;
        if config.env == Environment::Development && !holds_secret(&row.template) {
            tracing::info!(outbox_id, to = %row.to_address, subject = %row.subject, body = %row.body_text, "email kept in the outbox (SMTP_URL is not set)");
        } else if config.env == Environment::Development {
            tracing::info!(outbox_id, to = %row.to_address, subject = %row.subject, link_email = %row.body_text, "email kept in the outbox (SMTP_URL is not set; development mode shows its link)");
        } else {
            tracing::info!(outbox_id, to = %row.to_address, subject = %row.subject, "email kept in the outbox (SMTP_URL is not set)");
        }
        return Ok(());
    };
    let from: Mailbox = config.mail_from.parse().map_err(|e| DeliveryError::Build(format!("MAIL_FROM: {e}")))?;
    let to: Mailbox = row.to_address.parse().map_err(|e| DeliveryError::Build(format!("recipient: {e}")))?;
    let message = Message::builder()
        .from(from)
        .to(to)
        .subject(row.subject.clone())
        .multipart(MultiPart::alternative_plain_html(row.body_text.clone(), row.body_html.clone()))
        .map_err(|e| DeliveryError::Build(e.to_string()))?;
    let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(smtp.expose())
        .map_err(|e| DeliveryError::Smtp(format!("SMTP_URL is not usable: {e}")))?
        .build();
    match transport.send(message).await {
        Ok(_) => {
            sqlx::query!(
                "UPDATE email_outbox SET status = 'sent', sent_at = now(), attempts = attempts + 1, last_error = NULL WHERE id = $1",
                outbox_id
            )
            .execute(pool)
            .await?;
            tracing::info!(outbox_id, template = %row.template, "email sent");
            Ok(())
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
            Err(DeliveryError::Smtp(msg))
        }
    }
}

/// Called when the delivery job has used up its retries.
pub async fn mark_failed(pool: &PgPool, outbox_id: i64) -> Result<(), sqlx::Error> {
    sqlx::query!("UPDATE email_outbox SET status = 'failed' WHERE id = $1 AND status = 'pending'", outbox_id)
        .execute(pool)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_escape_what_people_typed() {
        let e = welcome("<b>Eve</b>", "U100000", "https://a.example");
        assert!(e.html.contains("&lt;b&gt;Eve&lt;/b&gt;"));
        assert!(!e.html.contains("<b>Eve"));
        assert!(e.text.contains("<b>Eve</b>"), "plain text keeps the name as typed");
    }

    #[test]
    fn reset_email_carries_the_link_in_both_parts() {
        let e = password_reset("Ada", "https://a.example/reset-password?token=abc", 30);
        assert!(e.text.contains("https://a.example/reset-password?token=abc"));
        assert!(e.html.contains("https://a.example/reset-password?token=abc"));
        assert!(e.text.contains("30 minutes"));
        assert!(holds_secret(e.template));
    }
}
