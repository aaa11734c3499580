//! Every constraint name the server translates into a specific answer exists in a freshly
//! migrated schema, as the kind of rule it is matched as. A renamed or dropped constraint
//! would otherwise turn a clear 409 or 422 back into a 500 without any test noticing.

use crate::helpers::*;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `text` without its `#[cfg(test)] mod tests { … }`, whose made-up names are not
/// mappings (rustfmt closes the module with the first `}` at the start of a line).
fn without_test_module(text: &str) -> String {
    match text.find("\n#[cfg(test)]\nmod tests {") {
        None => text.to_owned(),
        Some(at) => {
            let module = &text[at + 1..];
            let end = module.find("\n}").map_or(module.len(), |n| n + 2);
            format!("{}{}", &text[..at], &module[end..])
        }
    }
}

/// The (kind, constraint) pairs the code under `src/` matches on, read from its source:
/// `Violation::Kind("name"…)` and `Violation::Kind(c) if c == "name"` (every string
/// literal in the guard counts).
fn mapped_constraints() -> BTreeSet<(String, String)> {
    let mut files = Vec::new();
    rust_files(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/src")), &mut files);
    let mut mapped = BTreeSet::new();
    for file in files {
        let text = without_test_module(&std::fs::read_to_string(&file).unwrap());
        for (at, _) in text.match_indices("Violation::") {
            let rest = &text[at + "Violation::".len()..];
            let kind: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric()).collect();
            let Some(args) = rest[kind.len()..].strip_prefix('(') else { continue };
            let names: Vec<&str> = if let Some(literal) = args.strip_prefix('"') {
                literal.split('"').take(1).collect()
            } else {
                let after = args.split_once(')').map_or("", |(_, after)| after.trim_start_matches(')').trim_start());
                let guard = after.strip_prefix("if ").unwrap_or("");
                let guard = &guard[..guard.find("=>").unwrap_or(guard.len())];
                guard.split('"').skip(1).step_by(2).collect()
            };
            mapped.extend(names.into_iter().map(|name| (kind.clone(), name.to_owned())));
        }
    }
    mapped
}

/// Whether the schema has a rule named `$1` that fails with the given kind of violation.
fn exists_sql(kind: &str) -> &'static str {
    match kind {
        // A unique violation names the index, whether a UNIQUE constraint or a unique index made it.
        "Unique" => {
            "SELECT EXISTS (SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
                            WHERE c.relname::text = $1 AND i.indisunique)"
        }
        // A check is a CHECK constraint, or a trigger's function raising check_violation
        // under that constraint name (for rules a CHECK cannot express).
        "Check" => {
            "SELECT EXISTS (SELECT 1 FROM pg_constraint WHERE conname::text = $1 AND contype = 'c')
                 OR EXISTS (SELECT 1 FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid
                            WHERE position(format('ERRCODE = ''check_violation'', CONSTRAINT = %L', $1::text)
                                           IN p.prosrc) > 0)"
        }
        "Exclusion" => "SELECT EXISTS (SELECT 1 FROM pg_constraint WHERE conname::text = $1 AND contype = 'x')",
        "ForeignKey" => "SELECT EXISTS (SELECT 1 FROM pg_constraint WHERE conname::text = $1 AND contype = 'f')",
        "NotNull" => "SELECT EXISTS (SELECT 1 FROM pg_constraint WHERE conname::text = $1 AND contype = 'n')",
        other => panic!("Violation::{other} is not a kind this test knows how to look up"),
    }
}

#[tokio::test]
async fn every_constraint_the_code_answers_for_exists_in_the_migrated_schema() {
    let mapped = mapped_constraints();
    for known in [("Unique", "users_email_key"), ("Exclusion", "bookings_no_overlap")] {
        let known = (known.0.to_owned(), known.1.to_owned());
        assert!(mapped.contains(&known), "the source reader missed {known:?}; it found only {mapped:?}");
    }
    let app = spawn_app().await;
    let mut missing = Vec::new();
    for (kind, name) in &mapped {
        let exists: bool = sqlx::query_scalar(exists_sql(kind)).bind(name).fetch_one(&app.pool).await.unwrap();
        if !exists {
            missing.push(format!("Violation::{kind}(\"{name}\")"));
        }
    }
    assert!(
        missing.is_empty(),
        "the code answers for these database rules, but the migrated schema has no rule of that kind and name: \
         {missing:?}"
    );
}
