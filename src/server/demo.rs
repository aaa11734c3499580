//! Demo data, so a newcomer sees a living platform: an admin, a customer, practitioners
//! and service types. Loaded in one transaction; running it twice changes nothing.

use crate::domain::{Email, Password, PersonName, Role};
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

const PEOPLE: &[(&str, &str, Role)] = &[
    ("Avery Admin", ADMIN_EMAIL, Role::Admin),
    ("Casey Customer", CUSTOMER_EMAIL, Role::Customer),
    ("Priya Sharma", "priya@attune.test", Role::Practitioner),
    ("Marco Rossi", "marco@attune.test", Role::Practitioner),
    ("Lena Okafor", "lena@attune.test", Role::Practitioner),
];

pub async fn seed(state: &AppState) -> anyhow::Result<()> {
    let mut tx = state.pool.begin().await?;
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
    for (name, email, role) in PEOPLE {
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
            },
        )
        .await
        .map_err(|e| anyhow::anyhow!("creating {email}: {e}"))?;
    }
    tracing::info!(admin = ADMIN_EMAIL, customer = CUSTOMER_EMAIL, "demo data loaded");
    Ok(())
}
