//! Orders for credit packs and services: the packages an admin defines, the status an
//! order moves through, and its invoice number. The confirmation number people quote is
//! `OrderNumber`.

use crate::domain::FieldError;
use crate::domain::catalog::Price;
use crate::domain::money::{Currency, Money};
use serde::{Deserialize, Serialize};

/// Where an order is. The legal moves are `can_move_to`; the database refuses any
/// other (`order_transition_allowed` in the migrations, kept equal by a test).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// A service order the customer is still filling in at checkout.
    Draft,
    PendingPayment,
    Paid,
    PaymentFailed,
    Expired,
    /// Given up before it was paid.
    Cancelled,
    /// A paid service order the practitioner has accepted and is working on.
    InProgress,
    /// Delivered.
    Completed,
    Refunded,
    PartiallyRefunded,
}

impl OrderStatus {
    pub const ALL: [OrderStatus; 10] = [
        OrderStatus::Draft,
        OrderStatus::PendingPayment,
        OrderStatus::Paid,
        OrderStatus::PaymentFailed,
        OrderStatus::Expired,
        OrderStatus::Cancelled,
        OrderStatus::InProgress,
        OrderStatus::Completed,
        OrderStatus::Refunded,
        OrderStatus::PartiallyRefunded,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Draft => "draft",
            OrderStatus::Cancelled => "cancelled",
            OrderStatus::InProgress => "in_progress",
            OrderStatus::Completed => "completed",
            OrderStatus::PendingPayment => "pending_payment",
            OrderStatus::Paid => "paid",
            OrderStatus::PaymentFailed => "payment_failed",
            OrderStatus::Expired => "expired",
            OrderStatus::Refunded => "refunded",
            OrderStatus::PartiallyRefunded => "partially_refunded",
        }
    }

    pub fn parse(raw: &str) -> Option<OrderStatus> {
        OrderStatus::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    pub fn label(self) -> &'static str {
        match self {
            OrderStatus::Draft => "Not yet placed",
            OrderStatus::Cancelled => "Cancelled",
            OrderStatus::InProgress => "In progress",
            OrderStatus::Completed => "Completed",
            OrderStatus::PendingPayment => "Awaiting payment",
            OrderStatus::Paid => "Paid",
            OrderStatus::PaymentFailed => "Payment failed",
            OrderStatus::Expired => "Expired",
            OrderStatus::Refunded => "Refunded",
            OrderStatus::PartiallyRefunded => "Partly refunded",
        }
    }

    /// Whether an order in this status may move to `next`. A payment that completes
    /// after the order failed or expired still makes it paid: money taken is never
    /// left without its order.
    pub fn can_move_to(self, next: OrderStatus) -> bool {
        use OrderStatus::*;
        matches!(
            (self, next),
            (Draft, PendingPayment | Paid | Expired | Cancelled)
                | (PendingPayment, Paid | PaymentFailed | Expired | Cancelled)
                | (PaymentFailed, PendingPayment | Paid | Expired | Cancelled)
                | (Expired | Cancelled, Paid)
                | (Paid, InProgress | Completed | Cancelled)
                | (InProgress, Completed)
                | (Paid, PartiallyRefunded | Refunded)
                | (InProgress, Refunded)
                | (PartiallyRefunded, PartiallyRefunded | Refunded)
        )
    }

    /// Whether the customer can still pay for it.
    pub fn awaits_payment(self) -> bool {
        matches!(self, OrderStatus::Draft | OrderStatus::PendingPayment | OrderStatus::PaymentFailed)
    }

    /// Whether it can be paid at `now`: it awaits payment and its payment window, which
    /// ends at `expires_at`, is still open. Nothing is held or charged for it otherwise.
    pub fn payable(self, expires_at: jiff::Timestamp, now: jiff::Timestamp) -> bool {
        self.awaits_payment() && now < expires_at
    }

    /// Where a refund the provider confirmed moves the order: refunded when all of its
    /// price has gone back (`in_full`), partly refunded otherwise. `None` when that is
    /// not a move it can make (it is refunded already, or it moved on before the money
    /// came back): the order stays where it is, and the refund is recorded all the same.
    pub fn after_refund(self, in_full: bool) -> Option<OrderStatus> {
        let to = if in_full { OrderStatus::Refunded } else { OrderStatus::PartiallyRefunded };
        self.can_move_to(to).then_some(to)
    }

    /// Whether it is over: delivered, refunded (in full or in part), cancelled or
    /// expired. Nothing more happens to a finished order: it is listed as finished, and
    /// it can no longer be reassigned or refunded as undelivered.
    pub fn is_finished(self) -> bool {
        use OrderStatus::*;
        matches!(self, Completed | Refunded | PartiallyRefunded | Expired | Cancelled)
    }

    /// Whether it was paid (refunds included): it has a payment, and a pack's credits
    /// were granted.
    pub fn was_paid(self) -> bool {
        matches!(
            self,
            OrderStatus::Paid
                | OrderStatus::InProgress
                | OrderStatus::Completed
                | OrderStatus::Refunded
                | OrderStatus::PartiallyRefunded
        )
    }
}

/// What an order is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderKind {
    CreditPack,
    Service,
}

/// How a paid order was paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaidWith {
    Card,
    Credits,
}

impl PaidWith {
    pub fn as_str(self) -> &'static str {
        match self {
            PaidWith::Card => "card",
            PaidWith::Credits => "credits",
        }
    }

    pub fn parse(raw: &str) -> Option<PaidWith> {
        [PaidWith::Card, PaidWith::Credits].into_iter().find(|p| p.as_str() == raw)
    }

    /// A payment method as a form names it; anything else is a clear error.
    pub fn from_form(raw: &str) -> Result<PaidWith, FieldError> {
        match raw.trim() {
            "card" => Ok(PaidWith::Card),
            "credits" => Ok(PaidWith::Credits),
            _ => Err(FieldError::new("method", "Choose to pay with credits or by card.")),
        }
    }
}

/// The part of `price` that was charged: the credits or the card amount once paid,
/// the whole price (either way) before.
pub fn charged(price: &Price, paid_with: Option<PaidWith>) -> Price {
    match paid_with {
        Some(PaidWith::Credits) => Price { credits: price.credits, card: None },
        Some(PaidWith::Card) => Price { credits: None, card: price.card },
        None => *price,
    }
}

/// `INV-2026-000042`: the 42nd invoice of 2026.
pub fn invoice_number(year: i16, n: i32) -> String {
    format!("INV-{year}-{n:06}")
}

/// A credit package as an admin defines it. The same field names in SQL, Rust and JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageDraft {
    pub name: String,
    pub credits: i64,
    pub bonus_credits: i64,
    pub price_minor: i64,
    pub currency: Currency,
    pub active: bool,
    pub position: i32,
    pub badge: Option<String>,
    pub validity_days: Option<i32>,
}

/// The package form as submitted (every field as typed).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageForm {
    pub name: String,
    pub credits: String,
    pub bonus_credits: String,
    /// In major units as a person types it: `49.00`, `4900` for yen.
    pub price: String,
    pub currency: String,
    pub active: Option<String>,
    pub position: String,
    pub badge: String,
    pub validity_days: String,
}

pub const MAX_PACKAGE_CREDITS: i64 = 1_000_000;
pub const MAX_PRICE_MINOR: i64 = 100_000_000;

fn whole(field: &str, raw: &str, min: i64, max: i64, what: &str) -> Result<i64, FieldError> {
    let n: i64 = raw
        .trim()
        .parse()
        .map_err(|_| FieldError::new(field, format!("Enter {what} as a whole number from {min} to {max}.")))?;
    if !(min..=max).contains(&n) {
        return Err(FieldError::new(field, format!("Enter {what} from {min} to {max}.")));
    }
    Ok(n)
}

impl PackageForm {
    /// Checks every field; the first problem is named by its field.
    pub fn parse(&self) -> Result<PackageDraft, FieldError> {
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > 80 {
            return Err(FieldError::new("name", "Give the package a name of at most 80 characters."));
        }
        let credits = whole("credits", &self.credits, 1, MAX_PACKAGE_CREDITS, "the credits")?;
        let bonus_credits = if self.bonus_credits.trim().is_empty() {
            0
        } else {
            whole("bonus_credits", &self.bonus_credits, 0, MAX_PACKAGE_CREDITS, "the bonus credits")?
        };
        let currency = Currency::parse(&self.currency).map_err(|e| FieldError::new("currency", e.to_string()))?;
        let price = Money::parse_major(&self.price, currency).map_err(|e| FieldError::new("price", e.to_string()))?;
        if price.minor() <= 0 {
            return Err(FieldError::new("price", "The price must be more than zero."));
        }
        if price.minor() > MAX_PRICE_MINOR {
            return Err(FieldError::new("price", "That price is too large for one package."));
        }
        let position = if self.position.trim().is_empty() {
            0
        } else {
            whole("position", &self.position, 0, 10_000, "the position")?
        };
        let badge = self.badge.trim();
        if badge.chars().count() > 40 {
            return Err(FieldError::new("badge", "Keep the badge to at most 40 characters."));
        }
        let validity_days = if self.validity_days.trim().is_empty() {
            None
        } else {
            Some(whole("validity_days", &self.validity_days, 1, 3650, "the validity in days")?)
        };
        Ok(PackageDraft {
            name: name.to_owned(),
            credits,
            bonus_credits,
            price_minor: price.minor(),
            currency,
            active: self.active.is_some(),
            position: position as i32,
            badge: (!badge.is_empty()).then(|| badge.to_owned()),
            validity_days: validity_days.map(|d| d as i32),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_finished_order_moves_only_when_a_late_payment_or_the_rest_of_a_refund_arrives() {
        use OrderStatus::*;
        assert!(PartiallyRefunded.is_finished() && Refunded.is_finished() && !InProgress.is_finished());
        for from in OrderStatus::ALL.into_iter().filter(|s| s.is_finished()) {
            assert!(!from.awaits_payment(), "{from:?}");
            for to in OrderStatus::ALL.into_iter().filter(|&to| from.can_move_to(to)) {
                let late_money = matches!((from, to), (Expired | Cancelled, Paid));
                let rest_refunded = from == PartiallyRefunded && matches!(to, PartiallyRefunded | Refunded);
                assert!(late_money || rest_refunded, "{from:?} -> {to:?}");
            }
        }
    }

    fn form() -> PackageForm {
        PackageForm {
            name: " Starter ".into(),
            credits: "10".into(),
            bonus_credits: "2".into(),
            price: "49.00".into(),
            currency: "eur".into(),
            active: Some("on".into()),
            position: "1".into(),
            badge: "Most popular".into(),
            validity_days: "365".into(),
        }
    }

    #[test]
    fn a_package_form_parses_into_minor_units_and_trimmed_text() {
        let d = form().parse().unwrap();
        assert_eq!((d.name.as_str(), d.credits, d.bonus_credits, d.price_minor), ("Starter", 10, 2, 4900));
        assert_eq!((d.currency, d.active, d.position), (Currency::Eur, true, 1));
        assert_eq!((d.badge.as_deref(), d.validity_days), (Some("Most popular"), Some(365)));
        let blank = PackageForm {
            bonus_credits: "".into(),
            badge: " ".into(),
            validity_days: "".into(),
            active: None,
            ..form()
        };
        let d = blank.parse().unwrap();
        assert_eq!((d.bonus_credits, d.badge, d.validity_days, d.active), (0, None, None, false));
    }

    #[test]
    fn each_bad_package_field_is_named() {
        let cases: [(PackageForm, &str); 11] = [
            (PackageForm { name: "".into(), ..form() }, "name"),
            (PackageForm { credits: "0".into(), ..form() }, "credits"),
            (PackageForm { credits: "-5".into(), ..form() }, "credits"),
            (PackageForm { credits: "99999999999999999999".into(), ..form() }, "credits"),
            (PackageForm { bonus_credits: "-1".into(), ..form() }, "bonus_credits"),
            (PackageForm { price: "0".into(), ..form() }, "price"),
            (PackageForm { price: "-3".into(), ..form() }, "price"),
            (PackageForm { price: "1.999".into(), ..form() }, "price"),
            (PackageForm { price: "2000000".into(), ..form() }, "price"),
            (PackageForm { currency: "XYZ".into(), ..form() }, "currency"),
            (PackageForm { validity_days: "0".into(), ..form() }, "validity_days"),
        ];
        for (f, field) in cases {
            assert_eq!(f.parse().unwrap_err().field, field, "{f:?}");
        }
    }

    #[test]
    fn invoice_numbers_count_within_their_year() {
        assert_eq!(invoice_number(2026, 42), "INV-2026-000042");
    }

    #[test]
    fn a_confirmed_refund_moves_an_order_only_by_a_legal_move() {
        use OrderStatus::*;
        for from in OrderStatus::ALL {
            for in_full in [true, false] {
                if let Some(to) = from.after_refund(in_full) {
                    assert!(from.can_move_to(to), "{from:?} -> {to:?}");
                }
            }
        }
        assert_eq!(Paid.after_refund(true), Some(Refunded));
        assert_eq!(PartiallyRefunded.after_refund(false), Some(PartiallyRefunded));
        assert_eq!(InProgress.after_refund(true), Some(Refunded), "an accepted order an admin refunds in full");
        assert_eq!(InProgress.after_refund(false), None);
        assert_eq!(Completed.after_refund(true), None, "a refund settling after delivery leaves the order where it is");
        assert_eq!(Refunded.after_refund(true), None);
    }

    #[test]
    fn paid_money_is_never_stranded_and_refunds_only_follow_payment() {
        use OrderStatus::*;
        for from in OrderStatus::ALL {
            assert!(!from.can_move_to(PendingPayment) || matches!(from, PaymentFailed | Draft));
            assert_eq!(from.can_move_to(Refunded), matches!(from, Paid | InProgress | PartiallyRefunded));
            if !from.was_paid() {
                assert!(from.can_move_to(Paid), "{from:?} must accept a late payment");
            }
        }
        assert!(!Refunded.can_move_to(Paid));
        assert!(!Paid.can_move_to(Expired));
        for s in OrderStatus::ALL {
            assert_eq!(OrderStatus::parse(s.as_str()), Some(s));
        }
    }
}
