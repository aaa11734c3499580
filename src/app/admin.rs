use crate::api::admin::{SetUserRole, list_outbox, list_troubled_jobs, list_users};
use crate::app::components::{
    ErrorPanel, FormAlert, PageMeta, RoleGate, Skeleton, action_ok, island_error, posted_error, short_utc,
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
                            {table_or_message(Ok(page.rows), "No one matches that search.", headers, move |row| {
                                view! { <UserRow row/> }.into_any()
                            })}
                        }
                        .into_any()
                    })
                    .unwrap_or_else(|e| view! { <ErrorPanel error=e/> }.into_any())
                })}
            </Suspense>
        </section>
        <section class="card" aria-labelledby="outbox-heading">
            <h2 id="outbox-heading">"Email outbox"</h2>
            <Suspense fallback=|| view! { <Skeleton lines=4/> }>
                {move || Suspend::new(async move {
                    table_or_message(outbox.await, "No emails yet.", &["Queued", "To", "Subject", "Status", "Attempts"], |r| {
                        view! {
                            <tr>
                                <td>{short_utc(&r.created_at)}</td>
                                <td>{r.to_address}</td>
                                <td>{r.subject}</td>
                                <td><span class=format!("badge badge-{}", r.status)>{r.status.clone()}</span>
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
                    table_or_message(jobs.await, "No failing or dead jobs.", headers, |j| {
                        view! {
                            <tr>
                                <td>{j.id}</td>
                                <td>{j.kind}</td>
                                <td><span class=format!("badge badge-{}", j.status)>{j.status.clone()}</span></td>
                                <td>{format!("{} / {}", j.attempts, j.max_attempts)}</td>
                                <td class="small">{j.last_error.unwrap_or_default()}</td>
                                <td>{short_utc(&j.run_at)}</td>
                            </tr>
                        }
                        .into_any()
                    })
                })}
            </Suspense>
        </section>
    }
}

/// A loaded list as a table with these column headers, a sentence when it is empty,
/// or the error that stopped it loading.
fn table_or_message<T>(
    loaded: Result<Vec<T>, AppError>,
    empty: &'static str,
    headers: &[&'static str],
    row: impl Fn(T) -> AnyView,
) -> AnyView {
    match loaded {
        Ok(rows) if rows.is_empty() => view! { <p class="muted">{empty}</p> }.into_any(),
        Ok(rows) => view! {
            <div class="table-wrap">
                <table class="table">
                    <thead>
                        <tr>{headers.iter().map(|h| view! { <th scope="col">{*h}</th> }).collect_view()}</tr>
                    </thead>
                    <tbody>{rows.into_iter().map(row).collect_view()}</tbody>
                </table>
            </div>
        }
        .into_any(),
        Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
    }
}

#[component]
fn UserRow(row: AdminUserRow) -> impl IntoView {
    view! {
        <tr>
            <td><code>{row.code.to_string()}</code></td>
            <td>{row.name.clone()}</td>
            <td>{row.email.clone()}</td>
            <td>{short_utc(&row.created_at)}</td>
            <td><RoleForm user_id=row.id.to_string() name=row.name role=row.role/></td>
        </tr>
    }
}

/// Changes one person's role in place; the outcome is announced beside the form.
#[island]
fn RoleForm(user_id: String, name: String, role: Role) -> impl IntoView {
    let set_role = ServerAction::<SetUserRole>::new();
    let error = island_error(set_role, None);
    let saved = action_ok(set_role);
    let select_id = format!("role-{user_id}");
    let status = move || {
        if saved.get() {
            Some(view! { <span class="small">"Saved; their sessions were signed out."</span> }.into_any())
        } else {
            error.get().map(|e| view! { <span class="small field-error">{e.to_string()}</span> }.into_any())
        }
    };
    view! {
        <ActionForm action=set_role attr:class="inline-form">
            <input type="hidden" name="user_id" value=user_id/>
            <label for=select_id.clone() class="sr-only">{format!("Role of {name}")}</label>
            <select id=select_id name="role">
                {Role::ALL.into_iter().map(|r| view! { <option value=r.as_str() selected=r == role>{r.label()}</option> }).collect_view()}
            </select>
            <button type="submit" class="btn btn-ghost btn-sm" disabled=move || set_role.pending().get()>"Save"</button>
            <span role="status">{status}</span>
        </ActionForm>
    }
}
