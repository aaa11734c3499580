//! `/admin/packages`: the credit packs on sale and off.

use super::table_or_message;
use crate::api::admin::{SavePackage, admin_packages};
use crate::app::components::{
    CurrencySelect, ErrorPanel, Field, FormAlert, Notice, PageMeta, PostForm, RoleGate, Skeleton, Submission, Submit,
    endpoint, posted_error,
};
use crate::domain::orders::PackageForm;
use crate::domain::{AppError, Role};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// `/admin/packages`: the credit packs on sale and off, and one form to add a pack or
/// edit the one chosen with `?edit=`.
#[component]
pub fn PackagesPage() -> impl IntoView {
    view! {
        <PageMeta title="Credit packages" description="Define the credit packs customers can buy: credits, bonus, price and validity."/>
        <div class="container section">
            <p><a href="/admin">"← Admin"</a></p>
            <h1>"Credit packages"</h1>
            <RoleGate role=Role::Admin render=|_| view! { <PackagesPanel/> }.into_any()/>
        </div>
    }
}

#[component]
fn PackagesPanel() -> impl IntoView {
    let query = use_query_map().read_untracked();
    let saved = query.get("saved").is_some();
    let editing = query.get("edit").unwrap_or_default();
    let packages = Resource::new(|| (), |_| admin_packages());
    let error = posted_error::<SavePackage, ()>();
    view! {
        <Notice show=saved message="Package saved. Orders already placed keep the terms they were bought on."/>
        <Suspense fallback=|| view! { <div class="card"><Skeleton lines=6/></div> }>
            {move || {
                let editing = editing.clone();
                let error = error.clone();
                Suspend::new(async move {
                    let list = match packages.await {
                        Ok(list) => list,
                        Err(e) => return view! { <ErrorPanel error=e/> }.into_any(),
                    };
                    let chosen = list.iter().find(|p| p.id.to_string() == editing).cloned();
                    let headers = &["Position", "Name", "Credits", "Bonus", "Price", "Validity", "On sale", ""];
                    view! {
                        <section class="card" aria-labelledby="packages-heading">
                            <h2 id="packages-heading">"Packages"</h2>
                            {table_or_message("Packages", Ok(list), "No packages yet: add the first below.", headers, |p| {
                                let d = p.draft.clone();
                                view! {
                                    <tr>
                                        <td>{d.position}</td>
                                        <td>{d.name.clone()}{d.badge.clone().map(|b| view! { " "<span class="badge">{b}</span> })}</td>
                                        <td>{d.credits}</td>
                                        <td>{d.bonus_credits}</td>
                                        <td>{p.price().format(crate::domain::Locale::default())}</td>
                                        <td>{d.validity_days.map(|v| format!("{v} days")).unwrap_or_else(|| "Never expires".into())}</td>
                                        <td>{if d.active { "Yes" } else { "No" }}</td>
                                        <td><a href=format!("/admin/packages?edit={}#package-form", p.id)>{format!("Edit {}", d.name)}</a></td>
                                    </tr>
                                }
                                .into_any()
                            })}
                        </section>
                        <section class="card" id="package-form" aria-labelledby="package-form-heading">
                            <h2 id="package-form-heading">{match &chosen { Some(p) => format!("Edit {}", p.draft.name), None => "New package".to_owned() }}</h2>
                            {chosen.is_some().then(|| view! { <p><a href="/admin/packages#package-form">"Add a new package instead"</a></p> })}
                            <PackageEditor
                                id=chosen.as_ref().map(|p| p.id.to_string()).unwrap_or_default()
                                values=chosen.map(|p| form_values(&p)).unwrap_or_else(new_package_values)
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

fn form_values(p: &crate::domain::types::CreditPackage) -> PackageForm {
    let d = &p.draft;
    PackageForm {
        name: d.name.clone(),
        credits: d.credits.to_string(),
        bonus_credits: d.bonus_credits.to_string(),
        price: p.price().plain(),
        currency: d.currency.code().to_owned(),
        active: d.active.then(|| "on".to_owned()),
        position: d.position.to_string(),
        badge: d.badge.clone().unwrap_or_default(),
        validity_days: d.validity_days.map(|v| v.to_string()).unwrap_or_default(),
    }
}

fn new_package_values() -> PackageForm {
    PackageForm {
        currency: "EUR".into(),
        active: Some("on".into()),
        position: "0".into(),
        bonus_credits: "0".into(),
        ..PackageForm::default()
    }
}

#[cfg_attr(any(feature = "ssr", feature = "workspace"), island)]
#[cfg_attr(not(any(feature = "ssr", feature = "workspace")), component)]
fn PackageEditor(id: String, values: PackageForm, error: Option<AppError>) -> impl IntoView {
    let state = Submission::new(error);
    let error = state.error;
    let label = if id.is_empty() { "Add package" } else { "Save package" };
    view! {
        <FormAlert error/>
        <PostForm action={endpoint::<SavePackage>()} state class="stack">
            <input type="hidden" name="id" value=id/>
            <Field label="Name" name="name" value=values.name error required=true maxlength=80/>
            <Field label="Credits" name="credits" value=values.credits error required=true maxlength=7/>
            <Field label="Bonus credits" name="bonus_credits" value=values.bonus_credits error hint="Promotional credits added on top; spent first." maxlength=7/>
            <Field label="Price" name="price" value=values.price error required=true hint="In the currency below, e.g. 49.00." maxlength=12/>
            <CurrencySelect selected=values.currency error/>
            <Field label="Position" name="position" value=values.position error hint="Lower numbers are shown first." maxlength=5/>
            <Field label="Badge" name="badge" value=values.badge error hint="Optional, e.g. Most popular." maxlength=40/>
            <Field label="Valid for (days)" name="validity_days" value=values.validity_days error hint="Leave empty for credits that never expire." maxlength=4/>
            <div class="field checkbox">
                <input id="active" name="active" type="checkbox" checked=values.active.is_some()/>
                <label for="active">"On sale"</label>
            </div>
            <Submit label busy_label="Saving…" pending=state.pending/>
        </PostForm>
    }
}
