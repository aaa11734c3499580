//! Money and credits. Amounts are whole minor units (cents, pence, yen) in `i64`, stored
//! as `BIGINT`; there are no floats anywhere an amount is computed, parsed or shown.
//! Every operation that could overflow or mix currencies is checked and says why it
//! refused, so a ledger built on these types can never silently wrap or convert.
//!
//! The currencies and locales are here, an amount of money in `amount`, and credits in
//! `credits`.

mod amount;
mod credits;

pub use amount::Money;
pub use credits::Credits;

use serde::{Deserialize, Serialize};
use std::fmt;
use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MoneyError {
    #[error("cannot combine amounts in {0} and {1}")]
    CurrencyMismatch(Currency, Currency),
    #[error("the amount is too large")]
    Overflow,
    #[error("the amount cannot be negative")]
    Negative,
    #[error("not enough credits: {available} available, {needed} needed")]
    InsufficientCredits { available: i64, needed: i64 },
    #[error("{0} is not a currency we accept")]
    UnknownCurrency(String),
    #[error("enter an amount like {example}")]
    Malformed { example: String },
    #[error("{currency} amounts have at most {exponent} decimal places")]
    TooPrecise { currency: Currency, exponent: u8 },
}

/// The ISO 4217 currencies the platform settles in. The exponent is the number of
/// minor-unit digits (2 for cents, 0 for yen, 3 for fils).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Currency {
    Aud,
    Cad,
    Chf,
    Eur,
    Gbp,
    Inr,
    Jpy,
    Kwd,
    Sek,
    Usd,
}

impl Currency {
    pub const ALL: [Currency; 10] = [
        Currency::Aud,
        Currency::Cad,
        Currency::Chf,
        Currency::Eur,
        Currency::Gbp,
        Currency::Inr,
        Currency::Jpy,
        Currency::Kwd,
        Currency::Sek,
        Currency::Usd,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Currency::Aud => "AUD",
            Currency::Cad => "CAD",
            Currency::Chf => "CHF",
            Currency::Eur => "EUR",
            Currency::Gbp => "GBP",
            Currency::Inr => "INR",
            Currency::Jpy => "JPY",
            Currency::Kwd => "KWD",
            Currency::Sek => "SEK",
            Currency::Usd => "USD",
        }
    }

    pub fn exponent(self) -> u8 {
        match self {
            Currency::Jpy => 0,
            Currency::Kwd => 3,
            _ => 2,
        }
    }

    /// Accepts the ISO code in any letter case (`eur`, `EUR`).
    pub fn parse(raw: &str) -> Result<Currency, MoneyError> {
        let upper = raw.trim().to_ascii_uppercase();
        Currency::ALL
            .into_iter()
            .find(|c| c.code() == upper)
            .ok_or_else(|| MoneyError::UnknownCurrency(raw.trim().chars().take(8).collect()))
    }

    /// The symbol a person in `locale` expects; codes where a bare symbol would be
    /// ambiguous there (a dollar that is not the local dollar).
    fn symbol(self, locale: Locale) -> &'static str {
        match (self, locale) {
            (Currency::Usd, Locale::EnUs) => "$",
            (Currency::Usd, Locale::EnGb | Locale::EnAu | Locale::EnCa) => "US$",
            (Currency::Usd, Locale::DeDe | Locale::FrFr | Locale::NlNl | Locale::EsEs) => "$",
            (Currency::Aud, Locale::EnAu) => "$",
            (Currency::Aud, _) => "A$",
            (Currency::Cad, Locale::EnCa) => "$",
            (Currency::Cad, _) => "CA$",
            (Currency::Eur, _) => "€",
            (Currency::Gbp, _) => "£",
            (Currency::Inr, _) => "₹",
            (Currency::Jpy, _) => "¥",
            (Currency::Chf, _) => "CHF",
            (Currency::Kwd, _) => "KWD",
            (Currency::Sek, _) => "kr",
        }
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl TryFrom<String> for Currency {
    type Error = MoneyError;
    fn try_from(raw: String) -> Result<Self, MoneyError> {
        Currency::parse(&raw)
    }
}

impl From<Currency> for String {
    fn from(c: Currency) -> String {
        c.code().to_owned()
    }
}

/// How numbers and currency symbols are written for a reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum Locale {
    #[default]
    EnUs,
    EnGb,
    EnAu,
    EnCa,
    DeDe,
    FrFr,
    EsEs,
    NlNl,
}

struct NumberStyle {
    decimal: char,
    group: &'static str,
    /// Spanish leaves four-digit numbers ungrouped (1234,56 but 12.345,67).
    min_grouping_digits: usize,
    symbol_after: bool,
    /// Between a symbol and the number: a no-break space where the locale spaces it.
    symbol_gap: &'static str,
}

impl Locale {
    pub const ALL: [Locale; 8] = [
        Locale::EnUs,
        Locale::EnGb,
        Locale::EnAu,
        Locale::EnCa,
        Locale::DeDe,
        Locale::FrFr,
        Locale::EsEs,
        Locale::NlNl,
    ];

    pub fn tag(self) -> &'static str {
        match self {
            Locale::EnUs => "en-US",
            Locale::EnGb => "en-GB",
            Locale::EnAu => "en-AU",
            Locale::EnCa => "en-CA",
            Locale::DeDe => "de-DE",
            Locale::FrFr => "fr-FR",
            Locale::EsEs => "es-ES",
            Locale::NlNl => "nl-NL",
        }
    }

    pub fn parse(tag: &str) -> Option<Locale> {
        Locale::ALL.into_iter().find(|l| l.tag().eq_ignore_ascii_case(tag.trim()))
    }

    fn style(self) -> NumberStyle {
        match self {
            Locale::EnUs | Locale::EnGb | Locale::EnAu | Locale::EnCa => {
                NumberStyle { decimal: '.', group: ",", min_grouping_digits: 1, symbol_after: false, symbol_gap: "" }
            }
            Locale::DeDe => NumberStyle {
                decimal: ',',
                group: ".",
                min_grouping_digits: 1,
                symbol_after: true,
                symbol_gap: "\u{a0}",
            },
            Locale::FrFr => NumberStyle {
                decimal: ',',
                group: "\u{202f}",
                min_grouping_digits: 1,
                symbol_after: true,
                symbol_gap: "\u{a0}",
            },
            Locale::EsEs => NumberStyle {
                decimal: ',',
                group: ".",
                min_grouping_digits: 2,
                symbol_after: true,
                symbol_gap: "\u{a0}",
            },
            Locale::NlNl => NumberStyle {
                decimal: ',',
                group: ".",
                min_grouping_digits: 1,
                symbol_after: false,
                symbol_gap: "\u{a0}",
            },
        }
    }
}

#[cfg(test)]
mod tests;
