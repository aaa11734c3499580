//! `/admin/practitioners`: onboarding, its review, and the funnel.

use super::table_or_message;
use crate::api::admin::{ReviewPractitioner, admin_practitioner, admin_practitioners, onboarding_funnel};
use crate::app::components::{
    ErrorPanel, FieldError, FormAlert, LocalTime, PageMeta, PostForm, RoleGate, Skeleton, StatusBadge, Submission,
    Submit, TableScroll, endpoint, posted_error,
};
use crate::domain::{AppError, Role};
use leptos::prelude::*;

#[component]
pub fn PractitionersPage() -> impl IntoView {
    let list = Resource::new(|| (), |_| admin_practitioners());
    // Made here, not inside the role gate's render: a resource created there is run
    // again after the response, without the request.
    let funnel = Resource::new(|| (), |_| onboarding_funnel());
    let headers =
        &["Number", "Name", "Email", "Onboarding", "Steps done", "Call centre", "First login", "Submitted", "Approved"];
    let when = |at: Option<jiff::Timestamp>| {
        at.map(|at| view! { <LocalTime at/> }.into_any()).unwrap_or_else(|| "—".into_any())
    };
    view! {
        <PageMeta title="Practitioners" description="Every practitioner and where they are in onboarding."/>
        <div class="container section">
            <p><a href="/admin">"← Admin"</a></p>
            <h1>"Practitioners"</h1>
            <RoleGate role=Role::Admin render=move |_| view! {
                <FunnelCard funnel/>
                <section class="card" aria-label="Practitioners">
                    <Suspense fallback=|| view! { <Skeleton lines=5/> }>
                        {move || Suspend::new(async move {
                            table_or_message("Practitioners", list.await, "No practitioners yet.", headers, move |p| view! {
                                <tr>
                                    <td><a href=format!("/admin/practitioners/{}", p.code)><code>{p.code.to_string()}</code></a></td>
                                    <td>{p.name}</td>
                                    <td class="nowrap">{p.email}</td>
                                    <td><StatusBadge state=p.state.as_str() label=p.state.label()/></td>
                                    <td>{format!("{} of {}", (p.step_reached - 1).max(0), crate::domain::onboarding::STEPS.len())}</td>
                                    <td>{if p.from_lead { "Yes" } else { "No" }}</td>
                                    <td>{when(p.first_login_at)}</td>
                                    <td>{when(p.submitted_at)}</td>
                                    <td>{when(p.approved_at)}</td>
                                </tr>
                            }.into_any())
                        })}
                    </Suspense>
                </section>
            }.into_any()/>
        </div>
    }
}

/// One practitioner's onboarding, as entered, with the review decision when it waits for one.
#[component]
pub fn PractitionerReviewPage() -> impl IntoView {
    let code = leptos_router::hooks::use_params_map().read_untracked().get("code").unwrap_or_default();
    let detail = Resource::new(move || code.clone(), admin_practitioner);
    let error = posted_error::<ReviewPractitioner, ()>();
    view! {
        <PageMeta title="Practitioner review" description="Review a practitioner's onboarding and approve it or send it back."/>
        <div class="container section">
            <p><a href="/admin/practitioners">"← Practitioners"</a></p>
            <RoleGate role=Role::Admin render=move |_| {
                let error = error.clone();
                view! {
                    <Suspense fallback=|| view! { <Skeleton lines=8/> }>
                        {move || {
                            let error = error.clone();
                            Suspend::new(async move {
                                match detail.await {
                                    Ok(w) => view! { <PractitionerReview w error/> }.into_any(),
                                    Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                                }
                            })
                        }}
                    </Suspense>
                }.into_any()
            }/>
        </div>
    }
}

#[component]
fn PractitionerReview(w: crate::domain::types::WizardView, error: Option<AppError>) -> impl IntoView {
    use crate::domain::onboarding::OnboardingState;
    let name = format!("{} {}", w.basic.first_name, w.basic.last_name);
    let waiting = w.state == OnboardingState::Submitted;
    let code = w.code.to_string();
    view! {
        <h1>{name}</h1>
        <p><StatusBadge state=w.state.as_str() label=w.state.label()/>" "<code>{code.clone()}</code></p>
        {w.review_note.clone().map(|n| view! { <p class="muted">"Last sent back: "{n}</p> })}
        <section class="card" aria-labelledby="entered-heading">
            <h2 id="entered-heading">"As entered"</h2>
            {w.photo.as_ref().map(|p| view! { <p><a href=format!("/media/{}/photo.jpg", p.id)><img src=format!("/media/{}/thumb.jpg", p.id) alt="The practitioner's photo" width="128" height="128"/></a></p> })}
            <dl class="facts">
                <dt>"Email"</dt><dd>{w.basic.email.clone()}</dd>
                <dt>"Mobile"</dt><dd>{w.basic.phone.clone()}{if w.phone_verified { " (verified)" } else { "" }}</dd>
                <dt>"Location"</dt><dd>{w.basic.location.clone()}</dd>
                <dt>"Time zone"</dt><dd>{w.basic.time_zone.clone()}</dd>
                <dt>"Practice"</dt><dd>{w.professional.practice_type.clone()}</dd>
                <dt>"Specialties"</dt><dd>{w.professional.specialties.clone()}</dd>
                <dt>"Languages"</dt><dd>{w.professional.languages.clone()}</dd>
                <dt>"Years"</dt><dd>{w.professional.years_experience.clone()}</dd>
                <dt>"Headline"</dt><dd>{w.bio.headline.clone()}</dd>
                <dt>"Call-centre values confirmed"</dt><dd>{w.prefill.iter().filter(|p| p.confirmed).map(|p| p.field.replace('_', " ")).collect::<Vec<_>>().join(", ")}</dd>
            </dl>
            <h3>"Bio"</h3>
            {w.bio.bio.split("\n\n").map(|p| view! { <p>{p.to_owned()}</p> }).collect_view()}
            <h3>"Experience"</h3>
            <ul>{w.experience.iter().map(|e| view! { <li>{format!("{}, {} ({}–{})", e.entry.title, e.entry.organisation, e.entry.start_year, e.entry.end_year.map(|y| y.to_string()).unwrap_or_else(|| "present".into()))}</li> }).collect_view()}</ul>
            <h3>"Certificates"</h3>
            <ul>{w.certificates.iter().map(|c| view! { <li><a href=format!("/media/{}/certificate", c.id)>{c.title.clone()}</a></li> }).collect_view()}</ul>
        </section>
        {waiting.then(|| view! { <ReviewForms code=code.clone() error=error.clone()/> })}
        {matches!(w.state, OnboardingState::Approved | OnboardingState::Suspended).then(|| view! {
            <StandingForm code=code.clone() suspended={w.state == OnboardingState::Suspended} error=error.clone()/>
        })}
    }
}

#[cfg_attr(any(feature = "ssr", feature = "workspace"), island)]
#[cfg_attr(not(any(feature = "ssr", feature = "workspace")), component)]
fn ReviewForms(code: String, error: Option<AppError>) -> impl IntoView {
    let approve = Submission::new(None);
    let reject = Submission::new(error);
    let approve_code = code.clone();
    let error = reject.error;
    view! {
        <section class="card" aria-labelledby="decide-heading">
            <h2 id="decide-heading">"Decision"</h2>
            <FormAlert error/>
            <PostForm action={endpoint::<ReviewPractitioner>()} state=approve class="actions">
                <input type="hidden" name="code" value=approve_code/>
                <input type="hidden" name="decision" value="approve"/>
                <Submit label="Approve" busy_label="Approving…" pending=approve.pending/>
            </PostForm>
            <PostForm action={endpoint::<ReviewPractitioner>()} state=reject class="stack">
                <input type="hidden" name="code" value=code/>
                <input type="hidden" name="decision" value="reject"/>
                <div class="field">
                    <label for="reason">"What needs to change"</label>
                    <textarea id="reason" name="reason" rows="4" maxlength="1000" aria-describedby="reason-error"></textarea>
                    <FieldError name="reason" error/>
                </div>
                <Submit label="Send back for changes" busy_label="Sending…" pending=reject.pending secondary=true/>
            </PostForm>
        </section>
    }
}

/// The onboarding funnel as a bar chart (SVG: attributes, not inline styles, so the CSP
/// holds) with the same figures in a table beneath, overall and per lead batch.
#[component]
fn FunnelCard(funnel: Resource<Result<Vec<crate::domain::types::FunnelRow>, AppError>>) -> impl IntoView {
    use crate::domain::onboarding::{FUNNEL, conversion};
    let pct = |p: Option<u8>| p.map(|p| format!("{p} %")).unwrap_or_else(|| "—".to_owned());
    view! {
        <section class="card" aria-labelledby="funnel-heading">
            <h2 id="funnel-heading">"Onboarding funnel"</h2>
            <p class="muted">"From the call centre's lists to live practitioners: approved, with at least one published service."</p>
            <Suspense fallback=|| view! { <Skeleton lines=6/> }>
                {move || Suspend::new(async move {
                    match funnel.await {
                        Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                        Ok(rows) => rows.into_iter().enumerate().map(|(i, row)| {
                            let max = row.counts.first().copied().unwrap_or(0).max(1);
                            let conv = conversion(&row.counts);
                            let id = format!("funnel-{i}");
                            let title = match row.imported_at {
                                Some(at) => view! { {row.label.clone()}" · imported "<LocalTime at/> }.into_any(),
                                None => view! { {row.label.clone()} }.into_any(),
                            };
                            let summary = FUNNEL.iter().zip(&row.counts).map(|(s, n)| format!("{s} {n}")).collect::<Vec<_>>().join(", ");
                            view! {
                                <figure class="funnel" data-testid="funnel">
                                    <figcaption id=id.clone()><strong>{title}</strong></figcaption>
                                    <svg viewBox=format!("0 0 600 {}", FUNNEL.len() * 30) width="100%" role="img" aria-labelledby=id.clone() aria-describedby=format!("{id}-summary")>
                                        {FUNNEL.iter().zip(&row.counts).enumerate().map(|(k, (stage, n))| {
                                            let y = (k * 30) as i64;
                                            let w = (n * 400) / max;
                                            view! {
                                                <text x="0" y=y + 19 class="funnel-label">{*stage}</text>
                                                <rect x="120" y=y + 4 width=w.max(1) height="22" rx="3" class="funnel-bar"></rect>
                                                <text x=128 + w y=y + 20 class="funnel-count">{n.to_string()}</text>
                                            }
                                        }).collect_view()}
                                    </svg>
                                    <p class="sr-only" id=format!("{id}-summary")>{summary}</p>
                                    <TableScroll label=format!("{} funnel", row.label)>
                                        <table class="table">
                                            <thead><tr><th scope="col">"Stage"</th><th scope="col">"People"</th><th scope="col">"Of imported"</th><th scope="col">"Of the stage before"</th></tr></thead>
                                            <tbody>
                                                {FUNNEL.iter().zip(&row.counts).zip(conv).map(|((stage, n), (first, prev))| view! {
                                                    <tr><th scope="row">{*stage}</th><td>{n.to_string()}</td><td>{pct(first)}</td><td>{pct(prev)}</td></tr>
                                                }).collect_view()}
                                            </tbody>
                                        </table>
                                    </TableScroll>
                                </figure>
                            }.into_any()
                        }).collect_view().into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

/// Suspends a live practitioner (with a reason they are sent) or reinstates one.
#[cfg_attr(any(feature = "ssr", feature = "workspace"), island)]
#[cfg_attr(not(any(feature = "ssr", feature = "workspace")), component)]
fn StandingForm(code: String, suspended: bool, error: Option<AppError>) -> impl IntoView {
    let state = Submission::new(error);
    let error = state.error;
    view! {
        <section class="card" aria-labelledby="standing-heading">
            <h2 id="standing-heading">{if suspended { "Reinstate" } else { "Suspend" }}</h2>
            <FormAlert error/>
            <PostForm action={endpoint::<ReviewPractitioner>()} state class="stack">
                <input type="hidden" name="code" value=code/>
                <input type="hidden" name="decision" value=if suspended { "reinstate" } else { "suspend" }/>
                {(!suspended).then(|| view! {
                    <div class="field">
                        <label for="reason">"Why (the practitioner is sent this)"</label>
                        <textarea id="reason" name="reason" rows="3" maxlength="1000" aria-describedby="reason-error"></textarea>
                        <FieldError name="reason" error/>
                    </div>
                })}
                <Submit label=if suspended { "Reinstate" } else { "Suspend" } busy_label="Saving…" pending=state.pending secondary=true/>
            </PostForm>
        </section>
    }
}
