//! The catalog's rules: service types, a practitioner's services with their intake
//! questions, and the one price function every page and every charge goes through.
//! Forms are parsed here, so the browser's checks and the server's are the same code.

use crate::domain::money::{Credits, Currency, Money};
use crate::domain::{FieldError, Locale};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub const MAX_SERVICE_CREDITS: i64 = 100_000;
pub const MAX_SERVICE_PRICE_MINOR: i64 = 10_000_000;
pub const MAX_QUESTIONS: usize = 20;
pub const MAX_CHOICES: usize = 12;
pub const TITLE_MAX: usize = 100;
pub const DESCRIPTION_MAX: usize = 4000;
/// What a customer may type into one answer.
pub const SHORT_ANSWER_MAX: usize = 200;
pub const LONG_ANSWER_MAX: usize = 4000;

/// How a service reaches the customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Delivery {
    Video,
    Phone,
    InPerson,
    Written,
}

impl Delivery {
    pub const ALL: [Delivery; 4] = [Delivery::Video, Delivery::Phone, Delivery::InPerson, Delivery::Written];

    pub fn as_str(self) -> &'static str {
        match self {
            Delivery::Video => "video",
            Delivery::Phone => "phone",
            Delivery::InPerson => "in_person",
            Delivery::Written => "written",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Delivery::Video => "Video call",
            Delivery::Phone => "Phone call",
            Delivery::InPerson => "In person",
            Delivery::Written => "Written",
        }
    }

    pub fn parse(raw: &str) -> Option<Delivery> {
        Delivery::ALL.into_iter().find(|d| d.as_str() == raw.trim())
    }

    /// A session at a time (booked in a slot) rather than work delivered later.
    pub fn is_scheduled(self) -> bool {
        self != Delivery::Written
    }
}

/// Where a service is in its life. Only active services are shown and sold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServiceStatus {
    Active,
    Paused,
    Archived,
}

impl ServiceStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ServiceStatus::Active => "active",
            ServiceStatus::Paused => "paused",
            ServiceStatus::Archived => "archived",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ServiceStatus::Active => "Published",
            ServiceStatus::Paused => "Paused",
            ServiceStatus::Archived => "Archived",
        }
    }

    pub fn parse(raw: &str) -> Option<ServiceStatus> {
        [ServiceStatus::Active, ServiceStatus::Paused, ServiceStatus::Archived].into_iter().find(|s| s.as_str() == raw)
    }

    /// Publish and pause go back and forth; archiving hides a service from its owner's
    /// list too, and an archived service comes back paused. The database repeats this.
    pub fn can_move_to(self, to: ServiceStatus) -> bool {
        use ServiceStatus::*;
        matches!((self, to), (Active, Paused) | (Paused, Active) | (Active | Paused, Archived) | (Archived, Paused))
    }
}

/// What a service costs: credits, a card price, or both. Built only by `Price::new`, so
/// every price shown or charged went through the same checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Price {
    pub credits: Option<Credits>,
    pub card: Option<Money>,
}

impl Price {
    pub fn new(credits: Option<i64>, card: Option<Money>) -> Result<Price, FieldError> {
        let credits = match credits {
            None => None,
            Some(n) if (1..=MAX_SERVICE_CREDITS).contains(&n) => Some(Credits::new(n).expect("positive")),
            Some(_) => {
                return Err(FieldError::new(
                    "price_credits",
                    format!("Enter the price in credits as a whole number from 1 to {MAX_SERVICE_CREDITS}."),
                ));
            }
        };
        if let Some(m) = card {
            if m.minor() <= 0 {
                return Err(FieldError::new("card_price", "The card price must be more than zero."));
            }
            if m.minor() > MAX_SERVICE_PRICE_MINOR {
                return Err(FieldError::new("card_price", "That card price is too large for one service."));
            }
        }
        if credits.is_none() && card.is_none() {
            return Err(FieldError::new("price_credits", "Give a price in credits, a card price, or both."));
        }
        Ok(Price { credits, card })
    }

    /// The one way a price is written out: `12 credits · €49.00`.
    pub fn label(&self, locale: Locale) -> String {
        match (self.credits, self.card) {
            (Some(c), Some(m)) => format!("{c} · {}", m.format(locale)),
            (Some(c), None) => c.to_string(),
            (None, Some(m)) => m.format(locale),
            (None, None) => String::new(),
        }
    }
}

/// The lowest credit price among `prices`, for "From 12 credits" on a directory card.
pub fn from_price<'a>(prices: impl IntoIterator<Item = &'a Price>) -> Option<Price> {
    let mut prices: Vec<&Price> = prices.into_iter().collect();
    prices.sort_by_key(|p| (p.credits.is_none(), p.credits, p.card.map(|m| m.minor())));
    prices.first().map(|p| **p)
}

/// Text for directory cards: `From 12 credits`, or the price itself when there is one.
pub fn from_label(prices: &[Price], locale: Locale) -> Option<String> {
    let lowest = from_price(prices)?;
    let label = match lowest.credits {
        Some(c) => c.to_string(),
        None => lowest.label(locale),
    };
    Some(if prices.len() > 1 { format!("From {label}") } else { label })
}

/// A kind of intake question.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuestionKind {
    ShortText,
    LongText,
    Choice,
    Date,
}

impl QuestionKind {
    pub const ALL: [QuestionKind; 4] =
        [QuestionKind::ShortText, QuestionKind::LongText, QuestionKind::Choice, QuestionKind::Date];

    pub fn as_str(self) -> &'static str {
        match self {
            QuestionKind::ShortText => "short_text",
            QuestionKind::LongText => "long_text",
            QuestionKind::Choice => "choice",
            QuestionKind::Date => "date",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            QuestionKind::ShortText => "Short answer",
            QuestionKind::LongText => "Long answer",
            QuestionKind::Choice => "One choice from a list",
            QuestionKind::Date => "Date",
        }
    }

    pub fn parse(raw: &str) -> Option<QuestionKind> {
        QuestionKind::ALL.into_iter().find(|k| k.as_str() == raw.trim())
    }
}

/// An intake question as the customer will see it. Orders keep a copy, so editing a
/// service never changes what an order asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Question {
    pub id: Uuid,
    pub label: String,
    pub kind: QuestionKind,
    pub required: bool,
    /// The choices of a `Choice` question; empty otherwise.
    pub options: Vec<String>,
}

/// A question as typed on the service page; `options` one per line.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct QuestionForm {
    pub label: String,
    pub kind: String,
    pub required: Option<String>,
    pub options: String,
}

impl QuestionForm {
    pub fn parse(&self, id: Uuid) -> Result<Question, FieldError> {
        let label = self.label.trim();
        if label.chars().count() < 3 || label.chars().count() > 200 {
            return Err(FieldError::new("label", "Write the question in 3 to 200 characters."));
        }
        let kind = QuestionKind::parse(&self.kind)
            .ok_or_else(|| FieldError::new("kind", "Choose what kind of answer the question takes."))?;
        let options: Vec<String> =
            self.options.lines().map(str::trim).filter(|o| !o.is_empty()).map(str::to_owned).collect();
        let options = if kind == QuestionKind::Choice {
            if options.len() < 2 || options.len() > MAX_CHOICES {
                return Err(FieldError::new("options", format!("Give 2 to {MAX_CHOICES} choices, one per line.")));
            }
            if let Some(long) = options.iter().find(|o| o.chars().count() > 80) {
                return Err(FieldError::new(
                    "options",
                    format!("Keep each choice to 80 characters: \"{long}\" is longer."),
                ));
            }
            let mut seen = std::collections::HashSet::new();
            if let Some(twice) = options.iter().find(|o| !seen.insert(o.to_lowercase())) {
                return Err(FieldError::new("options", format!("\"{twice}\" is listed twice.")));
            }
            options
        } else {
            Vec::new()
        };
        Ok(Question { id, label: label.to_owned(), kind, required: self.required.is_some(), options })
    }
}

/// A service's fields as checked and ready to store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceDraft {
    pub title: String,
    pub type_slug: String,
    pub description: String,
    pub delivery: Delivery,
    /// Minutes of a scheduled session; None for written work.
    pub duration_minutes: Option<i32>,
    pub price: Price,
}

/// The service form as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ServiceForm {
    pub title: String,
    pub service_type: String,
    pub description: String,
    pub delivery: String,
    pub duration_minutes: String,
    pub price_credits: String,
    pub card_price: String,
    pub currency: String,
}

pub const DURATIONS: [i32; 8] = [15, 30, 45, 60, 75, 90, 120, 180];

impl ServiceForm {
    /// Checks every field; the first problem is named by its field.
    pub fn parse(&self) -> Result<ServiceDraft, FieldError> {
        let title = self.title.trim();
        if title.chars().count() < 3 || title.chars().count() > TITLE_MAX {
            return Err(FieldError::new("title", format!("Give the service a title of 3 to {TITLE_MAX} characters.")));
        }
        let type_slug = self.service_type.trim();
        if type_slug.is_empty() {
            return Err(FieldError::new("service_type", "Choose the type of service."));
        }
        let description = self.description.trim().replace("\r\n", "\n");
        if description.chars().count() < 20 || description.chars().count() > DESCRIPTION_MAX {
            return Err(FieldError::new(
                "description",
                format!(
                    "Describe the service in 20 to {DESCRIPTION_MAX} characters: what happens and what the customer gets."
                ),
            ));
        }
        let delivery = Delivery::parse(&self.delivery)
            .ok_or_else(|| FieldError::new("delivery", "Choose how the service is delivered."))?;
        let duration_minutes = if delivery.is_scheduled() {
            let minutes: i32 = self
                .duration_minutes
                .trim()
                .parse()
                .map_err(|_| FieldError::new("duration_minutes", "Choose how long a session lasts."))?;
            if !DURATIONS.contains(&minutes) {
                return Err(FieldError::new("duration_minutes", "Choose one of the listed session lengths."));
            }
            Some(minutes)
        } else {
            None
        };
        let credits = match self.price_credits.trim() {
            "" => None,
            raw => Some(raw.parse::<i64>().map_err(|_| {
                FieldError::new(
                    "price_credits",
                    format!("Enter the price in credits as a whole number from 1 to {MAX_SERVICE_CREDITS}."),
                )
            })?),
        };
        let card = match self.card_price.trim() {
            "" => None,
            raw => {
                let currency =
                    Currency::parse(&self.currency).map_err(|e| FieldError::new("currency", e.to_string()))?;
                Some(Money::parse_major(raw, currency).map_err(|e| FieldError::new("card_price", e.to_string()))?)
            }
        };
        let price = Price::new(credits, card)?;
        Ok(ServiceDraft {
            title: title.to_owned(),
            type_slug: type_slug.to_owned(),
            description,
            delivery,
            duration_minutes,
            price,
        })
    }
}

/// A service type as admins define it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceTypeDraft {
    pub slug: String,
    pub name: String,
    pub description: String,
    pub active: bool,
    pub position: i32,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ServiceTypeForm {
    pub slug: String,
    pub name: String,
    pub description: String,
    pub active: Option<String>,
    pub position: String,
}

/// `a-z`, digits and single hyphens between them, at most `max` long.
pub fn is_slug(s: &str, max: usize) -> bool {
    !s.is_empty()
        && s.len() <= max
        && s.split('-')
            .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()))
}

impl ServiceTypeForm {
    pub fn parse(&self) -> Result<ServiceTypeDraft, FieldError> {
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > 80 {
            return Err(FieldError::new("name", "Give the type a name of at most 80 characters."));
        }
        let slug = self.slug.trim().to_lowercase();
        if !is_slug(&slug, 64) {
            return Err(FieldError::new(
                "slug",
                "Use lower-case letters, digits and single hyphens for the address, e.g. astrology-reading.",
            ));
        }
        let description = self.description.trim();
        if description.chars().count() > 500 {
            return Err(FieldError::new("description", "Keep the description to at most 500 characters."));
        }
        let position =
            match self.position.trim() {
                "" => 0,
                raw => raw.parse::<i32>().ok().filter(|p| (0..=10_000).contains(p)).ok_or_else(|| {
                    FieldError::new("position", "Enter the position as a whole number from 0 to 10000.")
                })?,
            };
        Ok(ServiceTypeDraft {
            slug,
            name: name.to_owned(),
            description: description.to_owned(),
            active: self.active.is_some(),
            position,
        })
    }
}

/// How the directory is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DirectorySort {
    /// Best match for the search words; with no words, the most experienced first.
    #[default]
    Relevance,
    PriceLow,
    PriceHigh,
    Experience,
    Newest,
}

impl DirectorySort {
    pub const ALL: [DirectorySort; 5] = [
        DirectorySort::Relevance,
        DirectorySort::PriceLow,
        DirectorySort::PriceHigh,
        DirectorySort::Experience,
        DirectorySort::Newest,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DirectorySort::Relevance => "relevance",
            DirectorySort::PriceLow => "price_low",
            DirectorySort::PriceHigh => "price_high",
            DirectorySort::Experience => "experience",
            DirectorySort::Newest => "newest",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            DirectorySort::Relevance => "Best match",
            DirectorySort::PriceLow => "Price: low to high",
            DirectorySort::PriceHigh => "Price: high to low",
            DirectorySort::Experience => "Most experienced",
            DirectorySort::Newest => "Newest",
        }
    }
}

pub const DIRECTORY_PAGE: i64 = 24;

/// The directory's search as it arrives in the address bar.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DirectoryQuery {
    pub q: String,
    pub service_type: String,
    pub delivery: String,
    pub language: String,
    pub min_credits: String,
    pub max_credits: String,
    pub sort: String,
    pub page: String,
}

/// A checked directory search.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectorySearch {
    pub words: Option<String>,
    pub service_type: Option<String>,
    pub delivery: Option<Delivery>,
    pub language: Option<String>,
    pub min_credits: Option<i64>,
    pub max_credits: Option<i64>,
    pub sort: DirectorySort,
    /// From 1.
    pub page: i64,
}

impl DirectoryQuery {
    /// Every field is optional; a value that cannot be understood is refused by name, so
    /// a typed address never silently shows a different search.
    pub fn parse(&self) -> Result<DirectorySearch, FieldError> {
        let words = self.q.trim();
        if words.chars().count() > 100 {
            return Err(FieldError::new("q", "Search with at most 100 characters."));
        }
        let service_type = self.service_type.trim();
        if !service_type.is_empty() && !is_slug(service_type, 64) {
            return Err(FieldError::new("service_type", "That service type does not exist."));
        }
        let delivery = match self.delivery.trim() {
            "" => None,
            raw => Some(
                Delivery::parse(raw)
                    .ok_or_else(|| FieldError::new("delivery", "That way of delivery does not exist."))?,
            ),
        };
        let language = self.language.trim();
        if language.chars().count() > 40 {
            return Err(FieldError::new("language", "That language does not exist."));
        }
        let credits = |field: &str, raw: &str| -> Result<Option<i64>, FieldError> {
            match raw.trim() {
                "" => Ok(None),
                raw => raw.parse::<i64>().ok().filter(|n| (0..=MAX_SERVICE_CREDITS).contains(n)).map(Some).ok_or_else(
                    || {
                        FieldError::new(
                            field,
                            format!("Enter credits as a whole number from 0 to {MAX_SERVICE_CREDITS}."),
                        )
                    },
                ),
            }
        };
        let min_credits = credits("min_credits", &self.min_credits)?;
        let max_credits = credits("max_credits", &self.max_credits)?;
        if let (Some(lo), Some(hi)) = (min_credits, max_credits)
            && lo > hi
        {
            return Err(FieldError::new("max_credits", "The highest price is below the lowest."));
        }
        let sort = match self.sort.trim() {
            "" => DirectorySort::Relevance,
            raw => DirectorySort::ALL
                .into_iter()
                .find(|s| s.as_str() == raw)
                .ok_or_else(|| FieldError::new("sort", "That order does not exist."))?,
        };
        let page = match self.page.trim() {
            "" => 1,
            raw => raw
                .parse::<i64>()
                .ok()
                .filter(|p| (1..=1000).contains(p))
                .ok_or_else(|| FieldError::new("page", "That page does not exist."))?,
        };
        let some = |s: &str| (!s.is_empty()).then(|| s.to_owned());
        Ok(DirectorySearch {
            words: some(words),
            service_type: some(service_type),
            delivery,
            language: some(language),
            min_credits,
            max_credits,
            sort,
            page,
        })
    }
}

impl DirectorySearch {
    /// The address of this search on another page (or in another order), for links that
    /// keep every filter.
    pub fn href(&self, page: i64) -> String {
        let mut parts: Vec<(&str, String)> = Vec::new();
        if let Some(w) = &self.words {
            parts.push(("q", w.clone()));
        }
        if let Some(t) = &self.service_type {
            parts.push(("service_type", t.clone()));
        }
        if let Some(d) = self.delivery {
            parts.push(("delivery", d.as_str().to_owned()));
        }
        if let Some(l) = &self.language {
            parts.push(("language", l.clone()));
        }
        if let Some(n) = self.min_credits {
            parts.push(("min_credits", n.to_string()));
        }
        if let Some(n) = self.max_credits {
            parts.push(("max_credits", n.to_string()));
        }
        if self.sort != DirectorySort::Relevance {
            parts.push(("sort", self.sort.as_str().to_owned()));
        }
        if page > 1 {
            parts.push(("page", page.to_string()));
        }
        if parts.is_empty() {
            return "/practitioners".to_owned();
        }
        let query: Vec<String> = parts.into_iter().map(|(k, v)| format!("{k}={}", encode_component(&v))).collect();
        format!("/practitioners?{}", query.join("&"))
    }
}

impl DirectorySearch {
    /// The search words as a PostgreSQL `to_tsquery` text where every word may be the
    /// start of a longer one (`astro` finds astrology): letters and digits only, so no
    /// typed text is ever read as query syntax. None when no word is left.
    pub fn prefix_query(&self) -> Option<String> {
        let words: Vec<String> = self
            .words
            .as_deref()?
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .take(8)
            .map(|w| format!("{}:*", w.to_lowercase()))
            .collect();
        (!words.is_empty()).then(|| words.join(" & "))
    }

    /// The directory as most visitors first see it: no words, no filters, page one.
    pub fn is_unfiltered_first_page(&self) -> bool {
        *self == DirectoryQuery::default().parse().expect("the empty search is valid")
    }

    /// Whether a published service satisfies the service filters (type, delivery, credit
    /// range); the directory's query applies the same rule in SQL to choose practitioners.
    pub fn admits(&self, service_type: &str, delivery: Delivery, price: &Price) -> bool {
        let credits = price.credits.map(|c| c.get());
        self.service_type.as_deref().is_none_or(|t| t == service_type)
            && self.delivery.is_none_or(|d| d == delivery)
            && self.min_credits.is_none_or(|lo| credits.is_some_and(|c| c >= lo))
            && self.max_credits.is_none_or(|hi| credits.is_some_and(|c| c <= hi))
    }
}

fn encode_component(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// A public address for a service from its practitioner's and its own title:
/// `asha-rao-birth-chart-reading`; the caller adds a number when it is taken.
pub fn service_slug(practitioner_slug: &str, title: &str) -> String {
    let own = crate::domain::wizard::slug_of(title, "");
    let own = if own == "practitioner" { "service".to_owned() } else { own };
    let slug = format!("{practitioner_slug}-{own}");
    let slug: String = slug.chars().take(90).collect();
    slug.trim_end_matches('-').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> ServiceForm {
        ServiceForm {
            title: " Birth chart reading ".into(),
            service_type: "astrology-reading".into(),
            description: "A full reading of your birth chart, recorded for you to keep.".into(),
            delivery: "video".into(),
            duration_minutes: "60".into(),
            price_credits: "12".into(),
            card_price: "49.00".into(),
            currency: "EUR".into(),
        }
    }

    #[test]
    fn a_service_form_parses_into_a_priced_draft() {
        let d = form().parse().unwrap();
        assert_eq!(d.title, "Birth chart reading");
        assert_eq!((d.delivery, d.duration_minutes), (Delivery::Video, Some(60)));
        assert_eq!(d.price.credits.map(Credits::get), Some(12));
        assert_eq!(d.price.card.map(|m| (m.minor(), m.currency())), Some((4900, Currency::Eur)));
        assert_eq!(d.price.label(Locale::default()), "12 credits · €49.00");
        let written =
            ServiceForm { delivery: "written".into(), duration_minutes: "".into(), card_price: "".into(), ..form() };
        let d = written.parse().unwrap();
        assert_eq!((d.duration_minutes, d.price.card), (None, None));
        assert_eq!(d.price.label(Locale::default()), "12 credits");
    }

    #[test]
    fn each_bad_service_field_is_named() {
        let cases: Vec<(ServiceForm, &str)> = vec![
            (ServiceForm { title: "ab".into(), ..form() }, "title"),
            (ServiceForm { title: "x".repeat(101), ..form() }, "title"),
            (ServiceForm { service_type: " ".into(), ..form() }, "service_type"),
            (ServiceForm { description: "short".into(), ..form() }, "description"),
            (ServiceForm { delivery: "telepathy".into(), ..form() }, "delivery"),
            (ServiceForm { duration_minutes: "".into(), ..form() }, "duration_minutes"),
            (ServiceForm { duration_minutes: "61".into(), ..form() }, "duration_minutes"),
            (ServiceForm { price_credits: "0".into(), ..form() }, "price_credits"),
            (ServiceForm { price_credits: "-3".into(), ..form() }, "price_credits"),
            (ServiceForm { price_credits: "100001".into(), ..form() }, "price_credits"),
            (ServiceForm { price_credits: "99999999999999999999".into(), ..form() }, "price_credits"),
            (ServiceForm { price_credits: "1.5".into(), ..form() }, "price_credits"),
            (ServiceForm { price_credits: "".into(), card_price: "".into(), ..form() }, "price_credits"),
            (ServiceForm { card_price: "0".into(), ..form() }, "card_price"),
            (ServiceForm { card_price: "-1.00".into(), ..form() }, "card_price"),
            (ServiceForm { card_price: "100000.01".into(), ..form() }, "card_price"),
            (ServiceForm { card_price: "12.345".into(), ..form() }, "card_price"),
            (ServiceForm { currency: "BTC".into(), ..form() }, "currency"),
        ];
        for (f, field) in cases {
            assert_eq!(f.parse().unwrap_err().field, field, "{f:?}");
        }
    }

    #[test]
    fn choice_questions_need_distinct_choices_and_others_keep_none() {
        let q = QuestionForm {
            label: "Your birth time".into(),
            kind: "short_text".into(),
            required: Some("on".into()),
            options: "a\nb".into(),
        };
        let parsed = q.parse(Uuid::nil()).unwrap();
        assert_eq!((parsed.kind, parsed.required, parsed.options.len()), (QuestionKind::ShortText, true, 0));
        let choice = QuestionForm {
            kind: "choice".into(),
            options: " Morning \n\nEvening\n".into(),
            required: None,
            ..q.clone()
        };
        assert_eq!(choice.parse(Uuid::nil()).unwrap().options, vec!["Morning", "Evening"]);
        let bad = [
            (QuestionForm { label: "Hi".into(), ..q.clone() }, "label"),
            (QuestionForm { kind: "essay".into(), ..q.clone() }, "kind"),
            (QuestionForm { kind: "choice".into(), options: "only".into(), ..q.clone() }, "options"),
            (QuestionForm { kind: "choice".into(), options: "Yes\nyes".into(), ..q.clone() }, "options"),
            (QuestionForm { kind: "choice".into(), options: format!("a\n{}", "b".repeat(81)), ..q.clone() }, "options"),
        ];
        for (f, field) in bad {
            assert_eq!(f.parse(Uuid::nil()).unwrap_err().field, field, "{f:?}");
        }
    }

    #[test]
    fn status_moves_follow_the_rule() {
        use ServiceStatus::*;
        assert!(Active.can_move_to(Paused) && Paused.can_move_to(Active) && Active.can_move_to(Archived));
        assert!(Archived.can_move_to(Paused));
        assert!(!Archived.can_move_to(Active) && !Active.can_move_to(Active));
    }

    #[test]
    fn the_from_price_is_the_lowest_credit_price() {
        let eur = |m| Money::from_minor(m, Currency::Eur);
        let prices = [
            Price::new(Some(20), None).unwrap(),
            Price::new(None, Some(eur(1000))).unwrap(),
            Price::new(Some(8), Some(eur(3000))).unwrap(),
        ];
        assert_eq!(from_label(&prices, Locale::default()).as_deref(), Some("From 8 credits"));
        assert_eq!(from_label(&prices[1..2], Locale::default()).as_deref(), Some("€10.00"));
        assert_eq!(from_label(&[], Locale::default()), None);
    }

    #[test]
    fn directory_queries_are_checked_and_round_trip_into_links() {
        let q = DirectoryQuery {
            q: " birth chart ".into(),
            delivery: "video".into(),
            min_credits: "5".into(),
            sort: "price_low".into(),
            ..Default::default()
        };
        let s = q.parse().unwrap();
        assert_eq!(s.words.as_deref(), Some("birth chart"));
        assert_eq!(s.href(2), "/practitioners?q=birth+chart&delivery=video&min_credits=5&sort=price_low&page=2");
        assert_eq!(DirectoryQuery::default().parse().unwrap().href(1), "/practitioners");
        let bad = [
            (DirectoryQuery { delivery: "fax".into(), ..Default::default() }, "delivery"),
            (DirectoryQuery { min_credits: "-1".into(), ..Default::default() }, "min_credits"),
            (DirectoryQuery { min_credits: "9".into(), max_credits: "3".into(), ..Default::default() }, "max_credits"),
            (DirectoryQuery { sort: "random".into(), ..Default::default() }, "sort"),
            (DirectoryQuery { page: "0".into(), ..Default::default() }, "page"),
            (DirectoryQuery { service_type: "<b>".into(), ..Default::default() }, "service_type"),
        ];
        for (f, field) in bad {
            assert_eq!(f.parse().unwrap_err().field, field, "{f:?}");
        }
    }

    #[test]
    fn search_words_become_a_safe_prefix_query() {
        let s = |q: &str| DirectoryQuery { q: q.into(), ..Default::default() }.parse().unwrap();
        assert_eq!(s("Astro  chart").prefix_query().as_deref(), Some("astro:* & chart:*"));
        assert_eq!(s("a' | !b:*").prefix_query().as_deref(), Some("a:* & b:*"));
        assert_eq!(s("!!!").prefix_query(), None);
        assert_eq!(s("").prefix_query(), None);
    }

    #[test]
    fn service_filters_admit_by_type_delivery_and_credit_range() {
        let s = DirectoryQuery {
            delivery: "video".into(),
            min_credits: "5".into(),
            max_credits: "10".into(),
            ..Default::default()
        }
        .parse()
        .unwrap();
        let p = |c| Price::new(Some(c), None).unwrap();
        assert!(s.admits("any", Delivery::Video, &p(5)) && s.admits("any", Delivery::Video, &p(10)));
        assert!(!s.admits("any", Delivery::Video, &p(11)) && !s.admits("any", Delivery::Phone, &p(7)));
        let card_only = Price::new(None, Some(Money::from_minor(100, Currency::Eur))).unwrap();
        assert!(!s.admits("any", Delivery::Video, &card_only), "a credit range needs a credit price");
    }

    #[test]
    fn service_slugs_start_with_the_practitioner() {
        assert_eq!(service_slug("asha-rao", "Birth Chart Reading (60 min)"), "asha-rao-birth-chart-reading-60-min");
        assert!(is_slug(&service_slug("asha-rao", "¿¡!"), 100));
    }

    #[test]
    fn service_type_forms_are_checked() {
        let f = ServiceTypeForm {
            slug: "Yoga-Class".into(),
            name: "Yoga class".into(),
            description: "".into(),
            active: Some("on".into()),
            position: "2".into(),
        };
        assert_eq!(f.parse().unwrap().slug, "yoga-class");
        assert_eq!(ServiceTypeForm { slug: "yoga--class".into(), ..f.clone() }.parse().unwrap_err().field, "slug");
        assert_eq!(ServiceTypeForm { name: " ".into(), ..f.clone() }.parse().unwrap_err().field, "name");
        assert_eq!(ServiceTypeForm { position: "-1".into(), ..f }.parse().unwrap_err().field, "position");
    }
}
