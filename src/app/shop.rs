//! Buying credits: the packs on sale, the result of an order, and the sandbox
//! provider's test checkout. Every form here is a plain form post: the pages work the
//! same before or without the WASM, and only the order result page hydrates, to watch
//! a payment being confirmed.

use crate::api::orders::{BuyCredits, PayOrder, SettleSandbox, credit_packages, order_result, sandbox_checkout};
use crate::app::components::{
    ErrorPanel, FormAlert, PageMeta, Skeleton, StatusBadge, endpoint, form_key, posted_error,
};
use crate::app::layout::page_user;
use crate::domain::Locale;
use crate::domain::orders::OrderStatus;
use crate::domain::types::{CreditPackage, OrderView, PaymentState, SandboxSession};
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

#[component]
pub fn CreditsPage() -> impl IntoView {
    let packages = Resource::new(|| (), |_| credit_packages());
    let error = posted_error::<BuyCredits, ()>();
    let signed_in = page_user().is_some();
    view! {
        <PageMeta title="Buy credits" description="Credit packs for sessions with Attune practitioners: prices, bonus credits and how long they last."/>
        <div class="container section">
            <h1>"Buy credits"</h1>
            <p class="lead">"Credits pay for sessions and services with any practitioner on Attune. Bonus credits are spent first."</p>
            <FormAlert error/>
            <Suspense fallback=|| view! { <div class="pack-grid"><div class="card"><Skeleton lines=4/></div><div class="card"><Skeleton lines=4/></div></div> }>
                {move || Suspend::new(async move {
                    match packages.await {
                        Ok(list) if list.is_empty() => view! { <p class="muted">"No credit packs are on sale right now. Please check back soon."</p> }.into_any(),
                        Ok(list) => view! {
                            <ul class="pack-grid" role="list">
                                {list.into_iter().map(|p| view! { <PackCard pack=p signed_in/> }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                    }
                })}
            </Suspense>
        </div>
    }
}

#[component]
fn PackCard(pack: CreditPackage, signed_in: bool) -> impl IntoView {
    let d = pack.draft.clone();
    let price = pack.price().format(Locale::default());
    let heading = format!("pack-{}", pack.id);
    let buy = if signed_in {
        view! {
            <form method="post" action={endpoint::<BuyCredits>()}>
                <input type="hidden" name="package_id" value=pack.id.to_string()/>
                <input type="hidden" name="key" value=form_key()/>
                <button type="submit" class="btn btn-primary" aria-describedby=heading.clone()>{format!("Buy for {price}")}</button>
            </form>
        }
        .into_any()
    } else {
        view! { <a class="btn btn-primary" href="/login?next=/credits" aria-describedby=heading.clone()>"Log in to buy"</a> }.into_any()
    };
    view! {
        <li class="card pack" data-testid="pack">
            {d.badge.clone().map(|b| view! { <span class="badge badge-popular">{b}</span> })}
            <h2 id=heading>{d.name.clone()}</h2>
            <p class="pack-credits"><strong>{d.credits}</strong>" credits"
                {(d.bonus_credits > 0).then(|| view! { <span class="pack-bonus">{format!(" + {} bonus", d.bonus_credits)}</span> })}
            </p>
            <p class="pack-price">{price.clone()}</p>
            <p class="muted small">{match d.validity_days {
                Some(days) => format!("Valid for {days} days after purchase."),
                None => "Never expires.".to_owned(),
            }}</p>
            {buy}
        </li>
    }
}

/// `/checkout/success` and `/checkout/failed`: the order's true state, whichever page
/// the provider sent the customer back to.
#[component]
pub fn OrderResultPage() -> impl IntoView {
    let number = use_query_map().read_untracked().get("order").unwrap_or_default();
    let order = Resource::new(move || number.clone(), order_result);
    let retry_error = posted_error::<PayOrder, ()>();
    view! {
        <PageMeta title="Your order" description="The state of your Attune credit order: paid, awaiting payment or not completed."/>
        <div class="container section narrow">
            <FormAlert error=retry_error/>
            <Suspense fallback=|| view! { <h1>"Your order"</h1><div class="card"><Skeleton lines=4/></div> }>
                {move || Suspend::new(async move {
                    match order.await {
                        Ok(o) => view! { <OrderResult order=o/> }.into_any(),
                        Err(e) => view! { <h1>"Your order"</h1><ErrorPanel error=e/> }.into_any(),
                    }
                })}
            </Suspense>
        </div>
    }
}

#[component]
fn OrderResult(order: OrderView) -> impl IntoView {
    let heading = match order.status {
        s if s.was_paid() => "Thank you: your order is paid",
        OrderStatus::Draft | OrderStatus::PendingPayment => "Your payment is not complete yet",
        OrderStatus::Cancelled => "This order was cancelled",
        OrderStatus::PaymentFailed => "Your payment did not go through",
        _ => "This order has expired",
    };
    let retry = order.status.awaits_payment().then(|| {
        view! {
            <form method="post" action={endpoint::<PayOrder>()} class="inline-form">
                <input type="hidden" name="order" value=order.number.to_string()/>
                <button type="submit" class="btn btn-primary">"Pay now"</button>
            </form>
        }
    });
    let explanation = match order.status {
        OrderStatus::PendingPayment => Some(
            "If you have just paid, the confirmation can take a moment; this page checks for it. Otherwise you can pay now: nothing has been charged.",
        ),
        OrderStatus::PaymentFailed => Some(
            "The payment was declined, so nothing was charged and no credits were added. You can try again on the same order.",
        ),
        OrderStatus::Expired => {
            Some("It was not paid within 24 hours, so nothing was charged. Choose a pack again to buy credits.")
        }
        _ => None,
    };
    view! {
        <h1>{heading}</h1>
        <section class="card" aria-label="Order summary" data-testid="order-result" data-status=order.status.as_str()>
            <dl class="facts">
                <dt>"Order"</dt><dd><strong data-testid="order-number">{order.number.to_string()}</strong></dd>
                <dt>"Pack"</dt><dd>{order.item_name.clone()}</dd>
                <dt>"Credits"</dt><dd>{order.credits}{(order.bonus_credits > 0).then(|| format!(" + {} bonus", order.bonus_credits))}</dd>
                <dt>"Price"</dt><dd>{order.price_label(Locale::default())}</dd>
                <dt>"Status"</dt><dd><StatusBadge state=order.status.as_str() label=order.status.label()/></dd>
                {order.invoice_number.clone().map(|n| view! {
                    <dt>"Invoice"</dt>
                    <dd>{n}" "<a href=format!("/orders/{}/receipt.pdf", order.number) download="" data-testid="receipt">"Download the receipt (PDF)"</a></dd>
                })}
            </dl>
            {explanation.map(|e| view! { <p>{e}</p> })}
            {(order.status == OrderStatus::PendingPayment).then(|| view! { <PaymentWatcher number=order.number.to_string()/> })}
            <div class="actions">
                {retry}
                {if let (true, Some(n)) = (order.status.was_paid(), order.for_order.clone()) {
                    view! { <a class="btn btn-primary" href=format!("/checkout/{n}?step=3") data-testid="back-to-order">{format!("Back to your order {n}")}</a> }.into_any()
                } else if order.status.was_paid() {
                    view! { <a class="btn btn-secondary" href="/dashboard#credits">"See your credits"</a> }.into_any()
                } else {
                    view! { <a class="btn btn-ghost" href="/credits">"Choose another pack"</a> }.into_any()
                }}
            </div>
        </section>
    }
}

/// Asks the server every two seconds whether the payment was confirmed and says so in
/// place. Without the WASM the page says how to check again.
#[island]
fn PaymentWatcher(number: String) -> impl IntoView {
    let status = RwSignal::new(None::<PaymentState>);
    let retry = format!("/checkout/failed?order={number}");
    #[cfg(feature = "hydrate")]
    {
        use std::time::Duration;
        let handle = StoredValue::new(None::<leptos::prelude::IntervalHandle>);
        let busy = StoredValue::new(false);
        let poll = move || {
            if busy.get_value() {
                return;
            }
            busy.set_value(true);
            let number = number.clone();
            leptos::task::spawn_local(async move {
                let answer: Result<PaymentState, _> =
                    crate::app::components::call(endpoint::<crate::api::orders::WatchPayment>(), &[("order", &number)])
                        .await;
                busy.set_value(false);
                if let Ok(o) = answer
                    && o.status != OrderStatus::PendingPayment
                {
                    if let Some(h) = handle.get_value() {
                        h.clear();
                    }
                    status.set(Some(o));
                }
            });
        };
        handle.set_value(set_interval_with_handle(poll, Duration::from_secs(2)).ok());
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = number;
    let message = move || {
        match status.get() {
        None => view! { <p class="muted">"Waiting for the payment provider to confirm… "<a href="">"Check again"</a></p> }.into_any(),
        Some(o) if o.status.was_paid() => view! {
            <p class="alert alert-success" data-testid="payment-confirmed">
                {format!("Payment confirmed: {} credits are in your account. Invoice {}.", o.credits, o.invoice_number.unwrap_or_default())}
                " "<a href="/dashboard#credits">"See your credits"</a>
            </p>
        }.into_any(),
        Some(o) => view! {
            <p class="alert alert-error">{format!("{}: nothing was charged.", o.status.label())}" "
                <a href=retry.clone()>"Try again"</a></p>
        }.into_any(),
    }
    };
    view! { <div role="status" aria-live="polite">{message}</div> }
}

/// The sandbox provider's test checkout: clearly not a real payment page.
#[component]
pub fn SandboxCheckoutPage() -> impl IntoView {
    let id = use_params_map().read_untracked().get("id").unwrap_or_default();
    let checkout = Resource::new(move || id.clone(), sandbox_checkout);
    let error = posted_error::<SettleSandbox, ()>();
    view! {
        <PageMeta title="Test checkout" description="The Attune sandbox payment page: approve or decline a test payment. No money moves."/>
        <div class="container section narrow">
            <p class="sandbox-banner" role="note"><strong>"Test mode."</strong>" This is the built-in sandbox, not a real payment page: no card is charged and no money moves."</p>
            <h1>"Test checkout"</h1>
            <FormAlert error/>
            <Suspense fallback=|| view! { <div class="card"><Skeleton lines=3/></div> }>
                {move || Suspend::new(async move {
                    match checkout.await {
                        Ok(c) => view! { <SandboxForm checkout=c/> }.into_any(),
                        Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                    }
                })}
            </Suspense>
        </div>
    }
}

#[component]
fn SandboxForm(checkout: SandboxSession) -> impl IntoView {
    let settle = |outcome: &'static str, label: &'static str, class: &'static str, id: String| {
        view! {
            <form method="post" action={endpoint::<SettleSandbox>()} class="inline-form">
                <input type="hidden" name="session_id" value=id/>
                <input type="hidden" name="outcome" value=outcome/>
                <button type="submit" class=class>{label}</button>
            </form>
        }
    };
    let state = if checkout.open {
        view! {
            <div class="actions">
                {settle("approve", "Approve test payment", "btn btn-primary", checkout.id.clone())}
                {settle("decline", "Decline test payment", "btn btn-secondary", checkout.id.clone())}
            </div>
            <p><a href=checkout.cancel_path.clone()>"Cancel and return to the shop"</a></p>
        }
        .into_any()
    } else if checkout.paid {
        view! { <p>"This test payment was approved."</p> }.into_any()
    } else if checkout.declined {
        view! { <p>"This test payment was declined."</p> }.into_any()
    } else {
        view! { <p>"This test checkout has expired."</p> }.into_any()
    };
    view! {
        <section class="card" aria-label="Payment">
            <dl class="facts">
                <dt>"Order"</dt><dd>{checkout.order_number.clone()}</dd>
                <dt>"For"</dt><dd>{checkout.description.clone()}</dd>
                <dt>"Amount"</dt><dd><strong>{checkout.amount.format(Locale::default())}</strong></dd>
            </dl>
            {state}
        </section>
    }
}
