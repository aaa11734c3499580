//! Instants and the zones people see them in.
//!
//! Every instant is stored and sent as a UTC `jiff::Timestamp`; a person's IANA zone
//! decides only how it is shown, and the one formatter here shows it, so pages, emails
//! and calendar files never disagree. The full IANA database is bundled into the server
//! (the `ssr` feature). The browser bundle carries none: there a zone name is only
//! checked for its shape and instants are shown in UTC, which is why times are rendered
//! on the server.

use crate::domain::FieldError;
use jiff::{Timestamp, tz};
use serde::{Deserialize, Serialize};

const ZONE_NAME_MAX: usize = 64;
const CHOOSE: &str = "Choose a time zone from the list.";

/// An IANA time zone name the server's database knows, in its canonical spelling.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TimeZone(String);

crate::domain::string_newtype_serde!(TimeZone, TimeZone::parse);

impl TimeZone {
    pub fn utc() -> Self {
        TimeZone("UTC".to_owned())
    }

    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let raw = raw.trim();
        let shaped = !raw.is_empty()
            && raw.len() <= ZONE_NAME_MAX
            && raw.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '_' | '-' | '+'));
        if !shaped {
            return Err(FieldError::new("time_zone", CHOOSE));
        }
        let db = tz::db();
        if db.is_definitively_empty() {
            return Ok(TimeZone(raw.to_owned()));
        }
        let zone = db.get(raw).map_err(|_| FieldError::new("time_zone", CHOOSE))?;
        Ok(TimeZone(zone.iana_name().unwrap_or(raw).to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The zone's rules; UTC where the database is absent (the browser).
    pub fn rules(&self) -> tz::TimeZone {
        tz::db().get(&self.0).unwrap_or(tz::TimeZone::UTC)
    }
}

/// How much of an instant to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// "Wed 25 Nov 2026, 14:05 GMT"
    DateTime,
    /// "25 Nov 2026"
    Date,
}

/// An instant as a person in `zone` reads it, with the zone's abbreviation (or its UTC
/// offset where the zone has no abbreviation) so the reader knows which clock is meant.
pub fn show(at: Timestamp, zone: &TimeZone, style: Style) -> String {
    let local = at.to_zoned_datetime(zone.rules());
    match style {
        Style::Date => local.strftime("%-d %b %Y").to_string(),
        Style::DateTime => {
            let abbreviation = local.strftime("%Z").to_string();
            format!("{} {}", local.strftime("%a %-d %b %Y, %H:%M"), readable_abbreviation(&abbreviation))
        }
    }
}

/// The machine-readable form: UTC to the second, as `<time datetime>` and the wire take it.
/// Cut to the second, not rounded, so it names the same minute as the text shown beside
/// it (rounding sent 10:20:59.6 to 10:21 beside a shown 10:20).
pub fn machine(at: Timestamp) -> String {
    at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Zones without an abbreviation of their own are written as offsets ("-03",
/// "+0545"); show those as "UTC-03" and "UTC+05:45".
fn readable_abbreviation(abbreviation: &str) -> String {
    let Some(sign) = abbreviation.chars().next().filter(|c| *c == '+' || *c == '-') else {
        return abbreviation.to_owned();
    };
    let digits = &abbreviation[1..];
    match digits.len() {
        4 => format!("UTC{sign}{}:{}", &digits[..2], &digits[2..]),
        _ => format!("UTC{sign}{digits}"),
    }
}

/// One entry of the zone picker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZoneChoice {
    pub name: String,
    pub label: String,
}

/// Zones grouped by region for the picker, each group sorted by label. On the server
/// this is every geographic zone in the database; in the browser only UTC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZoneGroup {
    pub region: &'static str,
    pub zones: Vec<ZoneChoice>,
}

const REGIONS: &[(&str, &str)] = &[
    ("Africa", "Africa"),
    ("America", "Americas"),
    ("Antarctica", "Antarctica"),
    ("Arctic", "Arctic"),
    ("Asia", "Asia"),
    ("Atlantic", "Atlantic"),
    ("Australia", "Australia"),
    ("Europe", "Europe"),
    ("Indian", "Indian Ocean"),
    ("Pacific", "Pacific"),
];

pub fn zone_groups() -> Vec<ZoneGroup> {
    let mut groups = vec![ZoneGroup {
        region: "Universal",
        zones: vec![ZoneChoice { name: "UTC".to_owned(), label: "UTC".to_owned() }],
    }];
    let names: Vec<String> = tz::db().available().map(|n| n.as_str().to_owned()).collect();
    for (prefix, region) in REGIONS {
        let mut zones: Vec<ZoneChoice> = names
            .iter()
            .filter_map(|name| {
                let place = name.strip_prefix(prefix)?.strip_prefix('/')?;
                Some(ZoneChoice { name: name.clone(), label: place.replace('_', " ").replace('/', " / ") })
            })
            .collect();
        if zones.is_empty() {
            continue;
        }
        zones.sort_by(|a, b| a.label.cmp(&b.label));
        groups.push(ZoneGroup { region, zones });
    }
    groups
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn zone(name: &str) -> TimeZone {
        TimeZone::parse(name).unwrap()
    }

    #[test]
    fn any_iana_zone_is_accepted_in_its_canonical_spelling() {
        assert_eq!(zone("Europe/London").as_str(), "Europe/London");
        assert_eq!(zone(" america/argentina/buenos_aires ").as_str(), "America/Argentina/Buenos_Aires");
        assert_eq!(zone("Pacific/Chatham").as_str(), "Pacific/Chatham", "beyond the old curated list");
        for bad in [
            "",
            "Mars/Olympus_Mons",
            "Europe/Lon don",
            "Europe/London;",
            "../../etc/passwd",
            "posix/Europe/London",
            &"A/".repeat(40),
        ] {
            assert_eq!(TimeZone::parse(bad).unwrap_err().field, "time_zone", "{bad:?}");
        }
    }

    #[test]
    fn instants_are_shown_in_the_readers_zone_across_daylight_saving() {
        let london = zone("Europe/London");
        assert_eq!(show(at("2026-03-29T00:30:00Z"), &london, Style::DateTime), "Sun 29 Mar 2026, 00:30 GMT");
        assert_eq!(show(at("2026-03-29T01:30:00Z"), &london, Style::DateTime), "Sun 29 Mar 2026, 02:30 BST");
        let new_york = zone("America/New_York");
        assert_eq!(show(at("2026-11-01T05:30:00Z"), &new_york, Style::DateTime), "Sun 1 Nov 2026, 01:30 EDT");
        assert_eq!(show(at("2026-11-01T06:30:00Z"), &new_york, Style::DateTime), "Sun 1 Nov 2026, 01:30 EST");
        assert_eq!(
            show(at("2026-11-24T23:30:00Z"), &zone("Asia/Kolkata"), Style::DateTime),
            "Wed 25 Nov 2026, 05:00 IST"
        );
        assert_eq!(
            show(at("2026-11-24T23:30:00Z"), &zone("Asia/Kathmandu"), Style::DateTime),
            "Wed 25 Nov 2026, 05:15 UTC+05:45"
        );
        assert_eq!(
            show(at("2026-11-24T12:00:00Z"), &zone("America/Sao_Paulo"), Style::DateTime),
            "Tue 24 Nov 2026, 09:00 UTC-03"
        );
        assert_eq!(show(at("2026-11-24T23:30:00Z"), &TimeZone::utc(), Style::Date), "24 Nov 2026");
        assert_eq!(show(at("2026-11-24T23:30:00Z"), &zone("Australia/Sydney"), Style::Date), "25 Nov 2026");
    }

    #[test]
    fn the_machine_form_is_utc_to_the_second() {
        assert_eq!(machine(at("2026-11-22T16:34:05.123456Z")), "2026-11-22T16:34:05Z");
        assert_eq!(machine(at("2026-11-22T16:34:05.6Z")), "2026-11-22T16:34:05Z");
        let late = at("2026-11-22T16:34:59.6Z");
        let shown = show(at(&machine(late)), &TimeZone::utc(), Style::DateTime);
        assert_eq!(shown, show(late, &TimeZone::utc(), Style::DateTime), "the same minute as the text beside it");
    }

    #[test]
    fn the_picker_offers_every_geographic_zone_grouped_and_sorted() {
        let groups = zone_groups();
        assert_eq!(groups[0].zones[0].name, "UTC");
        let all: Vec<&ZoneChoice> = groups.iter().flat_map(|g| &g.zones).collect();
        assert!(all.len() > 300, "the full database, not a curated list: {}", all.len());
        assert!(all.iter().all(|z| TimeZone::parse(&z.name).is_ok()));
        let americas = groups.iter().find(|g| g.region == "Americas").unwrap();
        assert!(americas.zones.iter().any(|z| z.label == "Argentina / Buenos Aires"));
        assert!(groups.iter().all(|g| g.zones.windows(2).all(|w| w[0].label <= w[1].label)));
    }
}
