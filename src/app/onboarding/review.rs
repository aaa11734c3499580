//! The wizard's last page: everything entered, and submitting it for review.

use crate::api::onboarding::SubmitOnboarding;
use crate::app::components::{FormAlert, PostForm, Submission, Submit, endpoint, posted_error};
use crate::domain::AppError;
use crate::domain::onboarding::OnboardingState;
use crate::domain::types::WizardView;
use leptos::prelude::*;

/// Everything entered, as the reviewer will see it.
#[component]
pub(super) fn Summary(w: WizardView) -> impl IntoView {
    view! {
        <section class="card" aria-labelledby="summary-heading">
            <h2 id="summary-heading">"Your profile"</h2>
            {w.photo.as_ref().map(|p| view! { <img src=format!("/media/{}/thumb.jpg", p.id) alt="Your photo" width="128" height="128"/> })}
            <dl class="facts">
                <dt>"Name"</dt><dd>{format!("{} {}", w.basic.first_name, w.basic.last_name)}</dd>
                <dt>"Email"</dt><dd>{w.basic.email.clone()}</dd>
                <dt>"Mobile"</dt><dd>{w.basic.phone.clone()}</dd>
                <dt>"Location"</dt><dd>{w.basic.location.clone()}</dd>
                <dt>"Time zone"</dt><dd>{w.basic.time_zone.clone()}</dd>
                <dt>"Practice"</dt><dd>{w.professional.practice_type.clone()}</dd>
                <dt>"Specialties"</dt><dd>{w.professional.specialties.clone()}</dd>
                <dt>"Languages"</dt><dd>{w.professional.languages.clone()}</dd>
                <dt>"Years of practice"</dt><dd>{w.professional.years_experience.clone()}</dd>
                <dt>"Headline"</dt><dd>{w.bio.headline.clone()}</dd>
                <dt>"Experience"</dt><dd>{format!("{} entries", w.experience.len())}</dd>
                <dt>"Certificates"</dt><dd>{format!("{} files", w.certificates.len())}</dd>
            </dl>
            <p class="bio">{w.bio.bio.clone()}</p>
        </section>
    }
}

#[component]
pub(super) fn ReviewStep(w: WizardView) -> impl IntoView {
    let error = posted_error::<SubmitOnboarding, ()>();
    let again = w.state == OnboardingState::Rejected;
    view! {
        <Summary w/>
        <section class="card" aria-labelledby="submit-heading">
            <h2 id="submit-heading">{if again { "Submit again" } else { "Submit for review" }}</h2>
            <p>"Our team checks every profile before it goes live, usually within two working days. You can still change any step until you submit."</p>
            <SubmitIsland error/>
        </section>
    }
}

#[cfg_attr(any(feature = "ssr", feature = "workspace"), island)]
#[cfg_attr(not(any(feature = "ssr", feature = "workspace")), component)]
fn SubmitIsland(error: Option<AppError>) -> impl IntoView {
    let state = Submission::new(error);
    let error = state.error;
    view! {
        <FormAlert error/>
        <p class="field-error">{move || error.get().filter(|e| e.field().is_some()).map(|e| e.to_string())}</p>
        <PostForm action={endpoint::<SubmitOnboarding>()} state class="actions">
            <Submit label="Submit for review" busy_label="Submitting…" pending=state.pending/>
        </PostForm>
    }
}
