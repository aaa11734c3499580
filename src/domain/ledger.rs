//! The rules of the credit ledger that need no database: which lots a spend draws on.
//! The server (`ledger_spend`) locks the wallet, reads its lots, takes them in
//! `allocate`'s order, and writes the result in the same transaction.

use crate::domain::FieldError;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// Where a lot's credits came from. Promotional credit is spent first, so paid credit
/// (which can be refunded) is kept as long as possible.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LotSource {
    Paid,
    Promotional,
}

impl LotSource {
    pub fn as_str(self) -> &'static str {
        match self {
            LotSource::Paid => "paid",
            LotSource::Promotional => "promotional",
        }
    }

    pub fn parse(raw: &str) -> Option<LotSource> {
        match raw {
            "paid" => Some(LotSource::Paid),
            "promotional" => Some(LotSource::Promotional),
            _ => None,
        }
    }
}

/// What is left of one grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lot {
    pub id: i64,
    pub source: LotSource,
    pub remaining: i64,
    pub expires_at: Option<Timestamp>,
}

impl Lot {
    /// Expired credit is never spendable, whether or not its expiry has been posted yet.
    pub fn spendable_at(&self, now: Timestamp) -> i64 {
        match self.expires_at {
            Some(at) if at <= now => 0,
            _ => self.remaining.max(0),
        }
    }
}

/// A spend larger than the spendable credit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shortfall {
    pub available: i64,
    pub needed: i64,
}

/// The key lots are spent in: promotional before paid, then the soonest expiry (lots
/// that never expire last), then the oldest grant.
pub fn spending_order(lot: &Lot) -> (bool, bool, Option<Timestamp>, i64) {
    (lot.source != LotSource::Promotional, lot.expires_at.is_none(), lot.expires_at, lot.id)
}

/// The lots `amount` credits are taken from, as (lot id, credits) in the order taken:
/// promotional before paid, then the soonest expiry (lots that never expire last), then
/// the oldest grant. All or nothing: a shortfall takes nothing. This is the rule; the
/// database function `ledger_spend` applies it in the spending transaction, and the
/// ledger property test holds the two to the same answers.
pub fn allocate(lots: &[Lot], amount: i64, now: Timestamp) -> Result<Vec<(i64, i64)>, Shortfall> {
    assert!(amount > 0, "a spend is of at least one credit");
    let mut order: Vec<&Lot> = lots.iter().filter(|l| l.spendable_at(now) > 0).collect();
    order.sort_by_key(|l| spending_order(l));
    let available = order.iter().map(|l| l.spendable_at(now)).fold(0i64, i64::saturating_add);
    if available < amount {
        return Err(Shortfall { available, needed: amount });
    }
    let mut left = amount;
    let mut taken = Vec::new();
    for lot in order {
        if left == 0 {
            break;
        }
        let take = lot.spendable_at(now).min(left);
        taken.push((lot.id, take));
        left -= take;
    }
    Ok(taken)
}

/// The largest single correction an admin can make, in credits either way.
pub const ADJUSTMENT_MAX: i64 = 1_000_000;
const REASON_CHARS: std::ops::RangeInclusive<usize> = 3..=500;

/// An admin's credit correction as typed: a signed whole number of credits (not zero)
/// and the reason, which the customer's history and the audit log will show.
pub fn parse_adjustment(delta: &str, reason: &str) -> Result<(i64, String), FieldError> {
    let raw = delta.trim();
    let digits = raw.strip_prefix('+').unwrap_or(raw);
    let delta = match digits.parse::<i64>() {
        Ok(0) => return Err(FieldError::new("delta", "Enter a number of credits other than zero.")),
        Ok(n) if n.unsigned_abs() <= ADJUSTMENT_MAX as u64 => n,
        Ok(_) => {
            return Err(FieldError::new("delta", format!("Adjust by at most {ADJUSTMENT_MAX} credits at a time.")));
        }
        Err(_) => {
            return Err(FieldError::new(
                "delta",
                "Enter a whole number of credits, e.g. 10 to add or -10 to take away.",
            ));
        }
    };
    let reason = reason.split_whitespace().collect::<Vec<_>>().join(" ");
    if !REASON_CHARS.contains(&reason.chars().count()) {
        return Err(FieldError::new(
            "reason",
            "Say why in 3 to 500 characters: the customer and other admins will see it.",
        ));
    }
    Ok((delta, reason))
}

/// One CSV field: quoted when it holds a comma, quote or line break, and with a leading
/// `'` when a spreadsheet would otherwise run it as a formula.
fn csv_field(raw: &str) -> String {
    let guarded = if raw.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{raw}") } else { raw.to_owned() };
    if guarded.contains([',', '"', '\n', '\r']) { format!("\"{}\"", guarded.replace('"', "\"\"")) } else { guarded }
}

/// The credit history as CSV, oldest first: time (UTC), what, reason, change, balance.
pub fn history_csv(moves: &[crate::domain::types::CreditMove]) -> String {
    let mut out = String::from("time_utc,kind,reason,change,balance_after\r\n");
    for m in moves.iter().rev() {
        let reason = csv_field(m.reason.as_deref().unwrap_or(""));
        let line = format!(
            "{},{},{},{},{}\r\n",
            crate::domain::datetime::machine(m.at),
            csv_field(&m.kind),
            reason,
            m.change,
            m.balance_after
        );
        out.push_str(&line);
    }
    out
}

/// The key a ledger transaction is stored under. It names the one effect the
/// transaction has, and the database refuses a key twice, so a retry moves nothing.
/// Every key the platform writes or looks for is spelled here, once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LedgerKey<'a> {
    /// A credit pack order's credits (`Paid`) or bonus (`Promotional`), granted when it
    /// was paid.
    OrderGrant(&'a str, LotSource),
    /// The credits a service order was paid with.
    OrderSpend(&'a str),
    /// Those credits, or part of them, returned when the order was cancelled or refunded.
    OrderReturn(&'a str),
    /// The credits refund `id` took back from the order's lots.
    Refund(uuid::Uuid),
    /// Refund `id`'s credits put back into their lots after the provider refused it.
    RefundCancelled(uuid::Uuid),
    /// An admin's adjustment, by the key of the form that made it.
    Adjustment(uuid::Uuid),
    /// The `nth` expiry of lot `lot` (a lot expires again when refused refund credit
    /// came back to it after it expired).
    Expiry { lot: i64, nth: i64 },
}

impl std::fmt::Display for LedgerKey<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LedgerKey::OrderGrant(number, LotSource::Paid) => write!(f, "{}:credits", OrderReference(number)),
            LedgerKey::OrderGrant(number, LotSource::Promotional) => write!(f, "{}:bonus", OrderReference(number)),
            LedgerKey::OrderSpend(number) => write!(f, "{}:spend", OrderReference(number)),
            LedgerKey::OrderReturn(number) => write!(f, "{}:cancel", OrderReference(number)),
            LedgerKey::Refund(id) => write!(f, "refund:{id}"),
            LedgerKey::RefundCancelled(id) => write!(f, "refund:{id}:cancelled"),
            LedgerKey::Adjustment(key) => write!(f, "admin-adjustment:{key}"),
            LedgerKey::Expiry { lot, nth: 1 } => write!(f, "expiry:lot:{lot}"),
            LedgerKey::Expiry { lot, nth } => write!(f, "expiry:lot:{lot}:{nth}"),
        }
    }
}

/// What the transactions of order `0` name as their reference: `order:<number>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderReference<'a>(pub &'a str);

impl OrderReference<'_> {
    /// The part before the number, for queries that join transactions to orders.
    pub const PREFIX: &'static str = "order:";
}

impl std::fmt::Display for OrderReference<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}{}", Self::PREFIX, self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_and_reference_keeps_the_spelling_the_stored_books_use() {
        let id = uuid::Uuid::nil();
        let keys = [
            (LedgerKey::OrderGrant("ATN-1", LotSource::Paid), "order:ATN-1:credits"),
            (LedgerKey::OrderGrant("ATN-1", LotSource::Promotional), "order:ATN-1:bonus"),
            (LedgerKey::OrderSpend("ATN-1"), "order:ATN-1:spend"),
            (LedgerKey::OrderReturn("ATN-1"), "order:ATN-1:cancel"),
            (LedgerKey::Refund(id), "refund:00000000-0000-0000-0000-000000000000"),
            (LedgerKey::RefundCancelled(id), "refund:00000000-0000-0000-0000-000000000000:cancelled"),
            (LedgerKey::Adjustment(id), "admin-adjustment:00000000-0000-0000-0000-000000000000"),
            (LedgerKey::Expiry { lot: 7, nth: 1 }, "expiry:lot:7"),
            (LedgerKey::Expiry { lot: 7, nth: 2 }, "expiry:lot:7:2"),
        ];
        for (key, spelled) in keys {
            assert_eq!(key.to_string(), spelled);
        }
        assert_eq!(OrderReference("ATN-1").to_string(), "order:ATN-1");
    }

    #[test]
    fn adjustments_are_signed_whole_non_zero_bounded_and_explained() {
        assert_eq!(
            parse_adjustment(" +10 ", " goodwill   for  the outage ").unwrap(),
            (10, "goodwill for the outage".into())
        );
        assert_eq!(parse_adjustment("-3", "duplicate grant").unwrap().0, -3);
        for bad in ["0", "", "1.5", "ten", "1e3", "--2", "1000001", "-9223372036854775808"] {
            assert_eq!(parse_adjustment(bad, "a reason").unwrap_err().field, "delta", "{bad:?}");
        }
        assert_eq!(parse_adjustment("5", "  ok ").unwrap_err().field, "reason");
        assert_eq!(parse_adjustment("5", &"x".repeat(501)).unwrap_err().field, "reason");
    }
    use proptest::prelude::*;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn lot(id: i64, source: LotSource, remaining: i64, expires: Option<&str>) -> Lot {
        Lot { id, source, remaining, expires_at: expires.map(at) }
    }

    #[test]
    fn promotional_first_then_soonest_expiry_then_oldest() {
        let now = at("2026-11-25T12:00:00Z");
        let lots = [
            lot(1, LotSource::Paid, 10, None),
            lot(2, LotSource::Paid, 10, Some("2026-12-31T00:00:00Z")),
            lot(3, LotSource::Promotional, 5, Some("2027-06-01T00:00:00Z")),
            lot(4, LotSource::Paid, 10, Some("2026-12-01T00:00:00Z")),
            lot(5, LotSource::Promotional, 5, None),
        ];
        assert_eq!(allocate(&lots, 32, now).unwrap(), vec![(3, 5), (5, 5), (4, 10), (2, 10), (1, 2)]);
    }

    #[test]
    fn expired_credit_is_never_spent_and_a_shortfall_takes_nothing() {
        let now = at("2026-11-25T12:00:00Z");
        let lots = [lot(1, LotSource::Promotional, 50, Some("2026-11-25T12:00:00Z")), lot(2, LotSource::Paid, 3, None)];
        assert_eq!(allocate(&lots, 4, now), Err(Shortfall { available: 3, needed: 4 }));
        assert_eq!(allocate(&lots, 3, now).unwrap(), vec![(2, 3)]);
    }

    fn any_lot() -> impl Strategy<Value = Lot> {
        (1..1000i64, any::<bool>(), 0..50i64, proptest::option::of(-100..100i64)).prop_map(
            |(id, promo, remaining, exp)| Lot {
                id,
                source: if promo { LotSource::Promotional } else { LotSource::Paid },
                remaining,
                expires_at: exp.map(|d| Timestamp::UNIX_EPOCH + jiff::SignedDuration::from_hours(1000 + d)),
            },
        )
    }

    proptest! {
        #[test]
        fn a_spend_takes_exactly_the_amount_from_spendable_lots_or_nothing(
            lots in proptest::collection::vec(any_lot(), 0..12), amount in 1..300i64
        ) {
            let now = Timestamp::UNIX_EPOCH + jiff::SignedDuration::from_hours(1000);
            let available: i64 = lots.iter().map(|l| l.spendable_at(now)).sum();
            match allocate(&lots, amount, now) {
                Ok(taken) => {
                    prop_assert!(available >= amount);
                    prop_assert_eq!(taken.iter().map(|(_, n)| n).sum::<i64>(), amount);
                    for (id, n) in &taken {
                        prop_assert!(*n > 0);
                        let spendable: i64 = lots.iter().filter(|l| l.id == *id).map(|l| l.spendable_at(now)).max().unwrap();
                        prop_assert!(*n <= spendable);
                    }
                }
                Err(s) => prop_assert_eq!(s, Shortfall { available, needed: amount }),
            }
        }
    }

    #[test]
    fn the_csv_export_is_oldest_first_quoted_and_safe_to_open_in_a_spreadsheet() {
        use crate::domain::types::CreditMove;
        let at: Timestamp = "2026-11-25T10:00:00Z".parse().unwrap();
        let m = |kind: &str, reason: Option<&str>, change: i64, balance_after: i64| CreditMove {
            at,
            kind: kind.into(),
            reason: reason.map(Into::into),
            change,
            balance_after,
        };
        let newest_first = [m("spend", Some("=HYPERLINK(\"x\")"), -2, 10), m("purchase", Some("Starter, 10"), 12, 12)];
        assert_eq!(
            history_csv(&newest_first),
            "time_utc,kind,reason,change,balance_after\r\n\
             2026-11-25T10:00:00Z,purchase,\"Starter, 10\",12,12\r\n\
             2026-11-25T10:00:00Z,spend,\"'=HYPERLINK(\"\"x\"\")\",-2,10\r\n"
        );
    }
}
