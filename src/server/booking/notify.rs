//! The emails that tell both sides of a session it was cancelled or moved.

use super::Locked;
use crate::domain::booking::Side;
use crate::domain::datetime::{self, Style};
use crate::server::email::{self, templates};
use crate::server::error::Failure;
use crate::server::state::AppState;
use jiff::Timestamp;
use sqlx::PgConnection;

/// Which email a change sends.
pub(super) enum Notice<'a> {
    Cancelled { by: Side, refund: &'a str },
    Moved { by: Side },
}

/// Tells both sides, each in their own zone.
pub(super) async fn notify(
    conn: &mut PgConnection,
    state: &AppState,
    b: &Locked,
    notice: Notice<'_>,
    now: Timestamp,
) -> Result<(), Failure> {
    let parties = crate::server::parties::of_order(conn, b.order_id).await?;
    let url = format!("{}/orders/{}", state.config.public_url, b.number);
    for (to, _) in parties.each() {
        let Some(address) = to.email.as_deref() else { continue };
        let when = datetime::show(b.starts_at, &to.zone, Style::DateTime);
        let facts = templates::ServiceOrderFacts {
            name: &to.name,
            number: &b.number,
            service: &b.title,
            paid: String::new(),
            url: url.clone(),
        };
        let mail = match &notice {
            Notice::Cancelled { by, refund } => templates::booking_cancelled(&facts, &when, by.as_str(), refund),
            Notice::Moved { by } => templates::booking_moved(&facts, &when, by.as_str()),
        };
        let mail = crate::server::calendar::with_session_file(conn, state, b.order_id, to.id, mail).await?;
        email::enqueue(conn, Some(to.id), address, &mail, now).await?;
    }
    Ok(())
}
