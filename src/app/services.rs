//! A practitioner's services: the list at `/practitioner/services` and the editor at
//! `/practitioner/services/new` and `/practitioner/services/<id>` (fields, publishing,
//! intake questions). Every server function behind them refuses until onboarding is
//! approved, and that answer sends the page to the wizard.

use crate::api::catalog::service_types;
use crate::api::practitioner::{AddQuestion, ChangeQuestion, SaveService, SetServiceStatus, my_service, my_services};
use crate::app::catalog::delivery_line;
use crate::app::components::{
    CurrencySelect, ErrorPanel, Field, FieldError, FormAlert, Notice, PageMeta, PostForm, Skeleton, StatusBadge,
    Submission, Submit, TableScroll, endpoint, posted_error,
};
use crate::domain::catalog::{DURATIONS, Delivery, QuestionForm, QuestionKind, ServiceForm, ServiceStatus};
use crate::domain::types::{ServiceType, ServiceView};
use crate::domain::{AppError, Locale};
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

#[component]
pub fn ServicesPage() -> impl IntoView {
    let archived = use_query_map().read_untracked().get("archived").is_some();
    let services = Resource::new(move || archived, my_services);
    view! {
        <PageMeta title="Your services" description="Create, publish, pause and archive the services you offer on Attune."/>
        <div class="container section">
            <p><a href="/practitioner">"← Your practice"</a></p>
            <h1>{if archived { "Archived services" } else { "Your services" }}</h1>
            <p class="actions">
                <a class="btn btn-primary" href="/practitioner/services/new">"New service"</a>
                {if archived {
                    view! { <a href="/practitioner/services">"Current services"</a> }.into_any()
                } else {
                    view! { <a href="/practitioner/services?archived=1">"Archived services"</a> }.into_any()
                }}
            </p>
            <Suspense fallback=|| view! { <div class="card"><Skeleton lines=5/></div> }>
                {move || Suspend::new(async move {
                    match services.await {
                        Ok(list) if list.is_empty() => view! {
                            <section class="card"><p>{if archived { "Nothing is archived." } else { "You have no services yet. Create your first: customers find it in the directory as soon as it is published." }}</p></section>
                        }.into_any(),
                        Ok(list) => view! { <ServiceTable list/> }.into_any(),
                        Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                    }
                })}
            </Suspense>
        </div>
    }
}

#[component]
fn ServiceTable(list: Vec<ServiceView>) -> impl IntoView {
    view! {
        <TableScroll label="Your services" card=true>
            <table class="table">
                <caption class="sr-only">"Your services"</caption>
                <thead><tr><th scope="col">"Service"</th><th scope="col">"Type"</th><th scope="col">"Delivery"</th><th scope="col">"Price"</th><th scope="col">"Status"</th><th scope="col">"Questions"</th></tr></thead>
                <tbody>
                    {list.into_iter().map(|s| {
                        let line = delivery_line(&s);
                        view! {
                            <tr>
                                <td><a href=format!("/practitioner/services/{}", s.id)>{s.title.clone()}</a></td>
                                <td>{s.type_name.clone()}</td>
                                <td>{line}</td>
                                <td class="nowrap">{s.price.label(Locale::default())}</td>
                                <td><StatusBadge state=s.status.as_str() label=s.status.label()/></td>
                                <td>{s.questions.len()}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </TableScroll>
    }
}

fn form_values(s: &ServiceView) -> ServiceForm {
    ServiceForm {
        title: s.title.clone(),
        service_type: s.type_slug.clone(),
        description: s.description.clone(),
        delivery: s.delivery.as_str().to_owned(),
        duration_minutes: s.duration_minutes.map(|m| m.to_string()).unwrap_or_default(),
        price_credits: s.price.credits.map(|c| c.get().to_string()).unwrap_or_default(),
        card_price: s.price.card.map(|m| m.plain()).unwrap_or_default(),
        currency: s.price.card.map(|m| m.currency().code().to_owned()).unwrap_or_else(|| "EUR".into()),
    }
}

/// `/practitioner/services/new` and `/practitioner/services/<id>`.
#[component]
pub fn ServiceEditorPage() -> impl IntoView {
    let id = use_params_map().read_untracked().get("id").unwrap_or_default();
    let query = use_query_map().read_untracked();
    let saved = query.get("saved").is_some();
    let status_changed = query.get("status").is_some();
    let question_changed = query.get("question").is_some();
    let is_new = id == "new";
    // One load, in order. The list of the practitioner's services stands in for the gate
    // on a new service: it refuses (and sends them to the wizard) exactly when the
    // editor's saves would. Nothing else is asked for once it has refused: a load the
    // page never reads would run on after the request has ended, without its context.
    let editor = Resource::new(
        move || id.clone(),
        |id| async move {
            my_services(false).await?;
            let types = service_types().await?;
            let service = if id == "new" { None } else { Some(my_service(id).await?) };
            Ok::<_, AppError>((types, service))
        },
    );
    let save_error = posted_error::<SaveService, ()>();
    let status_error = posted_error::<SetServiceStatus, ()>();
    let question_error = posted_error::<AddQuestion, ()>();
    let change_error = posted_error::<ChangeQuestion, ()>();
    view! {
        <PageMeta title=if is_new { "New service" } else { "Edit service" } description="Describe, price and publish a service, and choose what to ask customers before you start."/>
        <div class="container section narrow-wide">
            <p><a href="/practitioner/services">"← Your services"</a></p>
            <Suspense fallback=|| view! { <div class="card"><Skeleton lines=10/></div> }>
                {move || {
                    let (save_error, status_error, question_error, change_error) =
                        (save_error.clone(), status_error.clone(), question_error.clone(), change_error.clone());
                    Suspend::new(async move {
                        let (types, s) = match editor.await {
                            Ok(loaded) => loaded,
                            Err(e) => return view! { <ErrorPanel error=e/> }.into_any(),
                        };
                        let values = s.as_ref().map(form_values).unwrap_or_else(|| ServiceForm { currency: "EUR".into(), ..ServiceForm::default() });
                        let id = s.as_ref().map(|s| s.id.to_string()).unwrap_or_default();
                        view! {
                            <h1>{s.as_ref().map(|s| s.title.clone()).unwrap_or_else(|| "New service".into())}</h1>
                            <Notice show=saved message="Service saved. Orders already placed keep what they agreed to."/>
                            <Notice show=status_changed message="Status changed."/>
                            {s.as_ref().map(|s| view! { <StatusPanel s=s.clone() error=status_error/> })}
                            <section class="card" aria-labelledby="service-form-heading">
                                <h2 id="service-form-heading">"Details and price"</h2>
                                <ServiceEditor id values types error=save_error/>
                            </section>
                            {s.map(|s| view! { <QuestionsPanel s changed=question_changed add_error=question_error change_error/> })}
                        }
                        .into_any()
                    })
                }}
            </Suspense>
        </div>
    }
}

#[component]
fn StatusPanel(s: ServiceView, error: Option<AppError>) -> impl IntoView {
    let id = s.id.to_string();
    let actions: Vec<(ServiceStatus, &'static str)> = [
        (ServiceStatus::Active, "Publish"),
        (ServiceStatus::Paused, if s.status == ServiceStatus::Archived { "Restore (paused)" } else { "Pause" }),
        (ServiceStatus::Archived, "Archive"),
    ]
    .into_iter()
    .filter(|(to, _)| s.status.can_move_to(*to))
    .collect();
    let public = (s.status == ServiceStatus::Active).then(|| format!("/s/{}", s.slug));
    view! {
        <section class="card" aria-labelledby="status-heading">
            <h2 id="status-heading">"Status: "<span data-testid="service-status">{s.status.label()}</span></h2>
            <p class="muted">{match s.status {
                ServiceStatus::Active => "Customers can find and buy this service.",
                ServiceStatus::Paused => "Hidden from customers until you publish it.",
                ServiceStatus::Archived => "Archived: hidden from customers and from your list.",
            }}</p>
            {public.map(|href| view! { <p><a href=href.clone()>"See the public page"</a></p> })}
            <FormAlert error=Signal::stored(error)/>
            <div class="actions">
                {actions.into_iter().map(|(to, label)| view! {
                    <form method="post" action={endpoint::<SetServiceStatus>()} class="inline-form">
                        <input type="hidden" name="id" value=id.clone()/>
                        <input type="hidden" name="status" value=to.as_str()/>
                        <button type="submit" class="btn btn-secondary">{label}</button>
                    </form>
                }).collect_view()}
            </div>
        </section>
    }
}

#[cfg_attr(any(feature = "ssr", feature = "workspace"), island)]
#[cfg_attr(not(any(feature = "ssr", feature = "workspace")), component)]
fn ServiceEditor(id: String, values: ServiceForm, types: Vec<ServiceType>, error: Option<AppError>) -> impl IntoView {
    let state = Submission::new(error);
    let error = state.error;
    let is_new = id.is_empty();
    let label = if is_new { "Create service" } else { "Save changes" };
    let duration = values.duration_minutes.clone();
    view! {
        <FormAlert error/>
        <PostForm action={endpoint::<SaveService>()} state class="stack">
            <input type="hidden" name="id" value=id/>
            <Field label="Title" name="title" value=values.title error required=true maxlength=100 hint="What customers see first, e.g. Birth chart reading."/>
            <div class="field">
                <label for="service_type">"Type"</label>
                <select id="service_type" name="service_type" aria-describedby="service_type-error" required>
                    <option value="">"Choose a type"</option>
                    {types.into_iter().map(|t| { let selected = t.slug == values.service_type; view! { <option value=t.slug selected=selected>{t.name}</option> } }).collect_view()}
                </select>
                <FieldError name="service_type" error/>
            </div>
            <div class="field">
                <label for="description">"Description"</label>
                <p class="field-hint" id="description-hint">"What happens and what the customer gets, 20 to 4000 characters. Leave an empty line between paragraphs."</p>
                <textarea id="description" name="description" rows="8" maxlength="4000" aria-describedby="description-hint description-error">{values.description}</textarea>
                <FieldError name="description" error/>
            </div>
            <div class="field">
                <label for="delivery">"Delivery"</label>
                <select id="delivery" name="delivery" aria-describedby="delivery-error">
                    <option value="">"Choose how"</option>
                    {Delivery::ALL.into_iter().map(|d| view! { <option value=d.as_str() selected=d.as_str() == values.delivery>{d.label()}</option> }).collect_view()}
                </select>
                <FieldError name="delivery" error/>
            </div>
            <div class="field">
                <label for="duration_minutes">"Session length"</label>
                <p class="field-hint" id="duration_minutes-hint">"For video, phone and in-person sessions; written work has none."</p>
                <select id="duration_minutes" name="duration_minutes" aria-describedby="duration_minutes-hint duration_minutes-error">
                    <option value="">"Choose a length"</option>
                    {DURATIONS.into_iter().map(|m| view! { <option value=m.to_string() selected=m.to_string() == duration>{format!("{m} minutes")}</option> }).collect_view()}
                </select>
                <FieldError name="duration_minutes" error/>
            </div>
            <Field label="Price in credits" name="price_credits" value=values.price_credits error maxlength=6 hint="A whole number. Leave empty to sell by card only."/>
            <div class="field-row">
                <Field label="Card price" name="card_price" value=values.card_price error maxlength=12 hint="Optional, e.g. 49.00."/>
                <CurrencySelect selected=values.currency error/>
            </div>
            {is_new.then(|| view! {
                <div class="field checkbox">
                    <input id="publish" name="publish" type="checkbox" checked=true/>
                    <label for="publish">"Publish now"</label>
                </div>
            })}
            <Submit label busy_label="Saving…" pending=state.pending/>
        </PostForm>
    }
}

#[component]
fn QuestionsPanel(
    s: ServiceView,
    changed: bool,
    add_error: Option<AppError>,
    change_error: Option<AppError>,
) -> impl IntoView {
    let id = s.id.to_string();
    let count = s.questions.len();
    view! {
        <section class="card" id="questions" aria-labelledby="questions-heading">
            <h2 id="questions-heading">"Questions for the customer"</h2>
            <p class="muted">"Asked at checkout, before payment. Orders keep the questions as they were when they were placed."</p>
            <Notice show=changed message="Questions updated."/>
            <FormAlert error=Signal::stored(change_error)/>
            {if count == 0 {
                view! { <p>"No questions yet."</p> }.into_any()
            } else {
                view! {
                    <ol class="entry-list" data-testid="questions">
                        {s.questions.into_iter().enumerate().map(|(i, q)| {
                            let kind = q.kind.label();
                            let options = (!q.options.is_empty()).then(|| format!(": {}", q.options.join(", ")));
                            let qid = q.id.to_string();
                            let button = |change: &'static str, label: String| view! {
                                <form method="post" action={endpoint::<ChangeQuestion>()} class="inline-form">
                                    <input type="hidden" name="service" value=id.clone()/>
                                    <input type="hidden" name="question" value=qid.clone()/>
                                    <input type="hidden" name="change" value=change/>
                                    <button type="submit" class="btn btn-ghost btn-sm">{label}</button>
                                </form>
                            };
                            view! {
                                <li>
                                    <span><strong>{q.label.clone()}</strong>" · "{kind}{options}{if q.required { " · required" } else { " · optional" }}</span>
                                    <span class="actions">
                                        {(i > 0).then(|| button("up", format!("Move “{}” up", q.label)))}
                                        {(i + 1 < count).then(|| button("down", format!("Move “{}” down", q.label)))}
                                        {button("remove", format!("Remove “{}”", q.label))}
                                    </span>
                                </li>
                            }
                        }).collect_view()}
                    </ol>
                }.into_any()
            }}
            <h3>"Add a question"</h3>
            <QuestionEditor service=id error=add_error/>
        </section>
    }
}

#[cfg_attr(any(feature = "ssr", feature = "workspace"), island)]
#[cfg_attr(not(any(feature = "ssr", feature = "workspace")), component)]
fn QuestionEditor(service: String, error: Option<AppError>) -> impl IntoView {
    let state = Submission::new(error);
    let error = state.error;
    let values = QuestionForm::default();
    view! {
        <PostForm action={endpoint::<AddQuestion>()} state class="stack entry-form">
            <input type="hidden" name="service" value=service/>
            <Field label="Question" name="label" value=values.label error required=true maxlength=200 hint="e.g. Your date, time and place of birth."/>
            <div class="field">
                <label for="kind">"Answer"</label>
                <select id="kind" name="kind" aria-describedby="kind-error">
                    {QuestionKind::ALL.into_iter().map(|k| view! { <option value=k.as_str()>{k.label()}</option> }).collect_view()}
                </select>
                <FieldError name="kind" error/>
            </div>
            <div class="field">
                <label for="options">"Choices"</label>
                <p class="field-hint" id="options-hint">"For a one-choice question: one per line, 2 to 12."</p>
                <textarea id="options" name="options" rows="4" aria-describedby="options-hint options-error"></textarea>
                <FieldError name="options" error/>
            </div>
            <div class="field checkbox">
                <input id="required" name="required" type="checkbox" checked=true/>
                <label for="required">"The customer must answer"</label>
            </div>
            <Submit label="Add question" busy_label="Adding…" pending=state.pending/>
        </PostForm>
    }
}
