//! The fuzz targets of `attune::server::fuzz`, driven on stable by proptest: random bytes,
//! and inputs built from the values that break parsers (the far ends of the calendar,
//! scripts with combining marks, numbers past every width, markup, control characters).
//! `FUZZ_CASES` sets the cases per target (default 1,000); a failure prints its input.
//! The coverage-guided run of the same targets is `scripts/fuzz` (nightly).

use attune::server::fuzz;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

/// Values that have broken parsers somewhere.
const TOKENS: &[&str] = &[
    "",
    " ",
    "0",
    "-1",
    "1",
    "24",
    "60",
    "365",
    "2147483647",
    "2147483648",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775808",
    "1e309",
    "NaN",
    "1.5",
    "1.2345",
    "1,234.50",
    "12.",
    ".5",
    "9999-12-30T21:00:00Z",
    "9999-12-31",
    "-009999-01-01T00:00:00Z",
    "0000-01-01",
    "2026-03-29T02:30:00Z",
    "2026-03-29",
    "2026-11-01T01:30:00-04:00",
    "2026-12-07",
    "1970-01-01T00:00:00Z",
    "Europe/London",
    "America/New_York",
    "Asia/Kolkata",
    "Australia/Lord_Howe",
    "UTC",
    "Etc/GMT+14",
    "europe/london",
    "../etc/passwd",
    "09:00-17:00",
    "09:00-12:00, 13:00-17:00",
    "00:00-23:59",
    "23:59-24:00",
    "17:00-09:00",
    "25:00-26:00",
    "ज्योतिष",
    "ஜோதிடம்",
    "Zoë Ångström",
    "e\u{301}\u{301}\u{301}",
    "\u{200f}\u{202e}",
    "👩\u{200d}👩\u{200d}👧",
    "</script><script>alert(1)</script>",
    "\"';--",
    "\0",
    "\r\n",
    "%FF%FE",
    "%00",
    "a@b.co",
    "x@localhost",
    "@@",
    "+919876543210",
    "+1 (555) 010-0000",
    "U100000",
    "ATN-7K3Q-9F2M",
    "USD",
    "JPY",
    "KWD",
    "XXX",
    "card",
    "credits",
    "day_off",
    "hours",
    "on",
    "t=1796000000,v1=00",
    "t=-9223372036854775808,v1=",
    "{\"id\":\"evt_1\",\"type\":\"checkout.session.completed\",\"data\":{\"object\":{}}}",
    "{\"id\":\"\",\"type\":1}",
    "phone,name,email\n+919876543210,A,a@b.co\n",
    "%PDF-1.4\n%%EOF",
    "\u{89}PNG\r\n\u{1a}\n",
    "RIFF\u{0}\u{0}\u{0}\u{0}WEBP",
];

/// The field names of every form the targets decode.
const KEYS: &[&str] = &[
    "name",
    "email",
    "phone",
    "title",
    "service_type",
    "description",
    "delivery",
    "duration_minutes",
    "price_credits",
    "card_price",
    "currency",
    "slug",
    "active",
    "position",
    "label",
    "kind",
    "required",
    "options",
    "credits",
    "bonus_credits",
    "price",
    "badge",
    "validity_days",
    "time_zone",
    "day_0",
    "day_3",
    "day_6",
    "buffer_before_minutes",
    "buffer_after_minutes",
    "min_notice_hours",
    "horizon_days",
    "full_refund_hours",
    "late_refund_percent",
    "day",
    "hours",
    "q",
    "language",
    "min_credits",
    "max_credits",
    "sort",
    "page",
    "first_name",
    "last_name",
    "location",
    "practice_type",
    "specialties",
    "languages",
    "years_experience",
    "headline",
    "bio",
    "organisation",
    "start_year",
    "end_year",
    "questions[0][label]",
    "questions[1][kind]",
];

/// The first bytes of each file type uploads accept.
const HEADS: &[&[u8]] = &[b"%PDF-1.4\n", b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff\xe0", b"RIFF\x10\0\0\0WEBPVP8 "];

fn cases() -> u32 {
    std::env::var("FUZZ_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(1_000)
}

/// A text made of known troublemakers, arbitrary characters and repetition (long input).
fn text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        4 => proptest::sample::select(TOKENS).prop_map(str::to_owned),
        2 => any::<String>(),
        1 => (proptest::sample::select(TOKENS), 1..2_000usize).prop_map(|(t, n)| t.repeat(n.min(100_000 / t.len().max(1)))),
    ];
    proptest::collection::vec(piece, 0..4).prop_map(|p| p.concat())
}

/// Several texts joined with NUL, the targets' field separator.
fn fields(n: usize) -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(text(), n).prop_map(|f| f.join("\0").into_bytes())
}

/// A form body: known keys with troublesome values, percent-encoded or raw.
fn form_body() -> impl Strategy<Value = Vec<u8>> {
    let pair = (proptest::sample::select(KEYS), text(), any::<bool>()).prop_map(|(k, v, encode)| {
        let v = if encode { v.bytes().map(|b| format!("%{b:02X}")).collect() } else { v };
        format!("{k}={v}")
    });
    (any::<u8>(), proptest::collection::vec(pair, 0..12)).prop_map(|(which, pairs)| {
        let mut body = vec![which];
        body.extend(pairs.join("&").into_bytes());
        body
    })
}

fn bytes() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(any::<u8>(), 0..1_024)
}

/// Runs `target` over `strategy`'s inputs; a panic fails the test with the input.
fn drive(strategy: impl Strategy<Value = Vec<u8>>, target: fn(&[u8])) {
    let config = Config { cases: cases(), failure_persistence: None, ..Config::default() };
    let mut runner = TestRunner::new(config);
    let outcome = runner.run(&strategy, |input| {
        target(&input);
        Ok(())
    });
    if let Err(e) = outcome {
        panic!("{e}");
    }
}

#[test]
fn no_form_body_panics_a_form_parser() {
    drive(form_body(), fuzz::forms);
    drive(bytes(), fuzz::forms);
}

#[test]
fn no_typed_field_panics_a_field_parser_and_accepted_values_read_back() {
    drive(fields(2), fuzz::text_fields);
    drive(bytes(), fuzz::text_fields);
}

#[test]
fn no_time_date_or_zone_panics_and_slots_stay_in_range() {
    let dated = (text(), proptest::sample::select(TOKENS), text(), text())
        .prop_map(|(a, w, z, r)| [a, w.to_owned(), z, r].join("\0").into_bytes());
    drive(dated, fuzz::times);
    drive(fields(4), fuzz::times);
}

#[test]
fn no_lead_list_panics_the_import() {
    let csv = proptest::collection::vec(proptest::collection::vec(text(), 0..8), 0..20).prop_map(|rows| {
        let mut file = String::from("phone,name,email,practice type,location,contacted,contact status\n");
        for row in rows {
            file.push_str(&row.join(","));
            file.push('\n');
        }
        file.into_bytes()
    });
    drive(csv, fuzz::leads_csv);
    drive(bytes(), fuzz::leads_csv);
}

#[test]
fn no_webhook_delivery_panics_and_a_signed_body_verifies() {
    drive(fields(2), fuzz::webhook);
    drive(bytes(), fuzz::webhook);
}

#[test]
fn no_upload_panics_the_checks_or_the_photo_decoder() {
    let headed = (proptest::sample::select(HEADS), bytes(), any::<bool>()).prop_map(|(head, tail, ended)| {
        let mut file = b"photo.jpg\0".to_vec();
        file.extend_from_slice(head);
        file.extend(tail);
        if ended {
            file.extend_from_slice(b"IEND\xff\xd9%%EOF");
        }
        file
    });
    drive(headed, fuzz::upload);
    drive(bytes(), fuzz::upload);
}
