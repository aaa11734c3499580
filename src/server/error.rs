//! What can go wrong while serving a request, before it becomes the `AppError` the
//! browser sees. Services return `Failure`; the server-function boundary calls
//! `Failure::answer` once, which is the one place an internal failure is logged (with
//! its cause chain and the request id). Conversions into `Failure` never log.
//!
//! A write the database refuses is translated by the name of the constraint that
//! refused it (`user_error`), so a rule the schema enforces reaches the person as a
//! clear 409 or 422 instead of an opaque 500.

use crate::domain::{AppError, FieldError};

/// A database rule that refused a write, named by its constraint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Violation {
    Unique(String),
    Check(String),
    Exclusion(String),
    ForeignKey(String),
    NotNull(String),
}

/// The violated constraint behind `e`, if a constraint is what failed.
pub fn violation(e: &sqlx::Error) -> Option<Violation> {
    let db = e.as_database_error()?;
    let name = db.constraint().unwrap_or_default().to_owned();
    Some(match db.code()?.as_ref() {
        "23505" => Violation::Unique(name),
        "23514" => Violation::Check(name),
        "23P01" => Violation::Exclusion(name),
        "23503" => Violation::ForeignKey(name),
        "23502" => Violation::NotNull(name),
        _ => return None,
    })
}

/// What a refused write means to the person who tried it: one table for the schema.
/// Constraints the code checks first (the usual case) still get a sensible answer if
/// a race or a bug lets a write reach the database.
pub fn user_error(v: &Violation) -> Option<AppError> {
    Some(match v {
        Violation::Unique(c) if c == "users_email_key" => AppError::EmailTaken,
        Violation::Check(c) if c == "users_name_check" => {
            AppError::invalid("name", "Use between 1 and 100 characters for your name.")
        }
        Violation::Check(c) if c == "users_phone_check" => {
            AppError::invalid("phone", "Enter the number in international form, starting with + and the country code.")
        }
        Violation::Unique(c) if c == "users_verified_phone_key" => {
            AppError::invalid("phone", "This number was just confirmed on another account.")
        }
        Violation::Check(c) if c == "users_reachable" => {
            AppError::invalid("email", "An account needs an email address or a phone number.")
        }
        Violation::Check(c) if c == "users_time_zone_check" => {
            AppError::invalid("time_zone", "Choose a time zone from the list.")
        }
        Violation::Check(c) if c == "practitioner_profiles_live_needs_role" => AppError::invalid(
            "role",
            "Only a practitioner's profile can be live: make the account a practitioner's first, or suspend the profile.",
        ),
        Violation::Check(c) if c == "bookings_hold_within_order" => {
            AppError::invalid("order", crate::server::booking::NOT_PAYABLE)
        }
        Violation::Check(c) if c == "bookings_holds_per_customer" => AppError::invalid(
            "order",
            format!(
                "You have as many card payments under way as one account may. Finish one, or wait up to {} minutes \
                 for it to lapse, then try again.",
                crate::domain::booking::HOLD.as_mins()
            ),
        ),
        Violation::Check(c) if c == "bookings_holds_per_practitioner" => AppError::invalid(
            "order",
            format!(
                "You are already paying for sessions with this practitioner. Finish one of those payments, or wait \
                 up to {} minutes for it to lapse, then try again.",
                crate::domain::booking::HOLD.as_mins()
            ),
        ),
        Violation::Unique(_) | Violation::Exclusion(_) => AppError::Conflict,
        Violation::ForeignKey(_) => AppError::NotFound,
        Violation::Check(_) | Violation::NotNull(_) => return None,
    })
}

#[derive(Debug, thiserror::Error)]
pub enum Failure {
    /// Already phrased for the person (a refusal, a validation error).
    #[error("{0}")]
    User(AppError),
    #[error("database")]
    Db(#[from] sqlx::Error),
    #[error("session store")]
    Session(#[from] tower_sessions::session::Error),
    #[error("background task")]
    Task(#[from] tokio::task::JoinError),
    /// A service we call (the payment provider) did not answer or failed: worth
    /// trying again later.
    #[error("{0}")]
    Upstream(String),
    /// A broken assumption (a missing context value, an impossible row).
    #[error("{0}")]
    Bug(String),
}

impl Failure {
    pub fn bug(msg: impl Into<String>) -> Self {
        Failure::Bug(msg.into())
    }

    /// The answer for the person. Internal failures are logged here, once, with their
    /// cause chain; call it only where a request's failure is finally handled.
    pub fn answer(self) -> AppError {
        let db_violation = match &self {
            Failure::Db(e) => violation(e),
            _ => None,
        };
        if let Some(v) = &db_violation
            && let Some(user) = user_error(v)
        {
            tracing::info!(violation = ?v, "a write was refused by a database rule");
            return user;
        }
        if let Failure::User(user) = self {
            return user;
        }
        if let Failure::Upstream(why) = &self {
            tracing::warn!(error = %why, "the payment provider did not answer");
            return AppError::ProviderUnavailable;
        }
        let request_id = crate::server::context::request_id();
        tracing::error!(%request_id, error = %chain(&self), "request failed");
        AppError::Internal { request_id }
    }
}

/// `err` and each of its sources, joined by ": ".
pub fn chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

impl From<AppError> for Failure {
    fn from(e: AppError) -> Self {
        Failure::User(e)
    }
}

impl From<FieldError> for Failure {
    fn from(e: FieldError) -> Self {
        Failure::User(AppError::Invalid(e))
    }
}

/// Runs a server function's body and turns its failure into the answer, logging
/// internal failures once.
pub async fn answer<T>(body: impl std::future::Future<Output = Result<T, Failure>>) -> Result<T, AppError> {
    body.await.map_err(Failure::answer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_constraints_become_specific_answers_and_unknown_ones_by_kind() {
        assert_eq!(user_error(&Violation::Unique("users_email_key".into())), Some(AppError::EmailTaken));
        assert_eq!(user_error(&Violation::Check("users_name_check".into())).unwrap().field(), Some("name"));
        assert_eq!(user_error(&Violation::Unique("anything_key".into())), Some(AppError::Conflict));
        assert_eq!(user_error(&Violation::Exclusion("no_overlap".into())), Some(AppError::Conflict));
        assert_eq!(user_error(&Violation::ForeignKey("x_fkey".into())), Some(AppError::NotFound));
        assert_eq!(user_error(&Violation::Check("unknown_check".into())), None, "an unexpected rule is a bug");
    }

    #[test]
    fn user_facing_failures_are_answered_as_they_are() {
        assert_eq!(Failure::from(AppError::Forbidden).answer(), AppError::Forbidden);
        assert_eq!(Failure::from(FieldError::new("x", "y")).answer().field(), Some("x"));
        assert!(matches!(Failure::bug("boom").answer(), AppError::Internal { .. }));
    }
}
