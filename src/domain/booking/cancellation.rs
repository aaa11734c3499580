//! The practitioner's cancellation policy, what was paid for a session, and
//! `refund_due`: what cancelling it returns, and why.

use super::Side;
use crate::domain::orders::PaidWith;
use crate::domain::{Credits, Money};
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

/// The practitioner's cancellation policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    /// A customer cancelling at least this long before the start gets everything back.
    pub full_refund_hours: i32,
    /// What a customer cancelling later (but before the start) gets back, in percent.
    pub late_refund_percent: i32,
}

impl Default for Policy {
    fn default() -> Self {
        Policy { full_refund_hours: 24, late_refund_percent: 50 }
    }
}

impl Policy {
    /// The policy as a customer reads it before booking.
    pub fn describe(&self) -> String {
        let late = match self.late_refund_percent {
            0 => "nothing is refunded".to_owned(),
            100 => "everything is refunded".to_owned(),
            p => format!("{p}% is refunded"),
        };
        if self.full_refund_hours == 0 {
            return "Cancel any time before the start for a full refund; nothing once it has started.".to_owned();
        }
        format!(
            "Cancel at least {} before the start for a full refund; later than that, {late}; nothing once it has started.",
            hours_label(self.full_refund_hours)
        )
    }
}

fn hours_label(hours: i32) -> String {
    match hours {
        1 => "1 hour".to_owned(),
        h if h % 24 == 0 && h >= 48 => format!("{} days", h / 24),
        h => format!("{h} hours"),
    }
}

/// What was paid for a session, in the one way it was paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Paid {
    Credits(Credits),
    Card(Money),
}

impl Paid {
    pub fn method(self) -> PaidWith {
        match self {
            Paid::Credits(_) => PaidWith::Credits,
            Paid::Card(_) => PaidWith::Card,
        }
    }

    pub fn label(self, locale: crate::domain::Locale) -> String {
        match self {
            Paid::Credits(c) if c.get() == 1 => "1 credit".to_owned(),
            Paid::Credits(c) => format!("{} credits", c.get()),
            Paid::Card(m) => m.format(locale),
        }
    }

    pub fn is_zero(self) -> bool {
        match self {
            Paid::Credits(c) => c.get() == 0,
            Paid::Card(m) => m.is_zero(),
        }
    }

    /// `percent` of it, rounded down to a whole credit or minor unit.
    fn share(self, percent: i32) -> Paid {
        let percent = i64::from(percent.clamp(0, 100));
        match self {
            Paid::Credits(c) => Paid::Credits(Credits::new(c.get() * percent / 100).unwrap_or(Credits::ZERO)),
            Paid::Card(m) => Paid::Card(Money::from_minor(m.minor() * percent / 100, m.currency())),
        }
    }
}

/// What a cancellation returns and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundDue {
    pub percent: i32,
    pub amount: Paid,
    pub window: Window,
}

/// Which part of the policy applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Window {
    /// Early enough for everything back.
    Full,
    /// Inside the late window, before the start.
    Late,
    /// The session has started.
    Started,
    /// The practitioner (or an admin) cancels: always everything back.
    ByPractitioner,
}

/// What cancelling a session that starts at `starts_at` returns at `now`, of `paid`.
/// At exactly `full_refund_hours` before the start it is still a full refund; at the
/// start itself it is nothing.
pub fn refund_due(policy: &Policy, paid: Paid, starts_at: Timestamp, now: Timestamp, by: Side) -> RefundDue {
    let window = if by != Side::Customer {
        Window::ByPractitioner
    } else if now >= starts_at {
        Window::Started
    } else if starts_at.duration_since(now) >= SignedDuration::from_hours(i64::from(policy.full_refund_hours)) {
        Window::Full
    } else {
        Window::Late
    };
    let percent = match window {
        Window::Full | Window::ByPractitioner => 100,
        Window::Late => policy.late_refund_percent.clamp(0, 100),
        Window::Started => 0,
    };
    RefundDue { percent, amount: paid.share(percent), window }
}
