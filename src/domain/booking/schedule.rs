//! The availability editor's forms: the weekly hours and settings a practitioner keeps,
//! and a date exception, each as posted and as checked.

use super::Policy;
use crate::domain::availability::{Exception, Hours, MAX_HORIZON_DAYS, RANGES_PER_DAY};
use crate::domain::{FieldError, TimeZone};
use jiff::civil::{Date, Time};
use serde::{Deserialize, Serialize};

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
