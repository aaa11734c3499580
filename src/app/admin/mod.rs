//! The admin panel: `/admin` (people, the outbox, jobs, credits and the ledger) and,
//! a file each, its other pages.

mod leads;
mod packages;
mod payments;
mod practitioners;
mod service_types;

pub use leads::LeadsPage;
pub use packages::PackagesPage;
pub use payments::OrderPage;
pub use payments::PaymentsPage;
pub use practitioners::PractitionerReviewPage;
pub use practitioners::PractitionersPage;
pub use service_types::ServiceTypesPage;

use crate::api::admin::{AdjustCredits, SetUserRole, last_ledger_check, list_outbox, list_troubled_jobs, list_users};
use crate::app::components::{
    ErrorPanel, Field, FieldError, FormAlert, LocalTime, Notice, PageMeta, PostForm, RoleGate, Skeleton, StatusBadge,
    Submission, Submit, TableScroll, endpoint, posted_error,
};
use crate::domain::types::AdminUserRow;
use crate::domain::{AppError, Role};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

#[component]
pub fn AdminPage() -> impl IntoView {
    view! {
        <PageMeta title="Admin" description="Run the Attune platform: people, emails and background jobs."/>
        <div class="container section">
            <h1>"Admin"</h1>
            <nav aria-label="Admin sections" class="actions"><a href="/admin/packages">"Credit packages"</a><a href="/admin/payments">"Payments"</a><a href="/admin/leads">"Leads"</a><a href="/admin/practitioners">"Practitioners"</a><a href="/admin/service-types">"Service types"</a></nav>
            <RoleGate role=Role::Admin render=|_| view! { <AdminPanels/> }.into_any()/>
        </div>
    }
}

#[component]
fn AdminPanels() -> impl IntoView {
    let search = use_query_map().read_untracked().get("q").unwrap_or_default();
    let users = Resource::new(
        {
            let search = search.clone();
            move || search.clone()
        },
        |q| list_users(q, 0),
    );
    let outbox = Resource::new(|| (), |_| list_outbox());
    let jobs = Resource::new(|| (), |_| list_troubled_jobs());
    let role_error = posted_error::<SetUserRole, ()>();
    view! {
        <section class="card" aria-labelledby="users-heading">
            <div class="card-head">
                <h2 id="users-heading">"People"</h2>
                <form method="get" action="/admin" class="search" role="search">
                    <label for="q" class="sr-only">"Search people"</label>
                    <input id="q" name="q" type="search" placeholder="Name, email or U-number" value=search/>
                    <button type="submit" class="btn btn-secondary">"Search"</button>
                </form>
            </div>
            <FormAlert error=role_error/>
            <Suspense fallback=|| view! { <Skeleton lines=6/> }>
                {move || Suspend::new(async move {
                    users.await.map(|page| {
                        let count = format!("{} {}", page.total, if page.total == 1 { "person" } else { "people" });
                        let headers = &["Number", "Name", "Email", "Joined", "Role"];
                        view! {
                            <p class="muted small">{count}</p>
                            {table_or_message("People", Ok(page.rows), "No one matches that search.", headers, move |row| {
                                view! { <UserRow row/> }.into_any()
                            })}
                        }
                        .into_any()
                    })
                    .unwrap_or_else(|e| view! { <ErrorPanel error=e/> }.into_any())
                })}
            </Suspense>
        </section>
        <CreditsCard/>
        <LedgerCard/>
        <section class="card" aria-labelledby="outbox-heading">
            <h2 id="outbox-heading">"Outbox: emails and text messages"</h2>
            <Suspense fallback=|| view! { <Skeleton lines=4/> }>
                {move || Suspend::new(async move {
                    table_or_message("Outbox", outbox.await, "No messages yet.", &["Queued", "Channel", "To", "Subject or text", "Status", "Attempts"], |r| {
                        view! {
                            <tr>
                                <td><LocalTime at=r.created_at/></td>
                                <td>{r.channel}</td>
                                <td class="nowrap">{r.to_address}</td>
                                <td>{r.subject}</td>
                                <td><StatusBadge state=r.status.clone() label=r.status.clone()/>
                                    {r.last_error.map(|e| view! { <span class="small muted">" "{e}</span> })}</td>
                                <td>{r.attempts}</td>
                            </tr>
                        }
                        .into_any()
                    })
                })}
            </Suspense>
        </section>
        <section class="card" aria-labelledby="jobs-heading">
            <h2 id="jobs-heading">"Background jobs needing attention"</h2>
            <Suspense fallback=|| view! { <Skeleton lines=2/> }>
                {move || Suspend::new(async move {
                    let headers = &["Job", "Kind", "Status", "Attempts", "Last error", "Next run"];
                    table_or_message("Background jobs", jobs.await, "No failing or dead jobs.", headers, |j| {
                        view! {
                            <tr>
                                <td>{j.id}</td>
                                <td>{j.kind}</td>
                                <td><StatusBadge state=j.status.clone() label=j.status.clone()/></td>
                                <td>{format!("{} / {}", j.attempts, j.max_attempts)}</td>
                                <td class="small">{j.last_error.unwrap_or_default()}</td>
                                <td><LocalTime at=j.run_at/></td>
                            </tr>
                        }
                        .into_any()
                    })
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn CreditsCard() -> impl IntoView {
    let error = posted_error::<AdjustCredits, ()>();
    let adjusted = use_query_map().read_untracked().get("adjusted").is_some();
    // A fresh key per rendering of the form: submitting the same form twice moves
    // credits once, and success reloads the panel with a new one.
    #[cfg(feature = "ssr")]
    let key = uuid::Uuid::new_v4().to_string();
    #[cfg(not(feature = "ssr"))]
    let key = String::new();
    view! {
        <section class="card" id="credits" aria-labelledby="credits-heading">
            <h2 id="credits-heading">"Adjust credits"</h2>
            <p class="muted">"Add credits as goodwill (they never expire) or take back credits granted by mistake. The reason is kept with the change and in the audit log."</p>
            <Notice show=adjusted message="Credits adjusted."/>
            <AdjustCreditsForm key error/>
        </section>
    }
}

#[component]
fn LedgerCard() -> impl IntoView {
    let status = Resource::new(|| (), |_| last_ledger_check());
    view! {
        <section class="card" aria-labelledby="ledger-heading">
            <h2 id="ledger-heading">"Credit ledger"</h2>
            <Suspense fallback=|| view! { <Skeleton lines=1/> }>
                {move || Suspend::new(async move {
                    match status.await {
                        Ok(Some(s)) if s.clean => view! {
                            <p data-testid="ledger-status">"Balanced: "{s.transactions}" transactions checked, no drift. Last checked "<LocalTime at=s.checked_at/>"."</p>
                        }.into_any(),
                        Ok(Some(s)) => view! {
                            <p class="alert alert-error" role="alert" data-testid="ledger-status">
                                "The ledger does not balance: "{s.unbalanced}" unbalanced transactions and "{s.drifted}
                                " drifted wallets or lots (checked "<LocalTime at=s.checked_at/>"). Run attune check-ledger for the details."
                            </p>
                        }.into_any(),
                        Ok(None) => view! { <p class="muted" data-testid="ledger-status">"Not checked yet: the daily check has not run."</p> }.into_any(),
                        Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[cfg_attr(any(feature = "ssr", feature = "workspace"), island)]
#[cfg_attr(not(any(feature = "ssr", feature = "workspace")), component)]
fn AdjustCreditsForm(key: String, error: Option<AppError>) -> impl IntoView {
    let state = Submission::new(error);
    let error = state.error;
    view! {
        <FormAlert error/>
        <PostForm action={endpoint::<AdjustCredits>()} state class="stack">
            <input type="hidden" name="key" value=key/>
            <FieldError name="key" error/>
            <Field label="Account number" name="user_code" error required=true hint="The customer's number, e.g. U100042." maxlength=12/>
            <Field label="Credits" name="delta" error required=true hint="A positive number adds credits; a negative one takes them away." maxlength=9/>
            <Field label="Reason" name="reason" error required=true maxlength=500/>
            <Submit label="Adjust credits" busy_label="Adjusting…" pending=state.pending/>
        </PostForm>
    }
}

/// A loaded list as a table (a scrolling region named `label`) with these column
/// headers, a sentence when it is empty, or the error that stopped it loading.
fn table_or_message<T>(
    label: &'static str,
    loaded: Result<Vec<T>, AppError>,
    empty: &'static str,
    headers: &[&'static str],
    row: impl Fn(T) -> AnyView,
) -> AnyView {
    match loaded {
        Ok(rows) if rows.is_empty() => view! { <p class="muted">{empty}</p> }.into_any(),
        Ok(rows) => {
            let table = view! {
                <table class="table">
                    <thead>
                        <tr>{headers.iter().map(|h| view! { <th scope="col">{*h}</th> }).collect_view()}</tr>
                    </thead>
                    <tbody>{rows.into_iter().map(row).collect_view()}</tbody>
                </table>
            }
            .into_any();
            view! { <TableScroll label>{table}</TableScroll> }.into_any()
        }
        Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
    }
}

#[component]
fn UserRow(row: AdminUserRow) -> impl IntoView {
    view! {
        <tr>
            <td><code>{row.code.to_string()}</code></td>
            <td>{row.name.clone()}</td>
            <td class="nowrap">{row.email.clone()}</td>
            <td><LocalTime at=row.created_at/></td>
            <td><RoleForm user_id=row.id.to_string() name=row.name role=row.role/></td>
        </tr>
    }
}

/// Changes one person's role in place; the outcome is announced beside the form.
#[cfg_attr(any(feature = "ssr", feature = "workspace"), island)]
#[cfg_attr(not(any(feature = "ssr", feature = "workspace")), component)]
fn RoleForm(user_id: String, name: String, role: Role) -> impl IntoView {
    let state = Submission::new(None);
    let error = state.error;
    let saved = state.done;
    let select_id = format!("role-{user_id}");
    let status = move || {
        if saved.get() {
            Some(view! { <span class="small">"Saved; their sessions were signed out."</span> }.into_any())
        } else {
            error.get().map(|e| view! { <span class="small field-error">{e.to_string()}</span> }.into_any())
        }
    };
    view! {
        <PostForm action={endpoint::<SetUserRole>()} state class="inline-form">
            <input type="hidden" name="user_id" value=user_id/>
            <label for=select_id.clone() class="sr-only">{format!("Role of {name}")}</label>
            <select id=select_id name="role">
                {Role::ALL.into_iter().map(|r| view! { <option value=r.as_str() selected=r == role>{r.label()}</option> }).collect_view()}
            </select>
            <button type="submit" class="btn btn-ghost btn-sm" disabled=move || state.pending.get()>"Save"</button>
            <span role="status">{status}</span>
        </PostForm>
    }
}
