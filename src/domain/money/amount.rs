//! `Money`: an amount of one currency in minor units, its checked arithmetic, and how
//! it is read from what a person typed and written out for a reader.

use super::{Currency, Locale, MoneyError};
use serde::{Deserialize, Serialize};
use std::fmt;

/// An amount of one currency in its minor units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    minor: i64,
    currency: Currency,
}

impl Money {
    pub const fn from_minor(minor: i64, currency: Currency) -> Money {
        Money { minor, currency }
    }

    pub const fn zero(currency: Currency) -> Money {
        Money { minor: 0, currency }
    }

    pub fn minor(self) -> i64 {
        self.minor
    }

    pub fn currency(self) -> Currency {
        self.currency
    }

    pub fn is_negative(self) -> bool {
        self.minor < 0
    }

    pub fn is_zero(self) -> bool {
        self.minor == 0
    }

    fn same_currency(self, other: Money) -> Result<(), MoneyError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(MoneyError::CurrencyMismatch(self.currency, other.currency))
        }
    }

    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        let minor = self.minor.checked_add(other.minor).ok_or(MoneyError::Overflow)?;
        Ok(Money { minor, ..self })
    }

    pub fn checked_sub(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        let minor = self.minor.checked_sub(other.minor).ok_or(MoneyError::Overflow)?;
        Ok(Money { minor, ..self })
    }

    pub fn checked_mul(self, factor: i64) -> Result<Money, MoneyError> {
        let minor = self.minor.checked_mul(factor).ok_or(MoneyError::Overflow)?;
        Ok(Money { minor, ..self })
    }

    pub fn checked_neg(self) -> Result<Money, MoneyError> {
        let minor = self.minor.checked_neg().ok_or(MoneyError::Overflow)?;
        Ok(Money { minor, ..self })
    }

    /// Sums amounts that must all be in `currency`.
    pub fn sum(currency: Currency, amounts: impl IntoIterator<Item = Money>) -> Result<Money, MoneyError> {
        amounts.into_iter().try_fold(Money::zero(currency), Money::checked_add)
    }

    /// Reads an amount typed by a person in major units: `12`, `12.5`, `12.50`,
    /// `1,234.50` (commas as thousands separators only). Negative amounts and more
    /// decimals than the currency has are refused, never rounded.
    pub fn parse_major(raw: &str, currency: Currency) -> Result<Money, MoneyError> {
        let exponent = currency.exponent();
        let example = Money::from_minor(1250 * 10_i64.pow(u32::from(exponent)) / 100, currency).plain();
        let malformed = || MoneyError::Malformed { example: example.clone() };
        let text = raw.trim();
        if text.starts_with('-') {
            return Err(MoneyError::Negative);
        }
        let (whole, fraction) = match text.split_once('.') {
            Some((w, f)) => (w, Some(f)),
            None => (text, None),
        };
        // A comma is a thousands separator only where one belongs, so a decimal comma
        // (`12,50`) is refused instead of read as 1250.
        let mut groups = whole.split(',');
        let first = groups.next().unwrap_or("");
        let well_grouped = !whole.contains(',') || (1..=3).contains(&first.len()) && groups.all(|g| g.len() == 3);
        let whole: String = whole.chars().filter(|&c| c != ',').collect();
        if !well_grouped || whole.is_empty() || whole.len() > 19 || !whole.bytes().all(|b| b.is_ascii_digit()) {
            return Err(malformed());
        }
        if fraction == Some("") {
            return Err(malformed());
        }
        let fraction = fraction.unwrap_or("");
        if !fraction.bytes().all(|b| b.is_ascii_digit()) {
            return Err(malformed());
        }
        if fraction.len() > usize::from(exponent) {
            return Err(MoneyError::TooPrecise { currency, exponent });
        }
        let scale = 10_i64.pow(u32::from(exponent));
        let whole: i64 = whole.parse().map_err(|_| MoneyError::Overflow)?;
        let mut fraction_minor: i64 = 0;
        for (i, digit) in fraction.bytes().enumerate() {
            fraction_minor += i64::from(digit - b'0') * 10_i64.pow(u32::from(exponent) - 1 - i as u32);
        }
        let minor = whole.checked_mul(scale).and_then(|m| m.checked_add(fraction_minor)).ok_or(MoneyError::Overflow)?;
        Ok(Money { minor, currency })
    }

    /// The amount in major units with a dot and no grouping or symbol (`1234.50`), as
    /// forms and exports use it; `parse_major` reads it back.
    pub fn plain(self) -> String {
        let (whole, fraction) = self.split();
        let sign = if self.minor < 0 { "-" } else { "" };
        if self.currency.exponent() == 0 { format!("{sign}{whole}") } else { format!("{sign}{whole}.{fraction}") }
    }

    /// The absolute whole and zero-padded fractional digits.
    fn split(self) -> (u64, String) {
        let exponent = u32::from(self.currency.exponent());
        let scale = 10_u64.pow(exponent);
        let abs = self.minor.unsigned_abs();
        let fraction =
            if exponent == 0 { String::new() } else { format!("{:0width$}", abs % scale, width = exponent as usize) };
        (abs / scale, fraction)
    }

    /// The amount as a reader in `locale` writes it: `$1,234.50`, `1.234,50 €`,
    /// `-£3.00`, `¥1,200`.
    pub fn format(self, locale: Locale) -> String {
        let style = locale.style();
        let (whole, fraction) = self.split();
        let digits = whole.to_string();
        let mut number = String::with_capacity(digits.len() + 8);
        let grouped = digits.len() >= 4 + style.min_grouping_digits - 1;
        for (i, c) in digits.chars().enumerate() {
            let left = digits.len() - i;
            if grouped && i > 0 && left % 3 == 0 {
                number.push_str(style.group);
            }
            number.push(c);
        }
        if !fraction.is_empty() {
            number.push(style.decimal);
            number.push_str(&fraction);
        }
        let symbol = self.currency.symbol(locale);
        let sign = if self.minor < 0 { "-" } else { "" };
        let letters = symbol.chars().all(|c| c.is_ascii_alphabetic());
        let gap = if letters && style.symbol_gap.is_empty() { "\u{a0}" } else { style.symbol_gap };
        if style.symbol_after { format!("{sign}{number}{gap}{symbol}") } else { format!("{sign}{symbol}{gap}{number}") }
    }
}

impl fmt::Display for Money {
    /// The plain amount and its code (`1234.50 EUR`), unambiguous in logs and exports.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.plain(), self.currency)
    }
}
