//! The pages of a service order: its checkout, and its order page with the history,
//! booking, documents and messages; and who may reach an order, and as whom.

use super::{Facts, Visitor, lock, lock_own};
use crate::domain::access::Grant;
use crate::domain::checkout::covering_pack;
use crate::domain::orders::OrderStatus;
use crate::domain::types::{CheckoutView, OrderRole, PractitionerSummary, ServiceOrderView, TimelineEntry};
use crate::domain::{AppError, OrderNumber};
use crate::server::clock::from_db;
use crate::server::error::Failure;
use crate::server::orders;
use crate::server::packages;
use crate::server::state::AppState;
use sqlx::PgConnection;
use uuid::Uuid;

/// The checkout of one of the visitor's service orders.
pub async fn view(state: &AppState, visitor: &Visitor, number: &OrderNumber) -> Result<CheckoutView, Failure> {
    // Outside a transaction the row lock lasts only for its statement: a page waits for
    // a step being saved, and holds nothing while it renders.
    let mut conn = state.pool.acquire().await?;
    let order = lock_own(&mut conn, visitor, number).await?;
    let row = orders::find_in(&mut conn, &order.number).await?.ok_or(AppError::NotFound)?;
    let practitioner = order_practitioner(&mut conn, order.practitioner_id).await?;
    let zone = reader_zone(visitor);
    let slot = crate::server::booking::time_of(&mut conn, order.id, &zone).await?;
    drop(conn);
    let signed_in = visitor.user.as_ref().is_some_and(|u| u.id == order.user_id);
    let balance = if signed_in {
        Some(crate::server::credits::spendable(&state.pool, order.user_id, state.clock.now()).await?)
    } else {
        None
    };
    let mut view = CheckoutView {
        number: order.number.clone(),
        status: order.status()?,
        title: order.title.clone(),
        service_slug: order.service_slug.clone(),
        delivery: crate::domain::catalog::Delivery::parse(&order.delivery)
            .ok_or_else(|| Failure::bug("a stored delivery"))?,
        practitioner,
        price: row.price()?,
        questions: order.questions()?,
        answers: order.answers()?,
        name: order.contact_name.clone().unwrap_or_default(),
        email: order.contact_email.clone().unwrap_or_default(),
        completed: order.step,
        expires_at: from_db(order.expires_at),
        balance,
        signed_in,
        offer: None,
        slot,
    };
    if let (Some(short), true) = (view.shortfall(), signed_in) {
        let packs = packages::on_sale(state).await?;
        view.offer = covering_pack(&packs, short).cloned();
    }
    Ok(view)
}

/// The zone an order's page shows times in: the signed-in reader's, else (a guest) the
/// one they chose their time in, or UTC.
pub(in crate::server) fn reader_zone(visitor: &Visitor) -> crate::domain::TimeZone {
    match &visitor.user {
        Some(u) => u.time_zone.clone(),
        None => visitor.guest_zone.clone().unwrap_or_else(crate::domain::TimeZone::utc),
    }
}

/// How an order names its practitioner, whether or not they are still live.
async fn order_practitioner(conn: &mut PgConnection, user_id: Uuid) -> Result<PractitionerSummary, Failure> {
    let p = sqlx::query!(
        r#"SELECT COALESCE(p.slug, '') AS "slug!", u.name, COALESCE(p.headline, '') AS "headline!",
                  COALESCE(p.practice_type, '') AS "practice_type!"
           FROM users u LEFT JOIN practitioner_profiles p ON p.user_id = u.id WHERE u.id = $1"#,
        user_id
    )
    .fetch_one(conn)
    .await?;
    Ok(PractitionerSummary {
        slug: p.slug,
        name: p.name,
        headline: p.headline,
        practice_type: p.practice_type,
        photo: None,
    })
}

/// A service order as the visitor may reach it, and who they are to it.
pub(crate) struct Access {
    pub(crate) id: Uuid,
    pub(crate) number: OrderNumber,
    pub(crate) customer_id: Uuid,
    pub(crate) practitioner_id: Uuid,
    pub(crate) title: String,
    pub(crate) status: OrderStatus,
    pub(crate) role: OrderRole,
}

impl Access {
    /// The person acting: the customer's account for a guest, else the signed-in user.
    pub(crate) fn actor(&self, visitor: &Visitor) -> Uuid {
        acting_user(self.role, visitor, self.customer_id)
    }

    /// The other side of the thread from the actor: the practitioner for the customer,
    /// the customer for anyone else.
    pub(crate) fn other_side(&self) -> Uuid {
        if self.role == OrderRole::Customer { self.practitioner_id } else { self.customer_id }
    }

    /// Whether files and messages can be exchanged yet: once the order is paid.
    pub(crate) fn is_open_for_exchange(&self) -> bool {
        self.status.was_paid()
    }
}

/// Who acts on an order for a visitor in `role`: the customer's account for its
/// customer (a guest included), else the signed-in user.
fn acting_user(role: OrderRole, visitor: &Visitor, customer_id: Uuid) -> Uuid {
    match (role, &visitor.user) {
        (OrderRole::Customer, _) | (_, None) => customer_id,
        (_, Some(u)) => u.id,
    }
}

/// The service order `number` as the visitor may reach it (locked when `lock`), or not
/// found when it is not theirs to see.
pub(crate) async fn access(
    conn: &mut PgConnection,
    visitor: &Visitor,
    number: &OrderNumber,
) -> Result<Access, Failure> {
    let order = lock(conn, number).await?.ok_or(AppError::NotFound)?;
    let role = role_of(visitor, &order).ok_or(AppError::NotFound)?;
    Ok(Access {
        id: order.id,
        number: order.number.clone(),
        customer_id: order.user_id,
        practitioner_id: order.practitioner_id,
        title: order.title.clone(),
        status: order.status()?,
        role,
    })
}

/// Whose order this is to `user`: its customer, its practitioner, an admin, or no one
/// (then it does not exist for them).
fn role_of(visitor: &Visitor, order: &Facts) -> Option<OrderRole> {
    let user = visitor.user.as_ref();
    if visitor.holds(order.user_id, &order.number) {
        Some(OrderRole::Customer)
    } else if user.is_some_and(|u| u.id == order.practitioner_id) {
        Some(OrderRole::Practitioner)
    } else {
        match crate::domain::access::owner_or_admin(user, order.user_id) {
            Ok(Grant::Owner) => Some(OrderRole::Customer),
            Ok(Grant::Admin) => Some(OrderRole::Admin),
            Err(_) => None,
        }
    }
}

/// A service order's page. A card payment still awaited is first checked with the
/// provider, so the page shows the truth even before the event arrives.
pub async fn order_page(
    state: &AppState,
    visitor: &Visitor,
    number: &OrderNumber,
) -> Result<ServiceOrderView, Failure> {
    // Read outside a transaction, as `view` is: nothing stays locked while the page renders.
    let mut conn = state.pool.acquire().await?;
    let order = lock(&mut conn, number).await?.ok_or(AppError::NotFound)?;
    role_of(visitor, &order).ok_or(AppError::NotFound)?;
    if matches!(order.status()?, OrderStatus::PendingPayment | OrderStatus::PaymentFailed) {
        orders::confirm_with_provider(state, number).await?;
    }
    let order = lock(&mut conn, number).await?.ok_or(AppError::NotFound)?;
    let viewer = role_of(visitor, &order).ok_or(AppError::NotFound)?;
    let row = orders::find_in(&mut conn, number).await?.ok_or(AppError::NotFound)?;
    let practitioner = order_practitioner(&mut conn, order.practitioner_id).await?;
    let customer_name = match &order.contact_name {
        Some(n) => n.clone(),
        None => {
            sqlx::query_scalar!("SELECT name FROM users WHERE id = $1", order.user_id).fetch_one(&mut *conn).await?
        }
    };
    let timeline = sqlx::query!(
        r#"SELECT t.at, t.to_status, t.reason, u.name AS "by?"
           FROM order_transitions t LEFT JOIN users u ON u.id = t.actor_id
           WHERE t.order_id = $1 ORDER BY t.id"#,
        order.id
    )
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|t| {
        Ok(TimelineEntry {
            at: from_db(t.at),
            status: OrderStatus::parse(&t.to_status)
                .ok_or_else(|| Failure::bug("a transition to an unknown status"))?,
            note: t.reason,
            by: t.by,
        })
    })
    .collect::<Result<Vec<_>, Failure>>()?;
    let reader = acting_user(viewer, visitor, order.user_id);
    let zone = reader_zone(visitor);
    let booking = crate::server::booking::panel(&mut conn, state, &row, viewer, &zone).await?;
    let documents = crate::server::exchange::documents(&mut conn, order.id).await?;
    let messages = crate::server::exchange::thread(&mut conn, order.id, reader, viewer != OrderRole::Admin).await?;
    drop(conn);
    let status = order.status()?;
    Ok(ServiceOrderView {
        order: row.view()?,
        viewer,
        service_slug: order.service_slug.clone(),
        practitioner,
        customer_name,
        questions: order.questions()?,
        answers: order.answers()?,
        timeline,
        documents,
        messages,
        can_write: viewer != OrderRole::Admin && status.was_paid(),
        booking,
    })
}
