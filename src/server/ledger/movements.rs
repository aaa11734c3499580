//! Granting credit into a new lot, spending it (through `ledger_spend`), and an admin's
//! adjustment, which does one or the other.

use super::wallet::{lock_wallet, open, replay};
use super::{Kind, Movement, Posted};
use crate::domain::ledger::LotSource;
use crate::domain::{AppError, Credits};
use crate::server::clock::to_db;
use crate::server::error::Failure;
use jiff::Timestamp;
use sqlx::PgConnection;
use uuid::Uuid;

/// Adds a lot of `credits` to the user's wallet, drawn from the platform's paid or
/// promotional issue account.
#[tracing::instrument(skip_all, fields(kind = m.kind.as_str(), credits = credits.get()))]
pub async fn grant(
    conn: &mut PgConnection,
    user_id: Uuid,
    credits: Credits,
    source: LotSource,
    expires_at: Option<Timestamp>,
    m: &Movement<'_>,
) -> Result<Posted, Failure> {
    let issuer = match source {
        LotSource::Paid => "issued_paid",
        LotSource::Promotional => "issued_promotional",
    };
    grant_from(conn, user_id, credits, source, expires_at, issuer, m).await
}

/// An admin's correction: a positive `delta` grants promotional credit that does not
/// expire, a negative one takes credit as a spend would; both against the platform's
/// adjustments account. The movement's reason is mandatory.
#[tracing::instrument(skip_all, fields(delta))]
pub async fn adjust(conn: &mut PgConnection, user_id: Uuid, delta: i64, m: &Movement<'_>) -> Result<Posted, Failure> {
    if m.kind != Kind::Adjustment || m.reason.is_none() || m.actor.is_none() {
        return Err(Failure::bug("an adjustment needs its kind, an actor and a reason"));
    }
    let credits = Credits::new(delta.checked_abs().unwrap_or(i64::MAX))
        .map_err(|_| AppError::invalid("delta", "Enter a whole number of credits."))?;
    if delta > 0 {
        grant_from(conn, user_id, credits, LotSource::Promotional, None, "adjustments", m).await
    } else {
        spend_to(conn, user_id, credits, "adjustments", m).await
    }
}

async fn grant_from(
    conn: &mut PgConnection,
    user_id: Uuid,
    credits: Credits,
    source: LotSource,
    expires_at: Option<Timestamp>,
    counter: &str,
    m: &Movement<'_>,
) -> Result<Posted, Failure> {
    if credits.get() == 0 {
        return Err(AppError::Invalid(crate::domain::FieldError::new("credits", "Grant at least one credit.")).into());
    }
    let Some(transaction_id) = open(conn, m).await? else {
        return replay(conn, m, user_id, credits.get()).await;
    };
    let wallet = lock_wallet(conn, user_id).await?;
    // Everything ever granted to the wallet stays within a bigint, and so does what its
    // lots hold, whatever comes back to them: past that, the cast fails and nothing moves.
    let lot = sqlx::query_scalar!(
        "INSERT INTO credit_lots (account_id, source, granted, remaining, expires_at, transaction_id)
         SELECT $1::bigint, $2::text::credit_source, $3::bigint, $3::bigint, $4::timestamptz, $5::bigint
          WHERE ((SELECT COALESCE(sum(granted), 0) FROM credit_lots WHERE account_id = $1) + $3)::bigint IS NOT NULL
         RETURNING id",
        wallet,
        source.as_str(),
        credits.get(),
        expires_at.map(to_db),
        transaction_id,
    )
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query!(
        "INSERT INTO ledger_transfers (transaction_id, wallet, lot, platform, change)
         VALUES ($1, $2, $3, $5::text::ledger_platform, $4::bigint)",
        transaction_id,
        wallet,
        lot,
        credits.get(),
        counter,
    )
    .execute(&mut *conn)
    .await?;
    Ok(Posted { transaction_id, replayed: false })
}

/// Takes `credits` from the user's wallet: promotional lots first, then the soonest to
/// expire, never expired credit. Not enough spendable credit is
/// `AppError::InsufficientCredits` with the shortfall, and nothing moves.
#[tracing::instrument(skip_all, fields(kind = m.kind.as_str(), credits = credits.get()))]
pub async fn spend(
    conn: &mut PgConnection,
    user_id: Uuid,
    credits: Credits,
    m: &Movement<'_>,
) -> Result<Posted, Failure> {
    spend_to(conn, user_id, credits, "spent", m).await
}

async fn spend_to(
    conn: &mut PgConnection,
    user_id: Uuid,
    credits: Credits,
    counter: &str,
    m: &Movement<'_>,
) -> Result<Posted, Failure> {
    if credits.get() == 0 {
        return Err(AppError::Invalid(crate::domain::FieldError::new("credits", "Spend at least one credit.")).into());
    }
    // One round trip: `ledger_spend` (migrations) locks the wallet, takes the credit from
    // the first lot in `allocate`'s order when it holds enough, or else from the lots in
    // that order; it answers a repeated key, and posts one transfer per lot.
    let r = sqlx::query!(
        r#"SELECT o_outcome AS "outcome!", o_transaction_id AS transaction_id,
                  o_available AS available, o_first_kind AS first_kind, o_first_change AS first_change
           FROM ledger_spend($1, $2, $3, $4, $5, $6, $7, $8, $9)"#,
        user_id,
        credits.get(),
        counter,
        m.kind.as_str(),
        m.key,
        m.actor,
        m.reference,
        m.reason,
        to_db(m.at),
    )
    .fetch_one(&mut *conn)
    .await?;
    let transaction_id = || r.transaction_id.ok_or_else(|| Failure::bug("ledger_spend returned no transaction"));
    match r.outcome.as_str() {
        "posted" => Ok(Posted { transaction_id: transaction_id()?, replayed: false }),
        "short" => {
            Err(AppError::InsufficientCredits { available: r.available.unwrap_or(0), needed: credits.get() }.into())
        }
        "replayed" => {
            if r.first_kind.as_deref() != Some(m.kind.as_str()) || r.first_change != Some(-credits.get()) {
                return Err(AppError::Conflict.into());
            }
            Ok(Posted { transaction_id: transaction_id()?, replayed: true })
        }
        other => Err(Failure::bug(format!("ledger_spend answered {other:?}"))),
    }
}
