//! `/admin/payments` and `/admin/orders/:number`: orders, provider events, reconciliation and refunds.

use super::table_or_message;
use crate::api::admin::{ReconcileNow, RefundOrder, RetryPaymentEvent, order_detail, payment_overview, refund_preview};
use crate::app::components::{
    ErrorPanel, Field, FieldError, FormAlert, LocalTime, Notice, PageMeta, PostForm, RoleGate, Skeleton, StatusBadge,
    Submission, Submit, endpoint, posted_error,
};
use crate::domain::{AppError, Role};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

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
                        {table_or_message("Orders", Ok(o.orders), "No orders yet.", order_headers, |r| view! {
                            <tr>
                                <td><LocalTime at=r.order.created_at/></td>
                                <td><a href=format!("/admin/orders/{}", r.order.number)><code>{r.order.number.to_string()}</code></a></td>
                                <td><code>{r.customer.to_string()}</code></td>
                                <td>{r.order.item_name.clone()}</td>
                                <td>{r.order.price_label(crate::domain::Locale::default())}</td>
                                <td><StatusBadge state=r.order.status.as_str() label=r.order.status.label()/></td>
                                <td>{r.order.invoice_number.clone().unwrap_or_default()}</td>
                            </tr>
                        }.into_any())}
                    </section>
                    <DuplicatePayments rows=o.duplicate_payments/>
                    <section class="card" aria-labelledby="events-heading">
                        <h2 id="events-heading">"Provider events"</h2>
                        {table_or_message("Provider events", Ok(o.events), "No events received yet.", event_headers, |e| {
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
                                    <td><StatusBadge state=e.status.clone() label=e.status.clone()/>
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
                            <dt>"Status"</dt><dd><StatusBadge state=o.status.as_str() label=o.status.label()/></dd>
                            <dt>"Invoice"</dt><dd>{o.invoice_number.clone().unwrap_or_else(|| "None yet".into())}</dd>
                            <dt>"Refunded"</dt><dd>{o.refunded().map(|m| m.format(crate::domain::Locale::default())).unwrap_or_else(|| "Nothing".into())}</dd>
                            <dt>"Placed"</dt><dd><LocalTime at=o.created_at/></dd>
                            <dt>"Checkout sessions"</dt><dd>{d.sessions.into_iter().map(|s| view! { <code>{s}</code>" " }).collect_view()}</dd>
                        </dl>
                    </section>
                    <RefundsCard number=o.number.to_string() refunds=d.refunds refundable=d.refundable_credits/>
                    {(!d.duplicate_payments.is_empty()).then(|| view! { <DuplicatePayments rows=d.duplicate_payments/> })}
                    <section class="card" aria-labelledby="history-heading">
                        <h2 id="history-heading">"History"</h2>
                        {table_or_message("History", Ok(d.transitions), "No history.", history_headers, |t| view! {
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

/// Payments taken for orders another checkout had already paid, and their automatic
/// refunds: one line each.
#[component]
fn DuplicatePayments(rows: Vec<crate::domain::types::DuplicatePaymentRow>) -> impl IntoView {
    let headers = &["Found", "Order", "What happened"];
    view! {
        <section class="card" id="duplicate-payments" aria-labelledby="duplicates-heading">
            <h2 id="duplicates-heading">"Duplicate payments"</h2>
            {table_or_message("Duplicate payments", Ok(rows), "No order was paid twice.", headers, |r| view! {
                <tr>
                    <td><LocalTime at=r.detected_at/></td>
                    <td><a href=format!("/admin/orders/{}", r.order_number)><code>{r.order_number.to_string()}</code></a></td>
                    <td>{r.summary(crate::domain::Locale::default())}</td>
                </tr>
            }.into_any())}
        </section>
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
            {table_or_message("Refunds", Ok(refunds), "No refunds.", headers, |r| view! {
                <tr>
                    <td><LocalTime at=r.created_at/></td>
                    <td>{r.amount.format(crate::domain::Locale::default())}</td>
                    <td>{format!("{} + {} bonus", r.credits, r.bonus_credits)}</td>
                    <td><StatusBadge state=r.status.as_str() label=r.status.label()/></td>
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
                            <RefundConfirmForm number=p.order_number.to_string() credits=p.credits expected=p.amount.minor() amount key error/>
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
