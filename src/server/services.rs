//! Practitioners' services: their own list and editor, the public service page, and the
//! rows every other surface reads prices from. A service's price is read in one place
//! (`Row::into_view`, through `Price::new`), so no page can show another amount.

use crate::domain::catalog::{
    self, Delivery, MAX_QUESTIONS, Price, Question, QuestionForm, ServiceDraft, ServiceStatus,
};
use crate::domain::types::{PractitionerSummary, ServicePage, ServiceView};
use crate::domain::{AppError, Currency, Money};
use crate::server::audit;
use crate::server::capability::LivePractitioner;
use crate::server::error::Failure;
use crate::server::state::AppState;
use sqlx::PgConnection;
use uuid::Uuid;

/// The columns of a service with its type, as every query below selects them.
const COLUMNS: &str = "s.id, s.slug, s.title, t.slug AS type_slug, t.name AS type_name, s.description, s.delivery,
       s.duration_minutes, s.price_credits, s.price_minor, s.currency, s.questions, s.status, s.practitioner_id";

#[derive(sqlx::FromRow)]
pub(crate) struct Row {
    id: Uuid,
    slug: String,
    title: String,
    type_slug: String,
    type_name: String,
    description: String,
    delivery: String,
    duration_minutes: Option<i32>,
    price_credits: Option<i64>,
    price_minor: Option<i64>,
    currency: Option<String>,
    questions: serde_json::Value,
    status: String,
    pub(crate) practitioner_id: Uuid,
}

/// A price as services and orders store it (credits; card amount and currency), read
/// into the one `Price` every page writes out. Every stored price is read here.
pub(crate) fn stored_price(credits: Option<i64>, minor: Option<i64>, currency: Option<&str>) -> Result<Price, Failure> {
    let card = match (minor, currency) {
        (Some(minor), Some(code)) => Some(Money::from_minor(
            minor,
            Currency::parse(code).map_err(|_| Failure::bug("a price in an unknown currency"))?,
        )),
        (None, None) => None,
        _ => return Err(Failure::bug("a card price without its currency")),
    };
    Price::new(credits, card).map_err(|e| Failure::bug(format!("a stored price: {}", e.message)))
}

impl Row {
    pub(crate) fn into_view(self) -> Result<ServiceView, Failure> {
        let price = stored_price(self.price_credits, self.price_minor, self.currency.as_deref())?;
        Ok(ServiceView {
            id: self.id,
            slug: self.slug,
            title: self.title,
            type_slug: self.type_slug,
            type_name: self.type_name,
            description: self.description,
            delivery: Delivery::parse(&self.delivery).ok_or_else(|| Failure::bug("a stored delivery"))?,
            duration_minutes: self.duration_minutes,
            price,
            questions: serde_json::from_value(self.questions)
                .map_err(|e| Failure::bug(format!("stored questions: {e}")))?,
            status: ServiceStatus::parse(&self.status).ok_or_else(|| Failure::bug("a stored service status"))?,
        })
    }
}

fn views(rows: Vec<Row>) -> Result<Vec<ServiceView>, Failure> {
    rows.into_iter().map(Row::into_view).collect()
}

/// Published services of the given practitioners, in the order they list them.
pub(crate) async fn published_of(conn: &mut PgConnection, practitioners: &[Uuid]) -> Result<Vec<Row>, Failure> {
    Ok(sqlx::query_as::<_, Row>(&format!(
        "SELECT {COLUMNS} FROM services s JOIN service_types t ON t.id = s.type_id
         WHERE s.practitioner_id = ANY($1) AND s.status = 'active' AND t.active
         ORDER BY s.created_at, s.id"
    ))
    .bind(practitioners)
    .fetch_all(conn)
    .await?)
}

/// The practitioner's services that are not archived (or only the archived ones).
pub async fn own(state: &AppState, user: &LivePractitioner, archived: bool) -> Result<Vec<ServiceView>, Failure> {
    let rows = sqlx::query_as::<_, Row>(&format!(
        "SELECT {COLUMNS} FROM services s JOIN service_types t ON t.id = s.type_id
         WHERE s.practitioner_id = $1 AND (s.status = 'archived') = $2 ORDER BY s.created_at, s.id"
    ))
    .bind(user.id)
    .bind(archived)
    .fetch_all(&state.pool)
    .await?;
    views(rows)
}

/// One of the practitioner's own services; another's is not found.
pub async fn one_own(state: &AppState, user: &LivePractitioner, id: Uuid) -> Result<ServiceView, Failure> {
    let mut conn = state.pool.acquire().await?;
    own_row(&mut conn, user.id, id, false).await?.into_view()
}

async fn own_row(conn: &mut PgConnection, owner: Uuid, id: Uuid, lock: bool) -> Result<Row, Failure> {
    let lock = if lock { "FOR UPDATE OF s" } else { "" };
    sqlx::query_as::<_, Row>(&format!(
        "SELECT {COLUMNS} FROM services s JOIN service_types t ON t.id = s.type_id
         WHERE s.id = $1 AND s.practitioner_id = $2 {lock}"
    ))
    .bind(id)
    .bind(owner)
    .fetch_optional(conn)
    .await?
    .ok_or_else(|| AppError::NotFound.into())
}

async fn active_type(conn: &mut PgConnection, slug: &str) -> Result<Uuid, Failure> {
    sqlx::query_scalar!("SELECT id FROM service_types WHERE slug = $1 AND active", slug)
        .fetch_optional(conn)
        .await?
        .ok_or_else(|| AppError::invalid("service_type", "Choose one of the listed service types.").into())
}

/// A price as its three columns: credits, card price in minor units, currency.
fn price_columns(p: &Price) -> (Option<i64>, Option<i64>, Option<&'static str>) {
    (p.credits.map(|c| c.get()), p.card.map(|m| m.minor()), p.card.map(|m| m.currency().code()))
}

/// Publishes a new service (or keeps it paused) and returns its id.
#[tracing::instrument(skip_all, fields(practitioner = %user.code))]
pub async fn create(
    state: &AppState,
    user: &LivePractitioner,
    d: &ServiceDraft,
    publish: bool,
) -> Result<Uuid, Failure> {
    let now = state.clock.now_db();
    let mut tx = state.pool.begin().await?;
    let type_id = active_type(&mut tx, &d.type_slug).await?;
    let practitioner_slug = sqlx::query_scalar!(
        "SELECT slug FROM practitioner_profiles WHERE user_id = $1 AND onboarding_state = 'approved' FOR UPDATE",
        user.id
    )
    .fetch_optional(&mut *tx)
    .await?
    .flatten()
    .ok_or(AppError::OnboardingIncomplete)?;
    let base = catalog::service_slug(&practitioner_slug, &d.title);
    // The practitioner's row is locked, so two of their saves cannot pick the same
    // number; another practitioner's slugs start with their own address.
    let taken: Vec<String> =
        sqlx::query_scalar!("SELECT slug FROM services WHERE slug = $1 OR slug LIKE $1 || '-%'", base)
            .fetch_all(&mut *tx)
            .await?;
    let slug = (1..)
        .map(|n| if n == 1 { base.clone() } else { format!("{base}-{n}") })
        .find(|s| !taken.contains(s))
        .expect("an unused number");
    let status = if publish { ServiceStatus::Active } else { ServiceStatus::Paused };
    let (credits, card_minor, currency) = price_columns(&d.price);
    let id = sqlx::query_scalar!(
        "INSERT INTO services (practitioner_id, type_id, slug, title, description, delivery, duration_minutes,
                               price_credits, price_minor, currency, status, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) RETURNING id",
        user.id,
        type_id,
        slug,
        d.title,
        d.description,
        d.delivery.as_str(),
        d.duration_minutes,
        credits,
        card_minor,
        currency,
        status.as_str(),
        now
    )
    .fetch_one(&mut *tx)
    .await?;
    audit::record(&mut tx, user.id, "service.created", id, d).await?;
    tx.commit().await?;
    crate::server::catalog::catalog_changed(state).await;
    tracing::info!(%id, %slug, "service created");
    Ok(id)
}

/// Replaces a service's fields. Orders already placed keep their own copy of what they
/// bought, so nothing about them changes.
#[tracing::instrument(skip_all, fields(practitioner = %user.code, service = %id))]
pub async fn update(state: &AppState, user: &LivePractitioner, id: Uuid, d: &ServiceDraft) -> Result<(), Failure> {
    let now = state.clock.now_db();
    let mut tx = state.pool.begin().await?;
    own_row(&mut tx, user.id, id, true).await?;
    let type_id = active_type(&mut tx, &d.type_slug).await?;
    let (credits, card_minor, currency) = price_columns(&d.price);
    sqlx::query!(
        "UPDATE services SET type_id = $2, title = $3, description = $4, delivery = $5, duration_minutes = $6,
                price_credits = $7, price_minor = $8, currency = $9, updated_at = $10
         WHERE id = $1",
        id,
        type_id,
        d.title,
        d.description,
        d.delivery.as_str(),
        d.duration_minutes,
        credits,
        card_minor,
        currency,
        now
    )
    .execute(&mut *tx)
    .await?;
    audit::record(&mut tx, user.id, "service.updated", id, d).await?;
    tx.commit().await?;
    crate::server::catalog::catalog_changed(state).await;
    Ok(())
}

/// Publishes, pauses, archives or restores a service, along `ServiceStatus::can_move_to`.
pub async fn set_status(state: &AppState, user: &LivePractitioner, id: Uuid, to: ServiceStatus) -> Result<(), Failure> {
    let now = state.clock.now_db();
    let mut tx = state.pool.begin().await?;
    let row = own_row(&mut tx, user.id, id, true).await?;
    let from = ServiceStatus::parse(&row.status).ok_or_else(|| Failure::bug("a stored service status"))?;
    if from == to {
        return Ok(());
    }
    if !from.can_move_to(to) {
        return Err(AppError::invalid(
            "status",
            format!("A service that is {} cannot be {}.", from.label().to_lowercase(), to.label().to_lowercase()),
        )
        .into());
    }
    sqlx::query!("UPDATE services SET status = $2, updated_at = $3 WHERE id = $1", id, to.as_str(), now)
        .execute(&mut *tx)
        .await?;
    audit::record(
        &mut tx,
        user.id,
        "service.status",
        id,
        &serde_json::json!({ "from": from.as_str(), "to": to.as_str() }),
    )
    .await?;
    tx.commit().await?;
    crate::server::catalog::catalog_changed(state).await;
    Ok(())
}

/// Changes the intake questions under the service's lock, so two edits at once both
/// apply in turn; `change` refuses by field, and a refusal writes nothing.
async fn edit_questions(
    state: &AppState,
    user: &LivePractitioner,
    id: Uuid,
    action: &str,
    change: impl FnOnce(&mut Vec<Question>) -> Result<(), Failure>,
) -> Result<(), Failure> {
    let now = state.clock.now_db();
    let mut tx = state.pool.begin().await?;
    let mut questions = own_row(&mut tx, user.id, id, true).await?.into_view()?.questions;
    change(&mut questions)?;
    let json = serde_json::to_value(&questions).map_err(|e| Failure::bug(e.to_string()))?;
    sqlx::query!("UPDATE services SET questions = $2, updated_at = $3 WHERE id = $1", id, json, now)
        .execute(&mut *tx)
        .await?;
    audit::record(&mut tx, user.id, action, id, &json).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn add_question(
    state: &AppState,
    user: &LivePractitioner,
    id: Uuid,
    form: &QuestionForm,
) -> Result<(), Failure> {
    let question = form.parse(Uuid::new_v4())?;
    edit_questions(state, user, id, "service.question_added", |qs| {
        if qs.len() >= MAX_QUESTIONS {
            return Err(
                AppError::invalid("label", format!("A service can ask at most {MAX_QUESTIONS} questions.")).into()
            );
        }
        qs.push(question);
        Ok(())
    })
    .await
}

pub async fn remove_question(
    state: &AppState,
    user: &LivePractitioner,
    id: Uuid,
    question: Uuid,
) -> Result<(), Failure> {
    edit_questions(state, user, id, "service.question_removed", |qs| {
        let before = qs.len();
        qs.retain(|q| q.id != question);
        if qs.len() == before { Err(AppError::NotFound.into()) } else { Ok(()) }
    })
    .await
}

/// Moves a question one place up (or down).
pub async fn move_question(
    state: &AppState,
    user: &LivePractitioner,
    id: Uuid,
    question: Uuid,
    up: bool,
) -> Result<(), Failure> {
    edit_questions(state, user, id, "service.question_moved", |qs| {
        let at = qs.iter().position(|q| q.id == question).ok_or(AppError::NotFound)?;
        let to = if up { at.checked_sub(1) } else { Some(at + 1).filter(|&t| t < qs.len()) };
        if let Some(to) = to {
            qs.swap(at, to);
        }
        Ok(())
    })
    .await
}

/// The public page of a published service of a live practitioner; anything else
/// (paused, archived, a suspended practitioner, an inactive type) is not found.
pub async fn page(state: &AppState, slug: &str) -> Result<ServicePage, Failure> {
    let mut conn = state.pool.acquire().await?;
    let (service, owner, practitioner) = on_sale(&mut conn, slug).await?;
    let more = views(published_of(&mut conn, &[owner]).await?)?.into_iter().filter(|s| s.id != service.id).collect();
    Ok(ServicePage { service, practitioner, more })
}

/// A published service of a listed type whose practitioner is live, with its owner's id
/// and how its page names them; anything else is not found.
pub(crate) async fn on_sale(
    conn: &mut PgConnection,
    slug: &str,
) -> Result<(ServiceView, Uuid, PractitionerSummary), Failure> {
    let row = sqlx::query_as::<_, Row>(&format!(
        "SELECT {COLUMNS} FROM services s JOIN service_types t ON t.id = s.type_id
         WHERE s.slug = $1 AND s.status = 'active' AND t.active"
    ))
    .bind(slug)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(AppError::NotFound)?;
    let owner = row.practitioner_id;
    let practitioner = live_summary(conn, owner).await?.ok_or(AppError::NotFound)?;
    Ok((row.into_view()?, owner, practitioner))
}

/// How pages name a practitioner, while they are approved and their account active.
pub(crate) async fn live_summary(
    conn: &mut PgConnection,
    user_id: Uuid,
) -> Result<Option<PractitionerSummary>, Failure> {
    Ok(sqlx::query!(
        r#"SELECT p.slug AS "slug!", u.name, p.headline AS "headline!", p.practice_type AS "practice_type!",
                  (SELECT id FROM practitioner_uploads f WHERE f.user_id = p.user_id AND f.kind = 'photo') AS photo
           FROM practitioner_profiles p JOIN users u ON u.id = p.user_id
           WHERE p.user_id = $1 AND p.onboarding_state = 'approved' AND u.disabled_at IS NULL"#,
        user_id
    )
    .fetch_optional(conn)
    .await?
    .map(|p| PractitionerSummary {
        slug: p.slug,
        name: p.name,
        headline: p.headline,
        practice_type: p.practice_type,
        photo: p.photo,
    }))
}

/// Published services of one live practitioner, for their profile.
pub async fn published(state: &AppState, practitioner: Uuid) -> Result<Vec<ServiceView>, Failure> {
    let mut conn = state.pool.acquire().await?;
    views(published_of(&mut conn, &[practitioner]).await?)
}
