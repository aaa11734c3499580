//! `/checkout/new/<service>`: the first step of a new order.

use super::{DetailsStep, Progress, Summary, redirect};
use crate::api::checkout::{CheckoutOpening, SaveCheckoutDetails, open_checkout};
use crate::app::booking::{NearestTimes, SlotTarget};
use crate::app::components::{ErrorPanel, FormAlert, PageMeta, Skeleton, form_key, posted_error};
use crate::domain::AppError;
use crate::domain::checkout::Step;
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

/// `/checkout/new/<service>`: step 1 of a new order, or the visitor's draft for the
/// service if they have one.
#[component]
pub fn NewCheckoutPage() -> impl IntoView {
    let slug = use_params_map().read_untracked().get("slug").unwrap_or_default();
    let query = use_query_map().read_untracked().clone();
    let (at, tz) = (query.get("at").unwrap_or_default(), query.get("tz").unwrap_or_default());
    let (slug_now, tz_now) = (slug.clone(), tz.clone());
    let opening = Resource::new(move || (slug.clone(), at.clone(), tz.clone()), |(s, a, z)| open_checkout(s, a, z));
    let error = posted_error::<SaveCheckoutDetails, ()>();
    view! {
        <PageMeta title="Checkout: your details" description="Step 1 of 3: who the order is for."/>
        <div class="container section">
            <Suspense fallback=|| view! { <h1>"Checkout"</h1><div class="card"><Skeleton lines=5/></div> }>
                {move || {
                    let (error, slug_now, tz_now) = (error.clone(), slug_now.clone(), tz_now.clone());
                    Suspend::new(async move {
                        match opening.await {
                            Ok(CheckoutOpening::Resume(number)) => redirect(format!("/checkout/{number}")),
                            Ok(CheckoutOpening::New(start)) => {
                                let start = *start;
                                let (at, tz) = match &start.slot {
                                    Some(t) => (crate::domain::datetime::machine(t.starts_at), t.zone.as_str().to_owned()),
                                    None => Default::default(),
                                };
                                view! {
                                    <h1>"Checkout"</h1>
                                    <Progress current=Step::Details completed=0/>
                                    <div class="checkout-grid">
                                        <section class="card" aria-labelledby="step-heading">
                                            <h2 id="step-heading">"Your details"</h2>
                                            {(!start.signed_in).then(|| view! {
                                                <p class="muted">"We make an account for you with this email, so you can follow the order. Already have one? "
                                                    <a href=format!("/login?next=/checkout/new/{}", start.service.slug)>"Log in"</a>" first."</p>
                                            })}
                                            <DetailsStep order=String::new() service=start.service.slug.clone() key=form_key()
                                                name=start.name.clone() email=start.email.clone() at tz error/>
                                        </section>
                                        <Summary title=start.service.title.clone() practitioner=start.practitioner.clone() price=start.service.price when=start.slot.clone()/>
                                    </div>
                                }.into_any()
                            }
                            Err(e @ AppError::SlotTaken { .. }) => view! {
                                <h1>"Checkout"</h1>
                                <NearestTimes error=Signal::stored(Some(e.clone())) target=SlotTarget::New { slug: slug_now.clone(), tz: tz_now.clone() }/>
                                <FormAlert error=Signal::stored(Some(e))/>
                            }.into_any(),
                            Err(e) => view! { <h1>"Checkout"</h1><ErrorPanel error=e/> }.into_any(),
                        }
                    })
                }}
            </Suspense>
        </div>
    }
}
