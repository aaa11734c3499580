//! How much of a credit-pack order can be refunded, and what a refund of some of its
//! credits returns and takes back. Only paid credits still unspent (and unexpired) can
//! be refunded; each is worth the order's price divided by its paid credits, and the
//! bonus credits that came with them go with them as far as they are left.
//!
//! Amounts are valued cumulatively (what all refunds so far are worth, less what was
//! already returned), so however an order is refunded in parts, rounding never makes
//! the parts add up to more or less than the price once every credit is refunded.

use crate::domain::FieldError;
use crate::domain::orders::OrderStatus;
use serde::{Deserialize, Serialize};

/// An order's refund position: what it bought, what earlier refunds returned, and what
/// is left unspent in the lots it granted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refundable {
    pub price_minor: i64,
    pub credits: i64,
    pub bonus_credits: i64,
    /// Paid credits, bonus credits and money already refunded (or being refunded).
    pub refunded_credits: i64,
    pub refunded_bonus: i64,
    pub refunded_minor: i64,
    /// What is left in the order's paid and bonus lots and could still be spent.
    pub paid_unspent: i64,
    pub bonus_unspent: i64,
}

/// What one refund moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefundPlan {
    /// Paid credits taken back.
    pub credits: i64,
    /// Bonus credits taken back with them.
    pub bonus_credits: i64,
    /// Money returned to the card.
    pub amount_minor: i64,
    /// The order's status once the refund succeeds.
    pub status_after: OrderStatus,
}

impl Refundable {
    /// The most paid credits a refund may take back now.
    pub fn max_credits(&self) -> i64 {
        self.paid_unspent.min(self.credits - self.refunded_credits).max(0)
    }

    /// What `refunded` paid credits of the order are worth, rounded down.
    fn value_of(&self, refunded: i64) -> i64 {
        if refunded >= self.credits {
            return self.price_minor;
        }
        (i128::from(refunded) * i128::from(self.price_minor) / i128::from(self.credits)) as i64
    }

    /// The refund of `credits` paid credits, or why it cannot be made.
    pub fn plan(&self, credits: i64) -> Result<RefundPlan, FieldError> {
        let max = self.max_credits();
        if max == 0 {
            return Err(FieldError::new(
                "credits",
                "Nothing is left to refund: every paid credit of this order has been spent, has expired or was refunded.",
            ));
        }
        if credits <= 0 {
            return Err(FieldError::new("credits", "Refund at least one credit."));
        }
        if credits > max {
            return Err(FieldError::new(
                "credits",
                format!("At most {max} unspent paid credits of this order can be refunded."),
            ));
        }
        let total = self.refunded_credits + credits;
        let amount_minor = self.value_of(total) - self.refunded_minor;
        if amount_minor <= 0 {
            return Err(FieldError::new(
                "credits",
                "That many credits are worth less than the smallest coin of the currency; refund more of them.",
            ));
        }
        let bonus_due = i128::from(total) * i128::from(self.bonus_credits) / i128::from(self.credits);
        let bonus_credits = (bonus_due as i64 - self.refunded_bonus).clamp(0, self.bonus_unspent.max(0));
        let status_after = if self.refunded_minor + amount_minor >= self.price_minor {
            OrderStatus::Refunded
        } else {
            OrderStatus::PartiallyRefunded
        };
        Ok(RefundPlan { credits, bonus_credits, amount_minor, status_after })
    }

    /// The position after `plan` was refunded.
    pub fn after(&self, plan: &RefundPlan) -> Refundable {
        Refundable {
            refunded_credits: self.refunded_credits + plan.credits,
            refunded_bonus: self.refunded_bonus + plan.bonus_credits,
            refunded_minor: self.refunded_minor + plan.amount_minor,
            paid_unspent: self.paid_unspent - plan.credits,
            bonus_unspent: self.bonus_unspent - plan.bonus_credits,
            ..*self
        }
    }
}

/// Where a refund is: waiting for the provider, done (with its credit note), or
/// refused by the provider (its credits were given back).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundStatus {
    Pending,
    Succeeded,
    Failed,
}

impl RefundStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RefundStatus::Pending => "pending",
            RefundStatus::Succeeded => "succeeded",
            RefundStatus::Failed => "failed",
        }
    }

    pub fn parse(raw: &str) -> Option<RefundStatus> {
        [RefundStatus::Pending, RefundStatus::Succeeded, RefundStatus::Failed].into_iter().find(|s| s.as_str() == raw)
    }

    pub fn label(self) -> &'static str {
        match self {
            RefundStatus::Pending => "Being refunded",
            RefundStatus::Succeeded => "Refunded",
            RefundStatus::Failed => "Refused by the provider",
        }
    }
}

/// Reads the "credits to refund" field as typed.
pub fn parse_credits(raw: &str) -> Result<i64, FieldError> {
    raw.trim().parse::<i64>().map_err(|_| FieldError::new("credits", "Enter a whole number of credits."))
}

/// Reads the reason an admin gives for a refund.
pub fn parse_reason(raw: &str) -> Result<String, FieldError> {
    let reason = raw.trim();
    match reason.chars().count() {
        0 => Err(FieldError::new("reason", "Say why the order is refunded; the customer is not shown this.")),
        1..=500 => Ok(reason.to_owned()),
        _ => Err(FieldError::new("reason", "Keep the reason to 500 characters.")),
    }
}

/// `CN-2026-000007`: the 7th credit note of 2026.
pub fn credit_note_number(year: i16, n: i32) -> String {
    format!("CN-{year}-{n:06}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn order(price: i64, credits: i64, bonus: i64) -> Refundable {
        Refundable {
            price_minor: price,
            credits,
            bonus_credits: bonus,
            refunded_credits: 0,
            refunded_bonus: 0,
            refunded_minor: 0,
            paid_unspent: credits,
            bonus_unspent: bonus,
        }
    }

    #[test]
    fn a_full_refund_returns_the_price_and_every_credit() {
        let o = order(4_900, 50, 5);
        let plan = o.plan(50).unwrap();
        assert_eq!(
            plan,
            RefundPlan { credits: 50, bonus_credits: 5, amount_minor: 4_900, status_after: OrderStatus::Refunded }
        );
    }

    #[test]
    fn spent_credits_limit_the_refund() {
        let o = Refundable { paid_unspent: 30, bonus_unspent: 0, ..order(5_000, 50, 5) };
        assert_eq!(o.max_credits(), 30);
        let plan = o.plan(30).unwrap();
        assert_eq!(
            (plan.amount_minor, plan.bonus_credits, plan.status_after),
            (3_000, 0, OrderStatus::PartiallyRefunded)
        );
        assert!(o.plan(31).unwrap_err().message.contains("At most 30"));
    }

    #[test]
    fn bad_amounts_are_refused_with_the_reason() {
        let o = order(1_000, 10, 0);
        assert_eq!(o.plan(0).unwrap_err().field, "credits");
        assert!(o.plan(-5).unwrap_err().message.contains("at least one"));
        assert!(o.plan(i64::MAX).is_err());
        let spent = Refundable { paid_unspent: 0, ..o };
        assert!(spent.plan(1).unwrap_err().message.starts_with("Nothing is left"));
        let cheap = order(1, 1_000, 0);
        assert!(cheap.plan(1).unwrap_err().message.contains("smallest coin"));
        assert!(parse_credits("abc").is_err());
        assert!(parse_credits(" 7 ").is_ok_and(|n| n == 7));
        assert!(parse_reason("   ").is_err());
        assert!(parse_reason(&"x".repeat(501)).is_err());
    }

    #[test]
    fn credit_notes_are_numbered_per_year() {
        assert_eq!(credit_note_number(2026, 7), "CN-2026-000007");
    }

    proptest! {
        /// However an order is refunded in parts, the parts never return more than the
        /// price, each is positive, and refunding every credit returns exactly the price.
        #[test]
        fn parts_add_up_to_the_price(price in 1i64..10_000_000, credits in 1i64..5_000, bonus in 0i64..500,
                                     parts in proptest::collection::vec(1i64..2_000, 1..8)) {
            let mut o = order(price, credits, bonus);
            for part in parts {
                let n = part.min(o.max_credits());
                if n == 0 { break; }
                if let Ok(plan) = o.plan(n) {
                    prop_assert!(plan.amount_minor > 0);
                    prop_assert!(plan.bonus_credits <= o.bonus_unspent);
                    o = o.after(&plan);
                    prop_assert!(o.refunded_minor <= price);
                    prop_assert_eq!(plan.status_after == OrderStatus::Refunded, o.refunded_minor == price);
                }
            }
            if o.max_credits() > 0 && let Ok(rest) = o.plan(o.max_credits()) {
                o = o.after(&rest);
            }
            if o.refunded_credits == credits {
                prop_assert_eq!(o.refunded_minor, price);
                prop_assert_eq!(o.refunded_bonus, bonus);
            }
        }
    }
}
