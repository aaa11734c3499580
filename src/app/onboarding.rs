//! The practitioner onboarding wizard: five steps, each a form that checks its fields
//! as they are typed with the rules the server applies (`domain::wizard`), saved when
//! completed. `/onboarding` resumes at the first incomplete step; completed steps stay
//! editable; `/onboarding/review` submits the whole profile.

use crate::api::onboarding::{
    AddExperience, CompleteStep, RemoveCertificate, RemoveExperience, SaveBasicInfo, SaveBio, SaveProfessional,
    SubmitOnboarding, onboarding_progress,
};
use crate::app::components::{
    ErrorPanel, FormAlert, PageMeta, PostForm, Skeleton, Submission, Submit, endpoint, posted_error,
};
use crate::domain::datetime::{self, Style};
use crate::domain::onboarding::{OnboardingState, STEPS};
use crate::domain::types::{UploadRow, WizardView};
use crate::domain::wizard::{self, BasicForm, BioForm, ProfessionalForm};
use crate::domain::{AppError, TimeZone, uploads};
use leptos::prelude::*;
use leptos_router::components::Redirect;
use leptos_router::hooks::{use_params_map, use_query_map};
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

/// An input checked as it is typed with the server's own rule for the field, showing the
/// server's answer when the page comes back with one, and, for a value the call centre
/// supplied, where it came from and a box to confirm it.
#[component]
fn WizardField(
    label: &'static str,
    name: &'static str,
    #[prop(default = "text")] kind: &'static str,
    #[prop(default = "off")] autocomplete: &'static str,
    #[prop(into)] value: String,
    error: RwSignal<Option<AppError>>,
    #[prop(optional)] hint: &'static str,
    #[prop(optional)] notes: Vec<PrefillNote>,
    #[prop(optional)] multiline: bool,
    #[prop(optional)] readonly: bool,
    #[prop(default = 2100)] year: i16,
) -> impl IntoView {
    let local = RwSignal::new(None::<String>);
    let count = RwSignal::new(value.chars().count());
    let check = move |raw: String| {
        count.set(raw.chars().count());
        local.set(wizard::problem(name, &raw, year));
    };
    let server = move || error.get().filter(|e| e.field() == Some(name)).map(|e| e.to_string());
    let message = move || local.get().or_else(server);
    let note = notes.into_iter().find(|n| n.field == name);
    let mut described = vec![format!("{name}-error")];
    if !hint.is_empty() {
        described.push(format!("{name}-hint"));
    }
    if note.is_some() {
        described.push(format!("{name}-source"));
    }
    let described = described.join(" ");
    let input = if multiline {
        view! {
            <textarea id=name name=name rows="10" aria-describedby=described.clone()
                aria-invalid=move || if message().is_some() { "true" } else { "false" }
                on:blur=move |ev| check(event_target_value(&ev))
                on:input=move |ev| { let v = event_target_value(&ev); if local.get_untracked().is_some() { check(v) } else { count.set(v.chars().count()) } }
            >{value.clone()}</textarea>
            <p class="field-hint" aria-live="polite">{move || format!("{} characters", count.get())}</p>
        }
        .into_any()
    } else {
        view! {
            <input id=name name=name type=kind autocomplete=autocomplete value=value.clone() readonly=readonly
                aria-describedby=described.clone()
                aria-invalid=move || if message().is_some() { "true" } else { "false" }
                on:blur=move |ev| check(event_target_value(&ev))
                on:input=move |ev| if local.get_untracked().is_some() { check(event_target_value(&ev)) }
            />
        }
        .into_any()
    };
    view! {
        <div class="field">
            <label for=name>{label}</label>
            {(!hint.is_empty()).then(|| view! { <p class="field-hint" id=format!("{name}-hint")>{hint}</p> })}
            {input}
            {note.map(|n| {
                let confirm = format!("confirm_{name}");
                view! {
                    <p class="prefill-note" id=format!("{name}-source")>
                        "From the "{n.source.clone()}{n.confirmed.then_some(" · confirmed by you")}
                    </p>
                    {(!n.confirmed).then(|| view! {
                        <div class="field checkbox">
                            <input type="checkbox" id=confirm.clone() name=confirm.clone() value="on"/>
                            <label for=confirm>{format!("This {} is correct", label.to_lowercase())}</label>
                        </div>
                    })}
                }
            })}
            <p class="field-error" id=format!("{name}-error") aria-live="polite">{message}</p>
        </div>
    }
}

#[component]
fn BasicStep(w: WizardView, notes: Vec<PrefillNote>) -> impl IntoView {
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
fn PhotoStep(w: WizardView, upload_error: Option<String>, uploaded: bool) -> impl IntoView {
    let error = posted_error::<CompleteStep, ()>();
    let has_photo = w.photo.is_some();
    view! {
        <section class="card" aria-labelledby="step-heading">
            <h2 id="step-heading">"Step 2: Visual profile"</h2>
            <p class="muted">"A clear, friendly photo of your face helps clients choose you. JPEG, PNG or WebP, up to 5 MB; we crop a square thumbnail from it."</p>
            {w.photo.as_ref().map(|p| view! {
                <figure class="photo-preview">
                    <img src=format!("/media/{}/thumb.jpg", p.id) alt="Your current photo" width="128" height="128"/>
                    <figcaption class="muted">"Your current photo. Upload another to replace it."</figcaption>
                </figure>
            })}
            {uploaded.then(|| view! { <p class="alert alert-success" role="status">"Photo saved."</p> })}
            <UploadIsland action=uploads::PHOTO_PATH.to_owned() label="Photo".to_owned() accept="image/jpeg,image/png,image/webp".to_owned() with_title=false error=upload_error/>
            <ContinueIsland step=wizard::PHOTO label="Continue".to_owned() enabled=has_photo error/>
        </section>
    }
}

/// A file upload that shows its progress once the page is interactive. Without the WASM
/// it is a plain multipart form post; with it, the same post goes by XMLHttpRequest so
/// the bar can follow the bytes, and the page then shows where the server sent it.
#[cfg_attr(any(feature = "ssr", feature = "workspace"), island)]
#[cfg_attr(not(any(feature = "ssr", feature = "workspace")), component)]
fn UploadIsland(
    action: String,
    label: String,
    accept: String,
    with_title: bool,
    error: Option<String>,
) -> impl IntoView {
    let progress = RwSignal::new(None::<u32>);
    let failed = RwSignal::new(error);
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        #[cfg(feature = "hydrate")]
        upload_with_progress(ev, progress, failed);
        #[cfg(not(feature = "hydrate"))]
        let _ = (ev, progress, failed);
    };
    let described = "file-hint file-error";
    view! {
        <form method="post" action=action enctype="multipart/form-data" class="stack upload-form" on:submit=on_submit>
            {with_title.then(|| view! {
                <div class="field">
                    <label for="certificate_title">"Certificate name"</label>
                    <input id="certificate_title" name="title" type="text" maxlength="100" required=true/>
                </div>
            })}
            <div class="field">
                <label for="file">{label}</label>
                <p class="field-hint" id="file-hint">"Checked by its content, not its name."</p>
                <input id="file" name="file" type="file" accept=accept required=true aria-describedby=described
                    aria-invalid=move || if failed.get().is_some() { "true" } else { "false" }/>
                <p class="field-error" id="file-error" role="alert">{move || failed.get()}</p>
            </div>
            {move || progress.get().map(|p| view! {
                <div class="upload-progress">
                    <label for="upload-progress">{format!("Uploading… {p}%")}</label>
                    <progress id="upload-progress" max="100" value=p></progress>
                </div>
            })}
            <button type="submit" class="btn btn-secondary" disabled=move || progress.get().is_some()>"Upload"</button>
        </form>
    }
}

#[cfg(feature = "hydrate")]
fn upload_with_progress(
    ev: leptos::ev::SubmitEvent,
    progress: RwSignal<Option<u32>>,
    failed: RwSignal<Option<String>>,
) {
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;
    let Some(form) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlFormElement>().ok()) else { return };
    let (Ok(data), Ok(xhr)) = (web_sys::FormData::new_with_form(&form), web_sys::XmlHttpRequest::new()) else { return };
    if xhr.open("POST", &form.action()).is_err() {
        return;
    }
    ev.prevent_default();
    progress.set(Some(0));
    failed.set(None);
    if let Ok(upload) = xhr.upload() {
        let on_progress = Closure::<dyn FnMut(web_sys::ProgressEvent)>::new(move |e: web_sys::ProgressEvent| {
            if e.length_computable() && e.total() > 0.0 {
                progress.set(Some(((e.loaded() / e.total()) * 100.0).round() as u32));
            }
        });
        upload.set_onprogress(Some(on_progress.as_ref().unchecked_ref()));
        on_progress.forget();
    }
    let done_xhr = xhr.clone();
    let on_done = Closure::<dyn FnMut()>::new(move || {
        let url = done_xhr.response_url();
        if done_xhr.status().unwrap_or(0) == 200 && !url.is_empty() {
            let _ = window().location().set_href(&url);
        } else {
            progress.set(None);
            failed.set(Some(format!(
                "The upload did not go through (answer {}). Nothing else you entered was lost; try again.",
                done_xhr.status().unwrap_or(0)
            )));
        }
    });
    xhr.set_onloadend(Some(on_done.as_ref().unchecked_ref()));
    on_done.forget();
    if xhr.send_with_opt_form_data(Some(&data)).is_err() {
        progress.set(None);
        failed.set(Some("The upload could not be started. Check your connection and try again.".into()));
    }
}

/// Completes a step whose content was saved piece by piece (the photo, the experience).
#[cfg_attr(any(feature = "ssr", feature = "workspace"), island)]
#[cfg_attr(not(any(feature = "ssr", feature = "workspace")), component)]
fn ContinueIsland(step: i16, label: String, enabled: bool, error: Option<AppError>) -> impl IntoView {
    let state = Submission::new(error);
    let error = state.error;
    view! {
        <FormAlert error/>
        <p class="field-error" id="continue-error">{move || error.get().filter(|e| e.field().is_some()).map(|e| e.to_string())}</p>
        <PostForm action={endpoint::<CompleteStep>()} state class="actions">
            <input type="hidden" name="step" value=step.to_string()/>
            {(!enabled).then(|| view! { <p class="muted">"Upload first, then continue."</p> })}
            <Submit label=label busy_label="Saving…" pending=state.pending/>
        </PostForm>
    }
}

#[component]
fn ProfessionalStep(w: WizardView, notes: Vec<PrefillNote>) -> impl IntoView {
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
fn BioStep(w: WizardView) -> impl IntoView {
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

#[component]
fn ExperienceStep(w: WizardView, upload_error: Option<String>, uploaded: bool) -> impl IntoView {
    let add_error = posted_error::<AddExperience, ()>();
    let complete_error = posted_error::<CompleteStep, ()>();
    let year = w.this_year;
    let has_entries = !w.experience.is_empty();
    view! {
        <section class="card" aria-labelledby="step-heading">
            <h2 id="step-heading">"Step 5: Experience and certifications"</h2>
            <h3>"Experience"</h3>
            {if w.experience.is_empty() {
                view! { <p class="muted">"No entries yet. Add where you trained or worked; at least one is needed."</p> }.into_any()
            } else {
                view! {
                    <ul class="entry-list">
                        {w.experience.iter().map(|e| {
                            let years = match e.entry.end_year { Some(end) => format!("{}–{end}", e.entry.start_year), None => format!("{}–present", e.entry.start_year) };
                            view! {
                                <li>
                                    <span><strong>{e.entry.title.clone()}</strong>", "{e.entry.organisation.clone()}" ("{years}")"</span>
                                    <RemoveIsland certificate=false id=e.id.to_string() what=format!("Remove {}", e.entry.title)/>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
            <ExperienceFormIsland year error=add_error/>
            <h3>"Certificates"</h3>
            <p class="muted">"Optional: PDF, JPEG or PNG, up to 10 MB each. Only you and our reviewers can open them."</p>
            {(!w.certificates.is_empty()).then(|| view! {
                <ul class="entry-list">
                    {w.certificates.iter().map(|c: &UploadRow| view! {
                        <li>
                            <span><a href=format!("/media/{}/certificate", c.id)>{c.title.clone()}</a>{format!(" ({} KB)", (c.size_bytes + 1023) / 1024)}</span>
                            <RemoveIsland certificate=true id=c.id.to_string() what=format!("Remove {}", c.title)/>
                        </li>
                    }).collect_view()}
                </ul>
            })}
            {uploaded.then(|| view! { <p class="alert alert-success" role="status">"Certificate saved."</p> })}
            <UploadIsland action=uploads::CERTIFICATE_PATH.to_owned() label="Certificate file".to_owned() accept="application/pdf,image/jpeg,image/png".to_owned() with_title=true error=upload_error/>
            <ContinueIsland step=wizard::EXPERIENCE label="Continue to review".to_owned() enabled=has_entries error=complete_error/>
        </section>
    }
}

#[cfg_attr(any(feature = "ssr", feature = "workspace"), island)]
#[cfg_attr(not(any(feature = "ssr", feature = "workspace")), component)]
fn ExperienceFormIsland(year: i16, error: Option<AppError>) -> impl IntoView {
    let state = Submission::new(error);
    let error = state.error;
    view! {
        <FormAlert error/>
        <PostForm action={endpoint::<AddExperience>()} state class="stack entry-form">
            <WizardField label="Role or qualification" name="title" value="" error year/>
            <WizardField label="Where" name="organisation" value="" error hint="School, studio, employer or teacher." year/>
            <div class="field-row">
                <WizardField label="From (year)" name="start_year" kind="number" value="" error year/>
                <WizardField label="To (year)" name="end_year" kind="number" value="" error hint="Leave empty if ongoing." year/>
            </div>
            <Submit label="Add entry" busy_label="Adding…" pending=state.pending secondary=true/>
        </PostForm>
    }
}

#[cfg_attr(any(feature = "ssr", feature = "workspace"), island)]
#[cfg_attr(not(any(feature = "ssr", feature = "workspace")), component)]
fn RemoveIsland(certificate: bool, id: String, what: String) -> impl IntoView {
    let state = Submission::new(None);
    let action = if certificate { endpoint::<RemoveCertificate>() } else { endpoint::<RemoveExperience>() };
    view! {
        <PostForm action state class="inline-form">
            <input type="hidden" name="id" value=id/>
            <button type="submit" class="btn btn-ghost" aria-label=what disabled=move || state.pending.get()>"Remove"</button>
        </PostForm>
    }
}

/// Everything entered, as the reviewer will see it.
#[component]
fn Summary(w: WizardView) -> impl IntoView {
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
fn ReviewStep(w: WizardView) -> impl IntoView {
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
