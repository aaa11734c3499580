//! Tidy: the layering of ARCHITECTURE.md, checked on the source text, so a slip fails with
//! a file and line instead of waiting for a reviewer to notice.
//!
//! - `src/domain` is pure: sqlx, tokio and axum appear only in server-only code, an item
//!   after `#[cfg(feature = "ssr")]` or a `#[cfg_attr(feature = "ssr", …)]` attribute.
//! - `src/app` never names `crate::server`.
//! - SQL is written only in `src/server`.
//! - A booking's status is written only where its moves are checked: in
//!   `src/server/booking/moves.rs`, or by a write of many rows that selects them by
//!   `status = ANY(…)` (the statuses a `Moving` allows).
//!
//! Files are read with comments and the insides of string and char literals blanked out,
//! so prose and messages never trip a rule; SQL is looked for in the literals themselves.

use std::ops::Range;
use std::path::{Path, PathBuf};

/// A source file: its text, the same bytes with comments and literal contents blanked
/// (so offsets and lines still match), and its string literals by offset.
struct Source {
    path: String,
    text: String,
    code: Vec<u8>,
    strings: Vec<(usize, String)>,
}

impl Source {
    fn new(path: &str, text: &str) -> Source {
        let (code, strings) = mask(text);
        Source { path: path.to_owned(), text: text.to_owned(), code, strings }
    }

    fn line(&self, offset: usize) -> usize {
        self.text.as_bytes()[..offset].iter().filter(|&&b| b == b'\n').count() + 1
    }

    /// The identifiers of the code, by offset.
    fn idents(&self) -> Vec<(usize, &str)> {
        let (c, mut out, mut i) = (&self.code, Vec::new(), 0);
        while i < c.len() {
            let end = c[i..].iter().position(|&b| !is_ident(b)).map_or(c.len(), |n| i + n);
            if end > i && !c[i].is_ascii_digit() {
                out.push((i, std::str::from_utf8(&c[i..end]).unwrap()));
            }
            i = end.max(i + 1);
        }
        out
    }

    /// Offsets in the code where `needle` starts, not in the middle of a longer name.
    fn finds(&self, needle: &str) -> Vec<usize> {
        let c = &self.code;
        (0..c.len()).filter(|&at| c[at..].starts_with(needle.as_bytes()) && (at == 0 || !is_ident(c[at - 1]))).collect()
    }
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn blank(code: &mut [u8], span: Range<usize>) {
    code[span].iter_mut().filter(|b| **b != b'\n').for_each(|b| *b = b' ');
}

/// `text` with comments and the contents of string and char literals blanked, and the
/// string literals (plain, byte, C and raw) with the offset each starts at.
fn mask(text: &str) -> (Vec<u8>, Vec<(usize, String)>) {
    let b = text.as_bytes();
    let find = |from: usize, pat: &str| text.get(from..).and_then(|t| t.find(pat)).map_or(b.len(), |n| from + n);
    let (mut code, mut strings, mut i) = (b.to_vec(), Vec::new(), 0);
    while i < b.len() {
        // Each branch says what to blank and where to read on.
        let (span, next) = if b[i..].starts_with(b"//") {
            let end = find(i, "\n");
            (i..end, end)
        } else if b[i..].starts_with(b"/*") {
            let end = find(i + 2, "*/");
            (i..end, end + 2)
        } else if b[i] == b'"' {
            let mut end = i + 1;
            while end < b.len() && b[end] != b'"' {
                end += if b[end] == b'\\' { 2 } else { 1 };
            }
            let end = end.min(b.len());
            strings.push((i, text[i + 1..end].to_owned()));
            (i + 1..end, end + 1)
        } else if b[i] == b'\'' {
            // A char literal ('x', '\n', '"'); otherwise a lifetime or a label, left as is.
            let len = text[i + 1..].chars().next().map_or(0, char::len_utf8);
            let end = if b.get(i + 1) == Some(&b'\\') { find(i + 3, "'") } else { i + 1 + len };
            if b.get(end) == Some(&b'\'') { (i + 1..end, end + 1) } else { (i..i, i + 1) }
        } else if is_ident(b[i]) {
            let end = b[i..].iter().position(|&c| !is_ident(c)).map_or(b.len(), |n| i + n);
            let hashes = b[end..].iter().take_while(|&&c| c == b'#').count();
            if matches!(&b[i..end], b"r" | b"br" | b"cr") && b.get(end + hashes) == Some(&b'"') {
                let close = format!("\"{}", "#".repeat(hashes));
                let (start, stop) = (end + hashes + 1, find(end + hashes + 1, close.as_str()));
                strings.push((i, text[start..stop].to_owned()));
                (start..stop, stop + close.len())
            } else {
                (i..i, end)
            }
        } else {
            (i..i, i + 1)
        };
        blank(&mut code, span);
        i = next;
    }
    (code, strings)
}

/// The spans compiled only for the server: each item or statement after
/// `#[cfg(feature = "ssr")]`, and each `#[cfg_attr(feature = "ssr", …)]` attribute.
fn ssr_only(src: &Source) -> Vec<Range<usize>> {
    let mut spans = Vec::new();
    for (attr, whole_item) in [("#[cfg(feature = \"ssr\")]", true), ("#[cfg_attr(feature = \"ssr\",", false)] {
        for (at, _) in src.text.match_indices(attr) {
            if src.code[at] == b'#' {
                let from = if whole_item { at + attr.len() } else { at + 2 };
                spans.push(at..span_end(&src.code, from));
            } // else it is in a comment or a string
        }
    }
    spans
}

/// Where the item starting at `from` ends: at a `;`, or a `,` (a field, an argument),
/// outside any brackets; at the `}` closing its body; or where its parent closes.
fn span_end(code: &[u8], from: usize) -> usize {
    let (mut depth, mut angles) = (0i32, 0i32);
    for i in from..code.len() {
        match code[i] {
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => {
                depth -= 1;
                if depth < 0 || (depth == 0 && code[i] == b'}') {
                    return i + 1;
                }
            }
            b'<' => angles += 1,
            b'>' if !matches!(code[i - 1], b'-' | b'=') => angles = (angles - 1).max(0),
            b';' if depth == 0 => return i + 1,
            b',' if depth == 0 && angles == 0 => return i + 1,
            _ => {}
        }
    }
    code.len()
}

/// Lines naming sqlx, tokio or axum outside server-only code.
fn domain_io(src: &Source) -> Vec<usize> {
    let gated = ssr_only(src);
    let idents = src.idents();
    let io = idents
        .iter()
        .filter(|(at, id)| matches!(*id, "sqlx" | "tokio" | "axum") && !gated.iter().any(|g| g.contains(at)));
    io.map(|(at, _)| src.line(*at)).collect()
}

/// Lines naming `crate::server`.
fn app_to_server(src: &Source) -> Vec<usize> {
    let gated = ssr_only(src);
    let whole = |at: &usize| !src.code.get(at + "crate::server".len()).is_some_and(|&b| is_ident(b));
    let ungated = |at: &usize| !gated.iter().any(|g| g.contains(at));
    src.finds("crate::server").into_iter().filter(whole).filter(ungated).map(|at| src.line(at)).collect()
}

/// Lines with a sqlx query function or macro, or a string literal that begins with SQL.
fn sql(src: &Source) -> Vec<usize> {
    let mut found = src.finds("sqlx::query");
    for (at, id) in src.idents() {
        // query!, query_as!, query_scalar! and their _unchecked and _file forms.
        let after = &src.code[at + id.len()..];
        let next = &after[after.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(after.len())..];
        if id.starts_with("query") && next.starts_with(b"!") && !next.starts_with(b"!=") {
            found.push(at);
        }
    }
    for (at, s) in &src.strings {
        let keyword = s.trim_start().split(|c: char| !c.is_ascii_alphabetic()).next().unwrap_or("");
        if matches!(keyword, "SELECT" | "INSERT" | "UPDATE" | "DELETE" | "WITH") {
            found.push(*at);
        }
    }
    let mut lines: Vec<usize> = found.into_iter().map(|at| src.line(at)).collect();
    lines.sort();
    lines.dedup();
    lines
}

/// Where the module that checks every booking move lives.
const BOOKING_MOVES: &str = "src/server/booking/moves.rs";

/// Lines with SQL that sets `bookings.status` outside `BOOKING_MOVES` without selecting
/// its rows by `status = ANY(…)`.
fn booking_status_writes(src: &Source) -> Vec<usize> {
    if src.path == BOOKING_MOVES {
        return Vec::new();
    }
    let writes = |literal: &str| {
        let text = literal.split_whitespace().collect::<Vec<_>>().join(" ").to_ascii_lowercase();
        let Some(rest) = text.strip_prefix("update bookings set ") else { return false };
        let (set, filter) = rest.split_once(" where ").unwrap_or((rest, ""));
        let assigns = |a: &str| a.trim_start().strip_prefix("status").is_some_and(|r| r.trim_start().starts_with('='));
        set.split(',').any(assigns) && !filter.contains("status = any(")
    };
    src.strings.iter().filter(|(_, s)| writes(s.as_str())).map(|(at, _)| src.line(*at)).collect()
}

/// The Rust files under `under` (relative to the crate root), sorted.
fn sources(under: &str) -> Vec<Source> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    walk(&root.join(under), &mut files);
    files.sort();
    assert!(!files.is_empty(), "no Rust files under {under}");
    let read = |f: &PathBuf| {
        let rel = f.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/");
        Source::new(&rel, &std::fs::read_to_string(f).unwrap())
    };
    files.iter().map(read).collect()
}

fn assert_none(rule: &str, sources: &[Source], check: fn(&Source) -> Vec<usize>) {
    let found: Vec<String> =
        sources.iter().flat_map(|s| check(s).into_iter().map(move |line| format!("{}:{line}", s.path))).collect();
    assert!(found.is_empty(), "{rule}\n  {}", found.join("\n  "));
}

#[test]
fn the_domain_names_sqlx_tokio_and_axum_only_in_server_only_code() {
    let rule = "src/domain is pure: sqlx, tokio and axum may appear only in an item gated by \
                #[cfg(feature = \"ssr\")].";
    assert_none(rule, &sources("src/domain"), domain_io);
}

#[test]
fn the_ui_never_reaches_into_the_server_module() {
    let rule = "src/app is the UI of both targets and must not name crate::server outside server-only \
                (#[cfg(feature = \"ssr\")]) rendering code: it reaches the server through src/api.";
    assert_none(rule, &sources("src/app"), app_to_server);
}

#[test]
fn sql_is_written_only_in_the_server_module() {
    let outside: Vec<Source> = sources("src").into_iter().filter(|s| !s.path.starts_with("src/server/")).collect();
    let rule = "SQL lives only in src/server: no sqlx query and no SQL string literal anywhere else in src/.";
    assert_none(rule, &outside, sql);
}

#[test]
fn a_bookings_status_is_written_only_where_its_moves_are_checked() {
    let rule = "A booking's status is written only by src/server/booking/moves.rs, which checks \
                BookingStatus::can_move_to first, or by a write of many bookings that selects them by \
                `status = ANY($n)` with the statuses a `Moving` allows.";
    assert_none(rule, &sources("src/server"), booking_status_writes);
}

#[test]
fn a_raw_write_of_a_bookings_status_is_found_and_a_checked_one_is_not() {
    let src = Source::new(
        "src/server/t.rs",
        concat!(
            "q(\"UPDATE bookings SET reminded_at = $2 WHERE id = $1 AND status = 'confirmed'\");\n",
            "q(\"UPDATE bookings SET hold_until = NULL, status = 'released' WHERE id = $1\");\n",
            "q(\"update bookings\n   set status=$2 WHERE status = ANY($3)\");\n",
            "q(\"UPDATE bookings SET blocks = tstzrange($2, $3), status = $4\");\n",
        ),
    );
    assert_eq!(booking_status_writes(&src), vec![2, 5]);
    let moves = Source::new(BOOKING_MOVES, "q(\"UPDATE bookings SET status = $2 WHERE id = $1\");\n");
    assert!(booking_status_writes(&moves).is_empty());
}

#[test]
fn the_rules_see_code_but_not_comments_or_strings() {
    let src = Source::new(
        "t.rs",
        concat!(
            "// sqlx::query(\"SELECT 1\") and crate::server\n",
            "let quote = '\"'; let s = \"tokio:: crate::server\"; let t = crate::server_fn::X;\n",
            "#[cfg(feature = \"ssr\")]\n",
            "impl<'r> sqlx::Decode<'r, sqlx::Postgres> for X { fn f() { tokio::spawn(); } }\n",
            "use axum::Router;\n",
            "let q = r#\"\n  SELECT \"x\"\"#; sqlx::query(q); crate::server::f();\n",
        ),
    );
    assert_eq!(domain_io(&src), vec![5, 7]);
    assert_eq!(app_to_server(&src), vec![7]);
    assert_eq!(sql(&src), vec![6, 7]);
}
