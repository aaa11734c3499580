//! The emails about a credit pack's order: paid, payment failed, and refunded; and to a
//! customer and the admins about an order paid twice.

use super::{Action, notice, render};
use crate::domain::TimeZone;
use crate::domain::datetime::{self, Style};
use crate::server::email::Email;
use askama::Template;

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

/// To a customer whose order was paid by two checkouts: the second payment went back.
pub fn duplicate_payment_refunded(
    name: &str,
    number: &str,
    item: &str,
    amount: &str,
    invoice: Option<&str>,
    url: &str,
) -> Email {
    let kept = match invoice {
        Some(invoice) => format!("Nothing else changes: the order and its invoice {invoice} stay as they are."),
        None => "Nothing else changes: the order stays as it is.".to_owned(),
    };
    let paragraphs = [
        format!(
            "Order {number} ({item}) was paid twice: two checkouts were completed for it. \
             We kept one payment and have refunded the other, {amount}, in full to the card it came from. \
             Banks usually take 5 to 10 days to show it."
        ),
        kept,
    ];
    notice(
        "duplicate_payment_refunded",
        format!("Order {number}: your second payment of {amount} is refunded"),
        name,
        &paragraphs,
        ("View your order", url),
    )
}

/// To the admins: the provider refused to return a duplicate payment, which needs a
/// person now.
pub fn duplicate_payment_refused_admin(name: &str, number: &str, amount: &str, reason: &str, base_url: &str) -> Email {
    let paragraphs = [format!(
        "Order {number} was paid a second time ({amount}) by another checkout, and the provider refused to refund \
         that payment: {reason}. Refund it at the provider and tell the customer."
    )];
    let url = format!("{base_url}/admin/orders/{number}");
    notice(
        "duplicate_payment_refused_admin",
        format!("Duplicate payment not refunded: {number}"),
        name,
        &paragraphs,
        ("Open the order", &url),
    )
}
