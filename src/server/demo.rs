//! Demo data, so a newcomer sees a living platform: an admin, a customer, practitioners,
//! service types and credit packs. Running it twice changes nothing.

use crate::domain::{Email, Password, PersonName, Role, TimeZone};
use crate::server::accounts::{self, NewAccount};
use crate::server::state::AppState;

pub const ADMIN_EMAIL: &str = "admin@attune.test";
pub const CUSTOMER_EMAIL: &str = "customer@attune.test";
pub const DEMO_PASSWORD: &str = "attune-demo-2026";

const SERVICE_TYPES: &[(&str, &str, &str)] = &[
    (
        "astrology-reading",
        "Astrology reading",
        "Birth charts, transits and compatibility readings with experienced astrologers.",
    ),
    ("yoga-class", "Yoga class", "Private and small-group yoga for every level, online or in person."),
    ("life-coaching", "Life coaching", "Goal-setting and accountability sessions with certified coaches."),
    ("meditation", "Meditation guidance", "Guided meditation and breathwork to build a steady practice."),
    (
        "business-consulting",
        "Business consulting",
        "Practical advice for founders and small teams from seasoned consultants.",
    ),
];

const PEOPLE: &[(&str, &str, Role, &str)] = &[
    ("Avery Admin", ADMIN_EMAIL, Role::Admin, "Europe/London"),
    ("Casey Customer", CUSTOMER_EMAIL, Role::Customer, "America/New_York"),
    ("Priya Sharma", "priya@attune.test", Role::Practitioner, "Asia/Kolkata"),
    ("Marco Rossi", "marco@attune.test", Role::Practitioner, "Europe/Rome"),
    ("Lena Okafor", "lena@attune.test", Role::Practitioner, "Africa/Lagos"),
];

/// Credit packs: (name, credits, bonus, price in cents, position, badge, validity days).
const PACKAGES: &[(&str, i64, i64, i64, i32, Option<&str>, Option<i32>)] = &[
    ("Starter", 5, 0, 2500, 1, None, None),
    ("Regular", 12, 2, 5500, 2, Some("Most popular"), Some(365)),
    ("Devoted", 30, 8, 12500, 3, Some("Best value"), Some(365)),
];

pub async fn seed(state: &AppState) -> anyhow::Result<()> {
    let mut tx = state.pool.begin().await?;
    let has_packages =
        sqlx::query_scalar!("SELECT EXISTS (SELECT 1 FROM credit_packages) AS \"e!\"").fetch_one(&mut *tx).await?;
    for (name, credits, bonus, price, position, badge, validity) in PACKAGES.iter().filter(|_| !has_packages) {
        sqlx::query!(
            "INSERT INTO credit_packages (name, credits, bonus_credits, price_minor, currency, position, badge, validity_days,
                                          created_at, updated_at)
             VALUES ($1, $2, $3, $4, 'EUR', $5, $6, $7, $8, $8)",
            name,
            credits,
            bonus,
            price,
            position,
            *badge,
            *validity,
            state.clock.now_db()
        )
        .execute(&mut *tx)
        .await?;
    }
    for (i, (slug, name, description)) in SERVICE_TYPES.iter().enumerate() {
        sqlx::query!(
            "INSERT INTO service_types (slug, name, description, position) VALUES ($1, $2, $3, $4)
             ON CONFLICT (slug) DO NOTHING",
            slug,
            name,
            description,
            i as i32
        )
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    for (name, email, role, zone) in PEOPLE {
        let exists = sqlx::query_scalar!("SELECT EXISTS (SELECT 1 FROM users WHERE email = $1) AS \"e!\"", email)
            .fetch_one(&state.pool)
            .await?;
        if exists {
            continue;
        }
        accounts::sign_up(
            state,
            NewAccount {
                email: Email::parse(email).map_err(|e| anyhow::anyhow!(e.message))?,
                password: Password::parse_new(DEMO_PASSWORD, "password", None)
                    .map_err(|e| anyhow::anyhow!(e.message))?,
                name: PersonName::parse(name).map_err(|e| anyhow::anyhow!(e.message))?,
                role: *role,
                time_zone: TimeZone::parse(zone).map_err(|e| anyhow::anyhow!(e.message))?,
            },
        )
        .await
        .map_err(|e| anyhow::anyhow!("creating {email}: {e}"))?;
    }
    for profile in PROFILES {
        live_profile(state, profile).await?;
        demo_services(state, profile).await?;
        demo_availability(state, profile).await?;
    }
    tracing::info!(admin = ADMIN_EMAIL, customer = CUSTOMER_EMAIL, "demo data loaded");
    Ok(())
}

/// A demo practitioner whose onboarding is done: (email, location, practice, specialties,
/// languages, years, headline, bio, experience (title, where, from)).
struct DemoProfile {
    email: &'static str,
    location: &'static str,
    practice: &'static str,
    specialties: &'static [&'static str],
    languages: &'static [&'static str],
    years: i16,
    headline: &'static str,
    bio: &'static str,
    experience: (&'static str, &'static str, i16),
    /// (type, title, description, delivery, minutes, credits, card price in cents)
    services: &'static [DemoService],
}

type DemoService = (&'static str, &'static str, &'static str, &'static str, Option<i32>, Option<i64>, Option<i64>);

const PROFILES: &[DemoProfile] = &[
    DemoProfile {
        email: "priya@attune.test",
        location: "Pune, India",
        practice: "Astrology",
        specialties: &["Vedic astrology", "Birth charts", "Compatibility"],
        languages: &["English", "Hindi", "Marathi"],
        years: 14,
        headline: "Vedic astrologer helping you read your chart with clarity",
        bio: "I have read birth charts for fourteen years, first alongside my teacher in Pune and now for clients around the world.\n\nSessions are calm and practical: we look at what your chart says about the questions you bring, and what you can do with it.",
        experience: ("Jyotish Visharad", "Bharatiya Vidya Bhavan", 2010),
        services: &[
            (
                "astrology-reading",
                "Birth chart reading",
                "A full reading of your birth chart over video: your strengths, the themes of the years ahead and the questions you bring. Recorded for you to keep.",
                "video",
                Some(60),
                Some(12),
                Some(4900),
            ),
            (
                "astrology-reading",
                "Compatibility report",
                "A written comparison of two birth charts: where you meet, where you differ and how to work with it. Delivered as a PDF within five days.",
                "written",
                None,
                Some(8),
                None,
            ),
        ],
    },
    DemoProfile {
        email: "marco@attune.test",
        location: "Rome, Italy",
        practice: "Yoga",
        specialties: &["Hatha yoga", "Yoga for back pain", "Breathwork"],
        languages: &["Italian", "English"],
        years: 9,
        headline: "Hatha yoga for strong, comfortable backs, online or in Rome",
        bio: "I teach hatha yoga with a focus on posture and breathing, for beginners and for people coming back from back pain.\n\nClasses are small or one to one, so every pose can be adapted to your body.",
        experience: ("RYT 500 teacher training", "Yoga Alliance registered school, Rishikesh", 2015),
        services: &[
            (
                "yoga-class",
                "Private hatha yoga class",
                "A one-to-one hatha class over video, adapted to your body and your goals, with a short sequence to practise at home afterwards.",
                "video",
                Some(60),
                Some(6),
                Some(2500),
            ),
            (
                "yoga-class",
                "Personal practice plan",
                "A written four-week home practice built around your back, your schedule and what you can already do, with photos of every pose.",
                "written",
                None,
                Some(10),
                Some(3900),
            ),
        ],
    },
];

/// Fills in and approves a demo practitioner's onboarding, once.
async fn live_profile(state: &AppState, p: &DemoProfile) -> anyhow::Result<()> {
    use crate::domain::onboarding::OnboardingState;
    let mut tx = state.pool.begin().await?;
    let Some(row) = sqlx::query!(
        "SELECT u.id, u.name, pp.onboarding_state FROM users u JOIN practitioner_profiles pp ON pp.user_id = u.id WHERE u.email = $1",
        p.email
    )
    .fetch_optional(&mut *tx)
    .await?
    else {
        return Ok(());
    };
    if row.onboarding_state != "draft" {
        return Ok(());
    }
    let (first, last) = crate::domain::wizard::split_name(&row.name);
    let specialties: Vec<String> = p.specialties.iter().map(|s| (*s).to_owned()).collect();
    let languages: Vec<String> = p.languages.iter().map(|s| (*s).to_owned()).collect();
    let slug = crate::domain::wizard::slug_of(&first, &last);
    sqlx::query!(
        "UPDATE practitioner_profiles SET first_name = $2, last_name = $3, location = $4, practice_type = $5, specialties = $6,
                languages = $7, years_experience = $8, headline = $9, bio = $10, step_reached = 6, slug = $11
         WHERE user_id = $1",
        row.id,
        first,
        last,
        p.location,
        p.practice,
        &specialties,
        &languages,
        p.years,
        p.headline,
        p.bio,
        slug
    )
    .execute(&mut *tx)
    .await?;
    let (title, place, from) = p.experience;
    sqlx::query!(
        "INSERT INTO practitioner_experience (user_id, position, title, organisation, start_year) VALUES ($1, 1, $2, $3, $4)",
        row.id,
        title,
        place,
        from
    )
    .execute(&mut *tx)
    .await?;
    let now = state.clock.now();
    for (to, why) in [(OnboardingState::Submitted, "Demo data"), (OnboardingState::Approved, "Demo data")] {
        crate::server::onboarding::transition(&mut tx, row.id, to, None, why, now)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    tx.commit().await?;
    Ok(())
}

/// Opens a live demo practitioner's calendar, once: weekdays 09:00-17:00 in their zone,
/// with the default notice, horizon and policy.
async fn demo_availability(state: &AppState, p: &DemoProfile) -> anyhow::Result<()> {
    let mut tx = state.pool.begin().await?;
    let Some(row) = sqlx::query!(
        "SELECT u.id, u.time_zone FROM users u JOIN practitioner_profiles pp ON pp.user_id = u.id
         WHERE u.email = $1 AND pp.onboarding_state = 'approved'
           AND NOT EXISTS (SELECT 1 FROM availability a WHERE a.practitioner_id = u.id)",
        p.email
    )
    .fetch_optional(&mut *tx)
    .await?
    else {
        return Ok(());
    };
    sqlx::query!(
        "INSERT INTO availability (practitioner_id, time_zone, updated_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        row.id,
        row.time_zone,
        state.clock.now_db()
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "INSERT INTO availability_hours (practitioner_id, weekday, starts, ends)
         SELECT $1, d, time '09:00', time '17:00' FROM generate_series(0, 4) AS d",
        row.id
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Publishes a live demo practitioner's services, once.
async fn demo_services(state: &AppState, p: &DemoProfile) -> anyhow::Result<()> {
    let mut tx = state.pool.begin().await?;
    let Some(row) = sqlx::query!(
        r#"SELECT pp.user_id, pp.slug AS "slug!" FROM users u JOIN practitioner_profiles pp ON pp.user_id = u.id
           WHERE u.email = $1 AND pp.onboarding_state = 'approved' AND pp.slug IS NOT NULL
             AND NOT EXISTS (SELECT 1 FROM services s WHERE s.practitioner_id = pp.user_id)
           FOR UPDATE OF pp"#,
        p.email
    )
    .fetch_optional(&mut *tx)
    .await?
    else {
        return Ok(());
    };
    let now = state.clock.now_db();
    for (kind, title, description, delivery, minutes, credits, card) in p.services {
        sqlx::query!(
            "INSERT INTO services (practitioner_id, type_id, slug, title, description, delivery, duration_minutes,
                                   price_credits, price_minor, currency, status, created_at, updated_at)
             SELECT $1, t.id, $3, $4, $5, $6, $7, $8, $9, CASE WHEN $9::bigint IS NULL THEN NULL ELSE 'EUR' END, 'active', $10, $10
             FROM service_types t WHERE t.slug = $2",
            row.user_id,
            kind,
            crate::domain::catalog::service_slug(&row.slug, title),
            title,
            description,
            delivery,
            *minutes,
            *credits,
            *card,
            now
        )
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}
