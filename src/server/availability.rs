//! A practitioner's availability: kept in `availability` (settings and policy),
//! `availability_hours` (weekly) and `availability_exceptions` (dates), read for slot
//! finding together with the busy times in one query, and turned into free slots by
//! `domain::availability::slots`.

use crate::domain::availability::{self, Busy, Exception, Hours, Rules};
use crate::domain::booking::{Availability, AvailabilityForm, ExceptionForm, Policy};
use crate::domain::types::{AvailabilityView, DayHours, ExceptionRow};
use crate::domain::{AppError, TimeZone};
use crate::server::capability::LivePractitioner;
use crate::server::clock::{from_db, to_db};
use crate::server::error::Failure;
use crate::server::state::AppState;
use jiff::civil::{Date, Time};
use jiff::{SignedDuration, Timestamp, ToSpan};
use sqlx::PgConnection;
use uuid::Uuid;

/// Everything slot finding needs for one practitioner and one stretch of time.
#[derive(Debug, Clone)]
pub struct Calendar {
    pub rules: Rules,
    pub zone: TimeZone,
    pub policy: Policy,
    pub busy: Vec<Busy>,
}

/// The stored settings, weekly hours, exceptions between two dates and busy times.
#[derive(Debug, Clone)]
struct Stored {
    availability: Availability,
    exceptions: Vec<(i64, Exception)>,
    busy: Vec<Busy>,
}

fn time_of(raw: &serde_json::Value) -> Result<Time, Failure> {
    raw.as_str().and_then(|s| s.parse::<Time>().ok()).ok_or_else(|| Failure::bug(format!("a stored time {raw}")))
}

fn weekly_of(hours: &serde_json::Value) -> Result<[Vec<Hours>; 7], Failure> {
    let mut weekly: [Vec<Hours>; 7] = Default::default();
    for h in hours.as_array().into_iter().flatten() {
        let day = h[0].as_u64().filter(|d| *d < 7).ok_or_else(|| Failure::bug("a stored weekday"))? as usize;
        let hours = Hours::new(time_of(&h[1])?, time_of(&h[2])?).map_err(|e| Failure::bug(e.to_string()))?;
        weekly[day].push(hours);
    }
    Ok(weekly)
}

fn exceptions_of(raw: &serde_json::Value) -> Result<Vec<(i64, Exception)>, Failure> {
    raw.as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            let id = e[0].as_i64().ok_or_else(|| Failure::bug("a stored exception id"))?;
            let day: Date =
                e[1].as_str().and_then(|d| d.parse().ok()).ok_or_else(|| Failure::bug("a stored exception date"))?;
            Ok((
                id,
                if e[2].is_null() {
                    Exception::DayOff(day)
                } else {
                    Exception::Extra(
                        day,
                        Hours::new(time_of(&e[2])?, time_of(&e[3])?).map_err(|e| Failure::bug(e.to_string()))?,
                    )
                },
            ))
        })
        .collect()
}

/// The rules `slots` works from.
pub fn rules_of(a: &Availability, exceptions: Vec<Exception>) -> Rules {
    Rules {
        zone: a.time_zone.rules(),
        weekly: a.weekly.clone(),
        exceptions,
        buffer_before: SignedDuration::from_mins(i64::from(a.buffer_before_minutes)),
        buffer_after: SignedDuration::from_mins(i64::from(a.buffer_after_minutes)),
        min_notice: SignedDuration::from_mins(i64::from(a.min_notice_minutes)),
        horizon_days: a.horizon_days,
    }
}

/// The practitioner's calendar over `[from, to)`: rules, exceptions of the local dates
/// it touches, and every held or confirmed booking overlapping it (buffers included),
/// leaving out `except` (a booking being moved). One query; `None` when they have not
/// set their availability.
pub async fn calendar(
    conn: &mut PgConnection,
    practitioner: Uuid,
    from: Timestamp,
    to: Timestamp,
    now: Timestamp,
    except: Option<Uuid>,
) -> Result<Option<Calendar>, Failure> {
    // Every zone is within a day of UTC, so these dates hold every local date touched.
    let utc_day = |t: Timestamp, days: i64| {
        (t + SignedDuration::from_hours(24 * days)).to_zoned_datetime(jiff::tz::TimeZone::UTC).date()
    };
    let busy = Some(BusyIn { from, to, now, except });
    let Some(stored) = load(conn, practitioner, utc_day(from, -2), utc_day(to, 2), busy).await? else {
        return Ok(None);
    };
    let exceptions = stored.exceptions.into_iter().map(|(_, e)| e).collect();
    Ok(Some(Calendar {
        rules: rules_of(&stored.availability, exceptions),
        zone: stored.availability.time_zone.clone(),
        policy: stored.availability.policy,
        busy: stored.busy,
    }))
}

/// The step between offered starts for a session of `duration`.
pub fn step_for(duration: SignedDuration) -> SignedDuration {
    duration.min(SignedDuration::from_mins(30))
}

impl Calendar {
    /// The free starts for a session of `duration` in `[from, to)`.
    pub fn free(&self, duration: SignedDuration, from: Timestamp, to: Timestamp, now: Timestamp) -> Vec<Timestamp> {
        availability::slots(&self.rules, duration, step_for(duration), from, to, now, &self.busy)
    }

    /// The range a session `[start, end)` blocks: the session with the buffers around it.
    pub fn blocks(&self, start: Timestamp, end: Timestamp) -> (Timestamp, Timestamp) {
        (start - self.rules.buffer_before, end + self.rules.buffer_after)
    }
}

/// Which bookings `load` reads as busy: those held (until after `now`) or confirmed
/// overlapping `[from, to)`, but `except`.
struct BusyIn {
    from: Timestamp,
    to: Timestamp,
    now: Timestamp,
    except: Option<Uuid>,
}

/// The settings, weekly hours, the exceptions dated `first..=last` and, when asked, the
/// busy times: one query.
async fn load(
    conn: &mut PgConnection,
    practitioner: Uuid,
    first: Date,
    last: Date,
    busy: Option<BusyIn>,
) -> Result<Option<Stored>, Failure> {
    let (from, to, now, except) = match &busy {
        Some(b) => (b.from, b.to, b.now, b.except),
        None => (Timestamp::UNIX_EPOCH, Timestamp::UNIX_EPOCH, Timestamp::UNIX_EPOCH, None),
    };
    let r = sqlx::query!(
        r#"SELECT a.time_zone, a.buffer_before_minutes, a.buffer_after_minutes, a.min_notice_minutes, a.horizon_days,
                  a.full_refund_hours, a.late_refund_percent,
                  COALESCE((SELECT json_agg(json_build_array(h.weekday, h.starts, h.ends) ORDER BY h.weekday, h.starts)
                            FROM availability_hours h WHERE h.practitioner_id = a.practitioner_id), '[]') AS "hours!",
                  COALESCE((SELECT json_agg(json_build_array(e.id, e.day, e.starts, e.ends) ORDER BY e.day, e.starts)
                            FROM availability_exceptions e
                            WHERE e.practitioner_id = a.practitioner_id AND e.day BETWEEN $2 AND $3), '[]') AS "exceptions!",
                  ARRAY(SELECT lower(b.blocks) FROM bookings b
                        WHERE b.practitioner_id = a.practitioner_id AND b.blocks && tstzrange($4, $5)
                          AND (b.status = 'confirmed' OR (b.status = 'held' AND b.hold_until > $6))
                          AND b.id IS DISTINCT FROM $7 ORDER BY lower(b.blocks)) AS "busy_from!",
                  ARRAY(SELECT upper(b.blocks) FROM bookings b
                        WHERE b.practitioner_id = a.practitioner_id AND b.blocks && tstzrange($4, $5)
                          AND (b.status = 'confirmed' OR (b.status = 'held' AND b.hold_until > $6))
                          AND b.id IS DISTINCT FROM $7 ORDER BY lower(b.blocks)) AS "busy_to!"
           FROM availability a WHERE a.practitioner_id = $1"#,
        practitioner,
        to_civil_db(first),
        to_civil_db(last),
        to_db(from),
        to_db(to),
        to_db(now),
        except,
    )
    .fetch_optional(conn)
    .await?;
    let Some(r) = r else { return Ok(None) };
    Ok(Some(Stored {
        availability: Availability {
            time_zone: TimeZone::parse(&r.time_zone).map_err(|e| Failure::bug(format!("a stored zone: {e}")))?,
            weekly: weekly_of(&r.hours)?,
            buffer_before_minutes: r.buffer_before_minutes,
            buffer_after_minutes: r.buffer_after_minutes,
            min_notice_minutes: r.min_notice_minutes,
            horizon_days: r.horizon_days,
            policy: Policy { full_refund_hours: r.full_refund_hours, late_refund_percent: r.late_refund_percent },
        },
        exceptions: exceptions_of(&r.exceptions)?,
        busy: r.busy_from.iter().zip(&r.busy_to).map(|(a, b)| Busy { start: from_db(*a), end: from_db(*b) }).collect(),
    }))
}

fn to_civil_db(d: Date) -> time::Date {
    time::Date::from_calendar_date(
        i32::from(d.year()),
        time::Month::try_from(d.month() as u8).unwrap_or(time::Month::January),
        d.day() as u8,
    )
    .unwrap_or(time::Date::MIN)
}

fn to_time_db(t: Time) -> time::Time {
    time::Time::from_hms(t.hour() as u8, t.minute() as u8, 0).unwrap_or(time::Time::MIDNIGHT)
}

/// What a practitioner starts from before saving anything: weekdays 09:00–17:00 in
/// their own zone, no buffers, 12 hours' notice, 60 days ahead, the default policy.
fn starting_point(zone: &TimeZone) -> Availability {
    let nine_to_five = vec![Hours { start: Time::constant(9, 0, 0, 0), end: Time::constant(17, 0, 0, 0) }];
    let mut weekly: [Vec<Hours>; 7] = Default::default();
    for day in weekly.iter_mut().take(5) {
        *day = nine_to_five.clone();
    }
    Availability {
        time_zone: zone.clone(),
        weekly,
        buffer_before_minutes: 0,
        buffer_after_minutes: 0,
        min_notice_minutes: 720,
        horizon_days: 60,
        policy: Policy::default(),
    }
}

/// The editor's page: the settings (or a starting point), the exceptions to come and
/// the working hours of the next seven local days.
pub async fn view(state: &AppState, user: &LivePractitioner) -> Result<AvailabilityView, Failure> {
    let now = state.clock.now();
    let zone_today = |zone: &TimeZone| now.to_zoned_datetime(zone.rules()).date();
    let mut conn = state.pool.acquire().await?;
    let found =
        load(&mut conn, user.id, zone_today(&user.time_zone).yesterday().unwrap_or(Date::MIN), Date::MAX, None).await?;
    let configured = found.is_some();
    let (availability, exceptions) = match found {
        Some(s) => (s.availability, s.exceptions),
        None => (starting_point(&user.time_zone), Vec::new()),
    };
    let today = zone_today(&availability.time_zone);
    let upcoming: Vec<(i64, Exception)> = exceptions.into_iter().filter(|(_, e)| exception_day(e) >= today).collect();
    let rules = rules_of(&availability, upcoming.iter().map(|(_, e)| e.clone()).collect());
    let week = (0..7)
        .filter_map(|i| today.checked_add(i.days()).ok())
        .map(|day| DayHours { day, hours: rules.hours_on(day) })
        .collect();
    Ok(AvailabilityView {
        form: AvailabilityForm::of(&availability),
        configured,
        exceptions: upcoming
            .into_iter()
            .map(|(id, e)| match e {
                Exception::DayOff(day) => ExceptionRow { id, day, hours: None },
                Exception::Extra(day, h) => ExceptionRow { id, day, hours: Some(h) },
            })
            .collect(),
        week,
        today,
    })
}

fn exception_day(e: &Exception) -> Date {
    match e {
        Exception::DayOff(d) | Exception::Extra(d, _) => *d,
    }
}

/// Saves the settings and weekly hours, replacing the weekly hours in one transaction.
#[tracing::instrument(skip_all, fields(user = %user.code))]
pub async fn save(state: &AppState, user: &LivePractitioner, form: &AvailabilityForm) -> Result<(), Failure> {
    let a = form.parse()?;
    let now = state.clock.now();
    let mut tx = state.pool.begin().await?;
    sqlx::query!(
        "INSERT INTO availability (practitioner_id, time_zone, buffer_before_minutes, buffer_after_minutes,
                                   min_notice_minutes, horizon_days, full_refund_hours, late_refund_percent, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (practitioner_id) DO UPDATE SET time_zone = $2, buffer_before_minutes = $3,
             buffer_after_minutes = $4, min_notice_minutes = $5, horizon_days = $6, full_refund_hours = $7,
             late_refund_percent = $8, updated_at = $9",
        user.id,
        a.time_zone.as_str(),
        a.buffer_before_minutes,
        a.buffer_after_minutes,
        a.min_notice_minutes,
        a.horizon_days,
        a.policy.full_refund_hours,
        a.policy.late_refund_percent,
        to_db(now),
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!("DELETE FROM availability_hours WHERE practitioner_id = $1", user.id).execute(&mut *tx).await?;
    let (mut days, mut starts, mut ends) = (Vec::new(), Vec::new(), Vec::new());
    for (i, hours) in a.weekly.iter().enumerate() {
        for h in hours {
            days.push(i as i16);
            starts.push(to_time_db(h.start));
            ends.push(to_time_db(h.end));
        }
    }
    sqlx::query!(
        "INSERT INTO availability_hours (practitioner_id, weekday, starts, ends)
         SELECT $1, d, s, e FROM unnest($2::smallint[], $3::time[], $4::time[]) AS t(d, s, e)",
        user.id,
        &days,
        &starts,
        &ends,
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    tracing::info!("availability saved");
    Ok(())
}

/// Adds a day off or extra hours on a date (in the practitioner's zone).
pub async fn add_exception(state: &AppState, user: &LivePractitioner, form: &ExceptionForm) -> Result<(), Failure> {
    let mut conn = state.pool.acquire().await?;
    let zone = sqlx::query_scalar!("SELECT time_zone FROM availability WHERE practitioner_id = $1", user.id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| AppError::invalid("day", "Save your weekly hours first; exceptions change them."))?;
    let today = state.clock.now().to_zoned_datetime(crate::server::accounts::zone_of(&zone).rules()).date();
    let (day, hours) = match form.parse(today)? {
        Exception::DayOff(d) => (d, None),
        Exception::Extra(d, h) => (d, Some(h)),
    };
    let added = sqlx::query!(
        "INSERT INTO availability_exceptions (practitioner_id, day, starts, ends) VALUES ($1, $2, $3, $4)
         ON CONFLICT DO NOTHING",
        user.id,
        to_civil_db(day),
        hours.map(|h| to_time_db(h.start)),
        hours.map(|h| to_time_db(h.end)),
    )
    .execute(&mut *conn)
    .await?;
    if added.rows_affected() == 0 {
        return Err(AppError::invalid("day", "That date is already a day off.").into());
    }
    Ok(())
}

/// Removes one of the practitioner's exceptions; another's is not found.
pub async fn remove_exception(state: &AppState, user: &LivePractitioner, id: i64) -> Result<(), Failure> {
    let gone = sqlx::query!("DELETE FROM availability_exceptions WHERE id = $1 AND practitioner_id = $2", id, user.id)
        .execute(&state.pool)
        .await?;
    if gone.rows_affected() == 0 {
        return Err(AppError::NotFound.into());
    }
    Ok(())
}
