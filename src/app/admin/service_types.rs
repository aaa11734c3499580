//! `/admin/service-types`: the kinds of service practitioners can offer.

use super::table_or_message;
use crate::api::admin::{SaveServiceType, admin_service_types};
use crate::app::components::{
    ErrorPanel, Field, FieldError, FormAlert, Notice, PageMeta, PostForm, RoleGate, Skeleton, Submission, Submit,
    endpoint, posted_error,
};
use crate::domain::catalog::ServiceTypeForm;
use crate::domain::{AppError, Role};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// `/admin/service-types`: the kinds of service practitioners can offer.
#[component]
pub fn ServiceTypesPage() -> impl IntoView {
    view! {
        <PageMeta title="Service types" description="Define the types of service practitioners can offer and customers can filter by."/>
        <div class="container section">
            <p><a href="/admin">"← Admin"</a></p>
            <h1>"Service types"</h1>
            <RoleGate role=Role::Admin render=|_| view! { <ServiceTypesPanel/> }.into_any()/>
        </div>
    }
}

#[component]
fn ServiceTypesPanel() -> impl IntoView {
    let query = use_query_map().read_untracked();
    let saved = query.get("saved").is_some();
    let editing = query.get("edit").unwrap_or_default();
    let types = Resource::new(|| (), |_| admin_service_types());
    let error = posted_error::<SaveServiceType, ()>();
    view! {
        <Notice show=saved message="Service type saved."/>
        <Suspense fallback=|| view! { <div class="card"><Skeleton lines=6/></div> }>
            {move || {
                let editing = editing.clone();
                let error = error.clone();
                Suspend::new(async move {
                    let list = match types.await {
                        Ok(list) => list,
                        Err(e) => return view! { <ErrorPanel error=e/> }.into_any(),
                    };
                    let chosen = list.iter().find(|t| t.id.to_string() == editing).cloned();
                    let headers = &["Position", "Name", "Address", "Services", "Listed", ""];
                    view! {
                        <section class="card" aria-labelledby="types-heading">
                            <h2 id="types-heading">"Types"</h2>
                            {table_or_message("Service types", Ok(list), "No service types yet: add the first below.", headers, |t| {
                                let d = t.draft.clone();
                                view! {
                                    <tr>
                                        <td>{d.position}</td>
                                        <td>{d.name.clone()}</td>
                                        <td><code>{d.slug.clone()}</code></td>
                                        <td>{t.services}</td>
                                        <td>{if d.active { "Yes" } else { "No" }}</td>
                                        <td><a href=format!("/admin/service-types?edit={}#type-form", t.id)>{format!("Edit {}", d.name)}</a></td>
                                    </tr>
                                }
                                .into_any()
                            })}
                        </section>
                        <section class="card" id="type-form" aria-labelledby="type-form-heading">
                            <h2 id="type-form-heading">{match &chosen { Some(t) => format!("Edit {}", t.draft.name), None => "New service type".to_owned() }}</h2>
                            {chosen.is_some().then(|| view! { <p><a href="/admin/service-types#type-form">"Add a new type instead"</a></p> })}
                            <ServiceTypeEditor
                                id=chosen.as_ref().map(|t| t.id.to_string()).unwrap_or_default()
                                values=chosen.map(|t| ServiceTypeForm {
                                    slug: t.draft.slug,
                                    name: t.draft.name,
                                    description: t.draft.description,
                                    active: t.draft.active.then(|| "on".to_owned()),
                                    position: t.draft.position.to_string(),
                                }).unwrap_or_else(|| ServiceTypeForm { active: Some("on".into()), position: "0".into(), ..ServiceTypeForm::default() })
                                error
                            />
                        </section>
                    }
                    .into_any()
                })
            }}
        </Suspense>
    }
}

#[cfg_attr(any(feature = "ssr", feature = "workspace"), island)]
#[cfg_attr(not(any(feature = "ssr", feature = "workspace")), component)]
fn ServiceTypeEditor(id: String, values: ServiceTypeForm, error: Option<AppError>) -> impl IntoView {
    let state = Submission::new(error);
    let error = state.error;
    let label = if id.is_empty() { "Add type" } else { "Save type" };
    view! {
        <FormAlert error/>
        <PostForm action={endpoint::<SaveServiceType>()} state class="stack">
            <input type="hidden" name="id" value=id/>
            <Field label="Name" name="name" value=values.name error required=true maxlength=80/>
            <Field label="Address" name="slug" value=values.slug error required=true maxlength=64 hint="Used in links and filters, e.g. astrology-reading."/>
            <div class="field">
                <label for="description">"Description"</label>
                <textarea id="description" name="description" rows="3" maxlength="500" aria-describedby="description-error">{values.description}</textarea>
                <FieldError name="description" error/>
            </div>
            <Field label="Position" name="position" value=values.position error hint="Lower numbers are listed first." maxlength=5/>
            <div class="field checkbox">
                <input id="active" name="active" type="checkbox" checked=values.active.is_some()/>
                <label for="active">"Listed (services of an unlisted type are hidden)"</label>
            </div>
            <Submit label busy_label="Saving…" pending=state.pending/>
        </PostForm>
    }
}
