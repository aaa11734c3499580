//! Every parser of outside input, as fuzz targets: each takes arbitrary bytes and must
//! return without panicking, whatever they hold. The same functions are driven by
//! `cargo fuzz` (coverage-guided, nightly; `fuzz/`) and by property tests on stable
//! (`tests/it/fuzz.rs`), so a machine without nightly still runs them on every test run.
//!
//! Besides "no panic", a target checks what must hold of whatever a parser accepts:
//! a parsed value parses again to itself, an accepted upload is within its limit, a
//! signature made with the secret verifies.

use crate::domain::availability::{self, Busy};
use crate::domain::booking::{AvailabilityForm, ExceptionForm, check_notes, parse_ranges};
use crate::domain::catalog::{DirectoryQuery, QuestionForm, ServiceForm, ServiceTypeForm};
use crate::domain::checkout::DetailsForm;
use crate::domain::datetime::{self, Style, TimeZone};
use crate::domain::email::Email;
use crate::domain::leads::{normalise_phone, parse_country_code};
use crate::domain::ledger::parse_adjustment;
use crate::domain::money::{Currency, Locale, Money};
use crate::domain::order_number::OrderNumber;
use crate::domain::orders::{PackageForm, PaidWith};
use crate::domain::otp::Code;
use crate::domain::password::Password;
use crate::domain::profile::{PersonName, Phone};
use crate::domain::refunds::{parse_credits, parse_reason};
use crate::domain::uploads::{self, Slot};
use crate::domain::user_code::UserCode;
use crate::domain::wizard::{ExperienceForm, parse_basic, parse_bio, parse_experience, parse_professional};
use crate::server::availability::rules_of;
use crate::server::payments::signature;
use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};
use serde::de::DeserializeOwned;

/// A fixed "now" for targets that need one, so a finding replays exactly.
const NOW: i64 = 1_796_000_000;
const SECRET: &str = "whsec_fuzz";

/// Splits `data` into `n` text fields at NUL bytes (missing ones are empty), decoding
/// each as UTF-8 with replacement, as a form field would arrive after percent-decoding.
fn fields<const N: usize>(data: &[u8]) -> [String; N] {
    let mut parts = data.split(|b| *b == 0);
    std::array::from_fn(|_| parts.next().map(|p| String::from_utf8_lossy(p).into_owned()).unwrap_or_default())
}

/// Splits `data` at its first NUL into a text field and the raw bytes after it.
fn head_and_rest(data: &[u8]) -> (String, &[u8]) {
    match data.iter().position(|b| *b == 0) {
        Some(i) => (String::from_utf8_lossy(&data[..i]).into_owned(), &data[i + 1..]),
        None => (String::from_utf8_lossy(data).into_owned(), &[]),
    }
}

/// Decodes a form body the way server functions do (`serde_qs`) and, when it decodes,
/// runs the form's parser.
fn form<F: DeserializeOwned, T, E>(body: &[u8], parse: impl FnOnce(&F) -> Result<T, E>) {
    if let Ok(f) = serde_qs::from_bytes::<F>(body) {
        let _ = parse(&f);
    }
}

/// A form body, its first byte choosing which form it is posted to.
pub fn forms(data: &[u8]) {
    let Some((&which, body)) = data.split_first() else { return };
    let today = Date::constant(2026, 12, 7);
    match which % 12 {
        0 => form(body, DetailsForm::parse),
        1 => form(body, ServiceForm::parse),
        2 => form(body, ServiceTypeForm::parse),
        3 => form(body, |q: &QuestionForm| q.parse(uuid::Uuid::nil())),
        4 => form(body, PackageForm::parse),
        5 => form(body, AvailabilityForm::parse),
        6 => form(body, |e: &ExceptionForm| e.parse(today)),
        7 => form(body, DirectoryQuery::parse),
        8 => form(body, parse_basic),
        9 => form(body, parse_professional),
        10 => form(body, parse_bio),
        _ => form(body, |e: &ExperienceForm| parse_experience(e, 2026)),
    }
}

/// A parser whose accepted values must read back as themselves.
fn stable<T: PartialEq + std::fmt::Debug, E>(
    raw: &str,
    parse: impl Fn(&str) -> Result<T, E>,
    show: impl Fn(&T) -> String,
) {
    if let Ok(v) = parse(raw) {
        let again = parse(&show(&v));
        assert!(again.as_ref().is_ok_and(|w| *w == v), "{raw:?} parsed to {v:?}, whose text does not parse back to it");
    }
}

/// One typed field, put through every single-field parser.
pub fn text_fields(data: &[u8]) {
    let [a, b] = fields::<2>(data);
    stable(&a, Email::parse, |e| e.as_str().to_owned());
    stable(&a, PersonName::parse, |n| n.as_str().to_owned());
    stable(&a, TimeZone::parse, |z| z.as_str().to_owned());
    stable(&a, OrderNumber::parse, |n| n.as_str().to_owned());
    let _ = Phone::parse_optional(&a);
    let _ = Password::parse_new(&a, "password", Some(&b));
    let _ = Code::parse(&a);
    let _ = Locale::parse(&a);
    let _ = UserCode::parse(&a);
    let _ = PaidWith::from_form(&a);
    let _ = parse_credits(&a);
    let _ = parse_reason(&a);
    let _ = parse_adjustment(&a, &b);
    let _ = check_notes(&a);
    let _ = normalise_phone(&a, Some("IN"));
    let _ = normalise_phone(&a, None);
    let _ = parse_country_code(&a);
    let _ = uploads::certificate_title(&a);
    if let Ok(currency) = Currency::parse(&b)
        && let Ok(m) = Money::parse_major(&a, currency)
    {
        let again = Money::parse_major(&m.plain(), currency);
        assert_eq!(again.ok(), Some(m), "{a:?} in {b:?} does not read back from its plain form");
    }
    for currency in ["USD", "JPY", "KWD", "INR"] {
        let _ = Money::parse_major(&a, Currency::parse(currency).expect("a known currency"));
    }
}

/// Times and zones as they arrive: an instant (`at`), a date (`week`), a zone (`tz`);
/// what parses is shown in every style and the week's slots are computed around it.
pub fn times(data: &[u8]) {
    let [at, week, zone, ranges] = fields::<4>(data);
    let zone = TimeZone::parse(&zone).unwrap_or_else(|_| TimeZone::utc());
    let now = Timestamp::from_second(NOW).expect("a valid instant");
    if let Ok(at) = crate::server::booking::parse_at(&at, now) {
        for style in [Style::DateTime, Style::Date] {
            let _ = datetime::show(at, &zone, style);
        }
        let machine = datetime::machine(at);
        assert!(crate::server::booking::parse_at(&machine, now).is_ok(), "{machine:?} is not read back");
    }
    let Ok(day) = week.trim().parse::<Date>() else { return };
    let Ok(hours) = parse_ranges(&ranges) else { return };
    let form = AvailabilityForm {
        time_zone: zone.as_str().to_owned(),
        day_0: ranges.clone(),
        buffer_before_minutes: "15".into(),
        buffer_after_minutes: "0".into(),
        min_notice_hours: "2".into(),
        horizon_days: "365".into(),
        full_refund_hours: "24".into(),
        late_refund_percent: "50".into(),
        ..AvailabilityForm::default()
    };
    let Ok(mut a) = form.parse() else { return };
    a.weekly = std::array::from_fn(|_| hours.clone());
    let rules = rules_of(&a, Vec::new());
    let Ok(from) = day.to_zoned_datetime(zone.rules()).map(|z| z.timestamp()) else { return };
    let to = from.checked_add(SignedDuration::from_hours(24 * 7)).unwrap_or(Timestamp::MAX);
    let busy = [Busy { start: from, end: to }];
    let free =
        availability::slots(&rules, SignedDuration::from_mins(60), SignedDuration::from_mins(30), from, to, now, &[]);
    assert!(free.windows(2).all(|w| w[0] < w[1]), "slots are sorted and distinct");
    assert!(free.iter().all(|s| *s >= from && *s < to), "slots lie within the range asked for");
    let none =
        availability::slots(&rules, SignedDuration::from_mins(60), SignedDuration::from_mins(30), from, to, now, &busy);
    assert!(none.is_empty(), "a range that is all busy has no free slot");
}

/// A lead list as uploaded.
pub fn leads_csv(data: &[u8]) {
    let _ = crate::server::leads::read(data, Some("IN"));
}

/// A payment provider's event delivery: a signature header and a body.
pub fn webhook(data: &[u8]) {
    let (header, body) = head_and_rest(data);
    let _ = signature::verify(Some(&header), body, SECRET, NOW);
    let signed = signature::sign(SECRET, NOW, body);
    assert!(signature::verify(Some(&signed), body, SECRET, NOW).is_ok(), "a body signed with the secret verifies");
    let _ = crate::server::payments::webhooks::parse(body);
}

/// An uploaded file, for each place files are uploaded: checked, and a photo decoded
/// and re-encoded as the server would.
pub fn upload(data: &[u8]) {
    let (name, bytes) = head_and_rest(data);
    let _ = uploads::sniff(bytes);
    for slot in [Slot::Photo, Slot::Certificate, Slot::OrderDocument] {
        if let Ok(t) = uploads::check(slot, &name, bytes) {
            assert!(bytes.len() <= slot.max_bytes(), "an accepted file is within its limit");
            let _ = uploads::download_name(&name, t);
            if slot == Slot::Photo {
                let _ = crate::server::uploads::process_photo(bytes, t);
            }
        }
    }
}
