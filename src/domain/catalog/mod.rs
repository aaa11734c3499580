//! The catalog's rules: service types, a practitioner's services with their intake
//! questions, and the one price function every page and every charge goes through.
//! Forms are parsed here, so the browser's checks and the server's are the same code.
//!
//! Intake questions are in `questions`, a service's and a service type's forms in
//! `services`, and the practitioner directory's search in `directory`.

mod directory;
mod questions;
mod services;

pub use directory::{DIRECTORY_PAGE, DirectoryQuery, DirectorySearch, DirectorySort};
pub use questions::{Question, QuestionForm, QuestionKind};
pub use services::{DURATIONS, ServiceDraft, ServiceForm, ServiceTypeDraft, ServiceTypeForm, is_slug, service_slug};

use crate::domain::money::{Credits, Money};
use crate::domain::{FieldError, Locale};
use serde::{Deserialize, Serialize};

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

#[cfg(test)]
mod tests;
