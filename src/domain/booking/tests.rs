//! Tests of booking moves, the cancellation policy, reach in time and the availability
//! forms.

use super::*;
use crate::domain::availability::{Exception, Hours};
use crate::domain::{Credits, Currency, Money};
use jiff::civil::time;

fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

#[test]
fn the_policy_window_boundaries_are_exact_to_the_second() {
    let policy = Policy { full_refund_hours: 24, late_refund_percent: 50 };
    let start = at("2026-12-10T10:00:00Z");
    let paid = Paid::Credits(Credits::new(7).unwrap());
    let cases = [
        ("2026-12-09T09:59:59Z", 100, Window::Full),
        ("2026-12-09T10:00:00Z", 100, Window::Full),
        ("2026-12-09T10:00:01Z", 50, Window::Late),
        ("2026-12-10T09:59:59Z", 50, Window::Late),
        ("2026-12-10T10:00:00Z", 0, Window::Started),
        ("2026-12-10T10:00:01Z", 0, Window::Started),
    ];
    for (now, percent, window) in cases {
        let due = refund_due(&policy, paid, start, at(now), Side::Customer);
        assert_eq!((due.percent, due.window), (percent, window), "{now}");
    }
    let late = refund_due(&policy, paid, start, at("2026-12-10T09:00:00Z"), Side::Customer);
    assert_eq!(late.amount, Paid::Credits(Credits::new(3).unwrap()), "half of 7 rounds down");
    let by_practitioner = refund_due(&policy, paid, start, at("2026-12-10T11:00:00Z"), Side::Practitioner);
    assert_eq!((by_practitioner.percent, by_practitioner.amount), (100, paid));
    let card = Paid::Card(Money::from_minor(4999, Currency::parse("GBP").unwrap()));
    let due = refund_due(&policy, card, start, at("2026-12-10T09:00:00Z"), Side::Customer);
    assert_eq!(due.amount, Paid::Card(Money::from_minor(2499, Currency::parse("GBP").unwrap())));
}

#[test]
fn times_and_weeks_beyond_any_horizon_or_in_the_past_are_refused_by_field() {
    let now = at("2026-12-07T10:00:00Z");
    assert_eq!(time_in_reach(at("2026-12-08T10:00:00Z"), now), Ok(at("2026-12-08T10:00:00Z")));
    for far in [
        "9999-12-30T21:00:00Z",
        "-009999-01-02T02:00:00Z",
        "0001-01-01T00:00:00Z",
        "2026-12-07T10:00:00Z",
        "2027-12-08T10:00:00Z",
    ] {
        assert_eq!(time_in_reach(at(far), now).unwrap_err().field, "at", "{far}");
    }
    let today: Date = "2026-12-07".parse().unwrap();
    assert_eq!(week_in_reach("2026-12-01", today), Ok(today), "a past week shows from today");
    assert_eq!(week_in_reach("2027-01-04", today), Ok("2027-01-04".parse().unwrap()));
    for far in ["9999-12-30", "0001-01-01", "-009999-01-01", "2028-01-01", "next week"] {
        assert_eq!(week_in_reach(far, today).unwrap_err().field, "week", "{far}");
    }
}

#[test]
fn the_nearest_free_times_are_the_closest_either_side_in_order() {
    let free: Vec<Timestamp> = ["08:00", "09:00", "11:00", "12:00", "15:00", "16:00"]
        .iter()
        .map(|h| at(&format!("2026-12-10T{h}:00Z")))
        .collect();
    let near = nearest(&free, at("2026-12-10T10:00:00Z"), 3);
    assert_eq!(near, vec![free[0], free[1], free[2]], "ties go to the earlier time");
    assert!(nearest(&[], at("2026-12-10T10:00:00Z"), 3).is_empty());
}

#[test]
fn weekly_ranges_parse_or_say_exactly_what_is_wrong() {
    assert_eq!(parse_ranges("").unwrap(), vec![]);
    assert_eq!(
        parse_ranges(" 09:00-12:00, 13:30–17:00 ").unwrap(),
        vec![
            Hours::new(time(9, 0, 0, 0), time(12, 0, 0, 0)).unwrap(),
            Hours::new(time(13, 30, 0, 0), time(17, 0, 0, 0)).unwrap()
        ]
    );
    assert!(parse_ranges("9-12").unwrap_err().contains("24-hour"));
    assert!(parse_ranges("12:00-09:00").unwrap_err().contains("end after"));
    assert!(parse_ranges("09:00-12:00, 11:00-13:00").unwrap_err().contains("overlaps"));
    assert!(parse_ranges("09:07-10:00").is_err(), "five-minute steps");
    assert!(parse_ranges("09:00").unwrap_err().contains("start and an end"));
}

#[test]
fn the_form_refuses_bad_numbers_by_field_and_round_trips() {
    let form = AvailabilityForm {
        time_zone: "Europe/London".into(),
        day_0: "09:00-17:00".into(),
        buffer_before_minutes: "10".into(),
        buffer_after_minutes: "5".into(),
        min_notice_hours: "12".into(),
        horizon_days: "60".into(),
        full_refund_hours: "24".into(),
        late_refund_percent: "50".into(),
        ..Default::default()
    };
    let a = form.parse().unwrap();
    assert_eq!(a.min_notice_minutes, 720);
    assert_eq!(AvailabilityForm::of(&a), form);
    let bad = AvailabilityForm { late_refund_percent: "150".into(), ..form.clone() };
    assert_eq!(bad.parse().unwrap_err().field, "late_refund_percent");
    let bad = AvailabilityForm { day_3: "nine to five".into(), ..form.clone() };
    assert_eq!(bad.parse().unwrap_err().field, "day_3");
    let bad = AvailabilityForm { time_zone: "Mars/Base".into(), ..form };
    assert_eq!(bad.parse().unwrap_err().field, "time_zone");
}

#[test]
fn exceptions_are_a_day_off_or_one_range_from_today_on() {
    let today: Date = "2026-12-01".parse().unwrap();
    let off = ExceptionForm { day: "2026-12-24".into(), kind: "off".into(), hours: String::new() };
    assert_eq!(off.parse(today).unwrap(), Exception::DayOff("2026-12-24".parse().unwrap()));
    let past = ExceptionForm { day: "2026-11-30".into(), ..off.clone() };
    assert_eq!(past.parse(today).unwrap_err().field, "day");
    let extra = ExceptionForm { day: "2026-12-05".into(), kind: "extra".into(), hours: "18:00-20:00".into() };
    assert!(matches!(extra.parse(today).unwrap(), Exception::Extra(..)));
    let two = ExceptionForm { hours: "08:00-09:00, 18:00-20:00".into(), ..extra };
    assert_eq!(two.parse(today).unwrap_err().field, "hours");
}

#[test]
fn booking_statuses_read_back_from_their_names() {
    for s in BookingStatus::ALL {
        assert_eq!(BookingStatus::parse(s.as_str()), Some(s));
    }
    assert_eq!(BookingStatus::parse("done"), None);
}

#[test]
fn a_booking_may_make_exactly_the_moves_the_server_makes() {
    use BookingStatus::*;
    let made = [
        (Pending, Held, "a card checkout holds the time chosen at checkout"),
        (Pending, Confirmed, "a payment in credits books it"),
        (Pending, Released, "its order ended unpaid"),
        (Held, Confirmed, "the card payment came in"),
        (Held, Released, "the hold ran out, the card was declined, or the order ended unpaid"),
        (Held, Pending, "another time was chosen after the hold ran out"),
        (Released, Held, "a card payment was tried again"),
        (Released, Confirmed, "a late card payment found its time free, or credits paid after a declined card"),
        (Released, Pending, "another time was chosen after a declined card"),
        (Confirmed, Cancelled, "a side cancelled it"),
        (Confirmed, Completed, "the practitioner closed it as attended"),
        (Confirmed, NoShow, "the practitioner closed it as missed"),
    ];
    for from in BookingStatus::ALL {
        for to in BookingStatus::ALL {
            let why = made.iter().find(|(f, t, _)| (*f, *t) == (from, to)).map(|(_, _, why)| *why);
            assert_eq!(from.can_move_to(to), why.is_some(), "{from:?} -> {to:?} ({why:?})");
        }
    }
}

#[test]
fn no_booking_moves_to_its_own_status_and_a_finished_one_never_moves() {
    use BookingStatus::*;
    for s in BookingStatus::ALL {
        assert!(!s.can_move_to(s), "{s:?} to itself is not a move");
    }
    for finished in [Cancelled, Completed, NoShow] {
        for to in BookingStatus::ALL {
            assert!(!finished.can_move_to(to), "{finished:?} -> {to:?}");
        }
    }
}

#[test]
fn the_policy_reads_plainly() {
    let text = Policy::default().describe();
    assert!(text.contains("24 hours") && text.contains("50%"), "{text}");
    let none = Policy { full_refund_hours: 48, late_refund_percent: 0 }.describe();
    assert!(none.contains("2 days") && none.contains("nothing is refunded"), "{none}");
}
