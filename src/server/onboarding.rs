//! Practitioner profiles and the one place their onboarding state changes. A profile
//! starts as a draft when an account becomes a practitioner's, linked to the
//! call-centre lead with the same phone number when there is one.

use crate::domain::onboarding::OnboardingState;
use crate::domain::types::PractitionerRow;
use crate::domain::{AppError, UserCode};
use crate::server::capability::Admin;
use crate::server::clock::{from_db, to_db};
use crate::server::error::Failure;
use crate::server::state::AppState;
use jiff::Timestamp;
use sqlx::PgConnection;
use uuid::Uuid;

/// Opens onboarding for `user_id` inside the caller's transaction; nothing happens when
/// the profile exists (a practitioner made a customer and back keeps their progress).
/// Returns whether it was opened now.
pub async fn start(
    conn: &mut PgConnection,
    user_id: Uuid,
    actor: Option<Uuid>,
    at: Timestamp,
) -> Result<bool, Failure> {
    let opened = sqlx::query_scalar!(
        "INSERT INTO practitioner_profiles (user_id, onboarding_state, created_at, updated_at)
         VALUES ($1, 'draft', $2, $2)
         ON CONFLICT (user_id) DO NOTHING RETURNING user_id",
        user_id,
        to_db(at)
    )
    .fetch_optional(&mut *conn)
    .await?
    .is_some();
    if opened {
        link_lead(conn, user_id).await?;
        record(conn, user_id, None, OnboardingState::Draft, actor, "Became a practitioner", at).await?;
    }
    Ok(opened)
}

/// Links the call-centre lead with the practitioner's phone number, when there is one,
/// the number is verified (a code sent to it was entered: a number merely typed would
/// hand the lead's details to whoever typed it) and no other profile has it.
async fn link_lead(conn: &mut PgConnection, user_id: Uuid) -> Result<(), Failure> {
    sqlx::query!(
        "UPDATE practitioner_profiles p SET lead_id = l.id
         FROM users u JOIN leads l ON l.phone = u.phone
         WHERE p.user_id = $1 AND u.id = p.user_id AND p.lead_id IS NULL AND u.phone_verified_at IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM practitioner_profiles o WHERE o.lead_id = l.id)",
        user_id
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Called at every sign-in of a practitioner: the first one is recorded (the funnel's
/// "first login") and the lead with their number linked if it was not yet.
pub async fn signed_in(conn: &mut PgConnection, user_id: Uuid, at: Timestamp) -> Result<(), Failure> {
    sqlx::query!(
        "UPDATE practitioner_profiles SET first_login_at = COALESCE(first_login_at, $2) WHERE user_id = $1",
        user_id,
        to_db(at)
    )
    .execute(&mut *conn)
    .await?;
    link_lead(conn, user_id).await
}

async fn record(
    conn: &mut PgConnection,
    user_id: Uuid,
    from: Option<OnboardingState>,
    to: OnboardingState,
    actor: Option<Uuid>,
    reason: &str,
    at: Timestamp,
) -> Result<(), Failure> {
    sqlx::query!(
        "INSERT INTO onboarding_transitions (user_id, from_state, to_state, actor_id, reason, at) VALUES ($1, $2, $3, $4, $5, $6)",
        user_id,
        from.map(|s| s.as_str()),
        to.as_str(),
        actor,
        reason,
        to_db(at)
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Moves a practitioner's onboarding to `to`, recording who and why, in the caller's
/// transaction. A move the rules do not allow is refused with both states named.
pub async fn transition(
    conn: &mut PgConnection,
    user_id: Uuid,
    to: OnboardingState,
    actor: Option<Uuid>,
    reason: &str,
    at: Timestamp,
) -> Result<(), Failure> {
    let current = sqlx::query_scalar!(
        "SELECT onboarding_state FROM practitioner_profiles WHERE user_id = $1 FOR UPDATE",
        user_id
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(AppError::NotFound)?;
    let from =
        OnboardingState::parse(&current).ok_or_else(|| Failure::bug("an onboarding state the code does not know"))?;
    if !from.can_move_to(to) {
        return Err(AppError::invalid(
            "state",
            format!("Onboarding cannot go from \"{}\" to \"{}\".", from.label(), to.label()),
        )
        .into());
    }
    sqlx::query!(
        "UPDATE practitioner_profiles SET onboarding_state = $2, updated_at = $3,
                submitted_at = CASE WHEN $2 = 'submitted' THEN $3 ELSE submitted_at END,
                approved_at = CASE WHEN $2 = 'approved' THEN COALESCE(approved_at, $3) ELSE approved_at END
         WHERE user_id = $1",
        user_id,
        to.as_str(),
        to_db(at)
    )
    .execute(&mut *conn)
    .await?;
    record(conn, user_id, Some(from), to, actor, reason, at).await
}

/// Every practitioner with where they are in onboarding, newest first.
pub async fn list(state: &AppState, _: &Admin) -> Result<Vec<PractitionerRow>, Failure> {
    sqlx::query!(
        "SELECT u.code, u.name, u.email, p.onboarding_state, p.step_reached, p.lead_id IS NOT NULL AS \"from_lead!\",
                p.first_login_at, p.submitted_at, p.approved_at
         FROM practitioner_profiles p JOIN users u ON u.id = p.user_id
         ORDER BY (p.onboarding_state = 'submitted') DESC, p.submitted_at, p.created_at DESC, u.code DESC LIMIT 200"
    )
    .fetch_all(&state.pool)
    .await?
    .into_iter()
    .map(|r| {
        Ok(PractitionerRow {
            code: UserCode::from_number(r.code).ok_or_else(|| Failure::bug("a user code out of range"))?,
            name: r.name,
            email: r.email.unwrap_or_default(),
            state: OnboardingState::parse(&r.onboarding_state)
                .ok_or_else(|| Failure::bug("an unknown onboarding state"))?,
            step_reached: r.step_reached,
            from_lead: r.from_lead,
            first_login_at: r.first_login_at.map(from_db),
            submitted_at: r.submitted_at.map(from_db),
            approved_at: r.approved_at.map(from_db),
        })
    })
    .collect()
}

/// The practitioner with account number `code`.
pub async fn id_of(state: &AppState, code: UserCode) -> Result<Uuid, Failure> {
    Ok(sqlx::query_scalar!(
        "SELECT p.user_id FROM practitioner_profiles p JOIN users u ON u.id = p.user_id WHERE u.code = $1",
        code.number()
    )
    .fetch_optional(&state.pool)
    .await?
    .ok_or(AppError::NotFound)?)
}

/// An admin's decision on a submitted profile.
pub enum Decision<'a> {
    Approve,
    Reject {
        reason: &'a str,
    },
    /// Takes a live practitioner off the platform (their profile stops being public).
    Suspend {
        reason: &'a str,
    },
    /// Puts a suspended practitioner back.
    Reinstate,
}

/// A reason the practitioner will read: 10 to 1000 characters.
fn reason_text(reason: &str) -> Result<&str, Failure> {
    let reason = reason.trim();
    if reason.chars().count() < 10 || reason.chars().count() > 1000 {
        return Err(AppError::invalid(
            "reason",
            "Say what needs to change, in 10 to 1000 characters: the practitioner will read it.",
        )
        .into());
    }
    Ok(reason)
}

/// Approves (the profile goes live at a public address made from the name) or rejects
/// with a reason the practitioner sees; either way they are emailed, in the same
/// transaction as the move.
#[tracing::instrument(skip_all, fields(practitioner = %code))]
pub async fn review(state: &AppState, admin: &Admin, code: UserCode, decision: Decision<'_>) -> Result<(), Failure> {
    let user_id = id_of(state, code).await?;
    let now = state.clock.now();
    let mut tx = state.pool.begin().await?;
    let who = sqlx::query!(
        "SELECT u.name, u.email, p.first_name, p.last_name, p.slug FROM users u JOIN practitioner_profiles p ON p.user_id = u.id
         WHERE u.id = $1",
        user_id
    )
    .fetch_one(&mut *tx)
    .await?;
    let message = match decision {
        Decision::Approve => {
            // The address first: a live profile must have one (a database check).
            if who.slug.is_none() {
                let base = crate::domain::wizard::slug_of(
                    who.first_name.as_deref().unwrap_or(&who.name),
                    who.last_name.as_deref().unwrap_or(""),
                );
                let taken: Vec<String> = sqlx::query_scalar!(
                    "SELECT slug AS \"slug!\" FROM practitioner_profiles WHERE slug = $1 OR slug LIKE $1 || '-%'",
                    base
                )
                .fetch_all(&mut *tx)
                .await?;
                let slug = (1..)
                    .map(|n| if n == 1 { base.clone() } else { format!("{base}-{n}") })
                    .find(|s| !taken.contains(s))
                    .unwrap_or(base);
                sqlx::query!("UPDATE practitioner_profiles SET slug = $2 WHERE user_id = $1", user_id, slug)
                    .execute(&mut *tx)
                    .await?;
            }
            transition(&mut tx, user_id, OnboardingState::Approved, Some(admin.id), "Approved", now).await?;
            sqlx::query!("UPDATE practitioner_profiles SET review_note = NULL WHERE user_id = $1", user_id)
                .execute(&mut *tx)
                .await?;
            crate::server::email::templates::onboarding_approved(&who.name, &state.config.public_url)
        }
        Decision::Suspend { reason } => {
            let reason = reason_text(reason)?;
            transition(&mut tx, user_id, OnboardingState::Suspended, Some(admin.id), reason, now).await?;
            crate::server::email::templates::onboarding_suspended(&who.name, reason, &state.config.public_url)
        }
        Decision::Reinstate => {
            transition(&mut tx, user_id, OnboardingState::Approved, Some(admin.id), "Reinstated", now).await?;
            crate::server::email::templates::onboarding_approved(&who.name, &state.config.public_url)
        }
        Decision::Reject { reason } => {
            let reason = reason_text(reason)?;
            transition(&mut tx, user_id, OnboardingState::Rejected, Some(admin.id), reason, now).await?;
            sqlx::query!("UPDATE practitioner_profiles SET review_note = $2 WHERE user_id = $1", user_id, reason)
                .execute(&mut *tx)
                .await?;
            crate::server::email::templates::onboarding_rejected(&who.name, reason, &state.config.public_url)
        }
    };
    if let Some(address) = &who.email {
        crate::server::email::enqueue(&mut tx, Some(user_id), address, &message, now).await?;
    }
    sqlx::query!(
        "INSERT INTO audit_log (actor_id, action, subject_id, details) VALUES ($1, $2, $3, '{}'::jsonb)",
        admin.id,
        message.template,
        user_id
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    crate::server::catalog::catalog_changed(state).await;
    Ok(())
}

/// Whether a practitioner's onboarding is approved: the gate in front of every
/// practitioner page and server function.
pub async fn is_live(state: &AppState, user_id: Uuid) -> Result<bool, Failure> {
    Ok(sqlx::query_scalar!(
        "SELECT onboarding_state = 'approved' AS \"live!\" FROM practitioner_profiles WHERE user_id = $1",
        user_id
    )
    .fetch_optional(&state.pool)
    .await?
    .unwrap_or(false))
}

/// The public face of the approved practitioner at `/p/<slug>`.
pub async fn public_profile(state: &AppState, slug: &str) -> Result<crate::domain::types::PublicProfile, Failure> {
    let p = sqlx::query!(
        "SELECT p.user_id, p.slug AS \"slug!\", u.name, p.headline AS \"headline!\", p.bio AS \"bio!\",
                p.practice_type AS \"practice_type!\", p.location AS \"location!\", p.specialties, p.languages,
                p.years_experience AS \"years_experience!\",
                (SELECT id FROM practitioner_uploads f WHERE f.user_id = p.user_id AND f.kind = 'photo') AS photo
         FROM practitioner_profiles p JOIN users u ON u.id = p.user_id
         WHERE p.slug = $1 AND p.onboarding_state = 'approved' AND u.disabled_at IS NULL",
        slug
    )
    .fetch_optional(&state.pool)
    .await?
    .ok_or(AppError::NotFound)?;
    let experience = sqlx::query!(
        "SELECT title, organisation, start_year, end_year FROM practitioner_experience WHERE user_id = $1 ORDER BY position",
        p.user_id
    )
    .fetch_all(&state.pool)
    .await?
    .into_iter()
    .map(|e| crate::domain::wizard::Experience { title: e.title, organisation: e.organisation, start_year: e.start_year, end_year: e.end_year })
    .collect();
    let services = crate::server::services::published(state, p.user_id).await?;
    let reviews = crate::server::calendar::summary(state, p.user_id).await?;
    Ok(crate::domain::types::PublicProfile {
        slug: p.slug,
        name: p.name,
        headline: p.headline,
        bio: p.bio,
        practice_type: p.practice_type,
        location: p.location,
        specialties: p.specialties,
        languages: p.languages,
        years_experience: p.years_experience,
        experience,
        photo: p.photo,
        services,
        reviews,
    })
}

/// The funnel over every lead, then per import batch (newest first): imported, contacted,
/// signed in, started (a step completed), completed (all five), approved. A lead belongs
/// to the batch that first brought it.
pub async fn funnel(state: &AppState, _: &Admin) -> Result<Vec<crate::domain::types::FunnelRow>, Failure> {
    let rows = sqlx::query!(
        r#"SELECT b.id AS "batch?", b.file_name AS "file_name?", b.created_at AS "created_at?",
                  count(l.id) AS "imported!",
                  count(l.id) FILTER (WHERE l.contacted) AS "contacted!",
                  count(p.user_id) FILTER (WHERE p.first_login_at IS NOT NULL) AS "first_login!",
                  count(p.user_id) FILTER (WHERE p.step_reached > 1) AS "started!",
                  count(p.user_id) FILTER (WHERE p.step_reached = 6) AS "completed!",
                  count(p.user_id) FILTER (WHERE p.approved_at IS NOT NULL) AS "approved!",
                  count(p.user_id) FILTER (WHERE p.onboarding_state = 'approved' AND EXISTS (
                      SELECT 1 FROM services s JOIN service_types t ON t.id = s.type_id
                      WHERE s.practitioner_id = p.user_id AND s.status = 'active' AND t.active)) AS "live!"
           FROM leads l
           JOIN lead_batches b ON b.id = l.first_batch_id
           LEFT JOIN practitioner_profiles p ON p.lead_id = l.id
           GROUP BY GROUPING SETS ((), (b.id, b.file_name, b.created_at))
           ORDER BY b.created_at DESC NULLS FIRST"#
    )
    .fetch_all(&state.pool)
    .await?;
    let mut out: Vec<crate::domain::types::FunnelRow> = rows
        .into_iter()
        .map(|r| crate::domain::types::FunnelRow {
            batch: r.batch,
            label: r.file_name.unwrap_or_else(|| "All leads".to_owned()),
            imported_at: r.created_at.map(from_db),
            counts: vec![r.imported, r.contacted, r.first_login, r.started, r.completed, r.approved, r.live],
        })
        .collect();
    if out.is_empty() {
        out.push(crate::domain::types::FunnelRow {
            batch: None,
            label: "All leads".to_owned(),
            imported_at: None,
            counts: vec![0; crate::domain::onboarding::FUNNEL.len()],
        });
    }
    Ok(out)
}
