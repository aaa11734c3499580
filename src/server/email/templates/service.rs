//! The emails about a service order: paid, received by the practitioner, moved on,
//! refunded by an admin, and a new message on it.

use super::notice;
use crate::server::email::Email;

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

/// To the customer: an admin cancelled a paid order that will not be delivered and
/// refunded it in full (`refund`: `30 credits, back in your wallet now` or the amount
/// on its way to the card).
pub fn service_order_refunded(o: &ServiceOrderFacts<'_>, refund: &str) -> Email {
    let paragraphs = [
        format!("We are sorry: your order {} for \"{}\" cannot be delivered, so we cancelled it.", o.number, o.service),
        format!("Everything you paid comes back: {refund}."),
    ];
    notice(
        "service_order_refunded",
        format!("Order {} is cancelled and refunded", o.number),
        o.name,
        &paragraphs,
        ("See your order", &o.url),
    )
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
