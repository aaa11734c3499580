//! The onboarding wizard on the server: reading where a practitioner is, saving each
//! step once `domain::wizard` accepts it, and submitting for review. Steps are completed
//! in order; a completed step stays editable, and a save that breaks a rule changes
//! nothing. Only a draft or a rejected profile can be changed.

use crate::domain::onboarding::OnboardingState;
use crate::domain::types::{ExperienceRow, UploadRow, WizardView};
use crate::domain::wizard::{self, BasicForm, BioForm, ExperienceForm, Prefill, ProfessionalForm};
use crate::domain::{AppError, UserCode};
use crate::server::capability::Practitioner;
use crate::server::clock::{from_db, to_db};
use crate::server::error::Failure;
use crate::server::state::AppState;
use crate::server::{email, onboarding};
use sqlx::PgConnection;
use uuid::Uuid;

/// The profile row a save works on, locked for the rest of the transaction.
struct Locked {
    state: OnboardingState,
    step_reached: i16,
    confirmed: Vec<String>,
}

async fn lock(conn: &mut PgConnection, user_id: Uuid) -> Result<Locked, Failure> {
    let row = sqlx::query!(
        "SELECT onboarding_state, step_reached, confirmed_prefill FROM practitioner_profiles WHERE user_id = $1 FOR UPDATE",
        user_id
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(AppError::Forbidden)?;
    let state =
        OnboardingState::parse(&row.onboarding_state).ok_or_else(|| Failure::bug("unknown onboarding state"))?;
    Ok(Locked { state, step_reached: row.step_reached, confirmed: row.confirmed_prefill })
}

/// Refuses changes outside draft and rejected, and steps not yet open.
fn may_edit(locked: &Locked, step: i16) -> Result<(), Failure> {
    match locked.state {
        OnboardingState::Draft | OnboardingState::Rejected => {}
        OnboardingState::Submitted => {
            return Err(
                AppError::invalid("step", "Your profile is waiting for review, so it cannot be changed now.").into()
            );
        }
        OnboardingState::Approved | OnboardingState::Suspended => {
            return Err(
                AppError::invalid("step", "Your onboarding is finished; this wizard can no longer change it.").into()
            );
        }
    }
    if step > locked.step_reached {
        return Err(AppError::invalid("step", format!("Complete step {} first.", locked.step_reached)).into());
    }
    Ok(())
}

/// Locks the profile and refuses when `step` cannot be changed now.
pub(crate) async fn check_editable(conn: &mut PgConnection, user_id: Uuid, step: i16) -> Result<(), Failure> {
    may_edit(&lock(conn, user_id).await?, step)
}

/// Marks `step` complete (the first incomplete step moves past it) and adds the
/// prefilled fields confirmed with it.
async fn complete(
    conn: &mut PgConnection,
    user_id: Uuid,
    step: i16,
    confirmed: &[String],
    at: jiff::Timestamp,
) -> Result<(), Failure> {
    sqlx::query!(
        "UPDATE practitioner_profiles
         SET step_reached = GREATEST(step_reached, $2 + 1), updated_at = $3,
             confirmed_prefill = ARRAY(SELECT DISTINCT unnest(confirmed_prefill || $4::text[]) ORDER BY 1)
         WHERE user_id = $1",
        user_id,
        i32::from(step),
        to_db(at),
        confirmed
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The call-centre values of the lead linked to this practitioner, with the time the
/// list that brought it was imported and whether each was confirmed.
async fn prefill(conn: &mut PgConnection, user_id: Uuid, confirmed: &[String]) -> Result<Vec<Prefill>, Failure> {
    let Some(lead) = sqlx::query!(
        "SELECT l.name, l.email, l.location, l.practice_type, b.created_at AS imported_at
         FROM practitioner_profiles p JOIN leads l ON l.id = p.lead_id JOIN lead_batches b ON b.id = l.first_batch_id
         WHERE p.user_id = $1",
        user_id
    )
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(Vec::new());
    };
    let (first, last) = wizard::split_name(&lead.name);
    let imported_at = from_db(lead.imported_at);
    let values = [
        ("first_name", Some(first)),
        ("last_name", Some(last)),
        ("email", lead.email),
        ("location", lead.location),
        ("practice_type", lead.practice_type),
    ];
    Ok(values
        .into_iter()
        .filter_map(|(field, value)| value.filter(|v| !v.trim().is_empty()).map(|v| (field, v)))
        .map(|(field, value)| Prefill {
            field: field.to_owned(),
            value,
            imported_at,
            confirmed: confirmed.iter().any(|c| c == field),
        })
        .collect())
}

/// Where the practitioner is in the wizard, with saved values, or the call centre's
/// where nothing is saved yet.
pub async fn view(state: &AppState, user_id: Uuid) -> Result<WizardView, Failure> {
    let mut conn = state.pool.acquire().await?;
    let row = sqlx::query!(
        "SELECT u.code, u.email, u.phone, u.time_zone, u.phone_verified_at IS NOT NULL AS \"phone_verified!\",
                p.onboarding_state, p.step_reached, p.review_note, p.first_name, p.last_name, p.location,
                p.practice_type, p.specialties, p.languages, p.years_experience, p.headline, p.bio,
                p.confirmed_prefill, p.slug
         FROM practitioner_profiles p JOIN users u ON u.id = p.user_id WHERE p.user_id = $1",
        user_id
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(AppError::Forbidden)?;
    let prefill = prefill(&mut conn, user_id, &row.confirmed_prefill).await?;
    let from_lead =
        |field: &str| prefill.iter().find(|p| p.field == field).map(|p| p.value.clone()).unwrap_or_default();
    let or_lead = |saved: Option<String>, field: &str| saved.unwrap_or_else(|| from_lead(field));
    let saved_basic = row.first_name.is_some();
    let basic = BasicForm {
        first_name: or_lead(row.first_name, "first_name"),
        last_name: or_lead(row.last_name, "last_name"),
        email: if saved_basic {
            row.email.unwrap_or_default()
        } else {
            row.email.unwrap_or_else(|| from_lead("email"))
        },
        phone: row.phone.unwrap_or_default(),
        location: or_lead(row.location, "location"),
        time_zone: row.time_zone,
    };
    let professional = ProfessionalForm {
        practice_type: or_lead(row.practice_type, "practice_type"),
        specialties: row.specialties.join(", "),
        languages: row.languages.join(", "),
        years_experience: row.years_experience.map(|y| y.to_string()).unwrap_or_default(),
    };
    let experience = experience(&mut conn, user_id).await?;
    let uploads = uploads(&mut conn, user_id).await?;
    let (photos, certificates): (Vec<_>, Vec<_>) = uploads.into_iter().partition(|(kind, _)| kind == "photo");
    Ok(WizardView {
        code: UserCode::from_number(row.code).ok_or_else(|| Failure::bug("user code out of range"))?,
        state: OnboardingState::parse(&row.onboarding_state).ok_or_else(|| Failure::bug("unknown onboarding state"))?,
        step_reached: row.step_reached,
        review_note: row.review_note,
        basic,
        phone_verified: row.phone_verified,
        professional,
        bio: BioForm { headline: row.headline.unwrap_or_default(), bio: row.bio.unwrap_or_default() },
        experience,
        photo: photos.into_iter().next().map(|(_, u)| u),
        certificates: certificates.into_iter().map(|(_, u)| u).collect(),
        prefill,
        slug: row.slug,
        this_year: this_year(state),
    })
}

async fn experience(conn: &mut PgConnection, user_id: Uuid) -> Result<Vec<ExperienceRow>, Failure> {
    Ok(sqlx::query!(
        "SELECT id, title, organisation, start_year, end_year FROM practitioner_experience WHERE user_id = $1 ORDER BY position",
        user_id
    )
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(|r| ExperienceRow {
        id: r.id,
        entry: wizard::Experience { title: r.title, organisation: r.organisation, start_year: r.start_year, end_year: r.end_year },
    })
    .collect())
}

pub(crate) async fn uploads(conn: &mut PgConnection, user_id: Uuid) -> Result<Vec<(String, UploadRow)>, Failure> {
    Ok(sqlx::query!(
        "SELECT id, kind, title, content_type, size_bytes, uploaded_at FROM practitioner_uploads WHERE user_id = $1 ORDER BY uploaded_at, id",
        user_id
    )
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(|r| {
        (
            r.kind,
            UploadRow {
                id: r.id,
                title: r.title,
                content_type: r.content_type,
                size_bytes: r.size_bytes,
                uploaded_at: from_db(r.uploaded_at),
            },
        )
    })
    .collect())
}

fn this_year(state: &AppState) -> i16 {
    jiff::tz::TimeZone::UTC.to_datetime(state.clock.now()).year()
}

/// Step 1: names, email, phone, location and time zone. Name, email, phone and zone are
/// the account's own; a changed phone number is no longer verified.
pub async fn save_basic(
    state: &AppState,
    user: &Practitioner,
    form: &BasicForm,
    ticked: &[String],
) -> Result<(), Failure> {
    let basic = wizard::parse_basic(form)?;
    let now = state.clock.now();
    let mut tx = state.pool.begin().await?;
    let locked = lock(&mut tx, user.id).await?;
    may_edit(&locked, wizard::BASIC)?;
    let prefill = prefill(&mut tx, user.id, &locked.confirmed).await?;
    if let Some(e) = wizard::unconfirmed_prefill(wizard::BASIC, &prefill, |f| form.get(f), ticked) {
        return Err(e.into());
    }
    let name = format!("{} {}", basic.first_name, basic.last_name);
    let name: String = name.chars().take(crate::domain::profile::NAME_MAX).collect();
    sqlx::query!(
        "UPDATE users SET name = $2, email = $3, phone = $4, time_zone = $5, updated_at = $6,
                phone_verified_at = CASE WHEN phone IS NOT DISTINCT FROM $4 THEN phone_verified_at END
         WHERE id = $1",
        user.id,
        name,
        basic.email.as_str(),
        basic.phone.as_str(),
        basic.time_zone.as_str(),
        to_db(now)
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "UPDATE practitioner_profiles SET first_name = $2, last_name = $3, location = $4 WHERE user_id = $1",
        user.id,
        basic.first_name,
        basic.last_name,
        basic.location
    )
    .execute(&mut *tx)
    .await?;
    complete(&mut tx, user.id, wizard::BASIC, &confirmed_now(wizard::BASIC, &prefill, ticked), now).await?;
    tx.commit().await?;
    Ok(())
}

/// The prefilled fields of `step` ticked in this save.
fn confirmed_now(step: i16, prefill: &[Prefill], ticked: &[String]) -> Vec<String> {
    wizard::prefillable(step)
        .iter()
        .filter(|f| ticked.iter().any(|t| t == *f) && prefill.iter().any(|p| p.field == **f))
        .map(|f| (*f).to_owned())
        .collect()
}

/// Step 3: practice, specialties, languages and years.
pub async fn save_professional(
    state: &AppState,
    user: &Practitioner,
    form: &ProfessionalForm,
    ticked: &[String],
) -> Result<(), Failure> {
    let p = wizard::parse_professional(form)?;
    let now = state.clock.now();
    let mut tx = state.pool.begin().await?;
    let locked = lock(&mut tx, user.id).await?;
    may_edit(&locked, wizard::PROFESSIONAL)?;
    let prefill = prefill(&mut tx, user.id, &locked.confirmed).await?;
    if let Some(e) = wizard::unconfirmed_prefill(wizard::PROFESSIONAL, &prefill, |f| form.get(f), ticked) {
        return Err(e.into());
    }
    sqlx::query!(
        "UPDATE practitioner_profiles SET practice_type = $2, specialties = $3, languages = $4, years_experience = $5 WHERE user_id = $1",
        user.id,
        p.practice_type,
        &p.specialties,
        &p.languages,
        p.years_experience
    )
    .execute(&mut *tx)
    .await?;
    complete(&mut tx, user.id, wizard::PROFESSIONAL, &confirmed_now(wizard::PROFESSIONAL, &prefill, ticked), now)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Step 4: headline and bio.
pub async fn save_bio(state: &AppState, user: &Practitioner, form: &BioForm) -> Result<(), Failure> {
    let bio = wizard::parse_bio(form)?;
    let now = state.clock.now();
    let mut tx = state.pool.begin().await?;
    let locked = lock(&mut tx, user.id).await?;
    may_edit(&locked, wizard::BIO_STEP)?;
    sqlx::query!(
        "UPDATE practitioner_profiles SET headline = $2, bio = $3 WHERE user_id = $1",
        user.id,
        bio.headline,
        bio.bio
    )
    .execute(&mut *tx)
    .await?;
    complete(&mut tx, user.id, wizard::BIO_STEP, &[], now).await?;
    tx.commit().await?;
    Ok(())
}

/// Step 5: adds one entry at the end of the list.
pub async fn add_experience(state: &AppState, user: &Practitioner, form: &ExperienceForm) -> Result<(), Failure> {
    let entry = wizard::parse_experience(form, this_year(state))?;
    let mut tx = state.pool.begin().await?;
    let locked = lock(&mut tx, user.id).await?;
    may_edit(&locked, wizard::EXPERIENCE)?;
    let count =
        sqlx::query_scalar!("SELECT count(*) AS \"n!\" FROM practitioner_experience WHERE user_id = $1", user.id)
            .fetch_one(&mut *tx)
            .await?;
    if count as usize >= wizard::EXPERIENCE_MAX {
        return Err(AppError::invalid(
            "title",
            format!("List at most {} entries: keep the ones that matter most.", wizard::EXPERIENCE_MAX),
        )
        .into());
    }
    sqlx::query!(
        "INSERT INTO practitioner_experience (user_id, position, title, organisation, start_year, end_year)
         VALUES ($1, (SELECT COALESCE(max(position), 0) + 1 FROM practitioner_experience WHERE user_id = $1), $2, $3, $4, $5)",
        user.id,
        entry.title,
        entry.organisation,
        entry.start_year,
        entry.end_year
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn remove_experience(state: &AppState, user: &Practitioner, id: i64) -> Result<(), Failure> {
    let mut tx = state.pool.begin().await?;
    let locked = lock(&mut tx, user.id).await?;
    may_edit(&locked, wizard::EXPERIENCE)?;
    let gone = sqlx::query!("DELETE FROM practitioner_experience WHERE id = $1 AND user_id = $2", id, user.id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if gone == 0 {
        return Err(AppError::NotFound.into());
    }
    tx.commit().await?;
    Ok(())
}

/// Completes a step whose content is saved piece by piece (the photo, the experience
/// list) once it holds what it must.
pub async fn complete_step(state: &AppState, user: &Practitioner, step: i16) -> Result<(), Failure> {
    let mut tx = state.pool.begin().await?;
    let locked = lock(&mut tx, user.id).await?;
    may_edit(&locked, step)?;
    let (kind_count, message) = match step {
        wizard::PHOTO => (
            sqlx::query_scalar!(
                "SELECT count(*) AS \"n!\" FROM practitioner_uploads WHERE user_id = $1 AND kind = 'photo'",
                user.id
            )
            .fetch_one(&mut *tx)
            .await?,
            "Upload a photo of yourself first.",
        ),
        wizard::EXPERIENCE => (
            sqlx::query_scalar!("SELECT count(*) AS \"n!\" FROM practitioner_experience WHERE user_id = $1", user.id)
                .fetch_one(&mut *tx)
                .await?,
            "Add at least one entry: where you trained or worked.",
        ),
        _ => return Err(AppError::invalid("step", "This step is completed by saving its form.").into()),
    };
    if kind_count == 0 {
        let field = if step == wizard::PHOTO { "photo" } else { "title" };
        return Err(AppError::invalid(field, message).into());
    }
    complete(&mut tx, user.id, step, &[], state.clock.now()).await?;
    tx.commit().await?;
    Ok(())
}

/// Sends a complete profile for review (again, after a rejection), with an email to the
/// practitioner saying so.
pub async fn submit(state: &AppState, user: &Practitioner) -> Result<(), Failure> {
    let now = state.clock.now();
    let mut tx = state.pool.begin().await?;
    let locked = lock(&mut tx, user.id).await?;
    if locked.step_reached < wizard::DONE {
        return Err(AppError::invalid("step", format!("Complete step {} first.", locked.step_reached)).into());
    }
    let reason = if locked.state == OnboardingState::Rejected {
        "Submitted again after changes"
    } else {
        "Submitted for review"
    };
    onboarding::transition(&mut tx, user.id, OnboardingState::Submitted, Some(user.id), reason, now).await?;
    let to = sqlx::query!("SELECT name, email FROM users WHERE id = $1", user.id).fetch_one(&mut *tx).await?;
    if let Some(address) = &to.email {
        email::enqueue(
            &mut tx,
            Some(user.id),
            address,
            &email::templates::onboarding_submitted(&to.name, &state.config.public_url),
            now,
        )
        .await?;
    }
    tx.commit().await?;
    tracing::info!(user = %user.code, "onboarding submitted");
    Ok(())
}
