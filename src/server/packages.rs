//! Credit packages: what admins define and customers buy.

use crate::domain::orders::PackageDraft;
use crate::domain::types::CreditPackage;
use crate::domain::{AppError, Currency};
use crate::server::capability::Admin;
use crate::server::error::Failure;
use crate::server::state::AppState;
use uuid::Uuid;

struct Row {
    id: Uuid,
    name: String,
    credits: i64,
    bonus_credits: i64,
    price_minor: i64,
    currency: String,
    active: bool,
    position: i32,
    badge: Option<String>,
    validity_days: Option<i32>,
}

impl TryFrom<Row> for CreditPackage {
    type Error = Failure;
    fn try_from(r: Row) -> Result<Self, Failure> {
        let currency = Currency::parse(&r.currency).map_err(|_| Failure::bug("a package in an unknown currency"))?;
        Ok(CreditPackage {
            id: r.id,
            draft: PackageDraft {
                name: r.name,
                credits: r.credits,
                bonus_credits: r.bonus_credits,
                price_minor: r.price_minor,
                currency,
                active: r.active,
                position: r.position,
                badge: r.badge,
                validity_days: r.validity_days,
            },
        })
    }
}

/// The packages on sale, in the order admins set (then cheapest first).
pub async fn on_sale(state: &AppState) -> Result<Vec<CreditPackage>, Failure> {
    sqlx::query_as!(
        Row,
        "SELECT id, name, credits, bonus_credits, price_minor, currency, active, position, badge, validity_days
         FROM credit_packages WHERE active ORDER BY position, price_minor, name"
    )
    .fetch_all(&state.pool)
    .await?
    .into_iter()
    .map(CreditPackage::try_from)
    .collect()
}

/// Every package, on sale or not, for the admin panel.
pub async fn all(state: &AppState, _: &Admin) -> Result<Vec<CreditPackage>, Failure> {
    sqlx::query_as!(
        Row,
        "SELECT id, name, credits, bonus_credits, price_minor, currency, active, position, badge, validity_days
         FROM credit_packages ORDER BY active DESC, position, price_minor, name"
    )
    .fetch_all(&state.pool)
    .await?
    .into_iter()
    .map(CreditPackage::try_from)
    .collect()
}

pub async fn get(conn: &mut sqlx::PgConnection, id: Uuid) -> Result<Option<CreditPackage>, Failure> {
    sqlx::query_as!(
        Row,
        "SELECT id, name, credits, bonus_credits, price_minor, currency, active, position, badge, validity_days
         FROM credit_packages WHERE id = $1",
        id
    )
    .fetch_optional(conn)
    .await?
    .map(CreditPackage::try_from)
    .transpose()
}

/// Creates a package (`id` None) or replaces one's fields, recording who did it.
#[tracing::instrument(skip_all, fields(actor = %actor.code, package = ?id))]
pub async fn save(state: &AppState, actor: &Admin, id: Option<Uuid>, d: &PackageDraft) -> Result<Uuid, Failure> {
    let now = state.clock.now_db();
    let mut tx = state.pool.begin().await?;
    // One statement for both: with no id it inserts, with one it updates that package
    // (and finds nothing when there is no such package).
    let saved = sqlx::query_scalar!(
        r#"WITH changed AS (
               UPDATE credit_packages SET name = $2, credits = $3, bonus_credits = $4, price_minor = $5, currency = $6,
                      active = $7, position = $8, badge = $9, validity_days = $10, updated_at = $11
               WHERE id = $1 RETURNING id),
           added AS (
               INSERT INTO credit_packages (name, credits, bonus_credits, price_minor, currency, active, position, badge,
                                            validity_days, created_at, updated_at)
               SELECT $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11 WHERE $1::uuid IS NULL RETURNING id)
           SELECT id AS "id!" FROM changed UNION ALL SELECT id FROM added"#,
        id,
        d.name,
        d.credits,
        d.bonus_credits,
        d.price_minor,
        d.currency.code(),
        d.active,
        d.position,
        d.badge,
        d.validity_days,
        now
    )
    .fetch_optional(&mut *tx)
    .await?;
    let saved = saved.ok_or(AppError::NotFound)?;
    let action = if id.is_some() { "package.updated" } else { "package.created" };
    crate::server::audit::record(&mut tx, actor.id, action, saved, d).await?;
    tx.commit().await?;
    tracing::info!(%saved, "package saved");
    Ok(saved)
}
