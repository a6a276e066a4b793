//! `GET /errors/{errorCode}`: a page for each code of the registry, which every problem's `type`
//! points to, so the URI in a problem resolves to what it means and what to do. HTML by default,
//! Markdown with YAML front matter for `Accept: text/markdown` (the portal's convention, and what
//! an AI agent reads best). `GET /errors` lists them all.

use super::html::{escape, inline_markdown};
use super::problem::{Answered, ProblemSeed, problem_body, status_of};
use crate::app::error::AppError;
use crate::domain::error_code::ErrorCode;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use std::fmt::Write;

/// The path of a code's page, relative to the server's public URL.
pub fn page_path(code: ErrorCode) -> String {
    format!("/errors/{}", code.as_str())
}

pub async fn page(State(state): State<AppState>, Path(name): Path<String>, headers: HeaderMap) -> Response {
    let Some(code) = ErrorCode::ALL.iter().copied().find(|code| code.as_str() == name) else {
        let detail = format!("No error code {name:?}; GET /errors lists every code.");
        return AppError::new(ErrorCode::NotFound, detail).into_response();
    };
    let base = &state.config.public_url;
    if wants_markdown(&headers) { markdown(code_markdown(code, base)) } else { html(code_html(code, base)) }
}

pub async fn index(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let base = &state.config.public_url;
    if wants_markdown(&headers) { markdown(index_markdown(base)) } else { html(index_html(base)) }
}

/// Markdown when the caller asks for it by name; HTML for browsers, `*/*` and no Accept.
fn wants_markdown(headers: &HeaderMap) -> bool {
    headers.get_all(header::ACCEPT).iter().filter_map(|value| value.to_str().ok()).flat_map(|v| v.split(',')).any(
        |range| {
            let mut parts = range.split(';').map(str::trim);
            let media = parts.next().unwrap_or("");
            let refused = parts.any(|p| p.replace(' ', "").eq_ignore_ascii_case("q=0"));
            media.eq_ignore_ascii_case("text/markdown") && !refused
        },
    )
}

fn html(body: String) -> Response {
    ([(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"))], body).into_response()
}

fn markdown(body: String) -> Response {
    ([(header::CONTENT_TYPE, HeaderValue::from_static("text/markdown; charset=utf-8"))], body).into_response()
}

/// A problem of this code as a partner would receive it (with made-up ids).
fn example(code: ErrorCode, base: &str) -> String {
    let retry_after = code.retryable().then_some(match code {
        ErrorCode::RateLimited => 20,
        _ => 1,
    });
    let seed = ProblemSeed {
        code,
        detail: format!("{}.", code.title()),
        errors: Vec::new(),
        retry_after,
        members: Default::default(),
    };
    let answered = Answered {
        public_url: base,
        instance: "/v1/marketplace/orders/place",
        request_id: "01a23545-0819-75fc-adef-9f15722fec90",
        trace_id: "2dffad0d814642a291a733dbb296cec0",
    };
    let mut body = problem_body(&seed, status_of(code), &answered);
    body["timestamp"] = "2026-12-01T17:00:00.000Z".into();
    serde_json::to_string_pretty(&body).unwrap_or_default()
}

fn category(code: ErrorCode) -> String {
    serde_json::to_value(code.category()).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default()
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem;\
line-height:1.5}code,pre{background:#f4f4f4;padding:0 .2rem}pre{padding:.6rem;overflow-x:auto}\
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.25rem .6rem;text-align:left}";

fn head(out: &mut String, title: &str) {
    let _ = write!(
        out,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{}</title><style>{STYLE}</style></head><body>",
        escape(title)
    );
}

fn code_html(code: ErrorCode, base: &str) -> String {
    let mut out = String::new();
    let name = code.as_str();
    head(&mut out, &format!("{name}: Marketfront errors"));
    let _ = write!(
        out,
        "<nav><a href=\"{base}/errors\">All error codes</a> · <a href=\"{base}/docs\">API reference</a></nav>\
         <h1><code>{name}</code></h1><p>{title}</p>\
         <table><tr><th>HTTP status</th><td>{status}</td></tr>\
         <tr><th>errorCategory</th><td><code>{category}</code></td></tr>\
         <tr><th>retryable</th><td><code>{retryable}</code></td></tr></table>\
         <h2>When it is answered</h2><p>{when}</p><h2>What to do</h2><p>{action}</p>\
         <h2>Example</h2><pre><code>{example}</code></pre></body></html>",
        base = escape(base),
        title = escape(code.title()),
        status = status_of(code).as_u16(),
        category = escape(&category(code)),
        retryable = code.retryable(),
        when = inline_markdown(code.when()),
        action = inline_markdown(code.action()),
        example = escape(&example(code, base)),
    );
    out
}

fn code_markdown(code: ErrorCode, base: &str) -> String {
    let name = code.as_str();
    format!(
        "---\nerrorCode: {name}\nstatus: {status}\nerrorCategory: {category}\nretryable: {retryable}\n\
         title: {title:?}\ntype: {base}{path}\n---\n\n# {name}\n\n{title}.\n\n## When it is answered\n\n{when}\n\n\
         ## What to do\n\n{action}\n\n## Example\n\n```json\n{example}\n```\n",
        status = status_of(code).as_u16(),
        category = category(code),
        retryable = code.retryable(),
        title = code.title(),
        path = page_path(code),
        when = code.when(),
        action = code.action(),
        example = example(code, base),
    )
}

fn index_html(base: &str) -> String {
    let mut out = String::new();
    head(&mut out, "Marketfront error codes");
    let _ = write!(
        out,
        "<nav><a href=\"{base}/docs\">API reference</a></nav><h1>Error codes</h1>\
         <p>Every error is <code>application/problem+json</code>; its <code>type</code> is the page of its \
         <code>errorCode</code>. Act on <code>status</code>, <code>errorCategory</code> and <code>retryable</code> \
         for a code you do not know: later versions may add codes.</p>\
         <table><tr><th>errorCode</th><th>HTTP</th><th>errorCategory</th><th>retryable</th><th>What to do</th></tr>",
        base = escape(base)
    );
    for &code in ErrorCode::ALL {
        let _ = write!(
            out,
            "<tr><td><a href=\"{base}{path}\"><code>{name}</code></a></td><td>{status}</td><td>{category}</td>\
             <td>{retryable}</td><td>{action}</td></tr>",
            base = escape(base),
            path = page_path(code),
            name = code.as_str(),
            status = status_of(code).as_u16(),
            category = escape(&category(code)),
            retryable = code.retryable(),
            action = inline_markdown(code.action()),
        );
    }
    out.push_str("</table></body></html>");
    out
}

fn index_markdown(base: &str) -> String {
    let mut out = String::from(
        "---\ntitle: Marketfront error codes\n---\n\n# Error codes\n\n\
         | errorCode | HTTP | errorCategory | retryable | What to do |\n| --- | --- | --- | --- | --- |\n",
    );
    for &code in ErrorCode::ALL {
        let _ = writeln!(
            out,
            "| [{name}]({base}{path}) | {status} | {category} | {retryable} | {action} |",
            name = code.as_str(),
            path = page_path(code),
            status = status_of(code).as_u16(),
            category = category(code),
            retryable = code.retryable(),
            action = code.action().replace('|', "\\|"),
        );
    }
    out
}
