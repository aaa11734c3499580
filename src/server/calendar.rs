//! What happens around a booked session besides the booking itself: private calendar
//! feeds, the reminder a day before, and the customer's review afterwards.

use crate::domain::booking::BookingStatus;
use crate::domain::datetime::{self, Style};
use crate::domain::ical::{self, Event};
use crate::domain::types::{ReviewSummary, ReviewView, SessionUser};
use crate::domain::{AppError, FieldError, OrderNumber, Role};
use crate::server::clock::{from_db, to_db};
use crate::server::email::{self, templates};
use crate::server::error::Failure;
use crate::server::jobs::{Job, JobError};
use crate::server::state::AppState;
use crate::server::tokens::{digest, new_token};
use jiff::{SignedDuration, Timestamp};
use sqlx::PgConnection;
use uuid::Uuid;

/// The session key under which a feed address just made is kept until it is shown.
pub const NEW_FEED: &str = "calendar.new_feed";
/// How far back a feed reaches.
const FEED_HISTORY: SignedDuration = SignedDuration::from_hours(24 * 90);
/// How long before a session its reminder goes out.
pub const REMIND_BEFORE: SignedDuration = SignedDuration::from_hours(24);
/// The longest review.
pub const REVIEW_MAX: usize = 2000;

/// The address a calendar subscribes to (`webcal://…`) for `token`.
pub fn feed_url(state: &AppState, token: &str) -> String {
    let base = &state.config.public_url;
    let host = base.strip_prefix("https://").or_else(|| base.strip_prefix("http://")).unwrap_or(base);
    format!("webcal://{host}/calendar/{token}.ics")
}

/// Makes the person's feed address, replacing (and so revoking) any earlier one.
pub async fn new_feed(state: &AppState, user: &SessionUser) -> Result<String, Failure> {
    let token = new_token();
    sqlx::query!(
        "INSERT INTO calendar_feeds (user_id, token_hash, created_at) VALUES ($1, $2, $3)
         ON CONFLICT (user_id) DO UPDATE SET token_hash = $2, created_at = $3",
        user.id,
        digest(&token),
        state.clock.now_db()
    )
    .execute(&state.pool)
    .await?;
    tracing::info!(user = %user.code, "calendar feed address made");
    Ok(feed_url(state, &token))
}

/// Stops the person's feed address from working.
pub async fn revoke_feed(state: &AppState, user: &SessionUser) -> Result<(), Failure> {
    sqlx::query!("DELETE FROM calendar_feeds WHERE user_id = $1", user.id).execute(&state.pool).await?;
    Ok(())
}

/// Whether the person has a feed address, and since when.
pub async fn feed_made(state: &AppState, user_id: Uuid) -> Result<Option<Timestamp>, Failure> {
    Ok(sqlx::query_scalar!("SELECT created_at FROM calendar_feeds WHERE user_id = $1", user_id)
        .fetch_optional(&state.pool)
        .await?
        .map(from_db))
}

/// The feed behind `token` (with or without `.ics`): the sessions of its owner from 90
/// days ago on, as the practitioner or as the customer. `None` for an unknown or
/// revoked address.
pub async fn feed(state: &AppState, token: &str) -> Result<Option<String>, Failure> {
    let token = token.strip_suffix(".ics").unwrap_or(token);
    let Some(owner) = sqlx::query!(
        "SELECT u.id, u.name, u.role FROM calendar_feeds f JOIN users u ON u.id = f.user_id
         WHERE f.token_hash = $1 AND u.disabled_at IS NULL AND u.deleted_at IS NULL",
        digest(token)
    )
    .fetch_optional(&state.pool)
    .await?
    else {
        return Ok(None);
    };
    let since = state.clock.now() - FEED_HISTORY;
    let rows = sessions(&state.pool, Sessions::Of { person: owner.id, since }).await?;
    let events: Vec<Event> = rows.iter().map(|r| r.event(state, owner.id)).collect();
    let name = if owner.role == Role::Practitioner.as_str() { "Attune sessions" } else { "My Attune sessions" };
    Ok(Some(ical::calendar(&format!("{name} ({})", owner.name), &events)))
}

/// A session as calendars are told of it.
struct SessionRow {
    id: Uuid,
    sequence: i32,
    starts_at: time::OffsetDateTime,
    ends_at: time::OffsetDateTime,
    updated_at: time::OffsetDateTime,
    status: String,
    number: String,
    item_name: String,
    customer: String,
    practitioner: String,
    practitioner_id: Uuid,
}

impl SessionRow {
    /// The event as `reader` (its practitioner or its customer) sees it.
    fn event(&self, state: &AppState, reader: Uuid) -> Event {
        let with = if self.practitioner_id == reader { &self.customer } else { &self.practitioner };
        Event {
            uid: format!("{}@attune", self.id),
            sequence: self.sequence,
            starts_at: from_db(self.starts_at),
            ends_at: from_db(self.ends_at),
            stamp: from_db(self.updated_at),
            summary: format!("{} with {with}", self.item_name),
            description: format!("Attune order {}.", self.number),
            url: format!("{}/orders/{}", state.config.public_url, self.number),
            cancelled: self.status == BookingStatus::Cancelled.as_str(),
        }
    }
}

/// `mail` with the order's session attached as a calendar file, when it is a session:
/// the same event, UID and SEQUENCE as in the feeds, as `reader` sees it.
pub(crate) async fn with_session_file(
    conn: &mut PgConnection,
    state: &AppState,
    order_id: Uuid,
    reader: Uuid,
    mail: email::Email,
) -> Result<email::Email, Failure> {
    Ok(match session_file(conn, state, order_id, reader).await? {
        Some(ics) => mail.with_calendar(ics),
        None => mail,
    })
}

async fn session_file(
    conn: &mut PgConnection,
    state: &AppState,
    order_id: Uuid,
    reader: Uuid,
) -> Result<Option<String>, Failure> {
    let rows = sessions(conn, Sessions::OfOrder(order_id)).await?;
    Ok(rows.first().map(|r| ical::calendar("Attune", &[r.event(state, reader)])))
}

/// Which sessions calendars are told of.
enum Sessions {
    /// A person's (as practitioner or customer) that are or were booked, ending after `since`.
    Of { person: Uuid, since: Timestamp },
    /// The one of an order, whatever its state.
    OfOrder(Uuid),
}

async fn sessions<'c>(conn: impl sqlx::PgExecutor<'c>, which: Sessions) -> Result<Vec<SessionRow>, Failure> {
    let (person, since, order) = match which {
        Sessions::Of { person, since } => (Some(person), Some(to_db(since)), None),
        Sessions::OfOrder(id) => (None, None, Some(id)),
    };
    Ok(sqlx::query_as!(
        SessionRow,
        r#"SELECT b.id, b.sequence, b.starts_at, b.ends_at, b.updated_at, b.status, o.number, o.item_name,
                  c.name AS customer, p.name AS practitioner, b.practitioner_id
           FROM bookings b JOIN orders o ON o.id = b.order_id
                JOIN users c ON c.id = b.customer_id JOIN users p ON p.id = b.practitioner_id
           WHERE (b.order_id = $3
                  OR ((b.practitioner_id = $1 OR b.customer_id = $1) AND b.ends_at >= $2
                      AND b.status IN ('confirmed', 'cancelled', 'completed', 'no_show')))
           ORDER BY b.starts_at"#,
        person,
        since,
        order
    )
    .fetch_all(conn)
    .await?)
}

/// Sends the reminder of every confirmed session starting within `REMIND_BEFORE` that
/// has not had one. Each is claimed by one conditional update in the transaction that
/// queues its emails, so several workers at once still send one reminder per session.
pub async fn send_reminders(state: &AppState) -> Result<usize, Failure> {
    let now = state.clock.now();
    let due = sqlx::query_scalar!(
        "SELECT id FROM bookings WHERE status = 'confirmed' AND reminded_at IS NULL AND starts_at > $1 AND starts_at <= $2
         ORDER BY starts_at LIMIT 500",
        to_db(now),
        to_db(now + REMIND_BEFORE)
    )
    .fetch_all(&state.pool)
    .await?;
    let mut sent = 0;
    for id in due {
        let mut tx = state.pool.begin().await?;
        let claimed = sqlx::query!(
            "UPDATE bookings SET reminded_at = $2 WHERE id = $1 AND status = 'confirmed' AND reminded_at IS NULL
             RETURNING order_id",
            id,
            to_db(now)
        )
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(claimed) = claimed {
            remind(&mut tx, state, claimed.order_id, now).await?;
            sent += 1;
        }
        tx.commit().await?;
    }
    Ok(sent)
}

async fn remind(conn: &mut PgConnection, state: &AppState, order_id: Uuid, now: Timestamp) -> Result<(), Failure> {
    let r = sqlx::query!(
        "SELECT o.number, o.item_name, b.starts_at FROM bookings b JOIN orders o ON o.id = b.order_id WHERE b.order_id = $1",
        order_id
    )
    .fetch_one(&mut *conn)
    .await?;
    let parties = crate::server::parties::of_order(conn, order_id).await?;
    let url = format!("{}/orders/{}", state.config.public_url, r.number);
    for (to, other) in parties.each() {
        let Some(address) = to.email.as_deref() else { continue };
        let when = datetime::show(from_db(r.starts_at), &to.zone, Style::DateTime);
        let facts = templates::ServiceOrderFacts {
            name: &to.name,
            number: &r.number,
            service: &r.item_name,
            paid: String::new(),
            url: url.clone(),
        };
        let mail = templates::booking_reminder(&facts, &when, &other.name);
        let mail = with_session_file(conn, state, order_id, to.id, mail).await?;
        email::enqueue(conn, Some(to.id), address, &mail, now).await?;
    }
    Ok(())
}

/// Sends due reminders; runs every five minutes.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct SendReminders;

impl Job for SendReminders {
    const NAME: &'static str = "send_reminders";

    async fn run(self, state: &AppState) -> Result<(), JobError> {
        let n = send_reminders(state).await.map_err(JobError::from)?;
        if n > 0 {
            tracing::info!(reminded = n, "session reminders sent");
        }
        Ok(())
    }
}

/// Checks a rating (1 to 5) and an optional review text.
pub fn check_review(rating: &str, body: &str) -> Result<(i16, String), FieldError> {
    let rating = rating
        .trim()
        .parse::<i16>()
        .ok()
        .filter(|r| (1..=5).contains(r))
        .ok_or_else(|| FieldError::new("rating", "Choose a rating from 1 to 5 stars."))?;
    let body = body.trim();
    if body.chars().count() > REVIEW_MAX {
        return Err(FieldError::new("body", format!("Keep the review under {REVIEW_MAX} characters.")));
    }
    Ok((rating, body.to_owned()))
}

/// The customer rates a completed session, once.
pub async fn review(
    state: &AppState,
    user: &SessionUser,
    number: &OrderNumber,
    rating: &str,
    body: &str,
) -> Result<OrderNumber, Failure> {
    let (rating, body) = check_review(rating, body)?;
    let mut conn = state.pool.acquire().await?;
    let b = sqlx::query!(
        "SELECT b.id, b.customer_id, b.practitioner_id, b.status FROM bookings b JOIN orders o ON o.id = b.order_id
         WHERE o.number = $1",
        number.as_str()
    )
    .fetch_optional(&mut *conn)
    .await?
    .filter(|b| b.customer_id == user.id)
    .ok_or(AppError::NotFound)?;
    if b.status != BookingStatus::Completed.as_str() {
        return Err(AppError::invalid("rating", "A session can be reviewed once it has taken place.").into());
    }
    let added = sqlx::query!(
        "INSERT INTO reviews (booking_id, customer_id, practitioner_id, rating, body, created_at)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (booking_id) DO NOTHING",
        b.id,
        b.customer_id,
        b.practitioner_id,
        rating,
        body,
        state.clock.now_db()
    )
    .execute(&mut *conn)
    .await?;
    if added.rows_affected() == 0 {
        return Err(AppError::invalid("rating", "You have already reviewed this session.").into());
    }
    Ok(number.clone())
}

/// The review of an order's session, if its customer wrote one.
pub(crate) async fn review_of(conn: &mut PgConnection, order_id: Uuid) -> Result<Option<ReviewView>, Failure> {
    Ok(sqlx::query!(
        "SELECT r.rating, r.body, r.created_at, c.name FROM reviews r JOIN bookings b ON b.id = r.booking_id
         JOIN users c ON c.id = r.customer_id WHERE b.order_id = $1",
        order_id
    )
    .fetch_optional(conn)
    .await?
    .map(|r| ReviewView { rating: r.rating, body: r.body, by: first_name(&r.name), at: from_db(r.created_at) }))
}

/// How reviews name their author: the first name only.
fn first_name(name: &str) -> String {
    name.split_whitespace().next().unwrap_or("A customer").to_owned()
}

/// A practitioner's average rating, how many reviews it rests on, and the latest ones.
pub async fn summary(state: &AppState, practitioner: Uuid) -> Result<ReviewSummary, Failure> {
    let totals = sqlx::query!(
        r#"SELECT count(*) AS "count!", round(avg(rating) * 10)::bigint AS average_tenths
           FROM reviews WHERE practitioner_id = $1"#,
        practitioner
    )
    .fetch_one(&state.pool)
    .await?;
    let latest = sqlx::query!(
        "SELECT r.rating, r.body, r.created_at, c.name FROM reviews r JOIN users c ON c.id = r.customer_id
         WHERE r.practitioner_id = $1 ORDER BY r.created_at DESC LIMIT 10",
        practitioner
    )
    .fetch_all(&state.pool)
    .await?
    .into_iter()
    .map(|r| ReviewView { rating: r.rating, body: r.body, by: first_name(&r.name), at: from_db(r.created_at) })
    .collect();
    Ok(ReviewSummary { count: totals.count, average_tenths: totals.average_tenths, latest })
}
