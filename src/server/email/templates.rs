//! The emails, as askama templates checked at compile time: one HTML layout, and a
//! plain-text part for each message. HTML parts escape everything interpolated;
//! plain-text parts keep what people typed as they typed it.

use super::{Email, Secret};
use crate::domain::TimeZone;
use crate::domain::datetime::{self, Style};
use askama::Template;

/// The call-to-action button of the layout: (label, address).
type Action<'a> = Option<(&'a str, &'a str)>;

struct Welcome<'a> {
    name: &'a str,
    code: &'a str,
    url: &'a str,
}

#[derive(Template)]
#[template(path = "email/welcome.html")]
struct WelcomeHtml<'a> {
    m: &'a Welcome<'a>,
    action: Action<'a>,
}

#[derive(Template)]
#[template(path = "email/welcome.txt")]
struct WelcomeText<'a> {
    m: &'a Welcome<'a>,
}

pub fn welcome(name: &str, code: &str, base_url: &str) -> Email {
    let url = format!("{base_url}/dashboard");
    let m = Welcome { name, code, url: &url };
    Email {
        template: "welcome",
        subject: "Welcome to Attune".to_owned(),
        text: render(&WelcomeText { m: &m }),
        html: render(&WelcomeHtml { m: &m, action: Some(("Open your dashboard", &url)) }),
        secret: None,
        calendar: None,
    }
}

struct PasswordReset<'a> {
    name: &'a str,
    /// The marker that stands in for the link until delivery.
    link: &'a str,
    /// When the link stops working, in the recipient's zone.
    until: String,
}

#[derive(Template)]
#[template(path = "email/password_reset.html")]
struct PasswordResetHtml<'a> {
    m: &'a PasswordReset<'a>,
    action: Action<'a>,
}

#[derive(Template)]
#[template(path = "email/password_reset.txt")]
struct PasswordResetText<'a> {
    m: &'a PasswordReset<'a>,
}

pub fn password_reset(name: &str, reset_url: Secret, zone: &TimeZone) -> Email {
    let until = datetime::show(reset_url.expires, zone, Style::DateTime);
    let m = PasswordReset { name, link: &reset_url.marker, until };
    let email = Email {
        template: "password_reset",
        subject: "Reset your Attune password".to_owned(),
        text: render(&PasswordResetText { m: &m }),
        html: render(&PasswordResetHtml { m: &m, action: Some(("Choose a new password", m.link)) }),
        secret: None,
        calendar: None,
    };
    Email { secret: Some(reset_url), ..email }
}

/// What the order emails say about an order.
pub struct OrderFacts<'a> {
    pub name: &'a str,
    pub number: &'a str,
    pub package: &'a str,
    pub price: String,
    pub url: String,
}

#[derive(Template)]
#[template(path = "email/order_paid.html")]
struct OrderPaidHtml<'a> {
    m: &'a OrderPaidView<'a>,
    action: Action<'a>,
}

#[derive(Template)]
#[template(path = "email/order_paid.txt")]
struct OrderPaidText<'a> {
    m: &'a OrderPaidView<'a>,
}

/// The flat view the order-paid templates read.
struct OrderPaidView<'a> {
    name: &'a str,
    number: &'a str,
    package: &'a str,
    price: &'a str,
    url: &'a str,
    credits: i64,
    bonus: i64,
    invoice: &'a str,
    paid_at: &'a str,
}

pub fn order_paid(
    o: &OrderFacts<'_>,
    credits: i64,
    bonus: i64,
    invoice: &str,
    paid_at: jiff::Timestamp,
    zone: &TimeZone,
) -> Email {
    let paid_at = datetime::show(paid_at, zone, Style::DateTime);
    let m = OrderPaidView {
        name: o.name,
        number: o.number,
        package: o.package,
        price: &o.price,
        url: &o.url,
        credits,
        bonus,
        invoice,
        paid_at: &paid_at,
    };
    Email {
        template: "order_paid",
        subject: format!("Order {} is paid: {} credits added", o.number, credits + bonus),
        text: render(&OrderPaidText { m: &m }),
        html: render(&OrderPaidHtml { m: &m, action: Some(("View your order", &o.url)) }),
        secret: None,
        calendar: None,
    }
}

struct PaymentFailedView<'a> {
    name: &'a str,
    number: &'a str,
    package: &'a str,
    price: &'a str,
    url: &'a str,
    until: &'a str,
}

#[derive(Template)]
#[template(path = "email/payment_failed.html")]
struct PaymentFailedHtml<'a> {
    m: &'a PaymentFailedView<'a>,
    action: Action<'a>,
}

#[derive(Template)]
#[template(path = "email/payment_failed.txt")]
struct PaymentFailedText<'a> {
    m: &'a PaymentFailedView<'a>,
}

pub fn payment_failed(o: &OrderFacts<'_>, until: jiff::Timestamp, zone: &TimeZone) -> Email {
    let until = datetime::show(until, zone, Style::DateTime);
    let m = PaymentFailedView {
        name: o.name,
        number: o.number,
        package: o.package,
        price: &o.price,
        url: &o.url,
        until: &until,
    };
    Email {
        template: "payment_failed",
        subject: format!("Your payment for order {} did not go through", o.number),
        text: render(&PaymentFailedText { m: &m }),
        html: render(&PaymentFailedHtml { m: &m, action: Some(("Try again", &o.url)) }),
        secret: None,
        calendar: None,
    }
}

/// The flat view the refund templates read.
struct OrderRefundedView<'a> {
    name: &'a str,
    number: &'a str,
    price: &'a str,
    url: &'a str,
    amount: &'a str,
    credits: i64,
    bonus: i64,
    credit_note: &'a str,
    invoice: &'a str,
}

#[derive(Template)]
#[template(path = "email/order_refunded.html")]
struct OrderRefundedHtml<'a> {
    m: &'a OrderRefundedView<'a>,
    action: Action<'a>,
}

#[derive(Template)]
#[template(path = "email/order_refunded.txt")]
struct OrderRefundedText<'a> {
    m: &'a OrderRefundedView<'a>,
}

/// What a refund returned and took back, and the credit note it issued.
pub struct RefundFacts<'a> {
    pub amount: String,
    pub credits: i64,
    pub bonus: i64,
    pub credit_note: &'a str,
    pub invoice: &'a str,
}

pub fn order_refunded(o: &OrderFacts<'_>, r: &RefundFacts<'_>) -> Email {
    let m = OrderRefundedView {
        name: o.name,
        number: o.number,
        price: &o.price,
        url: &o.url,
        amount: &r.amount,
        credits: r.credits,
        bonus: r.bonus,
        credit_note: r.credit_note,
        invoice: r.invoice,
    };
    Email {
        template: "order_refunded",
        subject: format!("Order {}: {} refunded", o.number, r.amount),
        text: render(&OrderRefundedText { m: &m }),
        html: render(&OrderRefundedHtml { m: &m, action: Some(("View your orders", &o.url)) }),
        secret: None,
        calendar: None,
    }
}

/// Rendering cannot fail for these templates: they only format strings and numbers.
fn render(t: &impl Template) -> String {
    t.render().expect("email templates render")
}

/// How a practitioner's onboarding moved, for the one onboarding email.
pub enum Outcome<'a> {
    Submitted,
    Approved,
    Rejected(&'a str),
    Suspended(&'a str),
}

struct Onboarding<'a> {
    name: &'a str,
    subject: &'a str,
    outcome: Outcome<'a>,
    action: &'a str,
    url: &'a str,
}

#[derive(Template)]
#[template(path = "email/onboarding.html")]
struct OnboardingHtml<'a> {
    m: &'a Onboarding<'a>,
    action: Action<'a>,
}

#[derive(Template)]
#[template(path = "email/onboarding.txt")]
struct OnboardingText<'a> {
    m: &'a Onboarding<'a>,
}

fn onboarding(template: &'static str, name: &str, outcome: Outcome<'_>, url: &str) -> Email {
    let (subject, action) = match outcome {
        Outcome::Submitted => ("Your Attune profile is waiting for review", "See your onboarding"),
        Outcome::Approved => ("Your Attune profile is live", "Open your practice"),
        Outcome::Rejected(_) => ("Your Attune profile needs changes", "Make the changes"),
        Outcome::Suspended(_) => ("Your Attune profile is suspended", "See your onboarding"),
    };
    let m = Onboarding { name, subject, outcome, action, url };
    Email {
        template,
        subject: subject.to_owned(),
        text: render(&OnboardingText { m: &m }),
        html: render(&OnboardingHtml { m: &m, action: Some((action, url)) }),
        secret: None,
        calendar: None,
    }
}

pub fn onboarding_submitted(name: &str, base_url: &str) -> Email {
    onboarding("onboarding_submitted", name, Outcome::Submitted, &format!("{base_url}/onboarding"))
}

pub fn onboarding_approved(name: &str, base_url: &str) -> Email {
    onboarding("onboarding_approved", name, Outcome::Approved, &format!("{base_url}/practitioner"))
}

pub fn onboarding_rejected(name: &str, reason: &str, base_url: &str) -> Email {
    onboarding("onboarding_rejected", name, Outcome::Rejected(reason), &format!("{base_url}/onboarding"))
}

pub fn onboarding_suspended(name: &str, reason: &str, base_url: &str) -> Email {
    onboarding("onboarding_suspended", name, Outcome::Suspended(reason), &format!("{base_url}/onboarding"))
}

/// A plain notice: a greeting, a few paragraphs and one button. The order and checkout
/// emails are all of this shape.
struct Notice<'a> {
    name: &'a str,
    subject: &'a str,
    paragraphs: &'a [String],
    action: &'a str,
    url: &'a str,
}

#[derive(Template)]
#[template(path = "email/notice.html")]
struct NoticeHtml<'a> {
    m: &'a Notice<'a>,
    action: Action<'a>,
}

#[derive(Template)]
#[template(path = "email/notice.txt")]
struct NoticeText<'a> {
    m: &'a Notice<'a>,
}

fn notice(template: &'static str, subject: String, name: &str, paragraphs: &[String], action: (&str, &str)) -> Email {
    let m = Notice { name, subject: &subject, paragraphs, action: action.0, url: action.1 };
    Email {
        template,
        text: render(&NoticeText { m: &m }),
        html: render(&NoticeHtml { m: &m, action: Some(action) }),
        subject,
        secret: None,
        calendar: None,
    }
}

/// To a customer whose account was made at checkout: how to give it a password.
pub fn set_password(name: &str, link: Secret, zone: &TimeZone) -> Email {
    let until = datetime::show(link.expires, zone, Style::DateTime);
    let paragraphs = [
        "We made an Attune account for you with this email address when you started your order, so you can \
         follow it, read the practitioner's messages and download what they deliver."
            .to_owned(),
        format!(
            "Choose a password to sign in. The link works once, until {until}; after that, use \"Forgot password\"."
        ),
    ];
    let email = notice(
        "set_password",
        "Choose your Attune password".into(),
        name,
        &paragraphs,
        ("Choose a password", &link.marker),
    );
    Email { secret: Some(link), ..email }
}

/// What the emails about a service order say of it.
pub struct ServiceOrderFacts<'a> {
    pub name: &'a str,
    pub number: &'a str,
    pub service: &'a str,
    /// What was paid: `30 credits` or `€45.00`.
    pub paid: String,
    pub url: String,
}

/// To the customer: the service order is paid.
pub fn service_order_paid(o: &ServiceOrderFacts<'_>, practitioner: &str) -> Email {
    let paragraphs = [
        format!("Thank you: your order {} for \"{}\" is paid ({}).", o.number, o.service, o.paid),
        format!(
            "{practitioner} has been told and will accept it shortly. You can follow it and write to them from the order's page."
        ),
    ];
    notice("service_order_paid", format!("Order {} is paid", o.number), o.name, &paragraphs, ("See your order", &o.url))
}

/// To the practitioner: a new paid order to accept.
pub fn service_order_received(o: &ServiceOrderFacts<'_>, customer: &str) -> Email {
    let paragraphs = [
        format!("{customer} ordered \"{}\" and paid ({}). The order is {}.", o.service, o.paid, o.number),
        "Open it to read their answers, then accept it to start.".to_owned(),
    ];
    notice(
        "service_order_received",
        format!("New order: {}", o.service),
        o.name,
        &paragraphs,
        ("Open the order", &o.url),
    )
}

/// To the customer: the practitioner moved the order on (accepted it, or completed it).
pub fn service_order_moved(o: &ServiceOrderFacts<'_>, practitioner: &str, completed: bool) -> Email {
    let (subject, line) = if completed {
        (format!("Order {} is complete", o.number), format!("{practitioner} has completed \"{}\".", o.service))
    } else {
        (
            format!("Order {} is in progress", o.number),
            format!("{practitioner} has accepted \"{}\" and is working on it.", o.service),
        )
    };
    notice("service_order_moved", subject, o.name, &[line], ("See your order", &o.url))
}

/// To one side of an order: the other side wrote (sent at most once per thread every ten
/// minutes, however many messages follow).
pub fn order_message(o: &ServiceOrderFacts<'_>, author: &str) -> Email {
    let paragraphs = [format!(
        "{author} sent you a message about order {} (\"{}\"). Read it and reply on the order's page.",
        o.number, o.service
    )];
    notice(
        "order_message",
        format!("New message about order {}", o.number),
        o.name,
        &paragraphs,
        ("Read the message", &o.url),
    )
}

/// To the customer: the session is booked (paid), at `when` in their zone.
pub fn booking_confirmed(o: &ServiceOrderFacts<'_>, when: &str, practitioner: &str) -> Email {
    let paragraphs = [
        format!("Your session \"{}\" with {practitioner} is booked for {when} ({}).", o.service, o.paid),
        format!("Order {}: you can move or cancel it, and write to {practitioner}, from its page.", o.number),
    ];
    notice(
        "booking_confirmed",
        format!("Booked: {} on {when}", o.service),
        o.name,
        &paragraphs,
        ("See your booking", &o.url),
    )
}

/// To the practitioner: a session was booked with them, at `when` in their zone.
pub fn booking_received(o: &ServiceOrderFacts<'_>, when: &str, customer: &str) -> Email {
    let paragraphs = [
        format!("{customer} booked \"{}\" for {when} and paid ({}). The order is {}.", o.service, o.paid, o.number),
        "Open it to read their answers before the session.".to_owned(),
    ];
    notice("booking_received", format!("New booking: {when}"), o.name, &paragraphs, ("Open the booking", &o.url))
}

/// To both sides: the session was cancelled; `refund` is what comes back to the customer.
pub fn booking_cancelled(o: &ServiceOrderFacts<'_>, when: &str, by: &str, refund: &str) -> Email {
    let paragraphs = [
        format!("The session \"{}\" on {when} (order {}) was cancelled by the {by}.", o.service, o.number),
        format!("What comes back to the customer: {refund}."),
    ];
    notice(
        "booking_cancelled",
        format!("Cancelled: {} on {when}", o.service),
        o.name,
        &paragraphs,
        ("See the order", &o.url),
    )
}

/// To both sides: the session moved to `when`.
pub fn booking_moved(o: &ServiceOrderFacts<'_>, when: &str, by: &str) -> Email {
    let paragraphs = [format!("The {by} moved the session \"{}\" (order {}) to {when}.", o.service, o.number)];
    notice("booking_moved", format!("Moved: {} to {when}", o.service), o.name, &paragraphs, ("See the booking", &o.url))
}

/// To the customer: their card payment came after the hold on the time ran out and
/// someone else booked it, so the payment is refunded in full.
pub fn booking_lost(o: &ServiceOrderFacts<'_>, when: &str) -> Email {
    let paragraphs = [
        format!(
            "Your payment for \"{}\" on {when} (order {}) arrived after the 15 minutes we kept the time for you, and \
             someone else booked it in the meantime.",
            o.service, o.number
        ),
        format!("We are refunding the whole payment ({}) to your card. Choose another time whenever you like.", o.paid),
    ];
    notice(
        "booking_lost",
        format!("Order {}: the time was taken, your payment is refunded", o.number),
        o.name,
        &paragraphs,
        ("Choose another time", &o.url),
    )
}

/// To the admins: a late card payment is being refunded on its own.
pub fn booking_lost_admin(name: &str, number: &str, amount: &str, base_url: &str) -> Email {
    let paragraphs = [format!(
        "Order {number} was paid by card ({amount}) after the hold on its time ran out and the time was booked by \
         someone else. The payment is being refunded in full; the customer has been told."
    )];
    let url = format!("{base_url}/admin/orders/{number}");
    notice(
        "booking_lost_admin",
        format!("Late payment refunded: {number}"),
        name,
        &paragraphs,
        ("Open the order", &url),
    )
}

/// To each side, a day before: the session is coming up, at `when` in their zone.
pub fn booking_reminder(o: &ServiceOrderFacts<'_>, when: &str, with: &str) -> Email {
    let paragraphs = [
        format!("A reminder: \"{}\" with {with} is on {when}.", o.service),
        format!("Order {}: the details, and a way to write to {with}, are on its page.", o.number),
    ];
    notice(
        "booking_reminder",
        format!("Tomorrow: {} on {when}", o.service),
        o.name,
        &paragraphs,
        ("See the booking", &o.url),
    )
}
