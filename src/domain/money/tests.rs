//! Tests of amounts, currencies and credits, with properties checked against exact
//! arithmetic.

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
    for bad in ["", ".", "1.2.3", "abc", "1e3", "1.", "½", "+1", "1 000", "0x10", "12,50", "1,2345", ",123", "1234,567"]
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
