//! Every email as its reader gets it: subject, plain-text part and HTML part, compared
//! with the reviewed copies in `snapshots/`. Inputs are fixed (names, amounts, instants,
//! zones, the public address), so a change in any template shows up as a diff to review.

use super::templates::{self, OrderFacts, RefundFacts, ServiceOrderFacts};
use super::{Email, Secret, holds_secret};
use crate::domain::TimeZone;
use crate::domain::datetime::{self, Style};
use crate::domain::ical;
use crate::server::sealing::SealingKey;

const BASE: &str = "https://attune.example";
const NUMBER: &str = "ATN-7K3Q-9F2M";
/// What the snapshots show in place of a secret's marker, which is random.
const MARKER: &str = "[[secret-MARKER]]";

fn at(instant: &str) -> jiff::Timestamp {
    instant.parse().expect("a fixed instant")
}

fn zone(name: &str) -> TimeZone {
    TimeZone::parse(name).expect("a zone the bundled database knows")
}

/// An instant as a reader in `zone_name` is shown it, the way callers build `when`.
fn when(instant: &str, zone_name: &str) -> String {
    datetime::show(at(instant), &zone(zone_name), Style::DateTime)
}

/// A link sealed as the outbox seals it: the bodies hold only its marker.
fn secret(value: &str, expires: &str) -> Secret {
    Secret::new(&SealingKey::generate(), value, at(expires))
}

/// The email laid out for review: its template and subject, the secret it carries (its
/// marker replaced by `MARKER`, the sealed value left out), then the text part, the HTML
/// part and the calendar file, if any, with its CRLF line ends shown as plain newlines.
fn read(e: &Email) -> String {
    assert_eq!(
        holds_secret(e.template),
        e.secret.is_some(),
        "{}: the admin outbox hides exactly the templates that carry a secret",
        e.template
    );
    let mut out = format!("template: {}\nsubject: {}\n", e.template, e.subject);
    if let Some(s) = &e.secret {
        out.push_str(&format!("secret: {MARKER}, until {}\n", s.expires));
    }
    out.push_str("\n===== text =====\n");
    out.push_str(&e.text);
    out.push_str("\n\n===== html =====\n");
    out.push_str(&e.html);
    out.push('\n');
    if let Some(ics) = &e.calendar {
        assert!(!ics.replace("\r\n", "").contains('\n'), "every calendar line ends in CRLF");
        out.push_str("\n===== session.ics =====\n");
        out.push_str(&ics.replace("\r\n", "\n"));
    }
    match &e.secret {
        Some(s) => out.replace(&s.marker, MARKER),
        None => out,
    }
}

/// A package order as the order emails are told of it.
fn package_order() -> OrderFacts<'static> {
    OrderFacts {
        name: "Ada Lovelace",
        number: NUMBER,
        package: "Ten credits",
        price: "€49.00".to_owned(),
        url: format!("{BASE}/dashboard#orders"),
    }
}

/// A service order as one side of it is told of it.
fn service_order(to: &'static str, paid: &str) -> ServiceOrderFacts<'static> {
    ServiceOrderFacts {
        name: to,
        number: NUMBER,
        service: "Birth chart reading",
        paid: paid.to_owned(),
        url: format!("{BASE}/orders/{NUMBER}"),
    }
}

/// The calendar file a booking email carries: one confirmed session, as the customer
/// sees it.
fn session_file() -> String {
    ical::calendar(
        "Attune",
        &[ical::Event {
            uid: "6f1c2d3e-4b5a-4c7d-8e9f-0a1b2c3d4e5f@attune".to_owned(),
            sequence: 0,
            starts_at: at("2026-04-02T14:00:00Z"),
            ends_at: at("2026-04-02T15:00:00Z"),
            stamp: at("2026-03-29T09:30:00Z"),
            summary: "Birth chart reading with Ana Souza".to_owned(),
            description: format!("Attune order {NUMBER}."),
            url: format!("{BASE}/orders/{NUMBER}"),
            cancelled: false,
        }],
    )
}

// Accounts

#[test]
fn welcome_gives_the_account_number_and_a_way_to_the_dashboard() {
    let e = templates::welcome("Ada Lovelace", "U100042", BASE);
    insta::assert_snapshot!("welcome", read(&e));
}

#[test]
fn what_people_typed_is_escaped_in_html_and_kept_as_typed_in_text() {
    let e = templates::welcome("<b>Eve</b> & \"Co\"", "U100000", BASE);
    assert!(!e.html.contains("<b>Eve"), "markup someone typed never reaches the HTML part");
    insta::assert_snapshot!("welcome_with_markup_in_the_name", read(&e));
}

#[test]
fn password_reset_holds_a_marker_for_its_link_and_the_expiry_in_the_readers_zone() {
    let link = secret(&format!("{BASE}/reset-password?token=abc&x=1"), "2026-11-25T15:05:00Z");
    let e = templates::password_reset("Ada", link, &zone("Asia/Kolkata"));
    insta::assert_snapshot!("password_reset", read(&e));
}

#[test]
fn set_password_holds_a_marker_for_its_link_and_the_expiry_in_the_readers_zone() {
    let link = secret(&format!("{BASE}/reset-password?token=abc"), "2026-03-31T09:30:00Z");
    let e = templates::set_password("Ravi Kumar", link, &zone("Asia/Kolkata"));
    insta::assert_snapshot!("set_password", read(&e));
}

#[test]
fn confirm_sign_up_holds_a_marker_for_its_link_and_the_expiry_in_the_readers_zone() {
    let link = secret(&format!("{BASE}/signup/confirm?token=abc"), "2026-03-30T09:30:00Z");
    let e = templates::confirm_sign_up("Ada Lovelace", link, &zone("Europe/London"));
    insta::assert_snapshot!("confirm_sign_up", read(&e));
}

#[test]
fn sign_up_attempted_tells_the_owner_when_their_address_was_used() {
    let e = templates::sign_up_attempted("Ada Lovelace", &when("2026-03-29T09:30:00Z", "Europe/London"), BASE);
    insta::assert_snapshot!("sign_up_attempted", read(&e));
}

#[test]
fn reset_without_account_greets_nobody_by_name_and_points_to_sign_up() {
    let e = templates::reset_without_account(BASE);
    insta::assert_snapshot!("reset_without_account", read(&e));
}

#[test]
fn guest_order_started_tells_the_owner_when_their_address_was_used_at_checkout() {
    let e = templates::guest_order_started("Ada Lovelace", &when("2026-03-29T09:30:00Z", "Europe/London"), BASE);
    insta::assert_snapshot!("guest_order_started", read(&e));
}

// Package orders

#[test]
fn order_paid_lists_credits_bonus_invoice_and_payment_time_in_the_readers_zone() {
    let e = templates::order_paid(
        &package_order(),
        10,
        2,
        "INV-2026-000042",
        at("2026-03-29T09:30:00Z"),
        &zone("Europe/London"),
    );
    insta::assert_snapshot!("order_paid", read(&e));
}

#[test]
fn order_paid_without_bonus_mentions_no_bonus() {
    let e = templates::order_paid(
        &package_order(),
        10,
        0,
        "INV-2026-000042",
        at("2026-03-29T09:30:00Z"),
        &zone("Asia/Kolkata"),
    );
    insta::assert_snapshot!("order_paid_without_bonus", read(&e));
}

#[test]
fn payment_failed_offers_a_retry_until_the_order_expires() {
    let e = templates::payment_failed(&package_order(), at("2026-03-30T09:30:00Z"), &zone("Europe/London"));
    insta::assert_snapshot!("payment_failed", read(&e));
}

#[test]
fn order_refunded_names_the_amount_the_credits_taken_back_and_the_credit_note() {
    let refund = RefundFacts {
        amount: "€49.00".to_owned(),
        credits: 10,
        bonus: 2,
        credit_note: "CN-2026-000007",
        invoice: "INV-2026-000042",
    };
    let e = templates::order_refunded(&package_order(), &refund);
    insta::assert_snapshot!("order_refunded", read(&e));
}

#[test]
fn duplicate_payment_refunded_keeps_the_invoice_of_the_order() {
    let e = templates::duplicate_payment_refunded(
        "Ada Lovelace",
        NUMBER,
        "Ten credits",
        "€49.00",
        Some("INV-2026-000042"),
        &format!("{BASE}/orders/{NUMBER}"),
    );
    insta::assert_snapshot!("duplicate_payment_refunded", read(&e));
}

#[test]
fn duplicate_payment_refunded_without_an_invoice_says_the_order_stays() {
    let e = templates::duplicate_payment_refunded(
        "Ada Lovelace",
        NUMBER,
        "Birth chart reading",
        "€45.00",
        None,
        &format!("{BASE}/orders/{NUMBER}"),
    );
    insta::assert_snapshot!("duplicate_payment_refunded_without_invoice", read(&e));
}

#[test]
fn duplicate_payment_refused_admin_gives_the_providers_reason() {
    let e =
        templates::duplicate_payment_refused_admin("Grace Hopper", NUMBER, "€49.00", "the charge was disputed", BASE);
    insta::assert_snapshot!("duplicate_payment_refused_admin", read(&e));
}

// Practitioner onboarding

#[test]
fn onboarding_submitted_says_the_profile_waits_for_review() {
    let e = templates::onboarding_submitted("Ana Souza", BASE);
    insta::assert_snapshot!("onboarding_submitted", read(&e));
}

#[test]
fn onboarding_approved_says_the_profile_is_live() {
    let e = templates::onboarding_approved("Ana Souza", BASE);
    insta::assert_snapshot!("onboarding_approved", read(&e));
}

#[test]
fn onboarding_rejected_gives_the_reason_and_asks_for_changes() {
    let e =
        templates::onboarding_rejected("Ana Souza", "The photo does not show your face; please upload another.", BASE);
    insta::assert_snapshot!("onboarding_rejected", read(&e));
}

#[test]
fn onboarding_suspended_gives_the_reason() {
    let e = templates::onboarding_suspended(
        "Ana Souza",
        "Several customers reported sessions that did not take place.",
        BASE,
    );
    insta::assert_snapshot!("onboarding_suspended", read(&e));
}

// Service orders

#[test]
fn service_order_paid_tells_the_customer_the_practitioner_will_accept_it() {
    let e = templates::service_order_paid(&service_order("Ada Lovelace", "€45.00"), "Ana Souza");
    insta::assert_snapshot!("service_order_paid", read(&e));
}

#[test]
fn service_order_received_asks_the_practitioner_to_accept_it() {
    let e = templates::service_order_received(&service_order("Ana Souza", "30 credits"), "Ada Lovelace");
    insta::assert_snapshot!("service_order_received", read(&e));
}

#[test]
fn service_order_moved_tells_the_customer_it_was_accepted() {
    let e = templates::service_order_moved(&service_order("Ada Lovelace", "€45.00"), "Ana Souza", false);
    insta::assert_snapshot!("service_order_moved_accepted", read(&e));
}

#[test]
fn service_order_moved_tells_the_customer_it_was_completed() {
    let e = templates::service_order_moved(&service_order("Ada Lovelace", "€45.00"), "Ana Souza", true);
    insta::assert_snapshot!("service_order_moved_completed", read(&e));
}

#[test]
fn service_order_refunded_says_everything_paid_comes_back() {
    let e = templates::service_order_refunded(
        &service_order("Ada Lovelace", "30 credits"),
        "30 credits, back in your wallet now",
    );
    insta::assert_snapshot!("service_order_refunded", read(&e));
}

#[test]
fn order_message_points_to_the_orders_page() {
    let e = templates::order_message(&service_order("Ada Lovelace", ""), "Ana Souza");
    insta::assert_snapshot!("order_message", read(&e));
}

// Booked sessions

#[test]
fn booking_confirmed_gives_the_time_in_the_customers_zone_and_carries_the_calendar_file() {
    let e = templates::booking_confirmed(
        &service_order("Ada Lovelace", "30 credits"),
        &when("2026-04-02T14:00:00Z", "Europe/London"),
        "Ana Souza",
    )
    .with_calendar(session_file());
    insta::assert_snapshot!("booking_confirmed", read(&e));
}

#[test]
fn booking_received_gives_the_time_in_the_practitioners_zone() {
    let e = templates::booking_received(
        &service_order("Ana Souza", "30 credits"),
        &when("2026-04-02T14:00:00Z", "Asia/Kolkata"),
        "Ada Lovelace",
    );
    insta::assert_snapshot!("booking_received", read(&e));
}

#[test]
fn booking_cancelled_says_who_cancelled_and_what_comes_back() {
    let e = templates::booking_cancelled(
        &service_order("Ada Lovelace", ""),
        &when("2026-04-02T14:00:00Z", "Europe/London"),
        "practitioner",
        "30 credits",
    );
    insta::assert_snapshot!("booking_cancelled", read(&e));
}

#[test]
fn booking_moved_says_who_moved_it_and_the_new_time() {
    let e = templates::booking_moved(
        &service_order("Ana Souza", ""),
        &when("2026-04-03T08:30:00Z", "Asia/Kolkata"),
        "customer",
    );
    insta::assert_snapshot!("booking_moved", read(&e));
}

#[test]
fn booking_lost_says_the_time_was_taken_and_the_card_payment_is_refunded() {
    let e = templates::booking_lost(
        &service_order("Ada Lovelace", "€45.00"),
        &when("2026-04-02T14:00:00Z", "Europe/London"),
    );
    insta::assert_snapshot!("booking_lost", read(&e));
}

#[test]
fn booking_lost_admin_points_to_the_order_in_the_admin_area() {
    let e = templates::booking_lost_admin("Grace Hopper", NUMBER, "€45.00", BASE);
    insta::assert_snapshot!("booking_lost_admin", read(&e));
}

#[test]
fn booking_reminder_names_the_other_side_and_the_time_in_the_readers_zone() {
    let e = templates::booking_reminder(
        &service_order("Ada Lovelace", ""),
        &when("2026-04-02T14:00:00Z", "Europe/London"),
        "Ana Souza",
    );
    insta::assert_snapshot!("booking_reminder", read(&e));
}
