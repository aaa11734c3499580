//! Catalog's wire types: service types, services and their pages, the directory, and the
//! home page's statistics.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceType {
    pub slug: String,
    pub name: String,
    pub description: String,
}

/// Platform statistics, counted from the database at `as_of`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HomeStats {
    pub practitioners: i64,
    pub customers: i64,
    pub service_types: i64,
    /// Booked sessions that took place.
    pub sessions_completed: i64,
    /// The average of every review's rating times ten, rounded; none before the first.
    pub average_rating_tenths: Option<i64>,
    pub as_of: Timestamp,
}

/// The home page's view of statistics: either real figures or an honest "unavailable".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum StatsView {
    Available(HomeStats),
    Unavailable,
}

/// A service type as admins manage it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceTypeAdmin {
    pub id: Uuid,
    pub draft: crate::domain::catalog::ServiceTypeDraft,
    /// Services of this type, in any status.
    pub services: i64,
}

/// A service as its practitioner, the service page and the directory see it. Its
/// `price` is the only price there is: every page shows it with `Price::label`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceView {
    pub id: Uuid,
    pub slug: String,
    pub title: String,
    pub type_slug: String,
    pub type_name: String,
    pub description: String,
    pub delivery: crate::domain::catalog::Delivery,
    pub duration_minutes: Option<i32>,
    pub price: crate::domain::catalog::Price,
    pub questions: Vec<crate::domain::catalog::Question>,
    pub status: crate::domain::catalog::ServiceStatus,
}

/// Who offers a service, as its page names them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PractitionerSummary {
    pub slug: String,
    pub name: String,
    pub headline: String,
    pub practice_type: String,
    pub photo: Option<Uuid>,
}

/// `/s/<slug>`: a published service of a live practitioner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServicePage {
    pub service: ServiceView,
    pub practitioner: PractitionerSummary,
    /// The practitioner's other published services.
    pub more: Vec<ServiceView>,
}

/// One practitioner in the directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectoryCard {
    pub slug: String,
    pub name: String,
    pub headline: String,
    pub practice_type: String,
    pub location: String,
    pub languages: Vec<String>,
    pub years_experience: i16,
    pub photo: Option<Uuid>,
    /// The prices of their published services (matching the filters), for "From …".
    pub prices: Vec<crate::domain::catalog::Price>,
    pub service_types: Vec<String>,
}

/// A page of the directory, with what its filters can be set to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectoryPage {
    pub search: crate::domain::catalog::DirectorySearch,
    pub cards: Vec<DirectoryCard>,
    pub total: i64,
    pub types: Vec<ServiceType>,
    pub languages: Vec<String>,
}
