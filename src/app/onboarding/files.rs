//! Steps 2 and 5 of the wizard, whose content is saved piece by piece: the photo, and
//! the experience entries and certificates; with the upload and continue forms they share.

use super::field::WizardField;
use crate::api::onboarding::{AddExperience, CompleteStep, RemoveCertificate, RemoveExperience};
use crate::app::components::{FormAlert, PostForm, Submission, Submit, endpoint, posted_error};
use crate::domain::types::{UploadRow, WizardView};
use crate::domain::wizard;
use crate::domain::{AppError, uploads};
use leptos::prelude::*;

#[component]
pub(super) fn PhotoStep(w: WizardView, upload_error: Option<String>, uploaded: bool) -> impl IntoView {
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
pub(super) fn ExperienceStep(w: WizardView, upload_error: Option<String>, uploaded: bool) -> impl IntoView {
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
