//! The checkout for a service (`/checkout/new/<service>`, then `/checkout/<order>` with
//! its three steps) and a service order's page (`/orders/<order>`). Every form is a plain
//! form post, so each step works before or without the WASM; hydrated, the forms show
//! progress and errors in place.
//!
//! The first step of a new order is in `new_checkout`, an order at checkout in `steps`,
//! an order's page in `order_page`, and the practitioner's list of orders in `orders`;
//! the parts both checkout pages show are here.

mod new_checkout;
mod order_page;
mod orders;
mod steps;

pub use new_checkout::NewCheckoutPage;
pub use order_page::OrderPage;
pub use orders::{OrderTable, PractitionerOrdersPage};
pub use steps::CheckoutPage;

use crate::api::checkout::SaveCheckoutDetails;
use crate::app::booking::{NearestTimes, SlotTarget};
use crate::app::components::{Field, FormAlert, PostForm, Submission, Submit, endpoint};
use crate::domain::catalog::Price;
use crate::domain::checkout::Step;
use crate::domain::types::{BookingTime, PractitionerSummary};
use crate::domain::{AppError, Locale};
use leptos::prelude::*;
use leptos_router::components::Redirect;

/// Sends the visitor on to `path`: a real redirect when the page is rendered on the
/// server, a client-side one once hydrated.
fn redirect(path: String) -> AnyView {
    #[cfg(feature = "ssr")]
    leptos_axum::redirect(&path);
    view! { <Redirect path/> }.into_any()
}

/// The three steps, the current one marked for assistive technology.
#[component]
fn Progress(current: Step, completed: i16, #[prop(optional)] number: Option<String>) -> impl IntoView {
    view! {
        <nav aria-label="Checkout progress">
            <ol class="steps" data-testid="checkout-steps">
                {Step::ALL.into_iter().map(|s| {
                    let done = s.number() <= completed;
                    let label = s.label();
                    let class = if s == current { "step step-current" } else if done { "step step-done" } else { "step" };
                    let reachable = number.clone().filter(|_| s != current && s.number() <= completed + 1);
                    view! {
                        <li class=class aria-current=(s == current).then_some("step")>
                            {match reachable {
                                Some(n) => view! { <a href=format!("/checkout/{n}?step={}", s.number())>{label}</a> }.into_any(),
                                None => view! { <span>{label}</span> }.into_any(),
                            }}
                            {done.then(|| view! { <span class="sr-only">" (done)"</span> })}
                        </li>
                    }
                }).collect_view()}
            </ol>
        </nav>
    }
}

/// What is being bought, beside every step.
#[component]
fn Summary(title: String, practitioner: PractitionerSummary, price: Price, when: Option<BookingTime>) -> impl IntoView {
    view! {
        <aside class="card checkout-summary" aria-labelledby="summary-heading">
            <h2 id="summary-heading">"Your order"</h2>
            <p><strong>{title}</strong></p>
            <p class="muted">"With "{practitioner.name}</p>
            {when.map(|t| view! { <p>"When: "<strong data-testid="checkout-time">{t.label}</strong></p> })}
            <p>"Price: "<strong data-testid="checkout-price">{price.label(Locale::default())}</strong></p>
        </aside>
    }
}

#[cfg_attr(any(feature = "ssr", feature = "workspace"), island)]
#[cfg_attr(not(any(feature = "ssr", feature = "workspace")), component)]
fn DetailsStep(
    order: String,
    service: String,
    key: String,
    name: String,
    email: String,
    at: String,
    tz: String,
    error: Option<AppError>,
) -> impl IntoView {
    let state = Submission::new(error);
    let error = state.error;
    let nearest = (!at.is_empty()).then(|| SlotTarget::New { slug: service.clone(), tz: tz.clone() });
    view! {
        <FormAlert error/>
        {nearest.map(|target| view! { <NearestTimes error target/> })}
        <PostForm action={endpoint::<SaveCheckoutDetails>()} state class="stack">
            <input type="hidden" name="order" value=order/>
            <input type="hidden" name="service" value=service/>
            <input type="hidden" name="key" value=key/>
            <input type="hidden" name="at" value=at/>
            <input type="hidden" name="tz" value=tz/>
            <Field label="Your name" name="name" autocomplete="name" value=name error required=true maxlength=100/>
            <Field label="Email" name="email" kind="email" autocomplete="email" value=email error required=true maxlength=254
                hint="Where we send the confirmation and the practitioner's replies."/>
            <Submit label="Continue" busy_label="Saving…" pending=state.pending/>
        </PostForm>
    }
}
