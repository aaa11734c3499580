//! Booked sessions: their states, the practitioner's availability as a form, and the
//! cancellation policy. `refund_due` is the one function that decides what a
//! cancellation returns: the preview shows its answer and the cancellation performs it.

use crate::domain::availability::{Exception, Hours, MAX_HORIZON_DAYS, RANGES_PER_DAY};
use crate::domain::orders::PaidWith;
use crate::domain::{Credits, FieldError, Money, TimeZone};
use jiff::civil::{Date, Time};
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

/// How long a slot is held for a card checkout.
pub const HOLD: SignedDuration = SignedDuration::from_mins(15);
/// How many free times are offered when the one chosen was just taken.
pub const NEAREST: usize = 5;
/// The longest notes a practitioner keeps on a session.
pub const NOTES_MAX: usize = 5000;

/// Where a booking is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum BookingStatus {
    /// Chosen in a draft order: blocks nothing yet.
    Pending,
    /// Kept for a card checkout until `hold_until`.
    Held,
    Confirmed,
    /// A hold that ran out, or an order that ended unpaid.
    Released,
    Cancelled,
    Completed,
    NoShow,
}

impl BookingStatus {
    pub const ALL: [BookingStatus; 7] = [
        BookingStatus::Pending,
        BookingStatus::Held,
        BookingStatus::Confirmed,
        BookingStatus::Released,
        BookingStatus::Cancelled,
        BookingStatus::Completed,
        BookingStatus::NoShow,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            BookingStatus::Pending => "pending",
            BookingStatus::Held => "held",
            BookingStatus::Confirmed => "confirmed",
            BookingStatus::Released => "released",
            BookingStatus::Cancelled => "cancelled",
            BookingStatus::Completed => "completed",
            BookingStatus::NoShow => "no_show",
        }
    }

    pub fn parse(raw: &str) -> Option<BookingStatus> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    pub fn label(self) -> &'static str {
        match self {
            BookingStatus::Pending => "Not yet booked",
            BookingStatus::Held => "Held while you pay",
            BookingStatus::Confirmed => "Booked",
            BookingStatus::Released => "Not booked",
            BookingStatus::Cancelled => "Cancelled",
            BookingStatus::Completed => "Completed",
            BookingStatus::NoShow => "Missed",
        }
    }

    /// The moves the database allows (`booking_transition_allowed`).
    pub fn can_move_to(self, next: BookingStatus) -> bool {
        use BookingStatus::*;
        matches!(
            (self, next),
            (Pending, Held | Confirmed | Released)
                | (Held, Confirmed | Released | Pending)
                | (Released, Held | Confirmed | Pending)
                | (Confirmed, Cancelled | Completed | NoShow)
        )
    }
}

/// Who cancels a session: the practitioner (or an admin for them) always refunds in full.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Side {
    Customer,
    Practitioner,
    Admin,
}

impl Side {
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Customer => "customer",
            Side::Practitioner => "practitioner",
            Side::Admin => "admin",
        }
    }
}

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

/// The `n` times of `free` nearest to `wanted`, in time order.
pub fn nearest(free: &[Timestamp], wanted: Timestamp, n: usize) -> Vec<Timestamp> {
    let mut by_distance: Vec<Timestamp> = free.to_vec();
    by_distance.sort_by_key(|t| (t.duration_since(wanted).abs(), *t));
    by_distance.truncate(n);
    by_distance.sort();
    by_distance
}

/// The availability editor's settings form, as posted: one text per weekday (`day_0`
/// is Monday) of ranges like `09:00-12:00, 13:00-17:00`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AvailabilityForm {
    #[serde(default)]
    pub time_zone: String,
    #[serde(default)]
    pub day_0: String,
    #[serde(default)]
    pub day_1: String,
    #[serde(default)]
    pub day_2: String,
    #[serde(default)]
    pub day_3: String,
    #[serde(default)]
    pub day_4: String,
    #[serde(default)]
    pub day_5: String,
    #[serde(default)]
    pub day_6: String,
    #[serde(default)]
    pub buffer_before_minutes: String,
    #[serde(default)]
    pub buffer_after_minutes: String,
    #[serde(default)]
    pub min_notice_hours: String,
    #[serde(default)]
    pub horizon_days: String,
    #[serde(default)]
    pub full_refund_hours: String,
    #[serde(default)]
    pub late_refund_percent: String,
}

/// The settings a practitioner keeps, checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Availability {
    pub time_zone: TimeZone,
    /// Monday first.
    pub weekly: [Vec<Hours>; 7],
    pub buffer_before_minutes: i32,
    pub buffer_after_minutes: i32,
    pub min_notice_minutes: i32,
    pub horizon_days: i32,
    pub policy: Policy,
}

pub const WEEKDAYS: [&str; 7] = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

impl AvailabilityForm {
    pub fn days(&self) -> [&str; 7] {
        [&self.day_0, &self.day_1, &self.day_2, &self.day_3, &self.day_4, &self.day_5, &self.day_6]
    }

    pub fn parse(&self) -> Result<Availability, FieldError> {
        let time_zone = TimeZone::parse(&self.time_zone)?;
        let mut weekly: [Vec<Hours>; 7] = Default::default();
        for (i, raw) in self.days().into_iter().enumerate() {
            weekly[i] = parse_ranges(raw).map_err(|m| FieldError::new(&format!("day_{i}"), m))?;
        }
        let availability = Availability {
            time_zone,
            weekly,
            buffer_before_minutes: whole("buffer_before_minutes", &self.buffer_before_minutes, 0, 240, "minutes")?,
            buffer_after_minutes: whole("buffer_after_minutes", &self.buffer_after_minutes, 0, 240, "minutes")?,
            min_notice_minutes: whole("min_notice_hours", &self.min_notice_hours, 0, 720, "hours")? * 60,
            horizon_days: whole("horizon_days", &self.horizon_days, 1, MAX_HORIZON_DAYS, "days")?,
            policy: Policy {
                full_refund_hours: whole("full_refund_hours", &self.full_refund_hours, 0, 720, "hours")?,
                late_refund_percent: whole("late_refund_percent", &self.late_refund_percent, 0, 100, "percent")?,
            },
        };
        Ok(availability)
    }

    /// The form showing `a`, to edit it.
    pub fn of(a: &Availability) -> AvailabilityForm {
        let day = |i: usize| ranges_text(&a.weekly[i]);
        AvailabilityForm {
            time_zone: a.time_zone.as_str().to_owned(),
            day_0: day(0),
            day_1: day(1),
            day_2: day(2),
            day_3: day(3),
            day_4: day(4),
            day_5: day(5),
            day_6: day(6),
            buffer_before_minutes: a.buffer_before_minutes.to_string(),
            buffer_after_minutes: a.buffer_after_minutes.to_string(),
            min_notice_hours: (a.min_notice_minutes / 60).to_string(),
            horizon_days: a.horizon_days.to_string(),
            full_refund_hours: a.policy.full_refund_hours.to_string(),
            late_refund_percent: a.policy.late_refund_percent.to_string(),
        }
    }
}

fn whole(field: &str, raw: &str, min: i32, max: i32, unit: &str) -> Result<i32, FieldError> {
    raw.trim()
        .parse::<i32>()
        .ok()
        .filter(|n| (min..=max).contains(n))
        .ok_or_else(|| FieldError::new(field, format!("Enter a whole number of {unit} from {min} to {max}.")))
}

/// `HH:MM`, 24-hour.
pub fn clock(t: Time) -> String {
    format!("{:02}:{:02}", t.hour(), t.minute())
}

/// Ranges as the form writes them: `09:00-12:00, 13:00-17:00`.
pub fn ranges_text(hours: &[Hours]) -> String {
    hours.iter().map(|h| format!("{}-{}", clock(h.start), clock(h.end))).collect::<Vec<_>>().join(", ")
}

fn parse_time(raw: &str) -> Option<Time> {
    let (h, m) = raw.trim().split_once(':')?;
    let (h, m): (i8, i8) = (h.parse().ok()?, m.parse().ok()?);
    if m % 5 != 0 {
        return None;
    }
    Time::new(h, m, 0, 0).ok()
}

/// One day's ranges from text: empty for a day off; ranges separated by commas, each
/// `start-end` in 24-hour `HH:MM` on five-minute steps, in order and not overlapping.
pub fn parse_ranges(raw: &str) -> Result<Vec<Hours>, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(Vec::new());
    }
    let mut out: Vec<Hours> = Vec::new();
    for part in raw.split(',') {
        let part = part.trim();
        let (a, b) = part
            .split_once(['-', '–'])
            .ok_or_else(|| format!("Write \"{part}\" as a start and an end, like 09:00-12:00."))?;
        let bad = || format!("\"{part}\" is not a range of 24-hour times on five-minute steps, like 09:00-12:30.");
        let (start, end) = (parse_time(a).ok_or_else(bad)?, parse_time(b).ok_or_else(bad)?);
        let hours = Hours::new(start, end).map_err(|_| format!("\"{part}\" must end after it starts."))?;
        if out.last().is_some_and(|last| hours.start < last.end) {
            return Err(format!("\"{part}\" overlaps or comes before the range before it; list the ranges in order."));
        }
        out.push(hours);
    }
    if out.len() > RANGES_PER_DAY {
        return Err(format!("Give at most {RANGES_PER_DAY} ranges a day."));
    }
    Ok(out)
}

/// A date exception as posted: a date, and either a day off or a range.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExceptionForm {
    #[serde(default)]
    pub day: String,
    /// `off`, or `extra` with `hours`.
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub hours: String,
}

impl ExceptionForm {
    /// The exception, for a date from `today` on.
    pub fn parse(&self, today: Date) -> Result<Exception, FieldError> {
        let day: Date =
            self.day.trim().parse().map_err(|_| FieldError::new("day", "Choose a date, written as YYYY-MM-DD."))?;
        if day < today {
            return Err(FieldError::new("day", "Choose today or a date after it."));
        }
        match self.kind.trim() {
            "off" => Ok(Exception::DayOff(day)),
            "extra" => {
                let ranges = parse_ranges(&self.hours).map_err(|m| FieldError::new("hours", m))?;
                match ranges.as_slice() {
                    [one] => Ok(Exception::Extra(day, *one)),
                    _ => Err(FieldError::new("hours", "Give one range of extra hours, like 18:00-20:00.")),
                }
            }
            _ => Err(FieldError::new("kind", "Choose a day off or extra hours.")),
        }
    }
}

/// Private notes a practitioner keeps on a completed session.
pub fn check_notes(raw: &str) -> Result<String, FieldError> {
    let notes = raw.trim();
    if notes.chars().count() > NOTES_MAX {
        return Err(FieldError::new("notes", format!("Keep the notes under {NOTES_MAX} characters.")));
    }
    Ok(notes.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Currency;
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
    fn booking_moves_agree_with_their_names() {
        for s in BookingStatus::ALL {
            assert_eq!(BookingStatus::parse(s.as_str()), Some(s));
        }
        assert!(BookingStatus::Released.can_move_to(BookingStatus::Confirmed));
        assert!(!BookingStatus::Cancelled.can_move_to(BookingStatus::Confirmed));
    }

    #[test]
    fn the_policy_reads_plainly() {
        let text = Policy::default().describe();
        assert!(text.contains("24 hours") && text.contains("50%"), "{text}");
        let none = Policy { full_refund_hours: 48, late_refund_percent: 0 }.describe();
        assert!(none.contains("2 days") && none.contains("nothing is refunded"), "{none}");
    }
}
