//! Data the server sends to the UI. Shared by both targets so the wire format has one
//! definition.

use crate::domain::{Role, TimeZone, UserCode};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Who is signed in, as the UI needs to know it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionUser {
    pub id: uuid::Uuid,
    pub code: UserCode,
    /// None for a practitioner who signed in by phone and has not given one yet.
    pub email: Option<String>,
    pub name: String,
    pub role: Role,
    /// The zone every instant is shown to them in.
    pub time_zone: TimeZone,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    pub code: UserCode,
    pub email: String,
    pub name: String,
    pub phone: Option<String>,
    pub time_zone: TimeZone,
    pub role: Role,
    pub member_since: Timestamp,
}

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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminUserRow {
    pub id: uuid::Uuid,
    pub code: UserCode,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserPage {
    pub rows: Vec<AdminUserRow>,
    pub total: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxRow {
    pub id: i64,
    /// "email" or "sms".
    pub channel: String,
    pub to_address: String,
    pub template: String,
    pub subject: String,
    pub status: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub created_at: Timestamp,
    pub sent_at: Option<Timestamp>,
}

/// A customer's credits: what they can spend now, the lots it is in (in the order they
/// are spent), and recent movements with the balance after each.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditOverview {
    pub available: i64,
    pub lots: Vec<CreditLotView>,
    pub history: Vec<CreditMove>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditLotView {
    pub promotional: bool,
    pub granted: i64,
    pub remaining: i64,
    pub expires_at: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditMove {
    pub at: Timestamp,
    /// purchase, bonus, spend, refund, adjustment or expiry.
    pub kind: String,
    pub reason: Option<String>,
    pub change: i64,
    pub balance_after: i64,
}

/// The newest scheduled ledger check, for the admin panel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerStatus {
    pub checked_at: Timestamp,
    pub clean: bool,
    pub transactions: i64,
    /// Transactions that do not sum to zero or have no entries.
    pub unbalanced: i64,
    /// Wallets and lots whose kept figures differ from their entries.
    pub drifted: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobRow {
    pub id: i64,
    pub kind: String,
    pub status: String,
    pub attempts: i32,
    pub max_attempts: i32,
    pub last_error: Option<String>,
    pub run_at: Timestamp,
}

/// A credit package as stored: `PackageDraft`'s fields and its id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditPackage {
    pub id: uuid::Uuid,
    #[serde(flatten)]
    pub draft: crate::domain::orders::PackageDraft,
}

impl CreditPackage {
    pub fn price(&self) -> crate::domain::Money {
        crate::domain::Money::from_minor(self.draft.price_minor, self.draft.currency)
    }
}

/// An order as its customer (and admins) see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderView {
    pub number: String,
    pub kind: crate::domain::orders::OrderKind,
    /// The pack's or the service's name when it was ordered.
    pub item_name: String,
    /// A pack's credits (none for a service).
    pub credits: i64,
    pub bonus_credits: i64,
    /// What it was placed at: a pack's card price; a service's credits, card price or both.
    pub price: crate::domain::catalog::Price,
    pub paid_with: Option<crate::domain::orders::PaidWith>,
    pub status: crate::domain::orders::OrderStatus,
    pub invoice_number: Option<String>,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub paid_at: Option<Timestamp>,
    /// Money returned to the customer so far (or on its way back).
    pub refunded_minor: i64,
    /// The credit notes of its refunds, oldest first.
    pub credit_notes: Vec<String>,
    /// For a credit pack bought to pay a service order: that order's number.
    pub for_order: Option<String>,
}

impl OrderView {
    /// What was paid once it is paid, else what it costs.
    pub fn price_label(&self, locale: crate::domain::Locale) -> String {
        crate::domain::orders::charged(&self.price, self.paid_with).label(locale)
    }

    pub fn refunded(&self) -> Option<crate::domain::Money> {
        self.price.card.map(|m| crate::domain::Money::from_minor(self.refunded_minor, m.currency()))
    }
}

/// Exactly what a refund of an order would move, shown to the admin before it is made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundPreview {
    pub order_number: String,
    pub invoice_number: String,
    /// Paid credits and the bonus credits that go with them.
    pub credits: i64,
    pub bonus_credits: i64,
    /// Returned to the card the order was paid with.
    pub amount: crate::domain::Money,
    /// The most paid credits that can be refunded now.
    pub max_credits: i64,
    pub refunded_so_far: crate::domain::Money,
    pub status_after: crate::domain::orders::OrderStatus,
    /// The customer's wallet before and after.
    pub balance_before: i64,
    pub balance_after: i64,
    pub provider: String,
}

/// One refund of an order, for the admin order page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundRow {
    pub created_at: Timestamp,
    pub amount: crate::domain::Money,
    pub credits: i64,
    pub bonus_credits: i64,
    pub status: crate::domain::refunds::RefundStatus,
    pub credit_note_number: Option<String>,
    pub reason: String,
    pub actor: Option<UserCode>,
    pub failure: Option<String>,
}

/// The sandbox provider's test checkout page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SandboxSession {
    pub id: String,
    pub order_number: String,
    pub description: String,
    pub amount: crate::domain::Money,
    /// Still waiting for a person to approve or decline.
    pub open: bool,
    pub paid: bool,
    pub declined: bool,
    pub cancel_path: String,
}

/// One provider event as the admin payments page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentEventRow {
    pub id: String,
    pub kind: String,
    pub status: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub received_at: Timestamp,
}

/// The newest reconciliation run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReconciliationRow {
    pub ran_at: Timestamp,
    pub checked: i32,
    pub repaired: i32,
}

/// An order as the admin payments page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminOrderRow {
    pub order: OrderView,
    pub customer: UserCode,
}

/// The admin payments page: recent orders and events, and the last reconciliation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentsOverview {
    pub orders: Vec<AdminOrderRow>,
    pub events: Vec<PaymentEventRow>,
    pub last_reconciliation: Option<ReconciliationRow>,
}

/// What the order result page's watcher needs to know: small, with no instants, so the
/// browser bundle decodes it without a date parser.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentState {
    pub status: crate::domain::orders::OrderStatus,
    /// Credits and bonus credits together.
    pub credits: i64,
    pub invoice_number: Option<String>,
}

/// One move of an order's status, for its history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderTransitionRow {
    pub at: Timestamp,
    pub from: Option<crate::domain::orders::OrderStatus>,
    pub to: crate::domain::orders::OrderStatus,
    /// Who moved it; `None` for the system (provider events, jobs).
    pub actor: Option<UserCode>,
    pub reason: String,
}

/// An order with everything support needs to answer a question about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderDetail {
    pub order: OrderView,
    pub customer: UserCode,
    pub customer_email: Option<String>,
    pub transitions: Vec<OrderTransitionRow>,
    /// Checkout sessions opened at the provider, newest first.
    pub sessions: Vec<String>,
    /// Refunds, oldest first.
    pub refunds: Vec<RefundRow>,
    /// Paid credits that could be refunded now (0 when none can).
    pub refundable_credits: i64,
}

/// One import of the call centre's lead list and what became of its rows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeadBatchRow {
    pub id: String,
    pub file_name: String,
    pub created_at: Timestamp,
    /// The admin who uploaded it; `None` from the command line.
    pub imported_by: Option<UserCode>,
    pub rows_total: i32,
    pub created: i32,
    pub updated: i32,
    pub unchanged: i32,
    pub rejected: i32,
}

/// A row a lead import refused: its line in the file and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeadErrorRow {
    pub line: i32,
    pub reason: String,
}

/// A lead import with the rows it refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeadBatchDetail {
    pub batch: LeadBatchRow,
    pub errors: Vec<LeadErrorRow>,
}

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

/// A service as the checkout shows it before an order exists (step 1 of a new order).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckoutStart {
    pub service: ServiceView,
    pub practitioner: PractitionerSummary,
    /// Prefilled from the signed-in account; empty for a guest.
    pub name: String,
    pub email: String,
    pub signed_in: bool,
    /// The time chosen for a session, read in the visitor's zone.
    pub slot: Option<BookingTime>,
}

/// A service order's checkout: what was agreed when it was started, how far the
/// customer got, and what paying needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckoutView {
    pub number: String,
    pub status: crate::domain::orders::OrderStatus,
    pub title: String,
    pub service_slug: String,
    pub delivery: crate::domain::catalog::Delivery,
    pub practitioner: PractitionerSummary,
    /// The price when the order was started: what it will be charged.
    pub price: crate::domain::catalog::Price,
    pub questions: Vec<crate::domain::catalog::Question>,
    pub answers: std::collections::BTreeMap<String, String>,
    pub name: String,
    pub email: String,
    /// The furthest step completed (0 for none).
    pub completed: i16,
    pub expires_at: Timestamp,
    /// The customer's spendable credits, when they are signed in.
    pub balance: Option<i64>,
    pub signed_in: bool,
    /// The pack offered when the balance does not cover the credit price.
    pub offer: Option<CreditPackage>,
    /// The session's time, for a booked service.
    pub slot: Option<BookingTime>,
}

impl CheckoutView {
    /// Credits still needed to pay in credits, when the wallet is short.
    pub fn shortfall(&self) -> Option<i64> {
        let needed = self.price.credits?.get();
        let have = self.balance.unwrap_or(0);
        (have < needed).then_some(needed - have)
    }
}

/// One step of an order's history as its customer and practitioner see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineEntry {
    pub at: Timestamp,
    pub status: crate::domain::orders::OrderStatus,
    pub note: String,
    /// Who moved it, by name; `None` for the platform.
    pub by: Option<String>,
}

/// Who is looking at an order, which decides what they may do with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderRole {
    Customer,
    Practitioner,
    Admin,
}

/// A service order's page, for its customer, its practitioner and admins.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceOrderView {
    pub order: OrderView,
    pub viewer: OrderRole,
    pub service_slug: String,
    pub practitioner: PractitionerSummary,
    pub customer_name: String,
    pub questions: Vec<crate::domain::catalog::Question>,
    pub answers: std::collections::BTreeMap<String, String>,
    pub timeline: Vec<TimelineEntry>,
    pub documents: Vec<DocumentView>,
    pub messages: Vec<MessageView>,
    /// Whether the viewer may add files and messages (its customer or practitioner, once paid).
    pub can_write: bool,
    /// The session, for a booked service.
    pub booking: Option<BookingPanel>,
}

/// A file attached to an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentView {
    pub id: Uuid,
    pub file_name: String,
    pub size_bytes: i64,
    pub uploaded_by: String,
    pub uploaded_at: Timestamp,
}

/// A message of an order's thread.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageView {
    pub author: String,
    pub mine: bool,
    pub at: Timestamp,
    pub pieces: Vec<crate::domain::messages::Piece>,
}

/// A line of a practitioner's or customer's order list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceOrderRow {
    pub number: String,
    pub title: String,
    /// The other side: the customer for a practitioner, the practitioner for a customer.
    pub with: String,
    pub status: crate::domain::orders::OrderStatus,
    pub price: String,
    pub placed_at: Timestamp,
    /// Messages from the other side not yet read.
    pub unread: i64,
    /// When the session is, for a booked service, in the reader's zone.
    pub session: Option<String>,
}

/// A practitioner's earnings in one calendar month (in their time zone).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EarningsRow {
    /// `2026-12`.
    pub month: String,
    pub orders: i64,
    /// Credits customers spent on their orders, as the ledger recorded them.
    pub credits: i64,
    /// Card payments, one amount per currency.
    pub money: Vec<crate::domain::Money>,
}

/// The availability editor: the settings as a form, the date exceptions to come and the
/// working hours of the next seven days in the practitioner's zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AvailabilityView {
    pub form: crate::domain::booking::AvailabilityForm,
    /// Whether they have saved it (until then the form shows a starting point and no one
    /// can book them).
    pub configured: bool,
    pub exceptions: Vec<ExceptionRow>,
    pub week: Vec<DayHours>,
    pub today: jiff::civil::Date,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExceptionRow {
    pub id: i64,
    pub day: jiff::civil::Date,
    /// `None` for a day off.
    pub hours: Option<crate::domain::availability::Hours>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayHours {
    pub day: jiff::civil::Date,
    pub hours: Vec<crate::domain::availability::Hours>,
}

/// A free time as the slot picker offers it, labelled in the viewer's zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlotOffer {
    /// The start as `datetime::machine` writes it (`2026-12-03T10:00:00Z`): a string, so
    /// the browser bundles, which decode `AppError::SlotTaken`, carry no date parser.
    pub at: String,
    /// `14:30`.
    pub label: String,
}

/// One local day of the slot picker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlotDay {
    pub day: jiff::civil::Date,
    /// `Thu 3 Dec`.
    pub label: String,
    pub slots: Vec<SlotOffer>,
}

/// `/s/<slug>/book`: a week of free times for a scheduled service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlotPicker {
    pub service: ServiceView,
    pub practitioner: PractitionerSummary,
    /// The zone the times are shown in, and where it came from.
    pub zone: TimeZone,
    pub zone_from_profile: bool,
    pub practitioner_zone: TimeZone,
    pub days: Vec<SlotDay>,
    /// The first day of the previous and next weeks, when they can be booked.
    pub previous: Option<jiff::civil::Date>,
    pub next: Option<jiff::civil::Date>,
    /// The first free time after this week, when this week has none.
    pub next_free: Option<SlotOffer>,
    pub policy: String,
    /// Whether the practitioner takes bookings at all (they have set their hours).
    pub bookable: bool,
}

/// The time a booking is for, as someone reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookingTime {
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    /// `Thu 3 Dec 2026, 14:30 GMT` in the reader's zone.
    pub label: String,
    pub zone: TimeZone,
}

/// A booked session on its order's page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookingPanel {
    pub time: BookingTime,
    /// The same time in the other side's zone, when it differs.
    pub other_zone: Option<String>,
    pub status: crate::domain::booking::BookingStatus,
    pub hold_until: Option<Timestamp>,
    pub policy: String,
    /// What cancelling now would return, computed by the function that refunds.
    pub cancel: Option<CancelPreview>,
    pub can_reschedule: bool,
    /// The practitioner may mark it completed or missed once it has started.
    pub can_close: bool,
    /// The practitioner's private notes (only they see them).
    pub notes: Option<String>,
    /// The customer's review, once written.
    pub review: Option<ReviewView>,
    /// The customer may review it: completed, and not reviewed yet.
    pub can_review: bool,
}

/// A customer's review of a session they attended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewView {
    pub rating: i16,
    pub body: String,
    /// The author's first name.
    pub by: String,
    pub at: Timestamp,
}

/// A practitioner's reviews as their profile shows them.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ReviewSummary {
    pub count: i64,
    /// The average rating times ten, rounded (46 is 4.6); none without reviews.
    pub average_tenths: Option<i64>,
    pub latest: Vec<ReviewView>,
}

impl ReviewSummary {
    /// `4.6`.
    pub fn average_label(&self) -> Option<String> {
        self.average_tenths.map(|t| format!("{}.{}", t / 10, t % 10))
    }
}

/// What a cancellation would do, before the person confirms it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CancelPreview {
    pub due: crate::domain::booking::RefundDue,
    /// `4 credits` or `£24.99`.
    pub refund: String,
    pub paid: String,
    pub explanation: String,
}

/// A person's private calendar address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedState {
    /// When the working address was made; none when there is none.
    pub made: Option<Timestamp>,
    /// The address itself, right after it was made (it is not kept, so shown once).
    pub fresh: Option<String>,
}
