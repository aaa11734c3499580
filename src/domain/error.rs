//! The error model every server function speaks. Each variant carries what the UI needs
//! to tell a person what happened and what to do next; internal failures carry only a
//! request id, because their cause is logged once on the server and never shown.

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// A rejected input, named by the form field it belongs to so the UI can put the
/// message beside that field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Error)]
#[error("{message}")]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: &str, message: impl Into<String>) -> Self {
        Self { field: field.to_owned(), message: message.into() }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Error)]
pub enum AppError {
    #[error("{0}")]
    Invalid(FieldError),
    #[error(
        "An account with this email already exists. Log in instead, or reset your password if you have forgotten it."
    )]
    EmailTaken,
    #[error("That email and password do not match an account. Check them and try again, or reset your password.")]
    InvalidCredentials,
    #[error("Your current password is not correct.")]
    WrongCurrentPassword,
    #[error("This reset link is invalid, already used or expired. Ask for a new one.")]
    ResetLinkInvalid,
    /// A one-time code that is wrong, expired, used up or for another number: one answer
    /// for all of them, so a guesser learns nothing.
    #[error("That code is not right or has expired. Check the number and the code, or ask for a new code.")]
    CodeInvalid,
    /// A practitioner whose onboarding is not approved reached their practice.
    #[error("Finish your onboarding first: your practice opens once your profile is approved.")]
    OnboardingIncomplete,
    #[error("Please log in to continue.")]
    Unauthenticated,
    #[error("You do not have permission to do that.")]
    Forbidden,
    #[error("This account has been disabled. Contact support if you think this is a mistake.")]
    AccountDisabled,
    #[error("Too many attempts. Please wait {retry_after_secs} seconds and try again.")]
    RateLimited { retry_after_secs: u64 },
    /// Too many people are signing in at this moment; nothing was checked or changed.
    #[error("Too many people are signing in right now. Please try again in {retry_after_secs} seconds.")]
    Busy { retry_after_secs: u64 },
    #[error("We could not find what you were looking for.")]
    NotFound,
    /// Someone else changed the same thing at the same moment; the person's change was
    /// not applied.
    #[error("This was changed by someone else at the same moment, so nothing was saved. Reload and try again.")]
    Conflict,
    #[error("The last admin cannot stop being an admin: make someone else an admin first.")]
    LastAdmin,
    /// A practitioner cannot stop being one while customers wait for paid work;
    /// `numbers` are the first few of those orders.
    #[error(
        "This practitioner still has {count} paid order(s) to deliver ({}). On each order's page, reassign it to another practitioner, cancel its session, or cancel and refund it in full; then change the role.",
        numbers.join(", ")
    )]
    OrdersToDeliver { count: i64, numbers: Vec<String> },
    /// Spendable (unexpired) credit is short of what is needed; nothing was spent.
    #[error("This needs {needed} credits and you have {available} to spend. Buy credits and try again.")]
    InsufficientCredits { available: i64, needed: i64 },
    /// The time chosen for a session was taken (or stopped being offered) a moment ago;
    /// nothing was booked or charged.
    #[error("This time was just taken, so nothing was booked or charged. Choose one of the nearest free times.")]
    SlotTaken { nearest: Vec<crate::domain::types::SlotOffer> },
    /// The payment provider did not answer; what was asked can be asked again safely.
    #[error("The payment provider is not answering right now. Nothing was done twice; please try again in a minute.")]
    ProviderUnavailable,
    #[error(
        "Something went wrong on our side. Please try again; if it keeps happening, contact support with reference {request_id}."
    )]
    Internal { request_id: String },
    /// Transport-level failures (network down, malformed request) reported by the
    /// server-function layer itself.
    #[error("We could not reach the server. Check your connection and try again. ({0})")]
    Transport(String),
}

impl AppError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        AppError::Invalid(FieldError::new(field, message))
    }

    /// The form field this error belongs to, if any.
    pub fn field(&self) -> Option<&str> {
        match self {
            AppError::Invalid(f) => Some(&f.field),
            _ => None,
        }
    }

    /// The HTTP status a JSON caller should see for this error.
    pub fn status_code(&self) -> u16 {
        match self {
            AppError::Invalid(_) => 422,
            AppError::EmailTaken => 409,
            AppError::InvalidCredentials | AppError::Unauthenticated | AppError::CodeInvalid => 401,
            AppError::WrongCurrentPassword => 422,
            AppError::ResetLinkInvalid => 410,
            AppError::Forbidden | AppError::AccountDisabled | AppError::OnboardingIncomplete => 403,
            AppError::RateLimited { .. } => 429,
            AppError::NotFound => 404,
            AppError::Conflict
            | AppError::LastAdmin
            | AppError::OrdersToDeliver { .. }
            | AppError::InsufficientCredits { .. }
            | AppError::SlotTaken { .. } => 409,
            AppError::Internal { .. } => 500,
            AppError::ProviderUnavailable | AppError::Busy { .. } => 503,
            AppError::Transport(_) => 400,
        }
    }
}

impl From<FieldError> for AppError {
    fn from(value: FieldError) -> Self {
        AppError::Invalid(value)
    }
}

impl leptos::server_fn::error::FromServerFnError for AppError {
    type Encoder = leptos::server_fn::codec::JsonEncoding;

    fn from_server_fn_error(value: leptos::server_fn::error::ServerFnErrorErr) -> Self {
        AppError::Transport(value.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_message_tells_the_person_what_to_do_next() {
        let rate = AppError::RateLimited { retry_after_secs: 42 }.to_string();
        assert!(rate.contains("42 seconds"), "{rate}");
        let internal = AppError::Internal { request_id: "req-1".into() }.to_string();
        assert!(internal.contains("req-1"));
        assert!(!AppError::EmailTaken.to_string().is_empty());
    }

    #[test]
    fn errors_map_to_the_http_status_a_json_client_expects() {
        assert_eq!(AppError::Unauthenticated.status_code(), 401);
        assert_eq!(AppError::Forbidden.status_code(), 403);
        assert_eq!(AppError::RateLimited { retry_after_secs: 1 }.status_code(), 429);
        assert_eq!(AppError::EmailTaken.status_code(), 409);
        assert_eq!(AppError::invalid("email", "x").status_code(), 422);
    }

    #[test]
    fn errors_survive_the_wire_round_trip() {
        let e = AppError::invalid("password", "Too short");
        let json = serde_json::to_string(&e).unwrap();
        assert_eq!(serde_json::from_str::<AppError>(&json).unwrap(), e);
    }
}
