use crate::domain::AppError;
use crate::domain::types::{Profile, SessionUser};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::server::error::answer;
#[cfg(feature = "ssr")]
use crate::server::{accounts, context, rate_limit, rate_limit::Bucket, sessions};

/// The signed-in user, or `None` for visitors.
#[server(endpoint = "auth/me")]
pub async fn current_user() -> Result<Option<SessionUser>, AppError> {
    answer(async move { context::current_user().await }).await
}

/// Takes a sign-up and answers "check your inbox" whether or not the address has an
/// account; the account is made when the link sent to the address is opened.
#[server(endpoint = "auth/signup")]
pub async fn sign_up(name: String, email: String, password: String, time_zone: Option<String>) -> Result<(), AppError> {
    answer(async move {
        use crate::domain::{Email, Password, PersonName, Role, TimeZone};
        let state = context::state()?;
        accounts::limit_new_accounts(&state, context::client_ip(&state)).await?;
        let name = PersonName::parse(&name)?;
        let email = Email::parse(&email)?;
        let password = Password::parse_new(&password, "password", Some(email.as_str()))?;
        rate_limit::hit(
            &state.pool,
            &state.clock,
            &Bucket::account("signup", email.as_str()),
            rate_limit::SIGNUP_PER_ADDRESS,
        )
        .await?;
        // The zone is what the browser reports, not something the person typed: one the
        // server does not know falls back to UTC rather than refusing the sign-up.
        let time_zone = time_zone.and_then(|z| TimeZone::parse(&z).ok()).unwrap_or_else(TimeZone::utc);
        let new = accounts::NewAccount { email, password, name, role: Role::Customer, time_zone };
        crate::server::sign_up::request(&state, new).await?;
        leptos_axum::redirect("/signup?sent=1");
        Ok(())
    })
    .await
}

/// Finishes a sign-up from the link emailed to the address: makes the account and
/// signs it in.
#[server(endpoint = "auth/signup/confirm")]
pub async fn confirm_sign_up(#[server(default)] token: String) -> Result<(), AppError> {
    answer(async move {
        let state = context::state()?;
        let created = crate::server::sign_up::confirm(&state, &token).await?;
        sessions::establish(&state, &context::session().await?, created.user.id, created.epoch).await?;
        leptos_axum::redirect("/dashboard");
        Ok(())
    })
    .await
}

#[server(endpoint = "auth/login")]
pub async fn log_in(email: String, password: String, next: Option<String>) -> Result<(), AppError> {
    answer(async move {
        let state = context::state()?;
        let created = accounts::log_in(&state, &email, &password, context::client_ip(&state)).await?;
        sessions::establish(&state, &context::session().await?, created.user.id, created.epoch).await?;
        tracing::info!(user = %created.user.code, "logged in");
        let target = super::safe_next(next.as_deref()).unwrap_or_else(|| created.user.role.home_path().to_owned());
        leptos_axum::redirect(&target);
        Ok(())
    })
    .await
}

#[server(endpoint = "auth/logout")]
pub async fn log_out() -> Result<(), AppError> {
    answer(async move {
        sessions::end(&context::session().await?).await?;
        leptos_axum::redirect("/");
        Ok(())
    })
    .await
}

/// Always answers the same, whether or not the address has an account.
#[server(endpoint = "auth/forgot")]
pub async fn request_password_reset(email: String) -> Result<(), AppError> {
    answer(async move {
        use crate::domain::Email;
        let state = context::state()?;
        let email = Email::parse(&email)?;
        let ip = context::client_ip(&state);
        rate_limit::hit(&state.pool, &state.clock, &Bucket::ip("reset", ip), rate_limit::RESET_PER_IP).await?;
        rate_limit::hit(
            &state.pool,
            &state.clock,
            &Bucket::account("reset", email.as_str()),
            rate_limit::RESET_PER_ACCOUNT,
        )
        .await?;
        accounts::request_password_reset(&state, &email).await?;
        leptos_axum::redirect("/forgot-password?sent=1");
        Ok(())
    })
    .await
}

#[server(endpoint = "auth/reset")]
pub async fn reset_password(token: String, password: String) -> Result<(), AppError> {
    answer(async move {
        let state = context::state()?;
        accounts::reset_password(&state, &token, &password).await?;
        leptos_axum::redirect("/login?reset=1");
        Ok(())
    })
    .await
}

#[server(endpoint = "account/password")]
pub async fn change_password(current_password: String, new_password: String) -> Result<(), AppError> {
    answer(async move {
        let user = context::require_user().await?;
        let state = context::state()?;
        let epoch = accounts::change_password(&state, &user, &current_password, &new_password).await?;
        sessions::refresh_epoch(&context::session().await?, epoch).await?;
        Ok(())
    })
    .await
}

/// Deletes the signed-in customer's account (password and the typed confirmation
/// required), signs them out and sends them to the home page.
#[server(endpoint = "account/delete")]
pub async fn delete_account(
    #[server(default)] password: String,
    #[server(default)] confirm: String,
) -> Result<(), AppError> {
    answer(async move {
        let user = context::require_user().await?;
        accounts::delete_account(&context::state()?, &user, &password, &confirm).await?;
        sessions::end(&context::session().await?).await?;
        leptos_axum::redirect("/?deleted=1");
        Ok(())
    })
    .await
}

/// Ends every other session of the account; this browser stays signed in.
#[server(endpoint = "account/sign-out-everywhere")]
pub async fn sign_out_everywhere() -> Result<(), AppError> {
    answer(async move {
        let user = context::require_user().await?;
        let state = context::state()?;
        let epoch = accounts::bump_epoch(&state, user.id).await?;
        sessions::refresh_epoch(&context::session().await?, epoch).await?;
        tracing::info!(user = %user.code, "signed out everywhere");
        Ok(())
    })
    .await
}

#[server(endpoint = "account/profile")]
pub async fn get_profile() -> Result<Profile, AppError> {
    answer(async move {
        let user = context::require_user().await?;
        accounts::profile(&context::state()?, user.id).await
    })
    .await
}

#[server(endpoint = "account/profile/update")]
pub async fn update_profile(name: String, phone: String, time_zone: String) -> Result<(), AppError> {
    answer(async move {
        use crate::domain::{PersonName, Phone, TimeZone};
        let user = context::require_user().await?;
        let name = PersonName::parse(&name)?;
        let phone = Phone::parse_optional(&phone)?;
        let zone = TimeZone::parse(&time_zone)?;
        accounts::update_profile(&context::state()?, user.id, &name, phone.as_ref(), &zone).await
    })
    .await
}

/// Sends a one-time sign-in code to a practitioner's phone. The answer is the same for
/// every number.
#[server(endpoint = "auth/phone/code")]
pub async fn request_phone_code(phone: String) -> Result<(), AppError> {
    answer(async move {
        use crate::domain::{FieldError, Phone};
        let state = context::state()?;
        let phone =
            Phone::parse_optional(&phone)?.ok_or_else(|| FieldError::new("phone", "Enter your mobile number."))?;
        crate::server::phone_sign_in::request_code(&state, &phone, context::client_ip(&state)).await?;
        leptos_axum::redirect(&format!("/login/phone?phone={}&sent=1", phone.as_str().replace('+', "%2B")));
        Ok(())
    })
    .await
}

/// Signs a practitioner in with the code sent to their phone, under a fresh session id.
#[server(endpoint = "auth/phone/verify")]
pub async fn verify_phone_code(phone: String, code: String) -> Result<(), AppError> {
    answer(async move {
        use crate::domain::otp::Code;
        use crate::domain::{AppError, Phone};
        let state = context::state()?;
        let ip = context::client_ip(&state);
        let code = Code::parse(&code)?;
        // A number that does not parse cannot have a code: the same answer as a wrong one.
        let phone = Phone::parse_optional(&phone).ok().flatten().ok_or(AppError::CodeInvalid)?;
        let created = crate::server::phone_sign_in::verify(&state, &phone, &code, ip).await?;
        sessions::establish(&state, &context::session().await?, created.user.id, created.epoch).await?;
        leptos_axum::redirect(created.user.role.home_path());
        Ok(())
    })
    .await
}
