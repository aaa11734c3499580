use crate::api::admin::{
    AdjustCredits, ReconcileNow, RefundOrder, RetryPaymentEvent, ReviewPractitioner, SavePackage, SaveServiceType,
    SetUserRole, admin_packages, admin_practitioner, admin_practitioners, admin_service_types, last_ledger_check,
    lead_batch, lead_batches, list_outbox, list_troubled_jobs, list_users, onboarding_funnel, order_detail,
    payment_overview, refund_preview,
};
use crate::app::components::{
    CurrencySelect, ErrorPanel, Field, FieldError, FormAlert, LocalTime, Notice, PageMeta, PostForm, RoleGate,
    Skeleton, Submission, Submit, endpoint, posted_error,
};
use crate::domain::catalog::ServiceTypeForm;
use crate::domain::orders::PackageForm;
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
        <CreditsCard/>
        <LedgerCard/>
        <section class="card" aria-labelledby="outbox-heading">
            <h2 id="outbox-heading">"Outbox: emails and text messages"</h2>
            <Suspense fallback=|| view! { <Skeleton lines=4/> }>
                {move || Suspend::new(async move {
                    table_or_message(outbox.await, "No messages yet.", &["Queued", "Channel", "To", "Subject or text", "Status", "Attempts"], |r| {
                        view! {
                            <tr>
                                <td><LocalTime at=r.created_at/></td>
                                <td>{r.channel}</td>
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
                            {table_or_message(Ok(list), "No packages yet: add the first below.", headers, |p| {
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
                            {table_or_message(Ok(list), "No service types yet: add the first below.", headers, |t| {
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

/// `/admin/payments`: recent orders and provider events, retrying a failed event, and
/// reconciliation with the provider.
#[component]
pub fn PaymentsPage() -> impl IntoView {
    view! {
        <PageMeta title="Payments" description="Card payments on Attune: orders, provider events and reconciliation."/>
        <div class="container section">
            <p><a href="/admin">"← Admin"</a></p>
            <h1>"Payments"</h1>
            <RoleGate role=Role::Admin render=|_| view! { <PaymentsPanel/> }.into_any()/>
        </div>
    }
}

#[component]
fn PaymentsPanel() -> impl IntoView {
    let query = use_query_map().read_untracked();
    let retried = query.get("retried").is_some();
    let reconciled = query.get("reconciled").is_some();
    let overview = Resource::new(|| (), |_| payment_overview());
    let retry_error = posted_error::<RetryPaymentEvent, ()>();
    let reconcile_error = posted_error::<ReconcileNow, ()>();
    view! {
        <Notice show=retried message="Event handled again; see its status below."/>
        <Notice show=reconciled message="Reconciliation finished."/>
        <FormAlert error=retry_error/>
        <FormAlert error=reconcile_error/>
        <Suspense fallback=|| view! { <div class="card"><Skeleton lines=8/></div> }>
            {move || Suspend::new(async move {
                let o = match overview.await {
                    Ok(o) => o,
                    Err(e) => return view! { <ErrorPanel error=e/> }.into_any(),
                };
                let order_headers = &["Placed", "Order", "Customer", "Pack", "Price", "Status", "Invoice"];
                let event_headers = &["Received", "Event", "Type", "Status", "Attempts", ""];
                view! {
                    <section class="card" aria-labelledby="reconcile-heading">
                        <h2 id="reconcile-heading">"Reconciliation"</h2>
                        <p data-testid="last-reconciliation">{match o.last_reconciliation {
                            Some(r) => view! { "Last run "<LocalTime at=r.ran_at/>{format!(": {} unpaid orders asked about, {} repaired.", r.checked, r.repaired)} }.into_any(),
                            None => view! { "Not run yet: it runs every fifteen minutes." }.into_any(),
                        }}</p>
                        <form method="post" action={endpoint::<ReconcileNow>()}>
                            <button type="submit" class="btn btn-secondary">"Reconcile now"</button>
                        </form>
                    </section>
                    <section class="card" aria-labelledby="orders-heading">
                        <h2 id="orders-heading">"Orders"</h2>
                        {table_or_message(Ok(o.orders), "No orders yet.", order_headers, |r| view! {
                            <tr>
                                <td><LocalTime at=r.order.created_at/></td>
                                <td><a href=format!("/admin/orders/{}", r.order.number)><code>{r.order.number.clone()}</code></a></td>
                                <td><code>{r.customer.to_string()}</code></td>
                                <td>{r.order.item_name.clone()}</td>
                                <td>{r.order.price_label(crate::domain::Locale::default())}</td>
                                <td><span class=format!("badge badge-{}", r.order.status.as_str())>{r.order.status.label()}</span></td>
                                <td>{r.order.invoice_number.clone().unwrap_or_default()}</td>
                            </tr>
                        }.into_any())}
                    </section>
                    <section class="card" aria-labelledby="events-heading">
                        <h2 id="events-heading">"Provider events"</h2>
                        {table_or_message(Ok(o.events), "No events received yet.", event_headers, |e| {
                            let retry = (e.status == "failed").then(|| view! {
                                <form method="post" action={endpoint::<RetryPaymentEvent>()} class="inline-form">
                                    <input type="hidden" name="event_id" value=e.id.clone()/>
                                    <button type="submit" class="btn btn-ghost btn-sm" aria-label=format!("Retry event {}", e.id)>"Retry"</button>
                                </form>
                            });
                            view! {
                                <tr>
                                    <td><LocalTime at=e.received_at/></td>
                                    <td><code>{e.id.clone()}</code></td>
                                    <td>{e.kind.clone()}</td>
                                    <td><span class=format!("badge badge-{}", e.status)>{e.status.clone()}</span>
                                        {e.last_error.map(|m| view! { <span class="small muted">" "{m}</span> })}</td>
                                    <td>{e.attempts}</td>
                                    <td>{retry}</td>
                                </tr>
                            }.into_any()
                        })}
                    </section>
                }
                .into_any()
            })}
        </Suspense>
    }
}

/// `/admin/orders/:number`: one order as support needs it.
#[component]
pub fn OrderPage() -> impl IntoView {
    let number = leptos_router::hooks::use_params_map().read_untracked().get("number").unwrap_or_default();
    view! {
        <PageMeta title="Order" description="One Attune order: its customer, what was bought, and every change of its status."/>
        <div class="container section">
            <p><a href="/admin/payments">"← Payments"</a></p>
            <RoleGate role=Role::Admin render=move |_| view! { <OrderPanel number=number.clone()/> }.into_any()/>
        </div>
    }
}

#[component]
fn OrderPanel(number: String) -> impl IntoView {
    let detail = Resource::new(move || number.clone(), order_detail);
    view! {
        <Suspense fallback=|| view! { <h1>"Order"</h1><div class="card"><Skeleton lines=6/></div> }>
            {move || Suspend::new(async move {
                let d = match detail.await {
                    Ok(d) => d,
                    Err(e) => return view! { <h1>"Order"</h1><ErrorPanel error=e/> }.into_any(),
                };
                let o = d.order;
                let history_headers = &["When", "From", "To", "By", "Why"];
                view! {
                    <h1>{format!("Order {}", o.number)}</h1>
                    <section class="card" aria-label="Order summary">
                        <dl class="facts">
                            <dt>"Customer"</dt><dd><code>{d.customer.to_string()}</code>" "{d.customer_email.unwrap_or_default()}</dd>
                            {if o.kind == crate::domain::orders::OrderKind::Service {
                                view! { <dt>"Service"</dt><dd>{o.item_name.clone()}</dd> }.into_any()
                            } else {
                                view! { <dt>"Pack"</dt><dd>{format!("{} ({} credits + {} bonus)", o.item_name, o.credits, o.bonus_credits)}</dd> }.into_any()
                            }}
                            <dt>"Price"</dt><dd>{o.price_label(crate::domain::Locale::default())}</dd>
                            <dt>"Status"</dt><dd><span class=format!("badge badge-{}", o.status.as_str())>{o.status.label()}</span></dd>
                            <dt>"Invoice"</dt><dd>{o.invoice_number.clone().unwrap_or_else(|| "None yet".into())}</dd>
                            <dt>"Refunded"</dt><dd>{o.refunded().map(|m| m.format(crate::domain::Locale::default())).unwrap_or_else(|| "Nothing".into())}</dd>
                            <dt>"Placed"</dt><dd><LocalTime at=o.created_at/></dd>
                            <dt>"Checkout sessions"</dt><dd>{d.sessions.into_iter().map(|s| view! { <code>{s}</code>" " }).collect_view()}</dd>
                        </dl>
                    </section>
                    <RefundsCard number=o.number.clone() refunds=d.refunds refundable=d.refundable_credits/>
                    <section class="card" aria-labelledby="history-heading">
                        <h2 id="history-heading">"History"</h2>
                        {table_or_message(Ok(d.transitions), "No history.", history_headers, |t| view! {
                            <tr>
                                <td><LocalTime at=t.at/></td>
                                <td>{t.from.map(|s| s.label()).unwrap_or("—")}</td>
                                <td>{t.to.label()}</td>
                                <td>{t.actor.map(|c| c.to_string()).unwrap_or_else(|| "System".into())}</td>
                                <td>{t.reason}</td>
                            </tr>
                        }.into_any())}
                    </section>
                }
                .into_any()
            })}
        </Suspense>
    }
}

/// An order's refunds, and the way to make one: choose how many credits, see exactly
/// what will move, then confirm with a reason. Plain forms, so it works without WASM.
#[component]
fn RefundsCard(number: String, refunds: Vec<crate::domain::types::RefundRow>, refundable: i64) -> impl IntoView {
    let query = use_query_map().read_untracked();
    let outcome = query.get("refund").and_then(|s| crate::domain::refunds::RefundStatus::parse(&s));
    let asked = query.get("refund_credits");
    let headers = &["When", "Amount", "Credits", "Status", "Credit note", "By", "Reason"];
    let outcome_message = outcome.map(|s| match s {
        crate::domain::refunds::RefundStatus::Succeeded => {
            "Refunded: the money is on its way back and the customer has been emailed."
        }
        crate::domain::refunds::RefundStatus::Pending => {
            "The refund is with the provider; this page shows it as refunded once the provider confirms."
        }
        crate::domain::refunds::RefundStatus::Failed => {
            "The provider refused the refund. The credits were given back; the reason is in the table."
        }
    });
    view! {
        <section class="card" id="refunds" aria-labelledby="refunds-heading">
            <h2 id="refunds-heading">"Refunds"</h2>
            <div role="status" class="alert-slot">
                {outcome_message.map(|m| {
                    let class = if outcome == Some(crate::domain::refunds::RefundStatus::Failed) { "alert alert-error" } else { "alert alert-success" };
                    view! { <p class=class>{m}</p> }
                })}
            </div>
            {table_or_message(Ok(refunds), "No refunds.", headers, |r| view! {
                <tr>
                    <td><LocalTime at=r.created_at/></td>
                    <td>{r.amount.format(crate::domain::Locale::default())}</td>
                    <td>{format!("{} + {} bonus", r.credits, r.bonus_credits)}</td>
                    <td><span class=format!("badge badge-{}", r.status.as_str())>{r.status.label()}</span></td>
                    <td>{r.credit_note_number.unwrap_or_else(|| "—".into())}</td>
                    <td>{r.actor.map(|c| c.to_string()).unwrap_or_else(|| "System".into())}</td>
                    <td>{r.reason}{r.failure.map(|f| view! { <br/><span class="small">{format!("Refused: {f}")}</span> })}</td>
                </tr>
            }.into_any())}
            {if refundable > 0 {
                let value = asked.clone().unwrap_or_else(|| refundable.to_string());
                view! {
                    <form method="get" action=format!("/admin/orders/{number}") class="inline-form">
                        <div class="field">
                            <label for="refund_credits">"Paid credits to refund"</label>
                            <p class="field-hint" id="refund_credits-hint">{format!("Up to {refundable}: the unspent paid credits of this order. Bonus credits go with them.")}</p>
                            <input id="refund_credits" name="refund_credits" type="number" min="1" max=refundable.to_string() value=value aria-describedby="refund_credits-hint"/>
                        </div>
                        <button type="submit" class="btn btn-secondary">"Preview refund"</button>
                    </form>
                }.into_any()
            } else {
                view! { <p class="muted">"Nothing of this order can be refunded now: its paid credits have been spent, have expired or were refunded."</p> }.into_any()
            }}
            {asked.filter(|_| refundable > 0).map(|credits| view! { <RefundPreviewPanel number=number.clone() credits/> })}
        </section>
    }
}

#[component]
fn RefundPreviewPanel(number: String, credits: String) -> impl IntoView {
    let preview = Resource::new(move || (number.clone(), credits.clone()), |(n, c)| refund_preview(n, c));
    let error = posted_error::<RefundOrder, ()>();
    // A fresh key per rendering of the confirmation: submitting it twice refunds once.
    #[cfg(feature = "ssr")]
    let key = uuid::Uuid::new_v4().to_string();
    #[cfg(not(feature = "ssr"))]
    let key = String::new();
    view! {
        <Suspense fallback=|| view! { <Skeleton lines=5/> }>
            {move || {
                let key = key.clone();
                let error = error.clone();
                Suspend::new(async move {
                    let p = match preview.await {
                        Ok(p) => p,
                        Err(e) => return view! { <ErrorPanel error=e/> }.into_any(),
                    };
                    let amount = p.amount.format(crate::domain::Locale::default());
                    view! {
                        <div class="preview" data-testid="refund-preview">
                            <h3>"What this refund will do"</h3>
                            <ul>
                                <li>{format!("Return {amount} to the card that paid (provider: {}).", p.provider)}</li>
                                <li>{format!("Take back {} paid credits and {} bonus credits: the customer's balance goes from {} to {}.",
                                    p.credits, p.bonus_credits, p.balance_before, p.balance_after)}</li>
                                <li>{format!("Issue a credit note for invoice {}.", p.invoice_number)}</li>
                                <li>{format!("The order becomes {} ({} refunded before this).", p.status_after.label().to_lowercase(),
                                    p.refunded_so_far.format(crate::domain::Locale::default()))}</li>
                                <li>"Email the customer."</li>
                            </ul>
                            <RefundConfirmForm number=p.order_number credits=p.credits expected=p.amount.minor() amount key error/>
                        </div>
                    }
                    .into_any()
                })
            }}
        </Suspense>
    }
}

/// A plain form post (no island): the page loads no WASM, and a refused confirmation
/// comes back rendered with its error.
#[component]
fn RefundConfirmForm(
    number: String,
    credits: i64,
    expected: i64,
    amount: String,
    key: String,
    error: Option<AppError>,
) -> impl IntoView {
    let state = Submission::new(error);
    let error = state.error;
    let label = format!("Refund {amount}");
    let busy = format!("Refunding {amount}…");
    view! {
        <FormAlert error/>
        <PostForm action={endpoint::<RefundOrder>()} state class="stack">
            <input type="hidden" name="order" value=number/>
            <input type="hidden" name="credits" value=credits.to_string()/>
            <input type="hidden" name="expected_amount_minor" value=expected.to_string()/>
            <input type="hidden" name="key" value=key/>
            <FieldError name="credits" error/>
            <FieldError name="key" error/>
            <Field label="Reason" name="reason" error required=true hint="Kept with the refund and in the audit log; the customer does not see it." maxlength=500/>
            <Submit label=label busy_label=busy pending=state.pending/>
        </PostForm>
    }
}

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
                    table_or_message(batches.await, "No lead lists imported yet.", headers, |b| view! {
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
                        {table_or_message(Ok(d.errors), "Every row was imported.", &["Line", "Why it was refused"], |e| view! {
                            <tr><td>{e.line}</td><td>{e.reason}</td></tr>
                        }.into_any())}
                    }
                    .into_any()
                })}
            </Suspense>
        </section>
    }
}

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
                            table_or_message(list.await, "No practitioners yet.", headers, move |p| view! {
                                <tr>
                                    <td><a href=format!("/admin/practitioners/{}", p.code)><code>{p.code.to_string()}</code></a></td>
                                    <td>{p.name}</td>
                                    <td>{p.email}</td>
                                    <td><span class=format!("badge badge-{}", p.state.as_str())>{p.state.label()}</span></td>
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
        <p><span class=format!("badge badge-{}", w.state.as_str())>{w.state.label()}</span>" "<code>{code.clone()}</code></p>
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
                                    <table>
                                        <thead><tr><th scope="col">"Stage"</th><th scope="col">"People"</th><th scope="col">"Of imported"</th><th scope="col">"Of the stage before"</th></tr></thead>
                                        <tbody>
                                            {FUNNEL.iter().zip(&row.counts).zip(conv).map(|((stage, n), (first, prev))| view! {
                                                <tr><th scope="row">{*stage}</th><td>{n.to_string()}</td><td>{pct(first)}</td><td>{pct(prev)}</td></tr>
                                            }).collect_view()}
                                        </tbody>
                                    </table>
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
