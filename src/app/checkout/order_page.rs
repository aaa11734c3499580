//! `/orders/<order>`: a service order's page, with the practitioner's and the admin's
//! forms on it and the order's files and messages.

use crate::api::checkout::{
    PayCheckout, PostOrderMessage, ReassignOrder, RefundUndelivered, WorkOnOrder, service_order,
};
use crate::app::booking::{BookingErrors, BookingSection};
use crate::app::components::{
    ErrorPanel, Field, FieldError, FormAlert, LocalTime, PageMeta, PostForm, Skeleton, StatusBadge, Submission, Submit,
    endpoint, posted_error,
};
use crate::domain::messages::Piece;
use crate::domain::orders::OrderStatus;
use crate::domain::types::{OrderRole, ServiceOrderView};
use crate::domain::{AppError, Locale};
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

/// `/orders/<order>`: a service order for its customer, its practitioner and admins.
#[component]
pub fn OrderPage() -> impl IntoView {
    let number = use_params_map().read_untracked().get("number").unwrap_or_default();
    let order = Resource::new(move || number.clone(), service_order);
    let work_error = posted_error::<WorkOnOrder, ()>();
    let reassign_error = posted_error::<ReassignOrder, ()>();
    let refund_error = posted_error::<RefundUndelivered, ()>();
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
                    let (work_error, pay_error) = (work_error.clone(), pay_error.clone());
                    let admin_errors = AdminErrors { reassign: reassign_error.clone(), refund: refund_error.clone() };
                    let (message_error, upload_error) = (message_error.clone(), upload_error.clone());
                    let booking_errors = booking_errors.clone();
                    Suspend::new(async move {
                        match order.await {
                            Ok(o) => {
                                let exchange = view! { <Exchange o=o.clone() message_error upload_error uploaded/> };
                                view! { <OrderDetail o work_error admin_errors pay_error booking_errors/>{exchange} }.into_any()
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

/// What the admin's forms on an order page answered when posted without WASM.
#[derive(Clone)]
struct AdminErrors {
    reassign: Option<AppError>,
    refund: Option<AppError>,
}

#[component]
fn OrderDetail(
    o: ServiceOrderView,
    work_error: Option<AppError>,
    admin_errors: AdminErrors,
    pay_error: Option<AppError>,
    booking_errors: BookingErrors,
) -> impl IntoView {
    let v = o.order.clone();
    let number = v.number.to_string();
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
    let work = match status {
        _ if o.viewer != OrderRole::Practitioner || booked => None,
        OrderStatus::Paid => Some(("accept", "Accept the order")),
        OrderStatus::InProgress => Some(("complete", "Mark as completed")),
        _ => None,
    };
    let retry = (o.viewer == OrderRole::Customer
        && matches!(status, OrderStatus::PendingPayment | OrderStatus::PaymentFailed))
    .then(|| number.clone());
    let admin = (o.viewer == OrderRole::Admin && !booked && !status.is_finished()).then(|| number.clone());
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
                <dt>"Status"</dt><dd><StatusBadge state=status.as_str() label=status.label() testid="order-status"/></dd>
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
        {admin.map(|n| {
            let AdminErrors { reassign, refund } = admin_errors.clone();
            let refundable = matches!(status, OrderStatus::Paid | OrderStatus::InProgress);
            view! {
                <section class="card" aria-labelledby="reassign-heading">
                    <h2 id="reassign-heading">"Reassign"</h2>
                    <FormAlert error=Signal::stored(reassign.clone())/>
                    <form method="post" action={endpoint::<ReassignOrder>()} class="stack">
                        <input type="hidden" name="order" value=n.clone()/>
                        <Field label="Practitioner's account code" name="practitioner" error=Signal::stored(reassign) required=true maxlength=20/>
                        <button type="submit" class="btn btn-secondary">"Reassign"</button>
                    </form>
                </section>
                {refundable.then(|| view! {
                    <section class="card" aria-labelledby="refund-undelivered-heading">
                        <h2 id="refund-undelivered-heading">"Cancel and refund in full"</h2>
                        <p class="muted">{format!("For an order that will not be delivered: the customer gets back all of {} and an email saying so.", v.price_label(Locale::default()))}</p>
                        <FormAlert error=Signal::stored(refund.clone())/>
                        <form method="post" action={endpoint::<RefundUndelivered>()} class="stack">
                            <input type="hidden" name="order" value=n/>
                            <Field label="Reason (for the records; the customer is not shown it)" name="reason" error=Signal::stored(refund) required=true maxlength=500/>
                            <button type="submit" class="btn btn-secondary">"Cancel and refund"</button>
                        </form>
                    </section>
                })}
            }
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
    let number = o.order.number.to_string();
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
