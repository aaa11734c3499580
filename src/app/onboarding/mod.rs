//! The practitioner onboarding wizard: five steps, each a form that checks its fields
//! as they are typed with the rules the server applies (`domain::wizard`), saved when
//! completed. `/onboarding` resumes at the first incomplete step; completed steps stay
//! editable; `/onboarding/review` submits the whole profile.
//!
//! The wizard's page and its navigation are here; the input every step uses in `field`,
//! steps 1, 3 and 4 in `forms`, the photo and experience steps with their uploads in
//! `files`, and the review in `review`.

mod field;
mod files;
mod forms;
mod review;

use crate::api::onboarding::onboarding_progress;
use crate::app::components::{ErrorPanel, PageMeta, Skeleton};
use crate::domain::TimeZone;
use crate::domain::datetime::{self, Style};
use crate::domain::onboarding::{OnboardingState, STEPS};
use crate::domain::types::WizardView;
use crate::domain::wizard;
use files::{ExperienceStep, PhotoStep};
use forms::{BasicStep, BioStep, ProfessionalStep};
use leptos::prelude::*;
use leptos_router::components::Redirect;
use leptos_router::hooks::{use_params_map, use_query_map};
use review::{ReviewStep, Summary};
use serde::{Deserialize, Serialize};

/// Where a call-centre value came from, worded on the server (the browser has no zone
/// database to format the date with).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrefillNote {
    pub field: String,
    pub source: String,
    pub confirmed: bool,
}

fn notes(w: &WizardView, zone: &TimeZone) -> Vec<PrefillNote> {
    w.prefill
        .iter()
        .map(|p| PrefillNote {
            field: p.field.clone(),
            source: format!("call-centre import, {}", datetime::show(p.imported_at, zone, Style::Date)),
            confirmed: p.confirmed,
        })
        .collect()
}

#[component]
pub fn WizardPage() -> impl IntoView {
    let asked = use_params_map().read_untracked().get("step");
    let query = use_query_map();
    let upload_error = query.read_untracked().get("upload_error");
    let uploaded = query.read_untracked().get("uploaded").is_some();
    let view_of = Resource::new(|| (), |_| onboarding_progress());
    view! {
        <PageMeta title="Set up your practice" description="Complete your practitioner profile in five steps and send it for review."/>
        <div class="container section narrow-wide">
            <h1>"Set up your practice"</h1>
            <Suspense fallback=|| view! { <div class="card"><Skeleton lines=8/></div> }>
                {move || {
                    let asked = asked.clone();
                    let upload_error = upload_error.clone();
                    Suspend::new(async move {
                        match view_of.await {
                            Ok(w) => view! { <WizardBody w asked upload_error uploaded/> }.into_any(),
                            Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                        }
                    })
                }}
            </Suspense>
        </div>
    }
}

#[component]
fn WizardBody(w: WizardView, asked: Option<String>, upload_error: Option<String>, uploaded: bool) -> impl IntoView {
    match w.state {
        OnboardingState::Submitted => {
            return view! {
                <section class="card" aria-labelledby="status-heading">
                    <h2 id="status-heading">"Waiting for review"</h2>
                    <p>"Thank you: your profile has been sent for review. We will email you as soon as it has been looked at."</p>
                    <p class="muted">"Account number "<strong>{w.code.to_string()}</strong></p>
                </section>
                <Summary w/>
            }
            .into_any();
        }
        OnboardingState::Approved => {
            let public = w.slug.clone().map(|s| format!("/p/{s}")).unwrap_or_default();
            return view! {
                <section class="card">
                    <h2>"Your profile is live"</h2>
                    <p class="actions"><a class="btn btn-primary" href="/practitioner">"Open your practice"</a><a href=public>"See your public profile"</a></p>
                </section>
            }
            .into_any();
        }
        OnboardingState::Suspended => {
            return view! {
                <section class="card"><h2>"Your profile is suspended"</h2><p>"Contact support to find out why and what happens next."</p></section>
            }
            .into_any();
        }
        OnboardingState::Draft | OnboardingState::Rejected => {}
    }
    let reviewing = asked.as_deref() == Some("review");
    if reviewing && w.step_reached < wizard::DONE {
        return view! { <Redirect path=format!("/onboarding/{}", w.step_reached)/> }.into_any();
    }
    let asked_step = asked.as_deref().and_then(|s| s.parse::<i16>().ok());
    let step = wizard::step_to_show(asked_step, w.step_reached);
    if !reviewing && asked.is_some() && asked_step != Some(step) {
        return view! { <Redirect path=format!("/onboarding/{step}")/> }.into_any();
    }
    if !reviewing && asked.is_none() && w.step_reached == wizard::DONE {
        return view! { <Redirect path="/onboarding/review"/> }.into_any();
    }
    let zone = crate::app::layout::page_user().map(|u| u.time_zone).unwrap_or_else(TimeZone::utc);
    let notes = notes(&w, &zone);
    let current = if reviewing { wizard::DONE } else { step };
    let rejected = (w.state == OnboardingState::Rejected).then(|| w.review_note.clone().unwrap_or_default());
    view! {
        {rejected.map(|note| view! {
            <div class="alert alert-error" role="status">
                <p><strong>"Your profile needs changes before it can go live."</strong>" Our reviewer wrote:"</p>
                <blockquote>{note}</blockquote>
                <p>"Change what is needed below, then submit again from the review page."</p>
            </div>
        })}
        <StepNav current step_reached=w.step_reached/>
        {if reviewing {
            view! { <ReviewStep w/> }.into_any()
        } else {
            match step {
                wizard::BASIC => view! { <BasicStep w notes/> }.into_any(),
                wizard::PHOTO => view! { <PhotoStep w upload_error uploaded/> }.into_any(),
                wizard::PROFESSIONAL => view! { <ProfessionalStep w notes/> }.into_any(),
                wizard::BIO_STEP => view! { <BioStep w/> }.into_any(),
                _ => view! { <ExperienceStep w upload_error uploaded/> }.into_any(),
            }
        }}
    }
    .into_any()
}

/// The five steps and the review, with where the person is; completed steps are links.
#[component]
fn StepNav(current: i16, step_reached: i16) -> impl IntoView {
    let done = (step_reached - 1).clamp(0, 5);
    view! {
        <nav aria-label="Onboarding steps" class="wizard-steps">
            <p class="muted">{format!("{done} of 5 steps complete")}</p>
            <progress max="5" value=done aria-hidden="true"></progress>
            <ol>
                {STEPS.iter().enumerate().map(|(i, name)| {
                    let n = i as i16 + 1;
                    let state = if n == current { "current" } else if n < step_reached { "done" } else { "todo" };
                    let label = format!("{n}. {name}");
                    view! {
                        <li class=format!("wizard-step wizard-step-{state}")>
                            {if n == current {
                                view! { <span aria-current="step">{label}</span> }.into_any()
                            } else if n <= step_reached {
                                view! { <a href=format!("/onboarding/{n}")>{label}{(n < step_reached).then_some(" ✓")}</a> }.into_any()
                            } else {
                                view! { <span>{label}</span> }.into_any()
                            }}
                        </li>
                    }
                }).collect_view()}
                <li class=if current == wizard::DONE { "wizard-step wizard-step-current" } else { "wizard-step wizard-step-todo" }>
                    {if current == wizard::DONE {
                        view! { <span aria-current="step">"Review and submit"</span> }.into_any()
                    } else if step_reached == wizard::DONE {
                        view! { <a href="/onboarding/review">"Review and submit"</a> }.into_any()
                    } else {
                        view! { <span>"Review and submit"</span> }.into_any()
                    }}
                </li>
            </ol>
        </nav>
    }
}
