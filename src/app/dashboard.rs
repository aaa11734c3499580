use crate::api::auth::{ChangePassword, SignOutEverywhere, UpdateProfile, get_profile};
use crate::api::credits::my_credits;
use crate::api::orders::my_orders;
use crate::app::booking::CalendarFeed;
use crate::app::components::{
    ErrorPanel, Field, FieldError, FormAlert, LocalTime, Notice, PageMeta, PostForm, Skeleton, StatusBadge, Submission,
    Submit, TableScroll, endpoint, posted_error,
};
use crate::domain::datetime::zone_groups;
use crate::domain::types::CreditOverview;
use crate::domain::types::Profile;
use crate::domain::{AppError, TimeZone};
use leptos::prelude::*;

#[component]
pub fn DashboardPage() -> impl IntoView {
    let profile = Resource::new(|| (), |_| get_profile());
    view! {
        <PageMeta title="Your dashboard" description="Your Attune account: profile, account number and security settings."/>
        <div class="container section">
            <h1>"Your dashboard"</h1>
            <Suspense fallback=|| view! { <div class="card"><Skeleton lines=5/></div> }>
                {move || Suspend::new(async move {
                    match profile.await {
                        Ok(p) => view! { <ProfileCard profile=p/> }.into_any(),
                        Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                    }
                })}
            </Suspense>
            <ServiceOrdersSection/>
            <CalendarFeed back="dashboard"/>
            <CreditsSection/>
            <OrdersSection/>
            <SecurityCard/>
        </div>
    }
}

#[component]
fn ProfileCard(profile: Profile) -> impl IntoView {
    let error = posted_error::<UpdateProfile, ()>();
    view! {
        <section class="card" aria-labelledby="profile-heading">
            <div class="card-head">
                <h2 id="profile-heading">"Profile"</h2>
                <p class="account-code">"Account number "<strong data-testid="user-code">{profile.code.to_string()}</strong></p>
            </div>
            <p class="muted">{profile.email.clone()}" · member since "<LocalTime at=profile.member_since date_only=true/></p>
            <ProfileForm name=profile.name phone=profile.phone.unwrap_or_default() error>
                <ZoneSelect selected=profile.time_zone/>
            </ProfileForm>
        </section>
    }
}

/// Every zone in the server's database, grouped by region. Rendered on the server and
/// passed into the island as children, so the list is neither a prop nor in the bundle.
#[component]
pub(crate) fn ZoneSelect(
    selected: TimeZone,
    #[prop(default = "Times across Attune and in our emails are shown in this zone.")] hint: &'static str,
    /// The field's name (and id).
    #[prop(default = "time_zone")]
    name: &'static str,
) -> impl IntoView {
    view! {
        <div class="field">
            <label for=name>"Time zone"</label>
            <select id=name name=name aria-describedby=format!("{name}-hint {name}-error")>
                {zone_groups().into_iter().map(|group| view! {
                    <optgroup label=group.region>
                        {group.zones.into_iter().map(|z| {
                            let chosen = z.name == selected.as_str();
                            view! { <option value=z.name selected=chosen>{z.label}</option> }
                        }).collect_view()}
                    </optgroup>
                }).collect_view()}
            </select>
            <p class="field-hint" id=format!("{name}-hint")>{hint}</p>
        </div>
    }
}

#[island]
fn ProfileForm(name: String, phone: String, error: Option<AppError>, children: Children) -> impl IntoView {
    let state = Submission::new(error);
    let error = state.error;
    let saved = state.done;
    view! {
        <Notice show=saved message="Profile saved."/>
        <FormAlert error/>
        <PostForm action={endpoint::<UpdateProfile>()} state class="stack">
            <Field label="Name" name="name" autocomplete="name" value=name error required=true maxlength=100/>
            <Field label="Phone (optional)" name="phone" kind="tel" autocomplete="tel" value=phone error hint="International format, e.g. +44 20 7946 0958."/>
            {children()}
            <FieldError name="time_zone" error/>
            <Submit label="Save profile" busy_label="Saving…" pending=state.pending/>
        </PostForm>
    }
}

#[component]
fn CreditsSection() -> impl IntoView {
    let credits = Resource::new(|| (), |_| my_credits());
    view! {
        <section class="card" id="credits" aria-labelledby="credits-heading">
            <div class="card-head">
                <h2 id="credits-heading">"Credits"</h2>
                <a href="/dashboard/credits.csv" download="">"Download history (CSV)"</a>
            </div>
            <Suspense fallback=|| view! { <Skeleton lines=4/> }>
                {move || Suspend::new(async move {
                    match credits.await {
                        Ok(c) => view! { <CreditsBody credits=c/> }.into_any(),
                        Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn CreditsBody(credits: CreditOverview) -> impl IntoView {
    let CreditOverview { available, lots, history } = credits;
    let label = |kind: &str| match kind {
        "purchase" => "Purchase",
        "bonus" => "Bonus",
        "spend" => "Spent",
        "refund" => "Refund",
        "adjustment" => "Adjustment",
        "expiry" => "Expired",
        _ => "Other",
    };
    view! {
        <p class="lead"><strong data-testid="credits-available">{available}</strong>" credits available"</p>
        {(!lots.is_empty()).then(|| view! {
            <h3>"Your credit, in the order it is spent"</h3>
            <TableScroll label="Your credit">
                <table class="table">
                    <thead><tr><th scope="col">"Kind"</th><th scope="col">"Left"</th><th scope="col">"Of"</th><th scope="col">"Expires"</th></tr></thead>
                    <tbody>
                        {lots.into_iter().map(|l| view! {
                            <tr>
                                <td>{if l.promotional { "Promotional" } else { "Paid" }}</td>
                                <td>{l.remaining}</td>
                                <td>{l.granted}</td>
                                <td>{match l.expires_at {
                                    Some(at) => view! { <LocalTime at/> }.into_any(),
                                    None => view! { "Never" }.into_any(),
                                }}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </TableScroll>
        })}
        <h3>"History"</h3>
        {if history.is_empty() {
            view! { <p class="muted">"No credit movements yet."</p> }.into_any()
        } else {
            view! {
                <TableScroll label="Credit history">
                    <table class="table" data-testid="credit-history">
                        <thead><tr><th scope="col">"When"</th><th scope="col">"What"</th><th scope="col">"Change"</th><th scope="col">"Balance"</th></tr></thead>
                        <tbody>
                            {history.into_iter().map(|m| view! {
                                <tr>
                                    <td><LocalTime at=m.at/></td>
                                    <td>{label(&m.kind)}{m.reason.map(|r| view! { <span class="muted small">" · "{r}</span> })}</td>
                                    <td>{if m.change > 0 { format!("+{}", m.change) } else { m.change.to_string() }}</td>
                                    <td>{m.balance_after}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                </TableScroll>
            }.into_any()
        }}
    }
}

#[component]
fn SecurityCard() -> impl IntoView {
    let pw_error = posted_error::<ChangePassword, ()>();
    let all_error = posted_error::<SignOutEverywhere, ()>();
    let delete_error = posted_error::<crate::api::auth::DeleteAccount, ()>();
    let is_customer = crate::app::layout::page_user().is_some_and(|u| u.role == crate::domain::Role::Customer);
    view! {
        <section class="card" aria-labelledby="security-heading">
            <h2 id="security-heading">"Security"</h2>
            <h3>"Change password"</h3>
            <ChangePasswordForm error=pw_error/>
            <h3>"Sessions"</h3>
            <p class="muted">"Lost a device or used a shared computer? Sign out of every other browser; this one stays signed in."</p>
            <SignOutEverywhereForm error=all_error/>
            {is_customer.then(|| view! {
                <h3>"Delete your account"</h3>
                <p class="muted">"Your name, email, phone and password are removed, and so are your answers, messages and files in your orders. Unused credits are forfeited. Invoices and the record of payments stay, as the law requires, without your details."</p>
                <DeleteAccountForm error=delete_error/>
            })}
        </section>
    }
}

#[island]
fn DeleteAccountForm(error: Option<AppError>) -> impl IntoView {
    let state = Submission::new(error);
    let error = state.error;
    view! {
        <FormAlert error/>
        <PostForm action={endpoint::<crate::api::auth::DeleteAccount>()} state class="stack">
            <Field label="Your password" name="password" kind="password" autocomplete="current-password" error required=true/>
            <Field label="Type DELETE to confirm" name="confirm" error required=true maxlength=10/>
            <Submit label="Delete my account" busy_label="Deleting…" pending=state.pending secondary=true/>
        </PostForm>
    }
}

#[island]
fn ChangePasswordForm(error: Option<AppError>) -> impl IntoView {
    let state = Submission::new(error);
    let error = state.error;
    let done = state.done;
    view! {
        <Notice show=done message="Password changed. Your other sessions have been signed out."/>
        <FormAlert error/>
        <PostForm action={endpoint::<ChangePassword>()} state class="stack">
            <Field label="Current password" name="current_password" kind="password" autocomplete="current-password" error required=true/>
            <Field label="New password" name="new_password" kind="password" autocomplete="new-password" error required=true hint="At least 10 characters."/>
            <Submit label="Change password" busy_label="Changing…" pending=state.pending/>
        </PostForm>
    }
}

#[island]
fn SignOutEverywhereForm(error: Option<AppError>) -> impl IntoView {
    let state = Submission::new(error);
    let error = state.error;
    let done = state.done;
    view! {
        <Notice show=done message="All other sessions have been signed out."/>
        <FormAlert error/>
        <PostForm action={endpoint::<SignOutEverywhere>()} state>
            <Submit label="Sign out everywhere else" busy_label="Signing out…" pending=state.pending secondary=true/>
        </PostForm>
    }
}

/// Download links for an order's receipt (named by its invoice number) and the credit
/// notes of its refunds.
#[component]
pub fn OrderDocuments(order: crate::domain::types::OrderView) -> impl IntoView {
    let number = order.number.clone();
    order.invoice_number.clone().map(|invoice| {
        view! {
            <a href=format!("/orders/{number}/receipt.pdf") download="">{format!("{invoice} (PDF)")}</a>
            {order.credit_notes.iter().map(|note| view! {
                <br/><a href=format!("/orders/{number}/credit-notes/{note}.pdf") download="">{format!("{note} (PDF)")}</a>
            }).collect_view()}
        }
    })
}

/// Which service orders the dashboard lists (`?orders=`).
fn shows(filter: &str, status: crate::domain::orders::OrderStatus) -> bool {
    match filter {
        "open" => !status.is_finished(),
        "done" => status.is_finished(),
        _ => true,
    }
}

#[component]
fn ServiceOrdersSection() -> impl IntoView {
    let orders = Resource::new(|| (), |_| crate::api::checkout::my_service_orders());
    let filter = leptos_router::hooks::use_query_map().read_untracked().get("orders").unwrap_or_default();
    let links = [("", "All"), ("open", "Open"), ("done", "Finished")].map(|(value, label)| {
        let href = if value.is_empty() {
            "/dashboard#service-orders".to_owned()
        } else {
            format!("/dashboard?orders={value}#service-orders")
        };
        let current = (filter == value).then_some("page");
        view! { <a href=href aria-current=current>{label}</a>" " }
    });
    view! {
        <section class="card" id="service-orders" aria-labelledby="service-orders-heading">
            <div class="card-head">
                <h2 id="service-orders-heading">"Your orders"</h2>
                <nav aria-label="Filter orders">{links}</nav>
            </div>
            <Suspense fallback=|| view! { <Skeleton lines=3/> }>
                {move || {
                    let filter = filter.clone();
                    Suspend::new(async move {
                        match orders.await {
                            Ok(list) => {
                                let list: Vec<_> = list.into_iter().filter(|r| shows(&filter, r.status)).collect();
                                let unread: i64 = list.iter().map(|r| r.unread).sum();
                                view! {
                                    {(unread > 0).then(|| view! { <p data-testid="unread-total"><strong>{format!("{unread} unread messages")}</strong></p> })}
                                    <crate::app::checkout::OrderTable list empty="No orders here. Find a practitioner to order a service."/>
                                }.into_any()
                            }
                            Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                        }
                    })
                }}
            </Suspense>
        </section>
    }
}

#[component]
fn OrdersSection() -> impl IntoView {
    let orders = Resource::new(|| (), |_| my_orders());
    view! {
        <section class="card" id="orders" aria-labelledby="orders-heading">
            <div class="card-head">
                <h2 id="orders-heading">"Credit orders"</h2>
                <a href="/credits">"Buy credits"</a>
            </div>
            <Suspense fallback=|| view! { <Skeleton lines=3/> }>
                {move || Suspend::new(async move {
                    match orders.await {
                        Ok(list) if list.is_empty() => view! { <p class="muted">"No orders yet."</p> }.into_any(),
                        Ok(list) => view! {
                            <TableScroll label="Credit orders">
                                <table class="table" data-testid="orders">
                                    <thead><tr><th scope="col">"Placed"</th><th scope="col">"Order"</th><th scope="col">"Pack"</th><th scope="col">"Price"</th><th scope="col">"Status"</th><th scope="col">"Receipt"</th></tr></thead>
                                    <tbody>
                                        {list.into_iter().map(|o| view! {
                                            <tr>
                                                <td><LocalTime at=o.created_at/></td>
                                                <td class="nowrap"><a href=format!("/checkout/success?order={}", o.number)>{o.number.to_string()}</a></td>
                                                <td>{o.item_name.clone()}</td>
                                                <td class="nowrap">{o.price_label(crate::domain::Locale::default())}</td>
                                                <td>
                                                    <StatusBadge state=o.status.as_str() label=o.status.label()/>
                                                    {o.refunded().filter(|m| m.minor() > 0).map(|m| format!(" {} refunded", m.format(crate::domain::Locale::default())))}
                                                </td>
                                                <td><OrderDocuments order=o.clone()/></td>
                                            </tr>
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </TableScroll>
                        }.into_any(),
                        Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}
