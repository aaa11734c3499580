//! Server functions, by domain. Each is thin: authorise first, parse inputs into domain
//! types, call one service, map errors. They run on the server only; the browser gets a
//! typed client for each.

pub mod admin;
pub mod auth;
pub mod catalog;

/// Only same-site relative paths may be a post-login destination (no open redirects).
pub fn safe_next(next: Option<&str>) -> Option<String> {
    let next = next?.trim();
    let ok =
        next.starts_with('/') && !next.starts_with("//") && !next.starts_with("/\\") && !next.contains(['\r', '\n']);
    ok.then(|| next.to_owned())
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_local_paths_are_followed_after_login() {
        assert_eq!(safe_next(Some("/admin?q=x")), Some("/admin?q=x".into()));
        for bad in ["https://evil.example", "//evil.example", "/\\evil.example", "admin", ""] {
            assert_eq!(safe_next(Some(bad)), None, "{bad}");
        }
        assert_eq!(safe_next(None), None);
    }
}
