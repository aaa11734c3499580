//! The checkout for a service and the order it makes. A draft order is written at the
//! first step and saved at each one, so leaving and coming back (on any device when
//! signed in; in the same browser for a guest, whose drafts are kept in their session)
//! resumes where the customer stopped. Paying in credits spends them in the same
//! transaction that marks the order paid; paying by card goes through the provider and
//! `orders::fulfil`, as for credit packs. After payment the practitioner accepts the
//! order and completes it; every move is in the order's history.
//!
//! The steps of a draft are in `draft`, paying for it in `pay`, the checkout and order
//! pages (and who may reach an order) in `page`, the practitioner's and the admins'
//! moves in `work`, and the lists of orders and earnings in `lists`.

mod draft;
mod lists;
mod page;
mod pay;
mod work;

pub use draft::{Chosen, Saved, Started, Target, save_answers, save_details, start};
pub use lists::{earnings, list};
pub(super) use page::reader_zone;
pub(crate) use page::{Access, access};
pub use page::{order_page, view};
pub(super) use pay::paid;
pub use pay::pay;
pub use work::{Work, reassign, work};

use crate::domain::catalog::Question;
use crate::domain::orders::OrderStatus;
use crate::domain::types::SessionUser;
use crate::domain::{AppError, OrderNumber};
use crate::server::clock::from_db;
use crate::server::error::Failure;
use crate::server::state::AppState;
use jiff::{SignedDuration, Timestamp};
use sqlx::PgConnection;
use std::collections::BTreeMap;
use uuid::Uuid;

/// The session key under which a guest's draft orders are kept.
pub const GUEST_ORDERS: &str = "checkout.guest_orders";
/// The session key of the zone a guest chose their time in: the zone their pages show.
pub const GUEST_ZONE: &str = "checkout.guest_zone";
/// How long the link to choose a password, sent to an account made at checkout, works.
pub const SET_PASSWORD_LINK: SignedDuration = SignedDuration::from_hours(72);

/// Who is at the checkout: the signed-in person, if any, and the orders this browser
/// started as a guest.
#[derive(Debug, Clone, Default)]
pub struct Visitor {
    pub user: Option<SessionUser>,
    pub guest_orders: Vec<String>,
    /// For a guest, the zone they chose a time in (never the account's, which may be a
    /// stranger's to them).
    pub guest_zone: Option<crate::domain::TimeZone>,
}

impl Visitor {
    /// The visitor of a request: who is signed in, and the guest orders in its session.
    pub async fn of(state: &AppState, session: &tower_sessions::Session) -> Result<Visitor, Failure> {
        let user = crate::server::sessions::load_user(state, session).await?;
        let guest_orders = session
            .get::<Vec<String>>(GUEST_ORDERS)
            .await
            .map_err(|e| Failure::bug(format!("reading the session: {e}")))?
            .unwrap_or_default();
        let guest_zone = session
            .get::<String>(GUEST_ZONE)
            .await
            .map_err(|e| Failure::bug(format!("reading the session: {e}")))?
            .and_then(|z| crate::domain::TimeZone::parse(&z).ok());
        Ok(Visitor { user, guest_orders, guest_zone })
    }

    fn holds(&self, user_id: Uuid, number: &OrderNumber) -> bool {
        self.user.as_ref().is_some_and(|u| u.id == user_id) || self.guest_orders.iter().any(|n| n == number.as_str())
    }
}

/// A service order's own columns beside the ones every order has.
struct Facts {
    id: Uuid,
    number: OrderNumber,
    user_id: Uuid,
    practitioner_id: Uuid,
    service_slug: String,
    delivery: String,
    title: String,
    status: String,
    step: i16,
    questions: serde_json::Value,
    answers: serde_json::Value,
    contact_name: Option<String>,
    contact_email: Option<String>,
    expires_at: time::OffsetDateTime,
}

impl Facts {
    fn status(&self) -> Result<OrderStatus, Failure> {
        OrderStatus::parse(&self.status).ok_or_else(|| Failure::bug("an order in an unknown status"))
    }

    fn questions(&self) -> Result<Vec<Question>, Failure> {
        serde_json::from_value(self.questions.clone()).map_err(|e| Failure::bug(format!("an order's questions: {e}")))
    }

    fn answers(&self) -> Result<BTreeMap<String, String>, Failure> {
        serde_json::from_value(self.answers.clone()).map_err(|e| Failure::bug(format!("an order's answers: {e}")))
    }
}

/// The order's checkout facts, locked until the caller's transaction ends: every step
/// and every payment of one order happen one after another.
async fn lock(conn: &mut PgConnection, number: &OrderNumber) -> Result<Option<Facts>, Failure> {
    Ok(sqlx::query_as!(
        Facts,
        r#"SELECT o.id, o.number AS "number: crate::domain::OrderNumber", o.user_id,
                  o.practitioner_id AS "practitioner_id!", s.slug AS service_slug, s.delivery, o.item_name AS title,
                  o.status, o.step, o.questions AS "questions!",
                  o.answers, o.contact_name, o.contact_email, o.expires_at
           FROM orders o JOIN services s ON s.id = o.service_id
           WHERE o.number = $1 AND o.kind = 'service' FOR UPDATE OF o"#,
        number.as_str()
    )
    .fetch_optional(conn)
    .await?)
}

/// A draft (or unpaid order) the visitor may fill in and pay; anyone else is told it
/// does not exist.
async fn lock_own(conn: &mut PgConnection, visitor: &Visitor, number: &OrderNumber) -> Result<Facts, Failure> {
    let order = lock(conn, number).await?.ok_or(AppError::NotFound)?;
    if !visitor.holds(order.user_id, &order.number) {
        return Err(AppError::NotFound.into());
    }
    Ok(order)
}

const EXPIRED: &str = "This order was not paid within 24 hours and has expired. Start again from the service's page.";

/// Why an order that ended (expired, cancelled or paid) can no longer change; `None`
/// while it may still be paid for.
fn ended(status: OrderStatus) -> Option<&'static str> {
    match status {
        OrderStatus::Expired => Some(EXPIRED),
        OrderStatus::Cancelled => Some("This order was cancelled. Start again from the service's page."),
        s if s.was_paid() => Some("This order is already paid; its answers can no longer change."),
        _ => None,
    }
}

/// Refuses a change to an order that has left the draft (or has expired).
fn still_open(order: &Facts, now: Timestamp) -> Result<(), Failure> {
    let status = order.status()?;
    if status == OrderStatus::Draft && from_db(order.expires_at) > now {
        return Ok(());
    }
    let why = ended(status).unwrap_or(match status {
        OrderStatus::Draft => EXPIRED,
        _ => "This order is waiting for its card payment; its answers can no longer change.",
    });
    Err(AppError::invalid("order", why).into())
}

fn page_of(number: &OrderNumber) -> String {
    format!("/orders/{number}")
}
