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
    let has_packages = sqlx::query_scalar!("SELECT EXISTS (SELECT 1 FROM credit_packages) AS \"e!\"").fetch_one(&mut *tx).await?;
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
            "INSERT INTO service_types (slug, name, description, sort_order) VALUES ($1, $2, $3, $4)
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
    tracing::info!(admin = ADMIN_EMAIL, customer = CUSTOMER_EMAIL, "demo data loaded");
    Ok(())
}
