//! The emails about a booked session: booked, cancelled, moved, lost to a late payment,
//! and the reminder the day before.

use super::notice;
use super::service::ServiceOrderFacts;
use crate::server::email::Email;

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
