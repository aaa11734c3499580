//! iCalendar (RFC 5545) for booked sessions: the private calendar feeds and the file
//! attached to booking emails. Times are written in UTC (`DTSTART:…Z`), which every
//! calendar reads correctly and shows in its own zone; each session keeps one UID for
//! its whole life and raises SEQUENCE at every change, so a calendar updates the event
//! it already has instead of adding another.

use jiff::Timestamp;

/// What a calendar is told about one session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Stable for the session's life (the booking's id).
    pub uid: String,
    pub sequence: i32,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    /// When the session last changed.
    pub stamp: Timestamp,
    pub summary: String,
    pub description: String,
    pub url: String,
    pub cancelled: bool,
}

/// The longest line, in octets, before it is folded (RFC 5545 §3.1).
const LINE_OCTETS: usize = 75;

fn utc(t: Timestamp) -> String {
    t.strftime("%Y%m%dT%H%M%SZ").to_string()
}

/// TEXT escaping (§3.3.11): backslash, semicolon, comma and newlines.
fn text(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Appends one content line, folded at 75 octets without splitting a character, ended
/// with CRLF.
fn line(out: &mut String, content: &str) {
    let mut width = 0;
    for c in content.chars() {
        let len = c.len_utf8();
        if width + len > LINE_OCTETS {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += len;
    }
    out.push_str("\r\n");
}

/// A calendar named `name` holding `events`.
pub fn calendar(name: &str, events: &[Event]) -> String {
    let mut out = String::new();
    line(&mut out, "BEGIN:VCALENDAR");
    line(&mut out, "VERSION:2.0");
    line(&mut out, "PRODID:-//Attune//Sessions//EN");
    line(&mut out, "CALSCALE:GREGORIAN");
    line(&mut out, "METHOD:PUBLISH");
    line(&mut out, &format!("X-WR-CALNAME:{}", text(name)));
    for e in events {
        line(&mut out, "BEGIN:VEVENT");
        line(&mut out, &format!("UID:{}", text(&e.uid)));
        line(&mut out, &format!("SEQUENCE:{}", e.sequence));
        line(&mut out, &format!("DTSTAMP:{}", utc(e.stamp)));
        line(&mut out, &format!("DTSTART:{}", utc(e.starts_at)));
        line(&mut out, &format!("DTEND:{}", utc(e.ends_at)));
        line(&mut out, &format!("SUMMARY:{}", text(&e.summary)));
        line(&mut out, &format!("DESCRIPTION:{}", text(&e.description)));
        line(&mut out, &format!("URL:{}", e.url));
        line(&mut out, if e.cancelled { "STATUS:CANCELLED" } else { "STATUS:CONFIRMED" });
        line(&mut out, "END:VEVENT");
    }
    line(&mut out, "END:VCALENDAR");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event() -> Event {
        Event {
            uid: "b0b@attune".into(),
            sequence: 2,
            starts_at: "2026-03-29T09:00:00Z".parse().unwrap(),
            ends_at: "2026-03-29T10:00:00Z".parse().unwrap(),
            stamp: "2026-03-01T12:00:00Z".parse().unwrap(),
            summary: "Birth chart, with Ana; notes".into(),
            description: format!("Line one\nLine two {}", "é".repeat(60)),
            url: "https://attune.example/orders/ATN-AAAA-BBBB".into(),
            cancelled: true,
        }
    }

    #[test]
    fn lines_end_in_crlf_fold_at_75_octets_and_text_is_escaped() {
        let ics = calendar("Ana's sessions", &[event()]);
        assert!(ics.ends_with("END:VCALENDAR\r\n"));
        assert!(!ics.replace("\r\n", "").contains('\n'), "no bare newlines");
        for l in ics.split("\r\n") {
            assert!(l.len() <= LINE_OCTETS, "{l:?} is {} octets", l.len());
        }
        let unfolded = ics.replace("\r\n ", "");
        assert!(unfolded.contains("SUMMARY:Birth chart\\, with Ana\\; notes\r\n"));
        assert!(unfolded.contains(&format!("DESCRIPTION:Line one\\nLine two {}\r\n", "é".repeat(60))));
        assert!(unfolded.contains("DTSTART:20260329T090000Z\r\n"));
        assert!(unfolded.contains("SEQUENCE:2\r\nDTSTAMP:20260301T120000Z"));
        assert!(unfolded.contains("STATUS:CANCELLED"));
    }
}
