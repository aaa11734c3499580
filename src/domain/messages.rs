//! An order's message thread: what a message may be, and how its text is shown, with
//! web addresses made into links that are safe to follow and everything else as text.

use crate::domain::FieldError;
use serde::{Deserialize, Serialize};

pub const MESSAGE_MAX: usize = 5000;

/// A message as it is kept: trimmed, with Windows line ends made plain, 1 to 5000
/// characters, without control characters other than line breaks and tabs.
pub fn check_message(raw: &str) -> Result<String, FieldError> {
    let body = raw.replace("\r\n", "\n");
    let body = body.trim();
    if body.is_empty() {
        return Err(FieldError::new("body", "Write a message first."));
    }
    let n = body.chars().count();
    if n > MESSAGE_MAX {
        return Err(FieldError::new("body", format!("Keep a message to {MESSAGE_MAX} characters; this one has {n}.")));
    }
    if body.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(FieldError::new("body", "Remove the control characters from the message."));
    }
    Ok(body.to_owned())
}

/// A piece of a message as shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Piece {
    Text(String),
    /// An `http` or `https` address, shown as a link that opens without passing on who
    /// linked to it.
    Link(String),
}

/// Splits a message into text and links. Only whole `http://` and `https://` addresses
/// become links (never `javascript:` or any other scheme); a trailing full stop, comma
/// or closing bracket stays text.
pub fn pieces(body: &str) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut text = String::new();
    let mut rest = body;
    while !rest.is_empty() {
        let at = ["https://", "http://"].iter().filter_map(|p| rest.find(p)).min();
        let Some(at) = at else {
            text.push_str(rest);
            break;
        };
        text.push_str(&rest[..at]);
        let candidate = &rest[at..];
        let end =
            candidate.find(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '"')).unwrap_or(candidate.len());
        let mut link = &candidate[..end];
        while let Some(last) =
            link.chars().last().filter(|c| matches!(c, '.' | ',' | ')' | ']' | '!' | '?' | ';' | ':' | '\''))
        {
            link = &link[..link.len() - last.len_utf8()];
        }
        let host_ok = link.split_once("://").is_some_and(|(_, after)| {
            let host = after.split(['/', '?', '#']).next().unwrap_or("");
            !host.is_empty() && !host.contains('@')
        });
        if host_ok {
            if !text.is_empty() {
                out.push(Piece::Text(std::mem::take(&mut text)));
            }
            out.push(Piece::Link(link.to_owned()));
            rest = &candidate[link.len()..];
        } else {
            let skip = candidate.find("://").map(|i| i + 3).unwrap_or(candidate.len());
            text.push_str(&candidate[..skip]);
            rest = &candidate[skip..];
        }
    }
    if !text.is_empty() {
        out.push(Piece::Text(text));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_trimmed_bounded_and_plain() {
        assert_eq!(check_message("  hi\r\nthere ").unwrap(), "hi\nthere");
        assert_eq!(check_message("   ").unwrap_err().field, "body");
        assert!(check_message(&"x".repeat(MESSAGE_MAX + 1)).unwrap_err().message.contains("5001"));
        assert!(check_message("a\u{7}b").is_err());
        assert_eq!(check_message("<b>bold</b>").unwrap(), "<b>bold</b>", "kept as typed, shown as text");
    }

    #[test]
    fn only_web_addresses_become_links() {
        assert_eq!(
            pieces("See https://example.com/a?b=1. Thanks"),
            vec![
                Piece::Text("See ".into()),
                Piece::Link("https://example.com/a?b=1".into()),
                Piece::Text(". Thanks".into())
            ]
        );
        assert_eq!(pieces("javascript:alert(1)"), vec![Piece::Text("javascript:alert(1)".into())]);
        assert_eq!(
            pieces("(http://x.org)"),
            vec![Piece::Text("(".into()), Piece::Link("http://x.org".into()), Piece::Text(")".into())]
        );
        assert_eq!(pieces("http://"), vec![Piece::Text("http://".into())]);
        assert_eq!(pieces("https://user@evil.example"), vec![Piece::Text("https://user@evil.example".into())]);
        assert_eq!(
            pieces("a https://x.org\"onmouseover=1"),
            vec![Piece::Text("a ".into()), Piece::Link("https://x.org".into()), Piece::Text("\"onmouseover=1".into())]
        );
        assert_eq!(pieces(""), vec![]);
    }
}
