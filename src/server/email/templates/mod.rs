//! The emails, as askama templates checked at compile time: one HTML layout, and a
//! plain-text part for each message. HTML parts escape everything interpolated;
//! plain-text parts keep what people typed as they typed it.
//!
//! The account emails (welcome, passwords, sign-up) are in `account`, the onboarding
//! email in `onboarding`, a credit pack's order and payment emails (and a duplicate
//! payment's) in `orders`, a service order's in `service`, and a booked session's in
//! `booking`. The plain notice most of them share is here.

mod account;
mod booking;
mod onboarding;
mod orders;
mod service;

pub use account::{
    confirm_sign_up, guest_order_started, password_reset, reset_without_account, set_password, sign_up_attempted,
    welcome,
};
pub use booking::{
    booking_cancelled, booking_confirmed, booking_lost, booking_lost_admin, booking_moved, booking_received,
    booking_reminder,
};
pub use onboarding::{onboarding_approved, onboarding_rejected, onboarding_submitted, onboarding_suspended};
pub use orders::{
    OrderFacts, RefundFacts, duplicate_payment_refunded, duplicate_payment_refused_admin, order_paid, order_refunded,
    payment_failed,
};
pub use service::{
    ServiceOrderFacts, order_message, service_order_moved, service_order_paid, service_order_received,
    service_order_refunded,
};

use super::Email;
use askama::Template;

/// The call-to-action button of the layout: (label, address).
type Action<'a> = Option<(&'a str, &'a str)>;

/// Rendering cannot fail for these templates: they only format strings and numbers.
fn render(t: &impl Template) -> String {
    t.render().expect("email templates render")
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
