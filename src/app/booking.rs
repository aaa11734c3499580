//! Booking pages: the practitioner's availability editor (`/practitioner/availability`),
//! the slot picker (`/s/<service>/book`) and the session part of an order's page. Every
//! form is a plain form post, so each works before or without the WASM. Times are
//! rendered on the server, in the reader's zone.

use crate::api::booking::{
    AddAvailabilityException, CancelSession, ChooseSessionTime, CloseSession, NewCalendarFeed,
    RemoveAvailabilityException, RescheduleSession, ReviewSession, RevokeCalendarFeed, SaveAvailability,
    calendar_feed_state, free_slots, my_availability,
};
use crate::app::components::{
    ErrorPanel, FieldError, FormAlert, PageMeta, PostForm, Skeleton, StatusBadge, Submission, Submit, endpoint,
    posted_error,
};
use crate::app::dashboard::ZoneSelect;
use crate::domain::AppError;
use crate::domain::booking::{AvailabilityForm, BookingStatus, WEEKDAYS, clock, ranges_text};
use crate::domain::types::{BookingPanel, SlotOffer, SlotPicker};
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

/// Where a list of free times leads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SlotTarget {
    /// A new checkout for the service, read in zone `tz`.
    New { slug: String, tz: String },
    /// A form post changing the time of order `order`.
    Post { action: &'static str, order: String },
}

/// One free time as a link or a button, by where it leads.
#[component]
fn SlotButton(offer: SlotOffer, target: SlotTarget, #[prop(optional)] long: bool) -> impl IntoView {
    let at = offer.at.clone();
    let label = offer.label.clone();
    match target {
        SlotTarget::New { slug, tz } => {
            let href = format!("/checkout/new/{slug}?at={at}&tz={}", tz.replace('+', "%2B"));
            view! { <a class=if long { "btn btn-secondary" } else { "slot" } href=href data-testid="slot">{label}</a> }
                .into_any()
        }
        SlotTarget::Post { action, order } => view! {
            <form method="post" action=action class="slot-form">
                <input type="hidden" name="order" value=order/>
                <input type="hidden" name="at" value=at/>
                <button type="submit" class=if long { "btn btn-secondary" } else { "slot" } data-testid="slot">{label}</button>
            </form>
        }
        .into_any(),
    }
}

/// The nearest free times carried by a "just taken" answer, to choose from at once.
#[component]
pub fn NearestTimes(#[prop(into)] error: Signal<Option<AppError>>, target: SlotTarget) -> impl IntoView {
    move || {
        let nearest = match error.get() {
            Some(AppError::SlotTaken { nearest }) => nearest,
            _ => return ().into_any(),
        };
        if nearest.is_empty() {
            return view! { <p class="muted">"There are no free times close to it; choose another week."</p> }
                .into_any();
        }
        let target = target.clone();
        view! {
            <section class="nearest" aria-label="Nearest free times" data-testid="nearest">
                <h3>"Nearest free times"</h3>
                <ul class="slot-list">
                    {nearest.into_iter().map(|offer| view! { <li><SlotButton offer target=target.clone() long=true/></li> }).collect_view()}
                </ul>
            </section>
        }
        .into_any()
    }
}

/// `/s/<service>/book`: a week of free times. With `?order=<n>` it changes the time of
/// that order (at checkout, or `&move=1` to reschedule a booked session).
#[component]
pub fn SlotPickerPage() -> impl IntoView {
    let slug = use_params_map().read_untracked().get("slug").unwrap_or_default();
    let query = use_query_map().read_untracked().clone();
    let week = query.get("week").unwrap_or_default();
    let tz = query.get("tz").unwrap_or_default();
    let order = query.get("order").filter(|o| !o.trim().is_empty());
    let moving = query.get("move").is_some();
    let for_order = order.clone().unwrap_or_default();
    let picker = Resource::new(
        move || (slug.clone(), week.clone(), tz.clone(), for_order.clone()),
        |(s, w, z, o)| free_slots(s, w, z, o),
    );
    let choose_error = posted_error::<ChooseSessionTime, ()>();
    let move_error = posted_error::<RescheduleSession, ()>();
    view! {
        <div class="container section">
            <Suspense fallback=|| view! { <h1>"Choose a time"</h1><div class="card"><Skeleton lines=8/></div> }>
                {move || {
                    let (order, choose_error, move_error) = (order.clone(), choose_error.clone(), move_error.clone());
                    Suspend::new(async move {
                        match picker.await {
                            Ok(p) => {
                                let target = match (&order, moving) {
                                    (Some(n), true) => SlotTarget::Post { action: endpoint::<RescheduleSession>(), order: n.clone() },
                                    (Some(n), false) => SlotTarget::Post { action: endpoint::<ChooseSessionTime>(), order: n.clone() },
                                    (None, _) => SlotTarget::New { slug: p.service.slug.clone(), tz: p.zone.as_str().to_owned() },
                                };
                                let error = if moving { move_error } else { choose_error };
                                view! { <Picker p target order moving error/> }.into_any()
                            }
                            Err(e) => view! {
                                <PageMeta title="Choose a time" description="Free times for a session."/>
                                <h1>"Choose a time"</h1><ErrorPanel error=e/>
                            }.into_any(),
                        }
                    })
                }}
            </Suspense>
        </div>
    }
}

#[component]
fn Picker(
    p: SlotPicker,
    target: SlotTarget,
    order: Option<String>,
    moving: bool,
    error: Option<AppError>,
) -> impl IntoView {
    let slug = p.service.slug.clone();
    let zone = p.zone.as_str().to_owned();
    let keep = |extra: String| {
        let mut q = vec![format!("tz={}", zone.replace('+', "%2B"))];
        if let Some(n) = &order {
            q.push(format!("order={n}"));
        }
        if moving {
            q.push("move=1".to_owned());
        }
        q.push(extra);
        format!("/s/{slug}/book?{}", q.join("&"))
    };
    let previous = p.previous.map(|d| keep(format!("week={d}")));
    let next = p.next.map(|d| keep(format!("week={d}")));
    let minutes = p.service.duration_minutes.unwrap_or_default();
    let title = format!("Book {}", p.service.title);
    let heading = if moving { "Move your session" } else { "Choose a time" };
    let error = Signal::stored(error);
    // Visitors see times in the zone their browser reports, once it has said which.
    let detect = (!p.zone_from_profile && use_query_map().read_untracked().get("tz").is_none()).then(|| {
        let nonce = leptos::nonce::use_nonce();
        view! {
            <script nonce=nonce>
                "(function(){try{var z=Intl.DateTimeFormat().resolvedOptions().timeZone;if(z&&z!=='UTC'){var u=new URL(location.href);u.searchParams.set('tz',z);location.replace(u.toString());}}catch(e){}})();"
            </script>
        }
    });
    let week_has_slots = p.days.iter().any(|d| !d.slots.is_empty());
    view! {
        <PageMeta title=title description=format!("Free times for {} with {}, shown in {}.", p.service.title, p.practitioner.name, p.zone.as_str())/>
        {detect}
        <p><a href=format!("/s/{slug}")>{format!("← {}", p.service.title)}</a></p>
        <h1>{heading}</h1>
        <p>{format!("{} · {minutes} minutes with {}", p.service.title, p.practitioner.name)}</p>
        <FormAlert error/>
        <NearestTimes error target=target.clone()/>
        {if !p.bookable {
            view! { <section class="card"><p>"This practitioner has not opened their calendar yet. Come back soon, or look at their other services."</p></section> }.into_any()
        } else {
            view! {
                <form method="get" action=format!("/s/{slug}/book") class="inline-form zone-form">
                    {order.clone().map(|n| view! { <input type="hidden" name="order" value=n/> })}
                    {moving.then(|| view! { <input type="hidden" name="move" value="1"/> })}
                    <ZoneSelect selected=p.zone.clone() hint="The times below are shown in this zone." name="tz"/>
                    <button type="submit" class="btn btn-secondary">"Show"</button>
                </form>
                {(p.practitioner_zone != p.zone).then(|| view! {
                    <p class="muted small">{format!("The practitioner works in {}; the times below are in {}.", p.practitioner_zone.as_str(), p.zone.as_str())}</p>
                })}
                <nav class="week-nav" aria-label="Weeks">
                    {previous.map(|href| view! { <a href=href rel="prev">"← Earlier"</a> })}
                    {next.map(|href| view! { <a href=href rel="next">"Later →"</a> })}
                </nav>
                <div class="week" data-testid="slot-week">
                    {p.days.into_iter().map(|d| {
                        let id = format!("day-{}", d.day);
                        let target = target.clone();
                        view! {
                            <section class="day" aria-labelledby=id.clone()>
                                <h2 id=id.clone() class="day-title">{d.label.clone()}</h2>
                                {if d.slots.is_empty() {
                                    view! { <p class="muted small">"No free times"</p> }.into_any()
                                } else {
                                    view! {
                                        <ul class="slot-list">
                                            {d.slots.into_iter().map(|offer| view! { <li><SlotButton offer target=target.clone()/></li> }).collect_view()}
                                        </ul>
                                    }.into_any()
                                }}
                            </section>
                        }
                    }).collect_view()}
                </div>
                {(!week_has_slots).then(|| match p.next_free.clone() {
                    Some(offer) => view! { <p>"No free times this week. The next one is "<SlotButton offer target=target.clone() long=true/></p> }.into_any(),
                    None => view! { <p>"No free times in the weeks that can be booked."</p> }.into_any(),
                })}
                <p class="muted small" data-testid="policy">{p.policy.clone()}</p>
            }.into_any()
        }}
    }
}

/// The errors the session's forms came back with (a post without JavaScript), read
/// where the page starts rendering.
#[derive(Debug, Clone, Default)]
pub struct BookingErrors {
    pub cancel: Option<AppError>,
    pub close: Option<AppError>,
    pub review: Option<AppError>,
}

impl BookingErrors {
    pub fn posted() -> BookingErrors {
        BookingErrors {
            cancel: posted_error::<CancelSession, ()>(),
            close: posted_error::<CloseSession, ()>(),
            review: posted_error::<ReviewSession, ()>(),
        }
    }
}

/// The session part of an order's page: when, its state, and what each side may do.
#[component]
pub fn BookingSection(
    number: String,
    service_slug: String,
    b: BookingPanel,
    is_customer: bool,
    errors: BookingErrors,
) -> impl IntoView {
    let cancel_error = Signal::stored(errors.cancel);
    let close_error = Signal::stored(errors.close);
    let review_error = errors.review;
    let query = use_query_map().read_untracked().clone();
    let note = if query.get("cancelled").is_some() {
        Some("The session was cancelled.")
    } else if query.get("moved").is_some() {
        Some("The session was moved.")
    } else if query.get("reviewed").is_some() {
        Some("Thank you for your review.")
    } else {
        None
    };
    let move_href =
        format!("/s/{service_slug}/book?order={number}&move=1&tz={}", b.time.zone.as_str().replace('+', "%2B"));
    let held = (b.status == BookingStatus::Held).then_some(b.hold_until).flatten();
    view! {
        <section class="card" id="session" aria-labelledby="session-heading" data-testid="booking" data-status=b.status.as_str()>
            <h2 id="session-heading">"Session"</h2>
            <div role="status" class="alert-slot">{note.map(|n| view! { <p class="alert alert-success">{n}</p> })}</div>
            <dl class="facts">
                <dt>"When"</dt>
                <dd><time datetime=crate::domain::datetime::machine(b.time.starts_at) data-testid="booking-time">{b.time.label.clone()}</time>
                    {b.other_zone.clone().map(|o| view! { <span class="muted">{format!(" ({o} for the other side)")}</span> })}</dd>
                <dt>"Booking"</dt><dd><StatusBadge state=b.status.as_str() label=b.status.label() testid="booking-status"/></dd>
                <dt>"Cancellation"</dt><dd class="small">{b.policy.clone()}</dd>
            </dl>
            {held.map(|until| view! {
                <p class="muted">{format!("This time is kept for you until {} while you pay.", crate::domain::datetime::show(until, &b.time.zone, crate::domain::datetime::Style::DateTime))}</p>
            })}
            {b.can_reschedule.then(|| view! { <p><a class="btn btn-secondary" href=move_href.clone() data-testid="reschedule">"Move to another time"</a></p> })}
            {b.cancel.clone().map(|c| view! {
                <section class="cancel-preview" aria-labelledby="cancel-heading" data-testid="cancel-preview">
                    <h3 id="cancel-heading">"Cancel the session"</h3>
                    <p>{c.explanation.clone()}</p>
                    <p>{if is_customer { "You get back " } else { "The customer gets back " }}<strong data-testid="refund-amount">{c.refund.clone()}</strong>{format!(" of the {} paid.", c.paid)}</p>
                    <FormAlert error=cancel_error/>
                    <FieldError name="refund" error=cancel_error/>
                    <form method="post" action={endpoint::<CancelSession>()} class="inline-form">
                        <input type="hidden" name="order" value=number.clone()/>
                        <input type="hidden" name="refund" value=c.refund.clone()/>
                        <button type="submit" class="btn btn-danger" data-testid="cancel">{format!("Cancel and get back {}", c.refund)}</button>
                    </form>
                </section>
            })}
            {b.can_close.then(|| view! {
                <section aria-labelledby="close-heading">
                    <h3 id="close-heading">"After the session"</h3>
                    <FormAlert error=close_error/>
                    <form method="post" action={endpoint::<CloseSession>()} class="stack">
                        <input type="hidden" name="order" value=number.clone()/>
                        <div class="field">
                            <label for="notes">"Private notes (only you see them)"</label>
                            <textarea id="notes" name="notes" rows="4" maxlength="5000" aria-describedby="notes-error">{b.notes.clone()}</textarea>
                            <FieldError name="notes" error=close_error/>
                        </div>
                        <div class="actions">
                            <button type="submit" name="outcome" value="completed" class="btn btn-primary">"Mark completed"</button>
                            <button type="submit" name="outcome" value="missed" class="btn btn-secondary">"The customer did not come"</button>
                        </div>
                    </form>
                </section>
            })}
            {b.notes.clone().filter(|_| !b.can_close).map(|n| view! { <p class="muted">"Your notes: "{n}</p> })}
            {b.review.clone().map(|r| view! {
                <p data-testid="review"><span class="rating" aria-label=format!("{} out of 5", r.rating)>{"★".repeat(r.rating as usize)}{"☆".repeat(5 - r.rating as usize)}</span>" "{r.body}</p>
            })}
            {b.can_review.then(|| view! { <ReviewForm number=number.clone() error=review_error.clone()/> })}
        </section>
    }
}

/// `/practitioner/availability`: weekly hours, exceptions, buffers, notice, horizon and
/// the cancellation policy, with the next seven days as they come out.
#[component]
pub fn AvailabilityPage() -> impl IntoView {
    let view_of = Resource::new(|| (), |_| my_availability());
    let save_error = posted_error::<SaveAvailability, ()>();
    let add_error = Signal::stored(posted_error::<AddAvailabilityException, ()>());
    let query = use_query_map().read_untracked().clone();
    let saved = query.get("saved").is_some();
    view! {
        <PageMeta title="Availability" description="When customers can book your sessions, and your cancellation policy."/>
        <div class="container section">
            <p><a href="/practitioner">"← Your practice"</a></p>
            <h1>"Availability"</h1>
            <Suspense fallback=|| view! { <div class="card"><Skeleton lines=10/></div> }>
                {move || {
                    let save_error = save_error.clone();
                    Suspend::new(async move {
                        match view_of.await {
                            Ok(a) => {
                                let zone = crate::domain::TimeZone::parse(&a.form.time_zone).unwrap_or_else(|_| crate::domain::TimeZone::utc());
                                view! {
                                {(!a.configured).then(|| view! { <p class="alert alert-info">"Customers cannot book you until you save your hours. We filled in weekdays 09:00-17:00 to start from."</p> })}
                                <div role="status" class="alert-slot">{saved.then(|| view! { <p class="alert alert-success">"Saved."</p> })}</div>
                                <div class="checkout-grid">
                                    <section class="card" aria-labelledby="hours-heading">
                                        <h2 id="hours-heading">"Weekly hours"</h2>
                                        <AvailabilityEditor form=a.form.clone() error=save_error>
                                            <ZoneSelect selected=zone.clone() hint="Your weekly hours are in this zone; customers see them in theirs."/>
                                        </AvailabilityEditor>
                                    </section>
                                    <aside class="card" aria-labelledby="week-heading">
                                        <h2 id="week-heading">"Your next 7 days"</h2>
                                        <ul class="entry-list" data-testid="week-preview">
                                            {a.week.iter().map(|d| view! {
                                                <li><strong>{d.day.strftime("%a %-d %b").to_string()}</strong>": "
                                                    {if d.hours.is_empty() { "not bookable".to_owned() } else { ranges_text(&d.hours) }}</li>
                                            }).collect_view()}
                                        </ul>
                                        <p class="muted small">{format!("In {}.", a.form.time_zone)}</p>
                                    </aside>
                                </div>
                                <section class="card" id="exceptions" aria-labelledby="exceptions-heading">
                                    <h2 id="exceptions-heading">"Days off and extra hours"</h2>
                                    {if a.exceptions.is_empty() {
                                        view! { <p class="muted">"None coming up."</p> }.into_any()
                                    } else {
                                        view! {
                                            <ul class="entry-list" data-testid="exceptions">
                                                {a.exceptions.iter().map(|e| {
                                                    let what = match e.hours {
                                                        None => "day off".to_owned(),
                                                        Some(h) => format!("extra {}-{}", clock(h.start), clock(h.end)),
                                                    };
                                                    let label = format!("Remove {} ({what})", e.day);
                                                    view! {
                                                        <li>
                                                            <strong>{e.day.strftime("%a %-d %b %Y").to_string()}</strong>{format!(": {what} ")}
                                                            <form method="post" action={endpoint::<RemoveAvailabilityException>()} class="inline-form">
                                                                <input type="hidden" name="id" value=e.id.to_string()/>
                                                                <button type="submit" class="btn btn-link" aria-label=label>"Remove"</button>
                                                            </form>
                                                        </li>
                                                    }
                                                }).collect_view()}
                                            </ul>
                                        }.into_any()
                                    }}
                                    <FormAlert error=add_error/>
                                    <form method="post" action={endpoint::<AddAvailabilityException>()} class="stack">
                                        <div class="field">
                                            <label for="day">"Date"</label>
                                            <input id="day" name="day" type="date" min=a.today.to_string() required aria-describedby="day-error"/>
                                            <FieldError name="day" error=add_error/>
                                        </div>
                                        <fieldset>
                                            <legend>"What changes"</legend>
                                            <div class="field checkbox"><input id="kind-off" type="radio" name="kind" value="off" checked=true/><label for="kind-off">"A day off"</label></div>
                                            <div class="field checkbox"><input id="kind-extra" type="radio" name="kind" value="extra"/><label for="kind-extra">"Extra hours"</label></div>
                                        </fieldset>
                                        <div class="field">
                                            <label for="hours">"Extra hours (for extra hours only)"</label>
                                            <input id="hours" name="hours" type="text" placeholder="18:00-20:00" maxlength="20" aria-describedby="hours-error"/>
                                            <FieldError name="hours" error=add_error/>
                                        </div>
                                        <button type="submit" class="btn btn-secondary">"Add"</button>
                                    </form>
                                </section>
                            }.into_any()
                            }
                            Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                        }
                    })
                }}
            </Suspense>
            <CalendarFeed back="availability"/>
        </div>
    }
}

#[cfg_attr(any(feature = "ssr", feature = "workspace"), island)]
#[cfg_attr(not(any(feature = "ssr", feature = "workspace")), component)]
fn AvailabilityEditor(form: AvailabilityForm, error: Option<AppError>, children: Children) -> impl IntoView {
    let state = Submission::new(error);
    let error = state.error;
    let days = form.days().map(str::to_owned);
    let number = move |name: &'static str, label: &'static str, value: String, hint: &'static str| {
        let hint_id = format!("{name}-hint");
        view! {
            <div class="field">
                <label for=name>{label}</label>
                <p class="field-hint" id=hint_id.clone()>{hint}</p>
                <input id=name name=name type="number" inputmode="numeric" value=value aria-describedby=format!("{hint_id} {name}-error")/>
                <FieldError name error/>
            </div>
        }
    };
    view! {
        <FormAlert error/>
        <PostForm action={endpoint::<SaveAvailability>()} state class="stack">
            {children()}
            <FieldError name="time_zone" error/>
            <p class="field-hint" id="days-hint">"Ranges in 24-hour time, separated by commas, like 09:00-12:00, 13:00-17:00. Leave a day empty to take no bookings on it."</p>
            {WEEKDAYS.iter().enumerate().map(|(i, day)| {
                let name: &'static str = ["day_0", "day_1", "day_2", "day_3", "day_4", "day_5", "day_6"][i];
                view! {
                    <div class="field">
                        <label for=name>{*day}</label>
                        <input id=name name=name type="text" value=days[i].clone() maxlength="120" aria-describedby=format!("days-hint {name}-error")/>
                        <FieldError name error/>
                    </div>
                }
            }).collect_view()}
            {number("buffer_before_minutes", "Free time before each session (minutes)", form.buffer_before_minutes.clone(), "0 to 240.")}
            {number("buffer_after_minutes", "Free time after each session (minutes)", form.buffer_after_minutes.clone(), "0 to 240.")}
            {number("min_notice_hours", "Minimum notice (hours)", form.min_notice_hours.clone(), "How long before a session it can still be booked, 0 to 720.")}
            {number("horizon_days", "Bookable ahead (days)", form.horizon_days.clone(), "How far ahead customers can book, 1 to 365.")}
            {number("full_refund_hours", "Full refund until (hours before the start)", form.full_refund_hours.clone(), "A customer cancelling at least this long before gets everything back.")}
            {number("late_refund_percent", "Refund for later cancellations (%)", form.late_refund_percent.clone(), "What a customer cancelling later, but before the start, gets back. Nothing once it has started.")}
            <Submit label="Save availability" busy_label="Saving…" pending=state.pending/>
        </PostForm>
    }
}

/// The private calendar address: make one (shown once), make a new one, or stop it.
/// `back` says which page the forms return to.
#[component]
pub fn CalendarFeed(back: &'static str) -> impl IntoView {
    let feed = Resource::new(|| (), |_| calendar_feed_state());
    view! {
        <section class="card" id="calendar" aria-labelledby="calendar-heading">
            <h2 id="calendar-heading">"Calendar"</h2>
            <p class="muted">"Subscribe to your sessions from Google Calendar, Apple Calendar or Outlook. The address is private: anyone who has it sees your sessions."</p>
            <Suspense fallback=|| view! { <Skeleton lines=2/> }>
                {move || Suspend::new(async move {
                    match feed.await {
                        Ok(f) => view! {
                            {f.fresh.clone().map(|url| view! {
                                <div class="field">
                                    <label for="feed-url">"Your calendar address (copy it now: it is shown only once)"</label>
                                    <input id="feed-url" type="text" readonly value=url.clone() data-testid="feed-url"/>
                                    <p><a href=url>"Open in your calendar app"</a></p>
                                </div>
                            })}
                            {match (f.made, f.fresh.is_some()) {
                                (Some(at), false) => view! {
                                    <p>{format!("Your address was made on {}. Lost it? Make a new one; the old one stops working.", crate::domain::datetime::show(at, &crate::domain::TimeZone::utc(), crate::domain::datetime::Style::Date))}</p>
                                }.into_any(),
                                _ => ().into_any(),
                            }}
                            <div class="actions">
                                <form method="post" action={endpoint::<NewCalendarFeed>()} class="inline-form">
                                    <input type="hidden" name="back" value=back/>
                                    <button type="submit" class="btn btn-secondary">{if f.made.is_some() { "Make a new address" } else { "Make my calendar address" }}</button>
                                </form>
                                {f.made.is_some().then(|| view! {
                                    <form method="post" action={endpoint::<RevokeCalendarFeed>()} class="inline-form">
                                        <input type="hidden" name="back" value=back/>
                                        <button type="submit" class="btn btn-link">"Stop the address"</button>
                                    </form>
                                })}
                            </div>
                        }.into_any(),
                        Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

/// The customer's rating of a completed session.
#[component]
fn ReviewForm(number: String, error: Option<AppError>) -> impl IntoView {
    let error = Signal::stored(error);
    view! {
        <section aria-labelledby="review-heading">
            <h3 id="review-heading">"How was it?"</h3>
            <FormAlert error/>
            <form method="post" action={endpoint::<ReviewSession>()} class="stack">
                <input type="hidden" name="order" value=number/>
                <fieldset aria-describedby="rating-error">
                    <legend>"Your rating"</legend>
                    {(1..=5).rev().map(|n| {
                        let id = format!("rating-{n}");
                        view! {
                            <div class="field checkbox">
                                <input id=id.clone() type="radio" name="rating" value=n.to_string() required=true/>
                                <label for=id>{format!("{n} {}", if n == 1 { "star" } else { "stars" })}</label>
                            </div>
                        }
                    }).collect_view()}
                </fieldset>
                <FieldError name="rating" error/>
                <div class="field">
                    <label for="review-body">"Your review (optional, shown on the practitioner's profile with your first name)"</label>
                    <textarea id="review-body" name="body" rows="4" maxlength="2000" aria-describedby="body-error"></textarea>
                    <FieldError name="body" error/>
                </div>
                <button type="submit" class="btn btn-primary">"Send the review"</button>
            </form>
        </section>
    }
}
