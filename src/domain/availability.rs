//! When a practitioner can be booked: weekly hours in their own IANA time zone, date
//! exceptions, buffers, minimum notice and a booking horizon, turned into the free slots
//! of a date range by pure computation. The server reads the rules and the busy times
//! (bookings and holds, buffers included) in one query and calls `slots`.
//!
//! Working hours are wall-clock times in the practitioner's zone, so a 09:00 weekly hour
//! stays 09:00 local across a daylight-saving change. A local time that does not exist
//! (skipped by a spring-forward gap) is never offered; one that happens twice (a
//! fall-back fold) is offered once, at its first occurrence.

use crate::domain::FieldError;
use jiff::civil::{Date, DateTime, Time, Weekday};
use jiff::tz::{AmbiguousOffset, TimeZone};
use jiff::{SignedDuration, Timestamp, ToSpan};
use serde::{Deserialize, Serialize};

/// The most ranges one day may have.
pub const RANGES_PER_DAY: usize = 6;
/// The longest a booking horizon may be.
pub const MAX_HORIZON_DAYS: i32 = 365;

/// A stretch of working time within one local day, `start` before `end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Hours {
    pub start: Time,
    pub end: Time,
}

impl Hours {
    pub fn new(start: Time, end: Time) -> Result<Hours, FieldError> {
        if start >= end {
            return Err(FieldError::new("hours", "Each range must end after it starts, within the same day."));
        }
        Ok(Hours { start, end })
    }
}

/// A date whose hours differ from the weekly ones.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Exception {
    /// No bookings that day.
    DayOff(Date),
    /// Hours added to that day's weekly ones.
    Extra(Date, Hours),
}

/// Everything that decides a practitioner's free time, in their zone.
#[derive(Debug, Clone)]
pub struct Rules {
    pub zone: TimeZone,
    /// Monday first.
    pub weekly: [Vec<Hours>; 7],
    pub exceptions: Vec<Exception>,
    /// Kept free before and after every session.
    pub buffer_before: SignedDuration,
    pub buffer_after: SignedDuration,
    /// How long before its start a session can still be booked.
    pub min_notice: SignedDuration,
    /// How many days ahead sessions can be booked.
    pub horizon_days: i32,
}

impl Rules {
    /// Checks the weekly hours: ranges of a day may not overlap, and there are at most
    /// `RANGES_PER_DAY` of them.
    pub fn check(&self) -> Result<(), FieldError> {
        for (i, day) in self.weekly.iter().enumerate() {
            let mut sorted = day.clone();
            sorted.sort();
            if sorted.len() > RANGES_PER_DAY {
                return Err(FieldError::new(
                    &format!("day-{i}"),
                    format!("Give at most {RANGES_PER_DAY} ranges a day."),
                ));
            }
            if sorted.windows(2).any(|w| w[1].start < w[0].end) {
                return Err(FieldError::new(
                    &format!("day-{i}"),
                    "Two ranges of this day overlap; join them or move one.",
                ));
            }
        }
        if !(1..=MAX_HORIZON_DAYS).contains(&self.horizon_days) {
            return Err(FieldError::new(
                "horizon_days",
                format!("Take bookings from 1 to {MAX_HORIZON_DAYS} days ahead."),
            ));
        }
        Ok(())
    }

    /// The working hours of local date `date`: its weekday's, unless the day is off,
    /// plus any extra hours given for it.
    pub fn hours_on(&self, date: Date) -> Vec<Hours> {
        if self.exceptions.contains(&Exception::DayOff(date)) {
            return Vec::new();
        }
        let mut hours = self.weekly[weekday_index(date.weekday())].clone();
        hours.extend(self.exceptions.iter().filter_map(|e| match e {
            Exception::Extra(d, h) if *d == date => Some(*h),
            _ => None,
        }));
        hours.sort();
        hours
    }
}

fn weekday_index(w: Weekday) -> usize {
    w.to_monday_zero_offset() as usize
}

/// A time that is taken: a booking or a hold, with its buffers already included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Busy {
    pub start: Timestamp,
    pub end: Timestamp,
}

/// The instant a local wall-clock time in `zone` names: `None` when it does not exist
/// (a gap), its first occurrence when it happens twice (a fold).
pub fn instant(zone: &TimeZone, local: DateTime) -> Option<Timestamp> {
    match zone.to_ambiguous_timestamp(local).offset() {
        AmbiguousOffset::Unambiguous { offset } => offset.to_timestamp(local).ok(),
        AmbiguousOffset::Fold { before, .. } => before.to_timestamp(local).ok(),
        AmbiguousOffset::Gap { .. } => None,
    }
}

/// The end of a range of local hours on `date`, as an instant. An end that falls in a
/// gap ends at the gap (the first instant after it).
fn end_instant(zone: &TimeZone, date: Date, end: Time) -> Option<Timestamp> {
    let local = date.to_datetime(end);
    match zone.to_ambiguous_timestamp(local).offset() {
        AmbiguousOffset::Unambiguous { offset } => offset.to_timestamp(local).ok(),
        AmbiguousOffset::Fold { after, .. } => after.to_timestamp(local).ok(),
        AmbiguousOffset::Gap { before, .. } => before.to_timestamp(local).ok(),
    }
}

/// The free session starts of length `duration` in `[from, to)`, every `step` of local
/// time from the start of each range, as of `now`: inside working hours, at least the
/// minimum notice ahead, within the horizon, and with the session and its buffers clear
/// of every busy time. Sorted, each instant once.
pub fn slots(
    rules: &Rules,
    duration: SignedDuration,
    step: SignedDuration,
    from: Timestamp,
    to: Timestamp,
    now: Timestamp,
    busy: &[Busy],
) -> Vec<Timestamp> {
    if duration <= SignedDuration::ZERO || step <= SignedDuration::ZERO || from >= to {
        return Vec::new();
    }
    let earliest = from.max(now + rules.min_notice);
    let latest = to.min(now + SignedDuration::from_hours(24 * i64::from(rules.horizon_days)));
    if earliest >= latest {
        return Vec::new();
    }
    let mut busy: Vec<Busy> = busy.iter().copied().filter(|b| b.end > b.start).collect();
    busy.sort_by_key(|b| b.start);
    let first_day = earliest.to_zoned_datetime(rules.zone.clone()).date().yesterday().unwrap_or(Date::MIN);
    let last_day = latest.to_zoned_datetime(rules.zone.clone()).date();
    let mut out = Vec::new();
    let mut day = first_day;
    while day <= last_day {
        for hours in rules.hours_on(day) {
            let Some(range_end) = end_instant(&rules.zone, day, hours.end) else { continue };
            let mut local = day.to_datetime(hours.start);
            while local.date() == day && local.time() < hours.end {
                if let Some(start) = instant(&rules.zone, local) {
                    let end = start + duration;
                    if end <= range_end && start >= earliest && start < latest && is_free(&busy, start, end, rules) {
                        out.push(start);
                    }
                }
                match local.checked_add(step) {
                    Ok(next) => local = next,
                    Err(_) => break,
                }
            }
        }
        match day.checked_add(1.day()) {
            Ok(next) => day = next,
            Err(_) => break,
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Whether a session `[start, end)` with the rules' buffers around it touches no busy time.
fn is_free(busy: &[Busy], start: Timestamp, end: Timestamp, rules: &Rules) -> bool {
    let (lo, hi) = (start - rules.buffer_before, end + rules.buffer_after);
    // Busy times are sorted by start: only those starting before `hi` can overlap.
    let upto = busy.partition_point(|b| b.start < hi);
    !busy[..upto].iter().any(|b| b.end > lo)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::{date, time};
    use proptest::prelude::*;

    fn zone(name: &str) -> TimeZone {
        jiff::tz::db().get(name).unwrap()
    }

    fn every_day(hours: &[(i8, i8)]) -> [Vec<Hours>; 7] {
        let day: Vec<Hours> =
            hours.iter().map(|(a, b)| Hours::new(time(*a, 0, 0, 0), time(*b, 0, 0, 0)).unwrap()).collect();
        std::array::from_fn(|_| day.clone())
    }

    fn rules(name: &str, hours: &[(i8, i8)]) -> Rules {
        Rules {
            zone: zone(name),
            weekly: every_day(hours),
            exceptions: Vec::new(),
            buffer_before: SignedDuration::ZERO,
            buffer_after: SignedDuration::ZERO,
            min_notice: SignedDuration::ZERO,
            horizon_days: 365,
        }
    }

    /// The local starts offered on `day` (as HH:MM in the zone).
    fn local_starts(r: &Rules, day: Date, minutes: i64) -> Vec<String> {
        let from = instant(&r.zone, day.to_datetime(time(0, 0, 0, 0))).unwrap();
        let to = from + SignedDuration::from_hours(30);
        let now = from - SignedDuration::from_hours(24);
        let d = SignedDuration::from_mins(minutes);
        slots(r, d, d, from, to, now, &[])
            .into_iter()
            .map(|t| t.to_zoned_datetime(r.zone.clone()))
            .filter(|z| z.date() == day)
            .map(|z| z.strftime("%H:%M").to_string())
            .collect()
    }

    #[test]
    fn a_spring_forward_gap_offers_no_time_that_does_not_exist() {
        // London: 01:00 GMT jumps to 02:00 BST on 28 March 2027.
        let r = rules("Europe/London", &[(0, 4)]);
        assert_eq!(local_starts(&r, date(2027, 3, 28), 60), ["00:00", "02:00", "03:00"]);
        // New York: 02:00 EST jumps to 03:00 EDT on 14 March 2027.
        let r = rules("America/New_York", &[(1, 4)]);
        assert_eq!(local_starts(&r, date(2027, 3, 14), 60), ["01:00", "03:00"]);
        // Sydney: 02:00 AEST jumps to 03:00 AEDT on 3 October 2027.
        let r = rules("Australia/Sydney", &[(1, 4)]);
        assert_eq!(local_starts(&r, date(2027, 10, 3), 30), ["01:00", "01:30", "03:00", "03:30"]);
    }

    #[test]
    fn a_fall_back_fold_offers_the_repeated_hour_once() {
        // London: 02:00 BST falls back to 01:00 GMT on 31 October 2027.
        let r = rules("Europe/London", &[(0, 3)]);
        assert_eq!(local_starts(&r, date(2027, 10, 31), 60), ["00:00", "01:00", "02:00"]);
        // New York: 02:00 EDT falls back to 01:00 EST on 7 November 2027.
        let r = rules("America/New_York", &[(0, 3)]);
        assert_eq!(local_starts(&r, date(2027, 11, 7), 60), ["00:00", "01:00", "02:00"]);
        // Sydney: 03:00 AEDT falls back to 02:00 AEST on 4 April 2027.
        let r = rules("Australia/Sydney", &[(1, 4)]);
        assert_eq!(local_starts(&r, date(2027, 4, 4), 60), ["01:00", "02:00", "03:00"]);
    }

    #[test]
    fn a_nine_oclock_hour_stays_nine_oclock_local_across_the_change() {
        for (name, before, after) in [
            ("Europe/London", date(2027, 3, 27), date(2027, 3, 29)),
            ("America/New_York", date(2027, 11, 6), date(2027, 11, 8)),
            ("Australia/Sydney", date(2027, 4, 3), date(2027, 4, 5)),
            ("Asia/Kolkata", date(2027, 3, 27), date(2027, 3, 29)),
        ] {
            let r = rules(name, &[(9, 10)]);
            assert_eq!(local_starts(&r, before, 60), ["09:00"], "{name}");
            assert_eq!(local_starts(&r, after, 60), ["09:00"], "{name}");
            let utc =
                |d: Date| instant(&r.zone, d.to_datetime(time(9, 0, 0, 0))).unwrap().strftime("%H:%M").to_string();
            if name == "Asia/Kolkata" {
                assert_eq!((utc(before), utc(after)), ("03:30".into(), "03:30".into()), "no DST: the same UTC time");
            } else {
                assert_ne!(utc(before), utc(after), "{name}: the UTC time moves, the local one does not");
            }
        }
    }

    #[test]
    fn notice_horizon_exceptions_and_buffers_are_honoured() {
        let mut r = rules("UTC", &[(9, 12)]);
        let day = date(2027, 1, 4);
        let at = |h: i8, m: i8| day.to_datetime(time(h, m, 0, 0)).to_zoned_datetime(TimeZone::UTC).unwrap().timestamp();
        let hour = SignedDuration::from_hours(1);
        let all = |r: &Rules, now: Timestamp, busy: &[Busy]| slots(r, hour, hour, at(0, 0), at(23, 0), now, busy);
        assert_eq!(all(&r, at(0, 0), &[]), [at(9, 0), at(10, 0), at(11, 0)]);
        r.min_notice = SignedDuration::from_hours(2);
        assert_eq!(all(&r, at(8, 30), &[]), [at(11, 0)], "at least two hours ahead");
        r.min_notice = SignedDuration::ZERO;
        let booked = [Busy { start: at(10, 0), end: at(11, 0) }];
        assert_eq!(all(&r, at(0, 0), &booked), [at(9, 0), at(11, 0)]);
        r.buffer_after = SignedDuration::from_mins(15);
        assert_eq!(all(&r, at(0, 0), &booked), [at(11, 0)], "9:00 + 1 h + 15 min runs into the booking");
        r.buffer_after = SignedDuration::ZERO;
        r.exceptions = vec![Exception::DayOff(day)];
        assert!(all(&r, at(0, 0), &[]).is_empty());
        r.exceptions = vec![Exception::Extra(day, Hours::new(time(14, 0, 0, 0), time(15, 0, 0, 0)).unwrap())];
        assert_eq!(all(&r, at(0, 0), &[]), [at(9, 0), at(10, 0), at(11, 0), at(14, 0)]);
        r.horizon_days = 1;
        assert!(slots(&r, hour, hour, at(0, 0), at(23, 0), at(0, 0) - SignedDuration::from_hours(48), &[]).is_empty());
    }

    #[test]
    fn overlapping_or_too_many_ranges_are_refused() {
        let mut r = rules("UTC", &[(9, 12), (11, 13)]);
        assert_eq!(r.check().unwrap_err().field, "day-0");
        r.weekly = every_day(&[(9, 12)]);
        r.horizon_days = 0;
        assert_eq!(r.check().unwrap_err().field, "horizon_days");
        assert!(Hours::new(time(10, 0, 0, 0), time(9, 0, 0, 0)).is_err());
    }

    proptest! {
        #[test]
        fn no_slot_overlaps_a_booking_or_its_buffers_and_every_slot_is_inside_working_hours(
            zone_i in 0usize..4,
            start_h in 0i8..20,
            len_h in 1i8..4,
            minutes in prop::sample::select(vec![15i64, 30, 45, 60, 90]),
            before in 0i64..30,
            after in 0i64..30,
            bookings in prop::collection::vec((0i64..(14 * 24 * 60), 15i64..180), 0..30),
        ) {
            let name = ["Europe/London", "America/New_York", "Australia/Sydney", "Asia/Kolkata"][zone_i];
            let end_h = (start_h + len_h).min(23);
            let mut r = rules(name, &[(start_h, end_h)]);
            r.buffer_before = SignedDuration::from_mins(before);
            r.buffer_after = SignedDuration::from_mins(after);
            let origin = instant(&r.zone, date(2027, 3, 20).to_datetime(time(0, 0, 0, 0))).unwrap();
            let busy: Vec<Busy> = bookings
                .iter()
                .map(|(at, len)| Busy {
                    start: origin + SignedDuration::from_mins(*at),
                    end: origin + SignedDuration::from_mins(at + len),
                })
                .collect();
            let d = SignedDuration::from_mins(minutes);
            let found = slots(&r, d, d, origin, origin + SignedDuration::from_hours(14 * 24), origin, &busy);
            for s in &found {
                let (lo, hi) = (*s - r.buffer_before, *s + d + r.buffer_after);
                prop_assert!(busy.iter().all(|b| b.end <= lo || b.start >= hi), "{s} overlaps a booking");
                let local = s.to_zoned_datetime(r.zone.clone());
                let inside = r.hours_on(local.date()).iter().any(|h| {
                    local.time() >= h.start
                        && local.time() < h.end
                        && end_instant(&r.zone, local.date(), h.end).is_some_and(|close| *s + d <= close)
                });
                prop_assert!(inside, "{s} ({local}) is outside working hours");
            }
            prop_assert!(found.windows(2).all(|w| w[0] < w[1]), "sorted, each once");
        }
    }
}
