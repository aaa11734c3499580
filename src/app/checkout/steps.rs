//! `/checkout/<order>`: an order at checkout, with its answers step and its review,
//! where the order is paid by credits or by card.

use super::{DetailsStep, Progress, Summary, redirect};
use crate::api::booking::ChooseSessionTime;
use crate::api::checkout::{PayCheckout, SaveCheckoutAnswers, SaveCheckoutDetails, checkout_state};
use crate::api::orders::BuyCredits;
use crate::app::booking::{NearestTimes, SlotTarget};
use crate::app::components::{
    ErrorPanel, FormAlert, LocalTime, PageMeta, PostForm, Skeleton, Submission, Submit, endpoint, form_key,
    posted_error,
};
use crate::domain::catalog::{Question, QuestionKind};
use crate::domain::checkout::{Step, answer_field, answer_key, answer_limit};
use crate::domain::orders::OrderStatus;
use crate::domain::types::CheckoutView;
use crate::domain::{AppError, Locale};
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};
use std::collections::BTreeMap;

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
                                    <DetailsStep order=c.number.to_string() service=String::new() key=String::new()
                                        name=c.name.clone() email=c.email.clone() at=String::new() tz=String::new() error=details_error/>
                                }.into_any(),
                                Step::Questions => view! {
                                    <AnswersStep order=c.number.to_string() questions=c.questions.clone() answers=c.answers.clone() error=answers_error/>
                                }.into_any(),
                                Step::Review => view! { <Review c=c.clone() pay_error buy_error/> }.into_any(),
                            };
                            view! {
                                <PageMeta title=format!("Checkout: {}", step.label().to_lowercase()) description=format!("Step {} of 3 of your order for {}.", step.number(), c.title)/>
                                <div class="container section">
                                    <h1>"Checkout"</h1>
                                    <Progress current=step completed=c.completed number=c.number.to_string()/>
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
        <PayButtons order=c.number.to_string() credits short card signed_in=c.signed_in timed=c.slot.is_some() error=pay_error/>
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
                        <input type="hidden" name="for_order" value=c.number.to_string()/>
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
