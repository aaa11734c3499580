//! Steps 1, 3 and 4 of the wizard: basic info, professional details and the bio, a
//! form each.

use super::PrefillNote;
use super::field::WizardField;
use crate::api::onboarding::{SaveBasicInfo, SaveBio, SaveProfessional};
use crate::app::components::{FormAlert, PostForm, Submission, Submit, endpoint, posted_error};
use crate::domain::types::WizardView;
use crate::domain::wizard::{BasicForm, BioForm, ProfessionalForm};
use crate::domain::{AppError, TimeZone};
use leptos::prelude::*;

#[component]
pub(super) fn BasicStep(w: WizardView, notes: Vec<PrefillNote>) -> impl IntoView {
    let error = posted_error::<SaveBasicInfo, ()>();
    let zone = TimeZone::parse(&w.basic.time_zone).unwrap_or_else(|_| TimeZone::utc());
    view! {
        <section class="card" aria-labelledby="step-heading">
            <h2 id="step-heading">"Step 1: Basic info"</h2>
            <p class="muted">"How clients and our team reach you. Your email and number stay private."</p>
            <BasicFormIsland values=w.basic.clone() notes phone_verified=w.phone_verified error>
                <crate::app::dashboard::ZoneSelect selected=zone/>
            </BasicFormIsland>
        </section>
    }
}

#[cfg_attr(any(feature = "ssr", feature = "workspace"), island)]
#[cfg_attr(not(any(feature = "ssr", feature = "workspace")), component)]
fn BasicFormIsland(
    values: BasicForm,
    notes: Vec<PrefillNote>,
    phone_verified: bool,
    error: Option<AppError>,
    children: Children,
) -> impl IntoView {
    let state = Submission::new(error);
    let error = state.error;
    let phone_hint = if phone_verified {
        "Confirmed by the code we texted you. Changing it means confirming the new number next time you sign in."
    } else {
        "International form, with + and the country code."
    };
    view! {
        <FormAlert error/>
        <PostForm action={endpoint::<SaveBasicInfo>()} state class="stack">
            <div class="field-row">
                <WizardField label="First name" name="first_name" autocomplete="given-name" value=values.first_name error notes=notes.clone()/>
                <WizardField label="Last name" name="last_name" autocomplete="family-name" value=values.last_name error notes=notes.clone()/>
            </div>
            <WizardField label="Email" name="email" kind="email" autocomplete="email" value=values.email error notes=notes.clone()/>
            <WizardField label="Mobile number" name="phone" kind="tel" autocomplete="tel" value=values.phone error hint=phone_hint/>
            <WizardField label="Location" name="location" autocomplete="address-level2" value=values.location error notes=notes.clone() hint="City and country, e.g. Pune, India."/>
            {children()}
            <p class="field-error" id="time_zone-error">{move || error.get().filter(|e| e.field() == Some("time_zone")).map(|e| e.to_string())}</p>
            <Submit label="Save and continue" busy_label="Saving…" pending=state.pending/>
        </PostForm>
    }
}

#[component]
pub(super) fn ProfessionalStep(w: WizardView, notes: Vec<PrefillNote>) -> impl IntoView {
    let error = posted_error::<SaveProfessional, ()>();
    view! {
        <section class="card" aria-labelledby="step-heading">
            <h2 id="step-heading">"Step 3: Professional details"</h2>
            <ProfessionalFormIsland values=w.professional.clone() notes error/>
        </section>
    }
}

#[cfg_attr(any(feature = "ssr", feature = "workspace"), island)]
#[cfg_attr(not(any(feature = "ssr", feature = "workspace")), component)]
fn ProfessionalFormIsland(values: ProfessionalForm, notes: Vec<PrefillNote>, error: Option<AppError>) -> impl IntoView {
    let state = Submission::new(error);
    let error = state.error;
    view! {
        <FormAlert error/>
        <PostForm action={endpoint::<SaveProfessional>()} state class="stack">
            <WizardField label="Practice" name="practice_type" value=values.practice_type error notes=notes hint="What you offer, e.g. Astrology, Yoga, Life coaching."/>
            <WizardField label="Specialties" name="specialties" value=values.specialties error hint="Separated by commas, e.g. Vedic astrology, Tarot. Up to 10."/>
            <WizardField label="Languages you work in" name="languages" value=values.languages error hint="Separated by commas, e.g. English, Hindi."/>
            <WizardField label="Years of practice" name="years_experience" kind="number" value=values.years_experience error/>
            <Submit label="Save and continue" busy_label="Saving…" pending=state.pending/>
        </PostForm>
    }
}

#[component]
pub(super) fn BioStep(w: WizardView) -> impl IntoView {
    let error = posted_error::<SaveBio, ()>();
    view! {
        <section class="card" aria-labelledby="step-heading">
            <h2 id="step-heading">"Step 4: Bio"</h2>
            <BioFormIsland values=w.bio.clone() error/>
        </section>
    }
}

#[cfg_attr(any(feature = "ssr", feature = "workspace"), island)]
#[cfg_attr(not(any(feature = "ssr", feature = "workspace")), component)]
fn BioFormIsland(values: BioForm, error: Option<AppError>) -> impl IntoView {
    let state = Submission::new(error);
    let error = state.error;
    view! {
        <FormAlert error/>
        <PostForm action={endpoint::<SaveBio>()} state class="stack">
            <WizardField label="Headline" name="headline" value=values.headline error hint="One line clients see first, 10 to 120 characters."/>
            <WizardField label="Bio" name="bio" value=values.bio error multiline=true hint="Who you are and how you work with clients, 100 to 2000 characters. Leave a blank line between paragraphs."/>
            <Submit label="Save and continue" busy_label="Saving…" pending=state.pending/>
        </PostForm>
    }
}
