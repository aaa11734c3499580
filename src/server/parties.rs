//! Who the two sides of a service order are and how each is reached, by one rule that
//! every email about the order (paid, booked, moved, cancelled, reminded, messaged,
//! refunded) and every page showing the other side's time follows:
//!
//! - the customer by the name and email given at checkout (their account's when none
//!   was given), in their account's time zone;
//! - the practitioner by their account's name and email, in the time zone their
//!   availability is kept in (their account's before they have set any).

use crate::domain::TimeZone;
use crate::server::accounts::zone_of;
use crate::server::error::Failure;
use sqlx::PgConnection;
use uuid::Uuid;

/// One side of an order.
#[derive(Debug, Clone)]
pub struct Party {
    pub id: Uuid,
    pub name: String,
    /// `None` once an account was deleted, or for a practitioner who signed in by phone
    /// and has given none: they are not emailed.
    pub email: Option<String>,
    pub zone: TimeZone,
}

/// Both sides of a service order.
#[derive(Debug, Clone)]
pub struct Parties {
    pub customer: Party,
    pub practitioner: Party,
}

impl Parties {
    /// Each side with the other: what an email to both sides goes through.
    pub fn each(&self) -> [(&Party, &Party); 2] {
        [(&self.customer, &self.practitioner), (&self.practitioner, &self.customer)]
    }
}

/// The parties of service order `order_id`.
pub async fn of_order(conn: &mut PgConnection, order_id: Uuid) -> Result<Parties, Failure> {
    let r = sqlx::query!(
        r#"SELECT c.id AS customer_id, COALESCE(o.contact_name, c.name) AS "customer_name!",
                  COALESCE(o.contact_email, c.email) AS customer_email, c.time_zone AS customer_zone,
                  p.id AS practitioner_id, p.name AS practitioner_name, p.email AS practitioner_email,
                  COALESCE((SELECT a.time_zone FROM availability a WHERE a.practitioner_id = p.id), p.time_zone)
                    AS "practitioner_zone!"
           FROM orders o JOIN users c ON c.id = o.user_id JOIN users p ON p.id = o.practitioner_id
           WHERE o.id = $1"#,
        order_id
    )
    .fetch_optional(conn)
    .await?
    .ok_or_else(|| Failure::bug("the parties of an order that is not a service order"))?;
    Ok(Parties {
        customer: Party {
            id: r.customer_id,
            name: r.customer_name,
            email: r.customer_email,
            zone: zone_of(&r.customer_zone),
        },
        practitioner: Party {
            id: r.practitioner_id,
            name: r.practitioner_name,
            email: r.practitioner_email,
            zone: zone_of(&r.practitioner_zone),
        },
    })
}
