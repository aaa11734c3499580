//! Service types and the home page's platform statistics.

use crate::domain::AppError;
use crate::domain::catalog::{DIRECTORY_PAGE, DirectorySearch, DirectorySort, ServiceTypeDraft};
use crate::domain::types::{
    DirectoryCard, DirectoryPage, HomeStats, ServiceType, ServiceTypeAdmin, ServiceView, StatsView,
};
use crate::server::capability::Admin;
use crate::server::clock::from_db;
use crate::server::error::{Failure, Violation};
use crate::server::state::AppState;
use std::time::Duration;
use uuid::Uuid;

/// Statistics are cached this long, so a busy home page costs one query a minute.
pub const STATS_TTL: Duration = Duration::from_secs(60);
/// How long another instance may show the service types from before a change.
pub const CATALOG_TTL: Duration = Duration::from_secs(30);

/// The active service types, from a cache of at most `CATALOG_TTL`.
pub async fn service_types(state: &AppState) -> Result<Vec<ServiceType>, sqlx::Error> {
    state
        .service_types_cache
        .get_or_load(&state.clock, || {
            sqlx::query_as!(
                ServiceType,
                "SELECT slug, name, description FROM service_types WHERE active ORDER BY position, name"
            )
            .fetch_all(&state.pool)
        })
        .await
}

/// Call after changing service types, services or who is live, so this instance shows
/// the change at once (others within `CATALOG_TTL`).
pub async fn catalog_changed(state: &AppState) {
    state.service_types_cache.invalidate().await;
    state.directory_cache.invalidate().await;
    state.languages_cache.invalidate().await;
}

async fn count_stats(state: &AppState) -> Result<HomeStats, sqlx::Error> {
    let r = sqlx::query!(
        r#"SELECT
             (SELECT count(*) FROM practitioner_profiles p JOIN users u ON u.id = p.user_id
               WHERE p.onboarding_state = 'approved' AND u.disabled_at IS NULL
                 AND EXISTS (SELECT 1 FROM services s JOIN service_types t ON t.id = s.type_id
                             WHERE s.practitioner_id = p.user_id AND s.status = 'active' AND t.active)) AS "practitioners!",
             (SELECT count(*) FROM users WHERE role = 'customer' AND disabled_at IS NULL) AS "customers!",
             (SELECT count(*) FROM service_types WHERE active) AS "service_types!",
             (SELECT count(*) FROM bookings WHERE status = 'completed') AS "sessions_completed!",
             (SELECT round(avg(rating) * 10)::bigint FROM reviews) AS average_rating_tenths,
             now() AS "as_of!""#
    )
    .fetch_one(&state.pool)
    .await?;
    Ok(HomeStats {
        practitioners: r.practitioners,
        customers: r.customers,
        service_types: r.service_types,
        sessions_completed: r.sessions_completed,
        average_rating_tenths: r.average_rating_tenths,
        as_of: from_db(r.as_of),
    })
}

/// Real figures (at most `STATS_TTL` old), or `Unavailable` when the database cannot
/// be asked. Never a made-up number.
pub async fn home_stats(state: &AppState) -> StatsView {
    match state.stats_cache.get_or_load(&state.clock, || count_stats(state)).await {
        Ok(stats) => StatsView::Available(stats),
        Err(e) => {
            tracing::warn!(error = %e, "home statistics unavailable");
            StatsView::Unavailable
        }
    }
}

/// Every service type, active or not, with how many services use it, for admins.
pub async fn all_types(state: &AppState, _: &Admin) -> Result<Vec<ServiceTypeAdmin>, Failure> {
    Ok(sqlx::query!(
        r#"SELECT t.id, t.slug, t.name, t.description, t.active, t.position,
                  (SELECT count(*) FROM services s WHERE s.type_id = t.id) AS "services!"
           FROM service_types t ORDER BY t.active DESC, t.position, t.name"#
    )
    .fetch_all(&state.pool)
    .await?
    .into_iter()
    .map(|r| ServiceTypeAdmin {
        id: r.id,
        draft: ServiceTypeDraft {
            slug: r.slug,
            name: r.name,
            description: r.description,
            active: r.active,
            position: r.position,
        },
        services: r.services,
    })
    .collect())
}

/// Creates a type (`id` None) or replaces one's fields, recording who did it. A taken
/// name or address is refused by field.
#[tracing::instrument(skip_all, fields(actor = %actor.code, service_type = ?id))]
pub async fn save_type(
    state: &AppState,
    actor: &Admin,
    id: Option<Uuid>,
    d: &ServiceTypeDraft,
) -> Result<Uuid, Failure> {
    let now = state.clock.now_db();
    let mut tx = state.pool.begin().await?;
    let saved = sqlx::query_scalar!(
        r#"WITH changed AS (
               UPDATE service_types SET slug = $2, name = $3, description = $4, active = $5, position = $6, updated_at = $7
               WHERE id = $1 RETURNING id),
           added AS (
               INSERT INTO service_types (slug, name, description, active, position, created_at, updated_at)
               SELECT $2, $3, $4, $5, $6, $7, $7 WHERE $1::uuid IS NULL RETURNING id)
           SELECT id AS "id!" FROM changed UNION ALL SELECT id FROM added"#,
        id,
        d.slug,
        d.name,
        d.description,
        d.active,
        d.position,
        now
    )
    .fetch_optional(&mut *tx)
    .await
    .map_err(|e| match crate::server::error::violation(&e) {
        Some(Violation::Unique(c)) if c == "service_types_slug_key" => {
            Failure::from(AppError::invalid("slug", "Another service type has this address."))
        }
        Some(Violation::Unique(c)) if c == "service_types_name_key" => {
            Failure::from(AppError::invalid("name", "Another service type has this name."))
        }
        _ => Failure::from(e),
    })?
    .ok_or(AppError::NotFound)?;
    let action = if id.is_some() { "service_type.updated" } else { "service_type.created" };
    crate::server::audit::record(&mut tx, actor.id, action, saved, d).await?;
    tx.commit().await?;
    catalog_changed(state).await;
    Ok(saved)
}

#[derive(sqlx::FromRow)]
struct CardRow {
    user_id: Uuid,
    slug: String,
    name: String,
    headline: String,
    practice_type: String,
    location: String,
    languages: Vec<String>,
    years_experience: i16,
    photo: Option<Uuid>,
    total: i64,
}

/// One page of live practitioners matching the search. Words are matched against each
/// practitioner's search document (GIN-indexed); a practitioner matches the service
/// filters when one published service meets all of them.
pub async fn directory(state: &AppState, search: DirectorySearch) -> Result<DirectoryPage, Failure> {
    if search.is_unfiltered_first_page() {
        return state.directory_cache.get_or_load(&state.clock, || search_directory(state, search)).await;
    }
    search_directory(state, search).await
}

async fn search_directory(state: &AppState, search: DirectorySearch) -> Result<DirectoryPage, Failure> {
    let order = match search.sort {
        DirectorySort::Relevance if search.search_words().is_some() => {
            "ts_rank(p.search, q.query) DESC, p.years_experience DESC"
        }
        DirectorySort::Relevance | DirectorySort::Experience => "p.years_experience DESC, p.approved_at",
        DirectorySort::PriceLow => "o.low ASC NULLS LAST, p.years_experience DESC",
        DirectorySort::PriceHigh => "o.low DESC NULLS LAST, p.years_experience DESC",
        DirectorySort::Newest => "p.approved_at DESC",
    };
    let service_filter = search.service_type.is_some()
        || search.delivery.is_some()
        || search.min_credits.is_some()
        || search.max_credits.is_some();
    // One lateral look at each practitioner's published services (through their index)
    // gives both the service filters' verdict and the lowest credit price to sort by;
    // without service filters or a price order it is skipped ($10), and the cards' own
    // services are read below for the 24 shown only.
    let sql = format!(
        "WITH q AS (SELECT directory_query($1::text) AS query),
         -- The page's practitioners in order, with the count of all that match; what the
         -- cards show is read for these alone.
         chosen AS (
           SELECT p.user_id, count(*) OVER () AS total
           FROM practitioner_profiles p JOIN users u ON u.id = p.user_id CROSS JOIN q
           LEFT JOIN LATERAL (
               SELECT count(*) AS offered, min(s.price_credits) AS low
               FROM services s JOIN service_types t ON t.id = s.type_id
               WHERE $10 AND s.practitioner_id = p.user_id AND s.status = 'active' AND t.active
                 AND ($2::text IS NULL OR t.slug = $2) AND ($3::text IS NULL OR s.delivery = $3)
                 AND ($4::bigint IS NULL OR s.price_credits >= $4) AND ($5::bigint IS NULL OR s.price_credits <= $5)) o ON true
           WHERE p.onboarding_state = 'approved' AND u.disabled_at IS NULL
             AND (q.query IS NULL OR p.search @@ q.query)
             AND ($6::text IS NULL OR EXISTS (SELECT 1 FROM unnest(p.languages) l WHERE lower(l) = lower($6)))
             AND (NOT $7 OR o.offered > 0)
           ORDER BY {order}, p.user_id
           LIMIT $8 OFFSET $9),
         numbered AS (SELECT user_id, total, row_number() OVER () AS n FROM chosen)
         SELECT p.user_id, p.slug, u.name, p.headline, p.practice_type, p.location, p.languages, p.years_experience,
                (SELECT id FROM practitioner_uploads f WHERE f.user_id = p.user_id AND f.kind = 'photo') AS photo,
                c.total
         FROM numbered c JOIN practitioner_profiles p ON p.user_id = c.user_id JOIN users u ON u.id = p.user_id
         ORDER BY c.n"
    );
    let mut conn = state.pool.acquire().await?;
    let rows = sqlx::query_as::<_, CardRow>(&sql)
        .bind(search.search_words())
        .bind(search.service_type.as_deref())
        .bind(search.delivery.map(|d| d.as_str()))
        .bind(search.min_credits)
        .bind(search.max_credits)
        .bind(search.language.as_deref())
        .bind(service_filter)
        .bind(DIRECTORY_PAGE)
        .bind((search.page - 1) * DIRECTORY_PAGE)
        .bind(service_filter || matches!(search.sort, DirectorySort::PriceLow | DirectorySort::PriceHigh))
        .fetch_all(&mut *conn)
        .await?;
    let total = rows.first().map(|r| r.total).unwrap_or(0);
    let ids: Vec<Uuid> = rows.iter().map(|r| r.user_id).collect();
    let mut offered: std::collections::HashMap<Uuid, Vec<ServiceView>> = std::collections::HashMap::new();
    for row in crate::server::services::published_of(&mut conn, &ids).await? {
        let owner = row.practitioner_id;
        let view = row.into_view()?;
        if search.admits(&view.type_slug, view.delivery, &view.price) {
            offered.entry(owner).or_default().push(view);
        }
    }
    let cards = rows
        .into_iter()
        .map(|r| {
            let services = offered.remove(&r.user_id).unwrap_or_default();
            let mut service_types: Vec<String> = services.iter().map(|s| s.type_name.clone()).collect();
            service_types.dedup();
            DirectoryCard {
                slug: r.slug,
                name: r.name,
                headline: r.headline,
                practice_type: r.practice_type,
                location: r.location,
                languages: r.languages,
                years_experience: r.years_experience,
                photo: r.photo,
                prices: services.iter().map(|s| s.price).collect(),
                service_types,
            }
        })
        .collect();
    drop(conn);
    let types = service_types(state).await?;
    let languages = languages(state).await?;
    Ok(DirectoryPage { search, cards, total, types, languages })
}

/// The languages live practitioners speak, for the directory's filter, from a cache of
/// at most `CATALOG_TTL`.
async fn languages(state: &AppState) -> Result<Vec<String>, sqlx::Error> {
    state
        .languages_cache
        .get_or_load(&state.clock, || {
            sqlx::query_scalar!(
                r#"SELECT DISTINCT initcap(l) AS "language!" FROM practitioner_profiles p, unnest(p.languages) l
                   WHERE p.onboarding_state = 'approved' ORDER BY 1"#
            )
            .fetch_all(&state.pool)
        })
        .await
}

/// `sitemap.xml`: the public pages, every live practitioner's profile and every
/// published service, from the database as it is now.
pub async fn sitemap(state: &AppState) -> Result<String, Failure> {
    let base = state.config.public_url.trim_end_matches('/');
    let rows = sqlx::query!(
        r#"SELECT '/p/' || p.slug AS "path!", p.updated_at AS "at!"
             FROM practitioner_profiles p JOIN users u ON u.id = p.user_id
            WHERE p.onboarding_state = 'approved' AND u.disabled_at IS NULL AND p.slug IS NOT NULL
           UNION ALL
           SELECT '/s/' || s.slug, s.updated_at
             FROM services s JOIN service_types t ON t.id = s.type_id
             JOIN practitioner_profiles p ON p.user_id = s.practitioner_id JOIN users u ON u.id = p.user_id
            WHERE s.status = 'active' AND t.active AND p.onboarding_state = 'approved' AND u.disabled_at IS NULL
           ORDER BY 1"#
    )
    .fetch_all(&state.pool)
    .await?;
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    for path in ["/", "/practitioners", "/credits"] {
        xml.push_str(&format!("  <url><loc>{}</loc></url>\n", crate::domain::markup::escape(&format!("{base}{path}"))));
    }
    for r in rows {
        let day = from_db(r.at).strftime("%Y-%m-%d").to_string();
        xml.push_str(&format!(
            "  <url><loc>{}</loc><lastmod>{day}</lastmod></url>\n",
            crate::domain::markup::escape(&format!("{base}{}", r.path))
        ));
    }
    xml.push_str("</urlset>\n");
    Ok(xml)
}

/// `robots.txt`: everything public may be crawled; the private areas may not.
pub fn robots(state: &AppState) -> String {
    let base = state.config.public_url.trim_end_matches('/');
    format!(
        "User-agent: *\nAllow: /\nDisallow: /admin\nDisallow: /dashboard\nDisallow: /practitioner\nDisallow: /onboarding\nDisallow: /checkout\nDisallow: /sandbox\nDisallow: /api/\nSitemap: {base}/sitemap.xml\n"
    )
}
