//! Onboarding's wire types: the practitioner list, the onboarding wizard, the public
//! profile and the onboarding funnel.

use super::{ReviewSummary, ServiceView};
use crate::domain::UserCode;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A practitioner and where they are in onboarding, for the admin list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PractitionerRow {
    pub code: UserCode,
    pub name: String,
    pub email: String,
    pub state: crate::domain::onboarding::OnboardingState,
    /// The first wizard step not yet completed; 6 once all five are.
    pub step_reached: i16,
    /// Whether they came from the call centre's lead list.
    pub from_lead: bool,
    pub first_login_at: Option<Timestamp>,
    pub submitted_at: Option<Timestamp>,
    pub approved_at: Option<Timestamp>,
}

/// One entry of a practitioner's experience, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExperienceRow {
    pub id: i64,
    pub entry: crate::domain::wizard::Experience,
}

/// A stored upload of a practitioner's: their photo or a certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadRow {
    pub id: Uuid,
    /// What the practitioner called it (certificates) or "Profile photo".
    pub title: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub uploaded_at: Timestamp,
}

/// Everything the onboarding wizard shows, saved values first and call-centre values
/// where nothing is saved yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WizardView {
    pub code: UserCode,
    pub state: crate::domain::onboarding::OnboardingState,
    /// The first step not yet completed; 6 once all five are.
    pub step_reached: i16,
    pub review_note: Option<String>,
    pub basic: crate::domain::wizard::BasicForm,
    /// The number was proved by a code sent to it.
    pub phone_verified: bool,
    pub professional: crate::domain::wizard::ProfessionalForm,
    pub bio: crate::domain::wizard::BioForm,
    pub experience: Vec<ExperienceRow>,
    pub photo: Option<UploadRow>,
    pub certificates: Vec<UploadRow>,
    pub prefill: Vec<crate::domain::wizard::Prefill>,
    /// The public profile address once approved.
    pub slug: Option<String>,
    /// The current year on the server's clock (experience cannot start later).
    pub this_year: i16,
}

/// What anyone may see of a live practitioner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicProfile {
    pub slug: String,
    pub name: String,
    pub headline: String,
    pub bio: String,
    pub practice_type: String,
    pub location: String,
    pub specialties: Vec<String>,
    pub languages: Vec<String>,
    pub years_experience: i16,
    pub experience: Vec<crate::domain::wizard::Experience>,
    /// The upload id of the photo: `/media/<id>/photo.jpg`.
    pub photo: Option<Uuid>,
    /// Their published services.
    pub services: Vec<ServiceView>,
    /// What customers said of their sessions.
    pub reviews: ReviewSummary,
}

/// The onboarding funnel of one lead batch, or of every lead (`batch` None).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FunnelRow {
    pub batch: Option<Uuid>,
    pub label: String,
    pub imported_at: Option<Timestamp>,
    /// One count per stage of `domain::onboarding::FUNNEL`.
    pub counts: Vec<i64>,
}
