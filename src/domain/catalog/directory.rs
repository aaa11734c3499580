//! The practitioner directory's search: its order, the query as it arrives in the
//! address bar, and the checked search with the links that keep it.

use super::{Delivery, MAX_SERVICE_CREDITS, Price, is_slug};
use crate::domain::FieldError;
use serde::{Deserialize, Serialize};

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
    /// The search words for the database's `directory_query`, which tokenises them with
    /// the same parser that built the documents (so any script splits alike on both
    /// sides) and lets every word be the start of a longer one (`astro` finds
    /// astrology). At most eight words, split on white space only; None when no word has
    /// a letter or digit.
    pub fn search_words(&self) -> Option<String> {
        let words: Vec<&str> = self
            .words
            .as_deref()?
            .split_whitespace()
            .filter(|w| w.chars().any(char::is_alphanumeric))
            .take(8)
            .collect();
        (!words.is_empty()).then(|| words.join(" "))
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
