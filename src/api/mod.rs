//! Server functions, by domain. Each is thin: authorise first, parse inputs into domain
//! types, call one service, map errors. They run on the server only; the browser gets a
//! typed client for each.

pub mod admin;
pub mod auth;
pub mod booking;
pub mod catalog;
pub mod checkout;
pub mod credits;
pub mod onboarding;
pub mod orders;
pub mod practitioner;

/// The longest post-login destination we follow.
#[cfg(feature = "ssr")]
const NEXT_MAX: usize = 2048;

/// A post-login destination, accepted only when it is a path on this site. The value is
/// resolved against a placeholder origin exactly as a browser would resolve it (which
/// drops tabs and newlines and treats `\` as `/`), and must stay on that origin; control
/// characters and backslashes are refused outright. What comes back is the resolved
/// path, query and fragment, percent-encoded, so it is always a valid `Location`.
#[cfg(feature = "ssr")]
pub fn safe_next(next: Option<&str>) -> Option<String> {
    const BASE: &str = "http://attune.invalid/";
    let next = next?;
    if next.is_empty()
        || next.len() > NEXT_MAX
        || !next.starts_with('/')
        || next.starts_with("//")
        || next.chars().any(|c| c.is_control() || c.is_whitespace() || c == '\\')
    {
        return None;
    }
    let base = url::Url::parse(BASE).expect("valid base");
    let resolved = base.join(next).ok()?;
    if resolved.origin() != base.origin() || !resolved.username().is_empty() || resolved.password().is_some() {
        return None;
    }
    let target = &resolved[url::Position::BeforePath..];
    (target.starts_with('/') && !target.starts_with("//")).then(|| target.to_owned())
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::safe_next;

    #[test]
    fn only_local_paths_are_followed_after_login() {
        assert_eq!(safe_next(Some("/admin?q=x")), Some("/admin?q=x".into()));
        assert_eq!(safe_next(Some("/dashboard#security")), Some("/dashboard#security".into()));
        assert_eq!(safe_next(Some("/a b")), None);
        assert_eq!(safe_next(Some("/caf\u{e9}")), Some("/caf%C3%A9".into()), "returned percent-encoded");
        assert_eq!(
            safe_next(Some("/%09/evil.example")),
            Some("/%09/evil.example".into()),
            "an encoded tab stays a path"
        );
        let long = format!("/{}", "a".repeat(3000));
        for bad in [
            "https://evil.example",
            "//evil.example",
            "/\\evil.example",
            "\\/evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r\n/evil.example",
            "/\0",
            "/\u{7f}",
            "https:evil.example",
            "http:/evil.example",
            "javascript:alert(1)",
            "admin",
            "",
            " /admin",
            "/..\\evil",
            long.as_str(),
        ] {
            assert_eq!(safe_next(Some(bad)), None, "{bad:?}");
        }
        assert_eq!(safe_next(None), None);
    }
}
