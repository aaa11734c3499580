//! The onboarding wizard's server functions. Each authorises a practitioner first; the
//! wizard is the one practitioner area open before approval.

use crate::domain::AppError;
use crate::domain::types::WizardView;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::{
    domain::wizard,
    server::{context, error::answer, wizard as service},
};

/// The ticked "This is correct" boxes of a form, by field name.
#[cfg(feature = "ssr")]
fn ticked(boxes: &[(&str, &Option<String>)]) -> Vec<String> {
    boxes.iter().filter(|(_, v)| v.is_some()).map(|(f, _)| (*f).to_owned()).collect()
}

/// After a save, the next step (or the same page when editing an earlier one).
#[cfg(feature = "ssr")]
fn go_to_step(step: i16) {
    leptos_axum::redirect(&format!("/onboarding/{step}"));
}

#[server(endpoint = "onboarding/view")]
pub async fn onboarding_progress() -> Result<WizardView, AppError> {
    answer(async move {
        let user = context::require_practitioner().await?;
        service::view(&context::state()?, user.id).await
    })
    .await
}

#[server(endpoint = "onboarding/basic")]
pub async fn save_basic_info(
    first_name: String,
    last_name: String,
    email: String,
    phone: String,
    location: String,
    time_zone: String,
    confirm_first_name: Option<String>,
    confirm_last_name: Option<String>,
    confirm_email: Option<String>,
    confirm_location: Option<String>,
) -> Result<(), AppError> {
    answer(async move {
        let user = context::require_practitioner().await?;
        let form = wizard::BasicForm { first_name, last_name, email, phone, location, time_zone };
        let ticked = ticked(&[
            ("first_name", &confirm_first_name),
            ("last_name", &confirm_last_name),
            ("email", &confirm_email),
            ("location", &confirm_location),
        ]);
        service::save_basic(&context::state()?, &user, &form, &ticked).await?;
        go_to_step(wizard::PHOTO);
        Ok(())
    })
    .await
}

#[server(endpoint = "onboarding/professional")]
pub async fn save_professional(
    practice_type: String,
    specialties: String,
    languages: String,
    years_experience: String,
    confirm_practice_type: Option<String>,
) -> Result<(), AppError> {
    answer(async move {
        let user = context::require_practitioner().await?;
        let form = wizard::ProfessionalForm { practice_type, specialties, languages, years_experience };
        service::save_professional(
            &context::state()?,
            &user,
            &form,
            &ticked(&[("practice_type", &confirm_practice_type)]),
        )
        .await?;
        go_to_step(wizard::BIO_STEP);
        Ok(())
    })
    .await
}

#[server(endpoint = "onboarding/bio")]
pub async fn save_bio(headline: String, bio: String) -> Result<(), AppError> {
    answer(async move {
        let user = context::require_practitioner().await?;
        service::save_bio(&context::state()?, &user, &wizard::BioForm { headline, bio }).await?;
        go_to_step(wizard::EXPERIENCE);
        Ok(())
    })
    .await
}

#[server(endpoint = "onboarding/experience/add")]
pub async fn add_experience(
    title: String,
    organisation: String,
    start_year: String,
    end_year: String,
) -> Result<(), AppError> {
    answer(async move {
        let user = context::require_practitioner().await?;
        let form = wizard::ExperienceForm { title, organisation, start_year, end_year };
        service::add_experience(&context::state()?, &user, &form).await?;
        go_to_step(wizard::EXPERIENCE);
        Ok(())
    })
    .await
}

#[server(endpoint = "onboarding/experience/remove")]
pub async fn remove_experience(id: String) -> Result<(), AppError> {
    answer(async move {
        let user = context::require_practitioner().await?;
        let id = id.trim().parse::<i64>().map_err(|_| AppError::NotFound)?;
        service::remove_experience(&context::state()?, &user, id).await?;
        go_to_step(wizard::EXPERIENCE);
        Ok(())
    })
    .await
}

#[server(endpoint = "onboarding/certificates/remove")]
pub async fn remove_certificate(id: String) -> Result<(), AppError> {
    answer(async move {
        let user = context::require_practitioner().await?;
        let id = uuid::Uuid::parse_str(id.trim()).map_err(|_| AppError::NotFound)?;
        crate::server::uploads::remove_certificate(&context::state()?, &user, id).await?;
        go_to_step(wizard::EXPERIENCE);
        Ok(())
    })
    .await
}

/// Completes the photo step or the experience step once they hold what they must.
#[server(endpoint = "onboarding/complete")]
pub async fn complete_step(step: String) -> Result<(), AppError> {
    answer(async move {
        let user = context::require_practitioner().await?;
        let step = step.trim().parse::<i16>().map_err(|_| AppError::invalid("step", "Unknown step."))?;
        service::complete_step(&context::state()?, &user, step).await?;
        if step == wizard::EXPERIENCE {
            leptos_axum::redirect("/onboarding/review");
        } else {
            go_to_step(step + 1);
        }
        Ok(())
    })
    .await
}

#[server(endpoint = "onboarding/submit")]
pub async fn submit_onboarding() -> Result<(), AppError> {
    answer(async move {
        let user = context::require_practitioner().await?;
        service::submit(&context::state()?, &user).await?;
        leptos_axum::redirect("/onboarding");
        Ok(())
    })
    .await
}
