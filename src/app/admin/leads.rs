//! `/admin/leads`: imported lead lists and their refused rows.

use super::table_or_message;
use crate::api::admin::{lead_batch, lead_batches};
use crate::app::components::{ErrorPanel, LocalTime, PageMeta, RoleGate, Skeleton};
use crate::domain::Role;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

#[component]
pub fn LeadsPage() -> impl IntoView {
    view! {
        <PageMeta title="Leads" description="Import the call centre's practitioner leads and see what each import did."/>
        <div class="container section">
            <p><a href="/admin">"← Admin"</a></p>
            <h1>"Leads"</h1>
            <RoleGate role=Role::Admin render=|_| view! { <LeadsPanels/> }.into_any()/>
        </div>
    }
}

#[component]
fn LeadsPanels() -> impl IntoView {
    let query = use_query_map().read_untracked();
    let error = query.get("error");
    let batch = query.get("batch");
    let batches = Resource::new(|| (), |_| lead_batches());
    let headers = &["Imported", "File", "By", "Rows", "New", "Updated", "Unchanged", "Refused"];
    view! {
        <section class="card" aria-labelledby="import-heading">
            <h2 id="import-heading">"Import a lead list"</h2>
            <p class="muted">"A CSV file whose first line names the columns: phone and name (required), email, practice type, location, contacted (yes or no) and contact status. Each phone number is one lead: importing a file again updates what changed and never duplicates. Rows with a problem are listed with their line number; the rest are imported."</p>
            <div role="alert" class="alert-slot">
                {error.map(|e| view! { <p class="alert alert-error">{format!("Nothing was imported: {e}")}</p> })}
            </div>
            <form method="post" action="/admin/leads/import" enctype="multipart/form-data" class="stack">
                <div class="field">
                    <label for="file">"CSV file"</label>
                    <input id="file" name="file" type="file" accept=".csv,text/csv" required=""/>
                </div>
                <div class="field">
                    <label for="default_country">"Country code for numbers written without one"</label>
                    <p class="field-hint" id="default_country-hint">"Optional, e.g. 91 for India. Numbers starting with + or 00 keep their own."</p>
                    <input id="default_country" name="default_country" type="text" inputmode="numeric" maxlength="4" aria-describedby="default_country-hint"/>
                </div>
                <button type="submit" class="btn btn-primary">"Import"</button>
            </form>
        </section>
        {batch.map(|id| view! { <LeadBatchCard id/> })}
        <section class="card" aria-labelledby="batches-heading">
            <h2 id="batches-heading">"Imports"</h2>
            <Suspense fallback=|| view! { <Skeleton lines=4/> }>
                {move || Suspend::new(async move {
                    table_or_message("Imports", batches.await, "No lead lists imported yet.", headers, |b| view! {
                        <tr>
                            <td><LocalTime at=b.created_at/></td>
                            <td><a href=format!("/admin/leads?batch={}", b.id)>{b.file_name}</a></td>
                            <td>{b.imported_by.map(|c| c.to_string()).unwrap_or_else(|| "Command line".into())}</td>
                            <td>{b.rows_total}</td>
                            <td>{b.created}</td>
                            <td>{b.updated}</td>
                            <td>{b.unchanged}</td>
                            <td>{b.rejected}</td>
                        </tr>
                    }.into_any())
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn LeadBatchCard(id: String) -> impl IntoView {
    let detail = Resource::new(move || id.clone(), lead_batch);
    view! {
        <section class="card" aria-labelledby="batch-heading" data-testid="lead-batch">
            <Suspense fallback=|| view! { <h2 id="batch-heading">"Import"</h2><Skeleton lines=3/> }>
                {move || Suspend::new(async move {
                    let d = match detail.await {
                        Ok(d) => d,
                        Err(e) => return view! { <h2 id="batch-heading">"Import"</h2><ErrorPanel error=e/> }.into_any(),
                    };
                    let b = d.batch;
                    let summary = format!(
                        "{} rows: {} new leads, {} updated, {} unchanged, {} refused.",
                        b.rows_total, b.created, b.updated, b.unchanged, b.rejected
                    );
                    view! {
                        <h2 id="batch-heading">{format!("Import of {}", b.file_name)}</h2>
                        <p role="status">{summary}</p>
                        {table_or_message("Refused rows", Ok(d.errors), "Every row was imported.", &["Line", "Why it was refused"], |e| view! {
                            <tr><td>{e.line}</td><td>{e.reason}</td></tr>
                        }.into_any())}
                    }
                    .into_any()
                })}
            </Suspense>
        </section>
    }
}
