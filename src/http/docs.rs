//! `GET /docs`: a human-readable API reference, rendered once from the OpenAPI document the
//! server serves, as plain HTML with no scripts or external assets, so it works offline and can
//! never disagree with `/openapi.json`.

use super::OPENAPI;
use super::html::{escape, inline_markdown};
use axum::response::Html;
use serde_json::Value;
use std::fmt::Write;
use std::sync::LazyLock;

static PAGE: LazyLock<String> = LazyLock::new(|| render(&serde_json::from_str(OPENAPI).unwrap_or(Value::Null)));

pub async fn reference() -> Html<&'static str> {
    Html(PAGE.as_str())
}

/// The text of a `$ref` ("#/components/schemas/Order" → "Order"), or the schema's type.
fn schema_name(schema: &Value) -> String {
    if let Some(reference) = schema["$ref"].as_str() {
        return reference.rsplit('/').next().unwrap_or(reference).to_string();
    }
    for (combinator, separator) in [("anyOf", " | "), ("oneOf", " | "), ("allOf", " & ")] {
        if let Some(parts) = schema[combinator].as_array() {
            return parts.iter().map(schema_name).collect::<Vec<_>>().join(separator);
        }
    }
    match &schema["type"] {
        Value::String(kind) => kind.clone(),
        Value::Array(kinds) => kinds.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(" | "),
        _ => "object".into(),
    }
}

fn paragraphs(out: &mut String, text: &str) {
    for paragraph in text.split("\n\n").filter(|p| !p.trim().is_empty()) {
        let _ = writeln!(out, "<p>{}</p>", escape(paragraph));
    }
}

/// The response described by `response`, following a `$ref` to the shared responses.
fn resolve<'a>(spec: &'a Value, response: &'a Value) -> &'a Value {
    match response["$ref"].as_str().and_then(|r| r.rsplit('/').next()) {
        Some(name) => &spec["components"]["responses"][name],
        None => response,
    }
}

fn render(spec: &Value) -> String {
    let mut out = String::new();
    let title = escape(spec["info"]["title"].as_str().unwrap_or("API"));
    let _ = write!(
        out,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title} reference</title>\
         <style>body{{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.45}}\
         code,pre{{background:#f4f4f4;padding:0 .2rem}}table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:.2rem .5rem;text-align:left}}\
         .op{{border-top:1px solid #ddd;margin-top:1.5rem}}.m{{font-weight:bold;text-transform:uppercase}}</style></head><body>\
         <h1>{title} <small>{}</small></h1><p>Machine-readable: <a href=\"/openapi.json\">/openapi.json</a></p>",
        escape(spec["info"]["version"].as_str().unwrap_or(""))
    );
    paragraphs(&mut out, spec["info"]["description"].as_str().unwrap_or(""));

    let tags: Vec<&str> = spec["tags"].as_array().into_iter().flatten().filter_map(|t| t["name"].as_str()).collect();
    let paths = spec["paths"].as_object().cloned().unwrap_or_default();
    for tag in tags {
        let _ = writeln!(out, "<h2 id=\"{0}\">{0}</h2>", escape(tag));
        for (path, item) in &paths {
            for (method, operation) in item.as_object().into_iter().flatten() {
                // Path-level `parameters` are shared by the operations, not one of them.
                let tagged = operation["tags"].as_array().is_some_and(|t| t.iter().any(|x| x == tag));
                if !tagged {
                    continue;
                }
                render_operation(&mut out, spec, method, path, operation, &item["parameters"]);
            }
        }
    }

    out.push_str(
        "<h2 id=\"errors\">Error codes</h2><p>Each code's page (<code>/errors/{errorCode}</code>, the problem's \
         <code>type</code>) says more, with an example.</p><table><tr><th>errorCode</th><th>HTTP</th>\
         <th>errorCategory</th><th>retryable</th><th>When</th><th>What to do</th></tr>",
    );
    for entry in spec["x-error-registry"].as_array().into_iter().flatten() {
        let code = escape(entry["errorCode"].as_str().unwrap_or(""));
        let _ = write!(
            out,
            "<tr><td><a href=\"/errors/{code}\"><code>{code}</code></a></td><td>{}</td><td>{}</td><td>{}</td>\
             <td>{}</td><td>{}</td></tr>",
            entry["status"],
            escape(entry["errorCategory"].as_str().unwrap_or("")),
            entry["retryable"],
            inline_markdown(entry["when"].as_str().unwrap_or("")),
            inline_markdown(entry["action"].as_str().unwrap_or("")),
        );
    }
    out.push_str("</table></body></html>");
    out
}

/// One operation; `shared` holds the parameters its path declares for all its operations.
fn render_operation(out: &mut String, spec: &Value, method: &str, path: &str, operation: &Value, shared: &Value) {
    let id = escape(operation["operationId"].as_str().unwrap_or(""));
    let _ = write!(
        out,
        "<div class=\"op\" id=\"{id}\"><h3><span class=\"m\">{}</span> <code>{}</code></h3><p><b>{}</b></p>",
        escape(method),
        escape(path),
        escape(operation["summary"].as_str().unwrap_or(""))
    );
    paragraphs(out, operation["description"].as_str().unwrap_or(""));
    let parameters: Vec<&Value> =
        shared.as_array().into_iter().chain(operation["parameters"].as_array()).flatten().collect();
    if !parameters.is_empty() {
        out.push_str("<table><tr><th>parameter</th><th>in</th><th>required</th><th>about</th></tr>");
        for parameter in parameters {
            let parameter = match parameter["$ref"].as_str().and_then(|r| r.rsplit('/').next()) {
                Some(name) => &spec["components"]["parameters"][name],
                None => parameter,
            };
            let _ = write!(
                out,
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(parameter["name"].as_str().unwrap_or("")),
                escape(parameter["in"].as_str().unwrap_or("")),
                parameter["required"].as_bool().unwrap_or(false),
                escape(parameter["description"].as_str().unwrap_or(""))
            );
        }
        out.push_str("</table>");
    }
    if let Some(body) = operation["requestBody"]["content"]["application/json"]["schema"].as_object() {
        let _ = write!(out, "<p>Body: <code>{}</code></p>", escape(&schema_name(&Value::Object(body.clone()))));
    }
    out.push_str("<table><tr><th>answer</th><th>about</th></tr>");
    for (status, response) in operation["responses"].as_object().into_iter().flatten() {
        let response = resolve(spec, response);
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td></tr>",
            escape(status),
            escape(response["description"].as_str().unwrap_or(""))
        );
    }
    out.push_str("</table></div>");
}
