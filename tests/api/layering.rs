//! The layers stay true (CONTRIBUTING.md, "Layers"): a white-box check of the source tree, not
//! of behaviour. It reads `src/` and fails on an import or a statement a layer must not hold.
//!
//! - `src/app/` (use cases) and `src/domain/` (rules) speak no HTTP and no MCP: no axum, hyper,
//!   tower, `http` or rmcp types, no status codes or header names.
//! - Nothing outside `src/http/` calls into it, except the composition root (`lib.rs`, `main.rs`).
//! - Transports and workers reach the store layer only through use cases: `src/http/`,
//!   `src/mcp/` and `src/workers/` never name `crate::db` (so no row type reaches the wire).
//! - `src/domain/` does no I/O: no database, cache, state, clock or async runtime.
//! - SQL is written only under `src/db/`.

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            files.push(path);
        }
    }
    files
}

/// The code of a file, without its comments (a doc comment may name an endpoint or a status).
fn code_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines().enumerate().map(|(i, line)| (i + 1, line.trim())).filter(|(_, line)| !line.starts_with("//"))
}

const SPEAKS_HTTP: &[&str] = &[
    "axum",
    "hyper",
    "tower",
    "http::",
    "rmcp",
    "StatusCode",
    "HeaderName",
    "HeaderValue",
    "HeaderMap",
    "IntoResponse",
];
const DOES_IO: &[&str] = &[
    "crate::db",
    "crate::app",
    "crate::state",
    "crate::cache",
    "crate::http",
    "crate::outbound",
    "crate::payments",
    "tokio",
    "reqwest",
    "PgPool",
    "PgConnection",
];
const SQL: &[&str] = &["sqlx::query", "SELECT ", "INSERT INTO", "DELETE FROM", "UPDATE ", "query_as(", "query_scalar("];

/// Every `(file:line, word)` where a forbidden word appears in the code of `files`.
fn offences(files: &[PathBuf], forbidden: &[&str], allow: impl Fn(&str, &str) -> bool) -> Vec<String> {
    let mut found = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(file).unwrap();
        for (number, line) in code_lines(&text) {
            for word in forbidden {
                if line.contains(word) && !allow(line, word) {
                    found.push(format!("{}:{number}: {word}: {line}", file.display()));
                }
            }
        }
    }
    found
}

fn src(part: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join(part)
}

fn every_file_but(excluded: &[&str]) -> Vec<PathBuf> {
    rust_files(&src("")).into_iter().filter(|path| !excluded.iter().any(|part| path.starts_with(src(part)))).collect()
}

#[test]
fn use_cases_and_rules_speak_no_http() {
    let mut files = rust_files(&src("app"));
    files.extend(rust_files(&src("domain")));
    let found = offences(&files, SPEAKS_HTTP, |_, _| false);
    assert!(found.is_empty(), "HTTP in the core:\n{}", found.join("\n"));
}

#[test]
fn only_the_composition_root_calls_into_http() {
    let files = every_file_but(&["http", "lib.rs", "main.rs"]);
    let found = offences(&files, &["crate::http", "marketfront::http"], |_, _| false);
    assert!(found.is_empty(), "calls into src/http/:\n{}", found.join("\n"));
}

#[test]
fn transports_and_workers_go_through_use_cases() {
    let mut files = rust_files(&src("http"));
    files.extend(rust_files(&src("mcp")));
    files.extend(rust_files(&src("workers")));
    let found = offences(&files, &["crate::db"], |_, _| false);
    assert!(found.is_empty(), "the store layer reached past the use cases:\n{}", found.join("\n"));
}

#[test]
fn rules_do_no_io() {
    // A domain enum may derive `sqlx::Type` / `sqlx::FromRow` so rows carry it: a derive, not I/O.
    let found = offences(&rust_files(&src("domain")), DOES_IO, |_, _| false);
    assert!(found.is_empty(), "I/O in src/domain/:\n{}", found.join("\n"));
}

#[test]
fn sql_lives_in_the_store_layer() {
    let found = offences(&every_file_but(&["db"]), SQL, |line, word| {
        // `UPDATE ` also starts words in messages; a statement names its table after `SET`.
        word == "UPDATE " && !line.contains(" SET ")
    });
    assert!(found.is_empty(), "SQL outside src/db/:\n{}", found.join("\n"));
}

#[test]
fn tests_read_tables_only_in_the_white_box_module() {
    let tests = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join("api");
    // helpers.rs and cli.rs create and drop databases; replica.rs pauses and resumes a
    // replica's replay; layering.rs names the words it looks for.
    let allowed = ["white_box.rs", "helpers.rs", "cli.rs", "replica.rs", "layering.rs"];
    let files: Vec<PathBuf> = rust_files(&tests)
        .into_iter()
        .filter(|path| !allowed.iter().any(|name| path.file_name().is_some_and(|file| file == *name)))
        .collect();
    let found = offences(&files, &["sqlx::query", "query_as(", "query_scalar(", "marketfront::db"], |_, _| false);
    assert!(found.is_empty(), "tables read outside tests/api/white_box.rs:\n{}", found.join("\n"));
}

#[test]
fn the_checks_see_what_they_forbid() {
    // The scanner itself: an offending line is found, the same words in a comment are not.
    let dir = std::env::temp_dir().join(format!("layering-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("sample.rs");
    std::fs::write(
        &file,
        "// axum in a comment is fine\nuse axum::http::StatusCode;\nlet q = sqlx::query(\"SELECT 1\");\n",
    )
    .unwrap();
    let files = vec![file];
    assert_eq!(offences(&files, SPEAKS_HTTP, |_, _| false).len(), 3, "axum, http:: and StatusCode on line 2");
    assert_eq!(offences(&files, SQL, |_, _| false).len(), 2, "sqlx::query and SELECT on line 3");
    std::fs::remove_dir_all(dir).unwrap();
}
