//! The checkout for a service (`/checkout/new/<service>`, then `/checkout/<order>` with
//! its three steps) and a service order's page (`/orders/<order>`). Every form is a plain
//! form post, so each step works before or without the WASM; hydrated, the forms show
//! progress and errors in place.

use crate::api::booking::ChooseSessionTime;
use crate::api::checkout::{
    CheckoutOpening, PayCheckout, PostOrderMessage, ReassignOrder, SaveCheckoutAnswers, SaveCheckoutDetails,
    WorkOnOrder, checkout_state, open_checkout, service_order,
};
use crate::api::orders::BuyCredits;
use crate::app::booking::{BookingErrors, BookingSection, NearestTimes, SlotTarget};
use crate::app::components::{
    ErrorPanel, Field, FieldError, FormAlert, LocalTime, PageMeta, PostForm, Skeleton, Submission, Submit, endpoint,
    form_key, posted_error,
};
use crate::domain::catalog::{Price, Question, QuestionKind};
use crate::domain::checkout::{Step, answer_field, answer_key, answer_limit};
use crate::domain::messages::Piece;
use crate::domain::orders::OrderStatus;
use crate::domain::types::{BookingTime, CheckoutView, OrderRole, PractitionerSummary, ServiceOrderView};
use crate::domain::{AppError, Locale};
use leptos::prelude::*;
use leptos_router::components::Redirect;
use leptos_router::hooks::{use_params_map, use_query_map};
use std::collections::BTreeMap;

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
                    let label = format!("{}. {}", s.number(), s.label());
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

/// `/checkout/<order>`: the step asked for (`?step=`), or the first one not yet done.
#[component]
pub fn CheckoutPage() -> impl IntoView {
    let number = use_params_map().read_untracked().get("number").unwrap_or_default();
    let asked = use_query_map().read_untracked().get("step");
    let view_of = Resource::new(move || number.clone(), checkout_state);
    let details_error = posted_error::<SaveCheckoutDetails, ()>();
    let answers_error = posted_error::<SaveCheckoutAnswers, ()>();
    let pay_error = posted_error::<PayCheckout, ()>();
    let buy_error = posted_error::<BuyCredits, ()>();
    view! {
        <Suspense fallback=|| view! { <div class="container section"><h1>"Checkout"</h1><div class="card"><Skeleton lines=6/></div></div> }>
            {move || {
                let (asked, details_error, answers_error, pay_error, buy_error) =
                    (asked.clone(), details_error.clone(), answers_error.clone(), pay_error.clone(), buy_error.clone());
                Suspend::new(async move {
                    match view_of.await {
                        Ok(c) if c.status != OrderStatus::Draft => redirect(format!("/orders/{}", c.number)),
                        Ok(c) => {
                            let step = Step::shown(c.completed, asked.as_deref());
                            let body = match step {
                                Step::Details => view! {
                                    <DetailsStep order=c.number.clone() service=String::new() key=String::new()
                                        name=c.name.clone() email=c.email.clone() at=String::new() tz=String::new() error=details_error/>
                                }.into_any(),
                                Step::Questions => view! {
                                    <AnswersStep order=c.number.clone() questions=c.questions.clone() answers=c.answers.clone() error=answers_error/>
                                }.into_any(),
                                Step::Review => view! { <Review c=c.clone() pay_error buy_error/> }.into_any(),
                            };
                            view! {
                                <PageMeta title=format!("Checkout: {}", step.label().to_lowercase()) description=format!("Step {} of 3 of your order for {}.", step.number(), c.title)/>
                                <div class="container section">
                                    <h1>"Checkout"</h1>
                                    <Progress current=step completed=c.completed number=c.number.clone()/>
                                    <div class="checkout-grid">
                                        <section class="card" aria-labelledby="step-heading">
                                            <h2 id="step-heading">{step.label()}</h2>
                                            {body}
                                            <p class="muted small">"Saved as you go: come back before "<LocalTime at=c.expires_at/>" to carry on where you stopped."</p>
                                        </section>
                                        <Summary title=c.title.clone() practitioner=c.practitioner.clone() price=c.price when=c.slot.clone()/>
                                    </div>
                                </div>
                            }.into_any()
                        }
                        Err(e) => view! {
                            <PageMeta title="Checkout" description="Your order at checkout."/>
                            <div class="container section"><h1>"Checkout"</h1><ErrorPanel error=e/></div>
                        }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

#[cfg_attr(any(feature = "ssr", feature = "workspace"), island)]
#[cfg_attr(not(any(feature = "ssr", feature = "workspace")), component)]
fn AnswersStep(
    order: String,
    questions: Vec<Question>,
    answers: BTreeMap<String, String>,
    error: Option<AppError>,
) -> impl IntoView {
    let state = Submission::new(error);
    let error = state.error;
    view! {
        <FormAlert error/>
        <PostForm action={endpoint::<SaveCheckoutAnswers>()} state class="stack">
            <input type="hidden" name="order" value=order/>
            {questions.is_empty().then(|| view! { <p>"This service asks no questions before it starts."</p> })}
            {questions.into_iter().map(|q| {
                let value = answers.get(&q.id.to_string()).cloned().unwrap_or_default();
                view! { <AnswerField q value error/> }
            }).collect_view()}
            <Submit label="Continue to review" busy_label="Saving…" pending=state.pending/>
        </PostForm>
    }
}

#[component]
fn AnswerField(q: Question, value: String, error: RwSignal<Option<AppError>>) -> impl IntoView {
    let id = answer_field(&q);
    let name = format!("answers[{}]", answer_key(&q));
    let error_id = format!("{id}-error");
    let field = id.clone();
    let message = move || error.get().filter(|e| e.field() == Some(field.as_str())).map(|e| e.to_string());
    let invalid = {
        let message = message.clone();
        move || if message().is_some() { "true" } else { "false" }
    };
    let label = if q.required { q.label.clone() } else { format!("{} (optional)", q.label) };
    let limit = answer_limit(q.kind);
    let control = match q.kind {
        QuestionKind::ShortText => view! {
            <label for=id.clone()>{label}</label>
            <input id=id.clone() name=name type="text" value=value maxlength=limit required=q.required aria-invalid=invalid aria-describedby=error_id.clone()/>
        }.into_any(),
        QuestionKind::LongText => view! {
            <label for=id.clone()>{label}</label>
            <textarea id=id.clone() name=name rows="6" maxlength=limit required=q.required aria-invalid=invalid aria-describedby=error_id.clone()>{value}</textarea>
        }.into_any(),
        QuestionKind::Date => view! {
            <label for=id.clone()>{label}</label>
            <input id=id.clone() name=name type="date" value=value required=q.required aria-invalid=invalid aria-describedby=error_id.clone()/>
        }.into_any(),
        QuestionKind::Choice => view! {
            <fieldset id=id.clone() aria-describedby=error_id.clone()>
                <legend>{label}</legend>
                {q.options.iter().enumerate().map(|(i, o)| {
                    let option_id = format!("{id}-{i}");
                    view! {
                        <div class="field checkbox">
                            <input id=option_id.clone() type="radio" name=name.clone() value=o.clone() checked=*o == value required=q.required/>
                            <label for=option_id>{o.clone()}</label>
                        </div>
                    }
                }).collect_view()}
            </fieldset>
        }.into_any(),
    };
    view! {
        <div class="field">
            {control}
            <p class="field-error" id=error_id>{message}</p>
        </div>
    }
}

#[component]
fn Review(c: CheckoutView, pay_error: Option<AppError>, buy_error: Option<AppError>) -> impl IntoView {
    let answered: Vec<(String, String)> = c
        .questions
        .iter()
        .map(|q| (q.label.clone(), c.answers.get(&q.id.to_string()).cloned().unwrap_or_else(|| "No answer".into())))
        .collect();
    let credits = c.price.credits.map(|n| n.get());
    let short = c.shortfall();
    let card = c.price.card.map(|m| m.format(Locale::default()));
    let offer = c.offer.clone().filter(|_| short.is_some());
    view! {
        <dl class="facts" data-testid="review">
            <dt>"Service"</dt><dd>{c.title.clone()}</dd>
            <dt>"Practitioner"</dt><dd>{c.practitioner.name.clone()}</dd>
            {c.slot.clone().map(|t| view! {
                <dt>"When"</dt>
                <dd>{t.label.clone()}" "<a href=format!("/s/{}/book?order={}&tz={}", c.service_slug, c.number, t.zone.as_str().replace('+', "%2B"))>"Change the time"</a></dd>
            })}
            <dt>"For"</dt><dd>{format!("{} · {}", c.name, c.email)}</dd>
            {answered.into_iter().map(|(q, a)| view! { <dt>{q}</dt><dd class="answer">{a}</dd> }).collect_view()}
            <dt>"Price"</dt><dd data-testid="review-price">{c.price.label(Locale::default())}</dd>
            {c.balance.map(|b| view! { <dt>"Your credits"</dt><dd data-testid="balance">{format!("{b} credits")}</dd> })}
        </dl>
        <p><a href=format!("/checkout/{}?step=2", c.number)>"Change your answers"</a></p>
        <PayButtons order=c.number.clone() credits short card signed_in=c.signed_in timed=c.slot.is_some() error=pay_error/>
        {offer.map(|p| {
            let price = p.price().format(Locale::default());
            let total = p.draft.credits + p.draft.bonus_credits;
            view! {
                <section class="card shortfall" aria-labelledby="offer-heading" data-testid="offer">
                    <h3 id="offer-heading">{format!("{} credits would cover it", short.unwrap_or_default())}</h3>
                    <p>{format!("{} gives you {total} credits for {price}. After paying, come back to this order: it is kept for you.", p.draft.name)}</p>
                    <FormAlert error=Signal::stored(buy_error)/>
                    <form method="post" action={endpoint::<BuyCredits>()}>
                        <input type="hidden" name="package_id" value=p.id.to_string()/>
                        <input type="hidden" name="key" value=form_key()/>
                        <input type="hidden" name="for_order" value=c.number.clone()/>
                        <button type="submit" class="btn btn-secondary">{format!("Buy {} for {price}", p.draft.name)}</button>
                    </form>
                </section>
            }
        })}
    }
}

#[cfg_attr(any(feature = "ssr", feature = "workspace"), island)]
#[cfg_attr(not(any(feature = "ssr", feature = "workspace")), component)]
fn PayButtons(
    order: String,
    credits: Option<i64>,
    short: Option<i64>,
    card: Option<String>,
    signed_in: bool,
    timed: bool,
    error: Option<AppError>,
) -> impl IntoView {
    let state = Submission::new(error);
    let error = state.error;
    let nearest = timed.then(|| SlotTarget::Post { action: endpoint::<ChooseSessionTime>(), order: order.clone() });
    let by_credits = credits.map(|n| {
        let order = order.clone();
        let note = match short {
            Some(s) if signed_in => Some(format!("You need {s} more credits to pay this way.")),
            Some(_) => Some(
                "Credits are for signed-in customers: choose your password from the email we sent, then buy credits."
                    .to_owned(),
            ),
            None => None,
        };
        view! {
            <PostForm action={endpoint::<PayCheckout>()} state class="inline-form">
                <input type="hidden" name="order" value=order/>
                <input type="hidden" name="method" value="credits"/>
                <Submit label=format!("Pay {n} credits") busy_label="Paying…" pending=state.pending/>
            </PostForm>
            {note.map(|n| view! { <p class="muted" data-testid="shortfall">{n}</p> })}
        }
    });
    let by_card = card.map(|amount| {
        view! {
            <PostForm action={endpoint::<PayCheckout>()} state class="inline-form">
                <input type="hidden" name="order" value=order.clone()/>
                <input type="hidden" name="method" value="card"/>
                <Submit label=format!("Pay {amount} by card") busy_label="Opening the payment page…" pending=state.pending secondary=credits.is_some()/>
            </PostForm>
        }
    });
    view! {
        <FormAlert error/>
        {nearest.map(|target| view! { <NearestTimes error target/> })}
        <div class="actions pay-actions">{by_credits}{by_card}</div>
    }
}

/// `/orders/<order>`: a service order for its customer, its practitioner and admins.
#[component]
pub fn OrderPage() -> impl IntoView {
    let number = use_params_map().read_untracked().get("number").unwrap_or_default();
    let order = Resource::new(move || number.clone(), service_order);
    let work_error = posted_error::<WorkOnOrder, ()>();
    let reassign_error = posted_error::<ReassignOrder, ()>();
    let pay_error = posted_error::<PayCheckout, ()>();
    let message_error = posted_error::<PostOrderMessage, ()>();
    let booking_errors = BookingErrors::posted();
    let query = use_query_map().read_untracked().clone();
    let upload_error = query.get("upload_error");
    let uploaded = query.get("uploaded").is_some();
    view! {
        <div class="container section">
            <Suspense fallback=|| view! { <h1>"Your order"</h1><div class="card"><Skeleton lines=6/></div> }>
                {move || {
                    let (work_error, reassign_error, pay_error) = (work_error.clone(), reassign_error.clone(), pay_error.clone());
                    let (message_error, upload_error) = (message_error.clone(), upload_error.clone());
                    let booking_errors = booking_errors.clone();
                    Suspend::new(async move {
                        match order.await {
                            Ok(o) => {
                                let exchange = view! { <Exchange o=o.clone() message_error upload_error uploaded/> };
                                view! { <OrderDetail o work_error reassign_error pay_error booking_errors/>{exchange} }.into_any()
                            }
                            Err(e) => view! {
                                <PageMeta title="Order" description="An Attune service order."/>
                                <h1>"Order"</h1><ErrorPanel error=e/>
                            }.into_any(),
                        }
                    })
                }}
            </Suspense>
        </div>
    }
}

#[component]
fn OrderDetail(
    o: ServiceOrderView,
    work_error: Option<AppError>,
    reassign_error: Option<AppError>,
    pay_error: Option<AppError>,
    booking_errors: BookingErrors,
) -> impl IntoView {
    let v = o.order.clone();
    let number = v.number.clone();
    let status = v.status;
    let price = v.price_label(Locale::default());
    let booked = o.booking.is_some();
    let explanation = match (status, o.viewer) {
        (OrderStatus::Paid, _) if booked => "Paid. The session is in both calendars.",
        (OrderStatus::Completed, _) if booked => "The session took place.",
        (OrderStatus::Paid, OrderRole::Customer) => "Paid. The practitioner has been told and will accept it shortly.",
        (OrderStatus::Paid, _) => "Paid and waiting for the practitioner to accept it.",
        (OrderStatus::InProgress, _) => "The practitioner is working on it.",
        (OrderStatus::Completed, _) => "Delivered and completed.",
        (OrderStatus::PendingPayment, _) => {
            "Waiting for the card payment. If you have just paid, the confirmation can take a moment: reload this page."
        }
        (OrderStatus::PaymentFailed, _) => {
            "The card payment did not go through, so nothing was charged. You can try again."
        }
        (OrderStatus::Expired, _) => "It was not paid within 24 hours, so nothing was charged.",
        (OrderStatus::Cancelled, _) if booked && v.paid_with.is_some() => {
            "The session was cancelled; nothing came back under the policy."
        }
        (OrderStatus::Cancelled, _) => "Cancelled before it was paid.",
        (OrderStatus::Draft, _) => "Not placed yet.",
        (OrderStatus::Refunded | OrderStatus::PartiallyRefunded, _) => "Refunded.",
    };
    let heading = format!("Order {number}");
    let work = (o.viewer == OrderRole::Practitioner && !booked)
        .then(|| match status {
            OrderStatus::Paid => Some(("accept", "Accept the order")),
            OrderStatus::InProgress => Some(("complete", "Mark as completed")),
            _ => None,
        })
        .flatten();
    let retry = (o.viewer == OrderRole::Customer
        && matches!(status, OrderStatus::PendingPayment | OrderStatus::PaymentFailed))
    .then(|| number.clone());
    let admin = (o.viewer == OrderRole::Admin
        && !booked
        && !matches!(
            status,
            OrderStatus::Completed | OrderStatus::Cancelled | OrderStatus::Expired | OrderStatus::Refunded
        ))
    .then(|| number.clone());
    view! {
        <PageMeta title=heading.clone() description=format!("{} with {}: status, answers and history.", v.item_name, o.practitioner.name)/>
        <p>{match o.viewer {
            OrderRole::Customer => view! { <a href="/dashboard#service-orders">"← Your orders"</a> }.into_any(),
            OrderRole::Practitioner => view! { <a href="/practitioner/orders">"← Orders to deliver"</a> }.into_any(),
            OrderRole::Admin => view! { <a href="/admin/payments">"← Payments"</a> }.into_any(),
        }}</p>
        <h1>{heading}</h1>
        <section class="card" aria-label="Order summary" data-testid="service-order" data-status=status.as_str()>
            <dl class="facts">
                <dt>"Service"</dt><dd><a href=format!("/s/{}", o.service_slug)>{v.item_name.clone()}</a></dd>
                <dt>"Practitioner"</dt><dd>{o.practitioner.name.clone()}</dd>
                <dt>"Customer"</dt><dd>{o.customer_name.clone()}</dd>
                <dt>{if v.paid_with.is_some() { "Paid" } else { "Price" }}</dt><dd data-testid="order-price">{price}</dd>
                <dt>"Status"</dt><dd><span class=format!("badge badge-{}", status.as_str()) data-testid="order-status">{status.label()}</span></dd>
                {v.invoice_number.clone().map(|n| view! {
                    <dt>"Invoice"</dt>
                    <dd>{n}" "<a href=format!("/orders/{}/receipt.pdf", v.number) download="">"Download the receipt (PDF)"</a></dd>
                })}
            </dl>
            <p>{explanation}</p>
            {work.map(|(step, label)| view! { <WorkForm order=number.clone() step=step.to_owned() label=label.to_owned() error=work_error.clone()/> })}
            {retry.map(|n| view! {
                <FormAlert error=Signal::stored(pay_error.clone())/>
                <form method="post" action={endpoint::<PayCheckout>()} class="inline-form">
                    <input type="hidden" name="order" value=n/>
                    <input type="hidden" name="method" value="card"/>
                    <button type="submit" class="btn btn-primary">"Pay now"</button>
                </form>
            })}
        </section>
        {o.booking.clone().map(|b| view! {
            <BookingSection number=number.clone() service_slug=o.service_slug.clone() b is_customer=o.viewer == OrderRole::Customer errors=booking_errors.clone()/>
        })}
        {(!o.questions.is_empty()).then(|| view! {
            <section class="card" aria-labelledby="answers-heading">
                <h2 id="answers-heading">"Answers"</h2>
                <dl class="facts">
                    {o.questions.iter().map(|q| view! {
                        <dt>{q.label.clone()}</dt>
                        <dd class="answer">{o.answers.get(&q.id.to_string()).cloned().unwrap_or_else(|| "No answer".into())}</dd>
                    }).collect_view()}
                </dl>
            </section>
        })}
        <section class="card" aria-labelledby="timeline-heading">
            <h2 id="timeline-heading">"History"</h2>
            <ol class="timeline" data-testid="timeline">
                {o.timeline.iter().map(|t| view! {
                    <li>
                        <LocalTime at=t.at/>" · "<strong>{t.status.label()}</strong>" · "{t.note.clone()}
                        {t.by.clone().map(|b| view! { <span class="muted">{format!(" ({b})")}</span> })}
                    </li>
                }).collect_view()}
            </ol>
        </section>
        {admin.map(|n| view! {
            <section class="card" aria-labelledby="reassign-heading">
                <h2 id="reassign-heading">"Reassign"</h2>
                <FormAlert error=Signal::stored(reassign_error.clone())/>
                <form method="post" action={endpoint::<ReassignOrder>()} class="stack">
                    <input type="hidden" name="order" value=n/>
                    <Field label="Practitioner's account code" name="practitioner" error=Signal::stored(reassign_error.clone()) required=true maxlength=20/>
                    <button type="submit" class="btn btn-secondary">"Reassign"</button>
                </form>
            </section>
        })}
    }
}

/// The order's files and messages, once it is paid.
#[component]
fn Exchange(
    o: ServiceOrderView,
    message_error: Option<AppError>,
    upload_error: Option<String>,
    uploaded: bool,
) -> impl IntoView {
    if !o.order.status.was_paid() {
        return ().into_any();
    }
    let number = o.order.number.clone();
    let upload_action = format!("/orders/{number}/documents");
    let message_error = Signal::stored(message_error);
    view! {
        <section class="card" id="documents" aria-labelledby="documents-heading">
            <h2 id="documents-heading">"Files"</h2>
            <div role="alert" class="alert-slot">{upload_error.map(|m| view! { <p class="alert alert-error">{m}</p> })}</div>
            <div role="status" class="alert-slot">{uploaded.then(|| view! { <p class="alert alert-success">"File added."</p> })}</div>
            {if o.documents.is_empty() {
                view! { <p class="muted">"No files yet."</p> }.into_any()
            } else {
                view! {
                    <ul class="entry-list" data-testid="documents">
                        {o.documents.iter().map(|d| view! {
                            <li>
                                <a href=format!("/orders/{number}/documents/{}", d.id) download="">{d.file_name.clone()}</a>
                                <span class="muted">{format!(" · {} KB · from {} · ", (d.size_bytes + 1023) / 1024, d.uploaded_by)}<LocalTime at=d.uploaded_at/></span>
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
            {o.can_write.then(|| view! {
                <form method="post" action=upload_action enctype="multipart/form-data" class="stack">
                    <div class="field">
                        <label for="file">"Add a file"</label>
                        <p class="field-hint" id="file-hint">"A PDF, JPEG or PNG of at most 10 MB. Both sides of the order can download it."</p>
                        <input id="file" name="file" type="file" accept=".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png" required aria-describedby="file-hint"/>
                    </div>
                    <button type="submit" class="btn btn-secondary">"Upload"</button>
                </form>
            })}
        </section>
        <section class="card" id="messages" aria-labelledby="messages-heading">
            <h2 id="messages-heading">"Messages"</h2>
            {if o.messages.is_empty() {
                view! { <p class="muted">"No messages yet."</p> }.into_any()
            } else {
                view! {
                    <ol class="thread" data-testid="messages">
                        {o.messages.iter().map(|m| view! {
                            <li class=if m.mine { "message message-mine" } else { "message" }>
                                <p class="muted small">{m.author.clone()}" · "<LocalTime at=m.at/></p>
                                <p class="message-body">{m.pieces.iter().map(|p| match p {
                                    Piece::Text(t) => t.clone().into_any(),
                                    Piece::Link(url) => view! { <a href=url.clone() rel="nofollow noopener noreferrer ugc" target="_blank">{url.clone()}</a> }.into_any(),
                                }).collect_view()}</p>
                            </li>
                        }).collect_view()}
                    </ol>
                }.into_any()
            }}
            {o.can_write.then(|| view! {
                <FormAlert error=message_error/>
                <form method="post" action={endpoint::<PostOrderMessage>()} class="stack">
                    <input type="hidden" name="order" value=number.clone()/>
                    <div class="field">
                        <label for="body">"Your message"</label>
                        <textarea id="body" name="body" rows="4" maxlength="5000" required aria-describedby="body-error"></textarea>
                        <FieldError name="body" error=message_error/>
                    </div>
                    <button type="submit" class="btn btn-primary">"Send"</button>
                </form>
            })}
        </section>
    }
    .into_any()
}

#[cfg_attr(any(feature = "ssr", feature = "workspace"), island)]
#[cfg_attr(not(any(feature = "ssr", feature = "workspace")), component)]
fn WorkForm(order: String, step: String, label: String, error: Option<AppError>) -> impl IntoView {
    let state = Submission::new(error);
    let error = state.error;
    view! {
        <FormAlert error/>
        <PostForm action={endpoint::<WorkOnOrder>()} state class="inline-form">
            <input type="hidden" name="order" value=order/>
            <input type="hidden" name="step" value=step/>
            <Submit label busy_label="Saving…" pending=state.pending/>
        </PostForm>
    }
}

/// `/practitioner/orders`: the paid orders a practitioner is to deliver.
#[component]
pub fn PractitionerOrdersPage() -> impl IntoView {
    let orders = Resource::new(|| (), |_| crate::api::checkout::orders_to_deliver());
    view! {
        <PageMeta title="Orders to deliver" description="The paid orders of your services, newest first."/>
        <div class="container section">
            <p><a href="/practitioner">"← Your practice"</a></p>
            <h1>"Orders to deliver"</h1>
            <Suspense fallback=|| view! { <div class="card"><Skeleton lines=5/></div> }>
                {move || Suspend::new(async move {
                    match orders.await {
                        Ok(list) => view! { <OrderTable list empty="No paid orders yet. They appear here as soon as a customer pays."/> }.into_any(),
                        Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                    }
                })}
            </Suspense>
        </div>
    }
}

/// Service orders as a table linking to each order's page.
#[component]
pub fn OrderTable(list: Vec<crate::domain::types::ServiceOrderRow>, empty: &'static str) -> impl IntoView {
    if list.is_empty() {
        return view! { <section class="card"><p>{empty}</p></section> }.into_any();
    }
    view! {
        <div class="card table-wrap">
            <table class="table" data-testid="service-orders">
                <caption class="sr-only">"Service orders"</caption>
                <thead><tr><th scope="col">"Order"</th><th scope="col">"Service"</th><th scope="col">"With"</th><th scope="col">"Price"</th><th scope="col">"Status"</th><th scope="col">"Unread"</th><th scope="col">"Placed"</th></tr></thead>
                <tbody>
                    {list.into_iter().map(|r| view! {
                        <tr>
                            <td><a href=format!("/orders/{}", r.number)>{r.number.clone()}</a></td>
                            <td>{r.title.clone()}{r.session.clone().map(|when| view! { <br/><span class="muted small" data-testid="session-time">{when}</span> })}</td>
                            <td>{r.with.clone()}</td>
                            <td>{r.price.clone()}</td>
                            <td><span class=format!("badge badge-{}", r.status.as_str())>{r.status.label()}</span></td>
                            <td data-testid="unread">{(r.unread > 0).then(|| view! { <span class="badge">{format!("{} new", r.unread)}</span> })}</td>
                            <td><LocalTime at=r.placed_at date_only=true/></td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}
