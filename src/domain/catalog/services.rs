//! A practitioner's service and an admin's service type, each as typed and as checked,
//! and the public address of a service.

use super::{DESCRIPTION_MAX, Delivery, MAX_SERVICE_CREDITS, Price, TITLE_MAX};
use crate::domain::FieldError;
use crate::domain::money::{Currency, Money};
use serde::{Deserialize, Serialize};

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

/// A public address for a service from its practitioner's and its own title:
/// `asha-rao-birth-chart-reading`; the caller adds a number when it is taken.
pub fn service_slug(practitioner_slug: &str, title: &str) -> String {
    let own = crate::domain::wizard::slug_of(title, "");
    let own = if own == "practitioner" { "service".to_owned() } else { own };
    let slug = format!("{practitioner_slug}-{own}");
    let slug: String = slug.chars().take(90).collect();
    slug.trim_end_matches('-').to_owned()
}
