//! Money and credits. Amounts are whole minor units (cents, pence, yen) in `i64`, stored
//! as `BIGINT`; there are no floats anywhere an amount is computed, parsed or shown.
//! Every operation that could overflow or mix currencies is checked and says why it
//! refused, so a ledger built on these types can never silently wrap or convert.

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

/// A whole, non-negative number of credits. Balances never go below zero; the
/// database repeats that rule as a check constraint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "i64")]
pub struct Credits(i64);

impl Credits {
    pub const ZERO: Credits = Credits(0);

    pub fn new(n: i64) -> Result<Credits, MoneyError> {
        if n < 0 { Err(MoneyError::Negative) } else { Ok(Credits(n)) }
    }

    pub fn get(self) -> i64 {
        self.0
    }

    pub fn checked_add(self, other: Credits) -> Result<Credits, MoneyError> {
        self.0.checked_add(other.0).map(Credits).ok_or(MoneyError::Overflow)
    }

    /// Spends `other` from `self`; refuses rather than going below zero.
    pub fn checked_sub(self, other: Credits) -> Result<Credits, MoneyError> {
        if other.0 > self.0 {
            return Err(MoneyError::InsufficientCredits { available: self.0, needed: other.0 });
        }
        Ok(Credits(self.0 - other.0))
    }

    pub fn checked_mul(self, factor: i64) -> Result<Credits, MoneyError> {
        if factor < 0 {
            return Err(MoneyError::Negative);
        }
        self.0.checked_mul(factor).map(Credits).ok_or(MoneyError::Overflow)
    }
}

impl TryFrom<i64> for Credits {
    type Error = MoneyError;
    fn try_from(n: i64) -> Result<Credits, MoneyError> {
        Credits::new(n)
    }
}

impl From<Credits> for i64 {
    fn from(c: Credits) -> i64 {
        c.0
    }
}

impl fmt::Display for Credits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            1 => f.write_str("1 credit"),
            n => write!(f, "{n} credits"),
        }
    }
}

#[cfg(feature = "ssr")]
mod sql {
    //! `Credits` is read from and written to `BIGINT` columns; a negative value from
    //! the database is an error, not a silently accepted balance.
    use super::Credits;
    use sqlx::postgres::{PgArgumentBuffer, PgTypeInfo, PgValueRef, Postgres};
    use sqlx::{Decode, Encode, Type, encode::IsNull, error::BoxDynError};

    impl Type<Postgres> for Credits {
        fn type_info() -> PgTypeInfo {
            <i64 as Type<Postgres>>::type_info()
        }
    }

    impl Encode<'_, Postgres> for Credits {
        fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
            <i64 as Encode<Postgres>>::encode_by_ref(&self.0, buf)
        }
    }

    impl<'r> Decode<'r, Postgres> for Credits {
        fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
            let n = <i64 as Decode<Postgres>>::decode(value)?;
            Ok(Credits::new(n)?)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn eur(minor: i64) -> Money {
        Money::from_minor(minor, Currency::Eur)
    }

    #[test]
    fn amounts_are_written_as_each_locale_expects() {
        let m = eur(123_456);
        assert_eq!(Money::from_minor(123_456, Currency::Usd).format(Locale::EnUs), "$1,234.56");
        assert_eq!(Money::from_minor(123_456, Currency::Usd).format(Locale::EnGb), "US$1,234.56");
        assert_eq!(m.format(Locale::DeDe), "1.234,56\u{a0}€");
        assert_eq!(m.format(Locale::FrFr), "1\u{202f}234,56\u{a0}€");
        assert_eq!(m.format(Locale::EsEs), "1234,56\u{a0}€");
        assert_eq!(eur(1_234_567).format(Locale::EsEs), "12.345,67\u{a0}€");
        assert_eq!(m.format(Locale::NlNl), "€\u{a0}1.234,56");
        assert_eq!(Money::from_minor(-300, Currency::Gbp).format(Locale::EnGb), "-£3.00");
        assert_eq!(Money::from_minor(1200, Currency::Jpy).format(Locale::EnUs), "¥1,200");
        assert_eq!(Money::from_minor(1_500, Currency::Kwd).format(Locale::EnUs), "KWD\u{a0}1.500");
        assert_eq!(Money::from_minor(5, Currency::Chf).format(Locale::DeDe), "0,05\u{a0}CHF");
        assert_eq!(eur(i64::MIN).format(Locale::EnUs), "-€92,233,720,368,547,758.08");
    }

    #[test]
    fn amounts_typed_by_people_are_read_exactly() {
        assert_eq!(Money::parse_major("12", Currency::Eur), Ok(eur(1200)));
        assert_eq!(Money::parse_major(" 12.5 ", Currency::Eur), Ok(eur(1250)));
        assert_eq!(Money::parse_major("1,234.05", Currency::Eur), Ok(eur(123_405)));
        assert_eq!(Money::parse_major("0.07", Currency::Eur), Ok(eur(7)));
        assert_eq!(Money::parse_major("1200", Currency::Jpy), Ok(Money::from_minor(1200, Currency::Jpy)));
        assert_eq!(Money::parse_major("1.5", Currency::Kwd), Ok(Money::from_minor(1500, Currency::Kwd)));
        assert_eq!(
            Money::parse_major("12.345", Currency::Eur),
            Err(MoneyError::TooPrecise { currency: Currency::Eur, exponent: 2 })
        );
        assert_eq!(Money::parse_major("-1", Currency::Eur), Err(MoneyError::Negative));
        assert_eq!(
            Money::parse_major("99999999999999999999", Currency::Eur),
            Err(MoneyError::Malformed { example: "12.50".into() })
        );
        assert_eq!(Money::parse_major("92233720368547758.08", Currency::Eur), Err(MoneyError::Overflow));
        for bad in
            ["", ".", "1.2.3", "abc", "1e3", "1.", "½", "+1", "1 000", "0x10", "12,50", "1,2345", ",123", "1234,567"]
        {
            assert!(Money::parse_major(bad, Currency::Eur).is_err(), "{bad:?}");
        }
        assert!(Money::parse_major("12.", Currency::Jpy).is_err());
        assert!(Money::parse_major("12.5", Currency::Jpy).is_err());
    }

    #[test]
    fn currencies_never_mix() {
        let usd = Money::from_minor(1, Currency::Usd);
        assert_eq!(eur(1).checked_add(usd), Err(MoneyError::CurrencyMismatch(Currency::Eur, Currency::Usd)));
        assert_eq!(eur(1).checked_sub(usd), Err(MoneyError::CurrencyMismatch(Currency::Eur, Currency::Usd)));
        assert!(Money::sum(Currency::Eur, [eur(1), usd]).is_err());
        assert_eq!(Money::sum(Currency::Eur, [eur(1), eur(2)]), Ok(eur(3)));
        assert_eq!(Money::sum(Currency::Eur, []), Ok(eur(0)));
    }

    #[test]
    fn currencies_cross_the_wire_as_iso_codes() {
        assert_eq!(serde_json::to_string(&Currency::Eur).unwrap(), "\"EUR\"");
        assert_eq!(serde_json::from_str::<Currency>("\"jpy\"").unwrap(), Currency::Jpy);
        assert!(serde_json::from_str::<Currency>("\"XYZ\"").is_err());
        let m: Money = serde_json::from_str(r#"{"minor":1250,"currency":"EUR"}"#).unwrap();
        assert_eq!(m, eur(1250));
        assert!(serde_json::from_str::<Money>(r#"{"minor":1.5,"currency":"EUR"}"#).is_err());
        assert!(serde_json::from_str::<Credits>("-1").is_err());
        assert_eq!(serde_json::from_str::<Credits>("7").unwrap().get(), 7);
    }

    #[test]
    fn credits_are_counted_for_people() {
        assert_eq!(Credits::new(1).unwrap().to_string(), "1 credit");
        assert_eq!(Credits::new(0).unwrap().to_string(), "0 credits");
        assert_eq!(Credits::new(-1), Err(MoneyError::Negative));
        assert_eq!(
            Credits::new(3).unwrap().checked_sub(Credits::new(5).unwrap()),
            Err(MoneyError::InsufficientCredits { available: 3, needed: 5 })
        );
        assert_eq!(Credits::new(2).unwrap().checked_mul(-1), Err(MoneyError::Negative));
    }

    fn any_currency() -> impl Strategy<Value = Currency> {
        proptest::sample::select(Currency::ALL.to_vec())
    }

    fn any_locale() -> impl Strategy<Value = Locale> {
        proptest::sample::select(Locale::ALL.to_vec())
    }

    /// Reads a formatted amount back into minor units by keeping its digits, so the
    /// property below checks that formatting neither drops nor invents a digit.
    fn digits_of(formatted: &str) -> i64 {
        let digits: String = formatted.chars().filter(char::is_ascii_digit).collect();
        let n: i128 = digits.parse().unwrap();
        let n = if formatted.starts_with('-') { -n } else { n };
        i64::try_from(n).unwrap()
    }

    proptest! {
        #[test]
        fn checked_arithmetic_matches_exact_arithmetic(a: i64, b: i64, c in any_currency()) {
            let exact = i128::from(a) + i128::from(b);
            let got = Money::from_minor(a, c).checked_add(Money::from_minor(b, c));
            match i64::try_from(exact) {
                Ok(sum) => prop_assert_eq!(got, Ok(Money::from_minor(sum, c))),
                Err(_) => prop_assert_eq!(got, Err(MoneyError::Overflow)),
            }
            let exact = i128::from(a) - i128::from(b);
            let got = Money::from_minor(a, c).checked_sub(Money::from_minor(b, c));
            match i64::try_from(exact) {
                Ok(diff) => prop_assert_eq!(got, Ok(Money::from_minor(diff, c))),
                Err(_) => prop_assert_eq!(got, Err(MoneyError::Overflow)),
            }
            let exact = i128::from(a) * i128::from(b);
            let got = Money::from_minor(a, c).checked_mul(b);
            match i64::try_from(exact) {
                Ok(product) => prop_assert_eq!(got, Ok(Money::from_minor(product, c))),
                Err(_) => prop_assert_eq!(got, Err(MoneyError::Overflow)),
            }
        }

        #[test]
        fn adding_then_subtracting_gives_back_the_amount(a in -(1_i64 << 62)..(1_i64 << 62), b in -(1_i64 << 62)..(1_i64 << 62), c in any_currency()) {
            let (x, y) = (Money::from_minor(a, c), Money::from_minor(b, c));
            prop_assert_eq!(x.checked_add(y).unwrap().checked_sub(y).unwrap(), x);
            prop_assert_eq!(x.checked_add(y), y.checked_add(x));
        }

        #[test]
        fn plain_amounts_parse_back_exactly(minor in 0_i64..=i64::MAX, c in any_currency()) {
            let m = Money::from_minor(minor, c);
            prop_assert_eq!(Money::parse_major(&m.plain(), c), Ok(m));
        }

        #[test]
        fn formatting_keeps_every_digit_and_the_sign(minor: i64, c in any_currency(), l in any_locale()) {
            let m = Money::from_minor(minor, c);
            let formatted = m.format(l);
            prop_assert_eq!(formatted.starts_with('-'), minor < 0);
            prop_assert_eq!(digits_of(&formatted), minor);
        }

        #[test]
        fn credits_never_go_below_zero(a in 0_i64..=i64::MAX, b in 0_i64..=i64::MAX) {
            let (x, y) = (Credits::new(a).unwrap(), Credits::new(b).unwrap());
            match x.checked_sub(y) {
                Ok(rest) => { prop_assert!(a >= b); prop_assert_eq!(rest.get(), a - b); }
                Err(e) => { prop_assert!(a < b); prop_assert_eq!(e, MoneyError::InsufficientCredits { available: a, needed: b }); }
            }
            match x.checked_add(y) {
                Ok(sum) => prop_assert_eq!(i128::from(sum.get()), i128::from(a) + i128::from(b)),
                Err(e) => { prop_assert!(i128::from(a) + i128::from(b) > i128::from(i64::MAX)); prop_assert_eq!(e, MoneyError::Overflow); }
            }
        }
    }
}
