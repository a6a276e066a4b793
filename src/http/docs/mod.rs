//! `GET /docs`: the API reference, rendered once from the OpenAPI document the server serves, so
//! it can never disagree with `/openapi.json`. One self-contained page, no external assets, so
//! it works offline: a side navigation in the order a partner meets the API, every field of
//! every body with its type and constraints, an example of each body, curl / Python /
//! TypeScript samples per operation, the webhook events and how to verify their signatures,
//! the error registry, and a search box (a few lines of inline script; `?q=` fills it).

mod samples;
mod schema;

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

/// The partner's journey: the groups of the navigation, each operation in the order it is
/// used. An operation the document adds later and this list lacks still appears, under
/// "More" (and a test asks for it to be placed).
const JOURNEY: &[(&str, &[&str])] = &[
    (
        "Marketplace: discover, order, track",
        &[
            "discoverStores",
            "getStore",
            "getCatalogSet",
            "addToCart",
            "removeFromCart",
            "updateCartItemQuantity",
            "validateOrder",
            "placeOrder",
            "getOrder",
            "listOrders",
        ],
    ),
    (
        "Commerce: stores and menus",
        &[
            "upsertStore",
            "listOwnStores",
            "getOwnStore",
            "pushCatalogSet",
            "notifyCatalogSet",
            "getCatalogIngestion",
            "getOwnCatalogSet",
            "setItemAvailability",
        ],
    ),
    ("Commerce: store status", &["getStoreStatus", "updateStoreStatus"]),
    ("Commerce: orders", &["updateOrderStatus"]),
    (
        "Commerce: onboarding",
        &[
            "registerStoreOnboarding",
            "getStoreOnboarding",
            "listStoreOnboardings",
            "activateStoreOnboarding",
            "refetchStoreOnboardingCatalog",
            "cancelStoreOnboarding",
        ],
    ),
    (
        "Webhooks",
        &[
            "createWebhookEndpoint",
            "listWebhookEndpoints",
            "rotateWebhookSecret",
            "enableWebhookEndpoint",
            "deleteWebhookEndpoint",
            "listWebhookDeliveries",
            "replayWebhookDelivery",
            "replayDeadWebhookDeliveries",
        ],
    ),
    (
        "Sessions",
        &[
            "createSession",
            "revokeSession",
            "saveAddress",
            "listAddresses",
            "setFulfillmentContext",
            "getFulfillmentContext",
            "savePaymentMethod",
            "listPaymentMethods",
            "deletePaymentMethod",
        ],
    ),
    ("Operations", &["healthz", "readyz", "openapi", "apiReference", "metrics", "listErrorCodes", "getErrorCode"]),
];

/// One operation of the document, with where it lives.
struct Operation<'a> {
    method: &'a str,
    path: &'a str,
    operation: &'a Value,
    shared_parameters: &'a Value,
}

impl Operation<'_> {
    fn id(&self) -> &str {
        self.operation["operationId"].as_str().unwrap_or("")
    }
}

fn operations(spec: &Value) -> Vec<Operation<'_>> {
    let mut all = Vec::new();
    for (path, item) in spec["paths"].as_object().into_iter().flatten() {
        for (method, operation) in item.as_object().into_iter().flatten() {
            if method != "parameters" {
                all.push(Operation { method, path, operation, shared_parameters: &item["parameters"] });
            }
        }
    }
    all
}

/// The groups of the page in journey order, with anything the journey does not name last.
fn grouped<'a>(all: &'a [Operation<'a>]) -> Vec<(&'static str, Vec<&'a Operation<'a>>)> {
    let mut groups: Vec<(&'static str, Vec<&Operation>)> = JOURNEY
        .iter()
        .map(|(title, ids)| (*title, ids.iter().filter_map(|id| all.iter().find(|op| op.id() == *id)).collect()))
        .collect();
    let named = |op: &Operation| JOURNEY.iter().any(|(_, ids)| ids.contains(&op.id()));
    let more: Vec<&Operation> = all.iter().filter(|op| !named(op)).collect();
    if !more.is_empty() {
        groups.push(("More", more));
    }
    groups
}

const STYLE: &str = "*{box-sizing:border-box}body{margin:0;font-family:system-ui,sans-serif;line-height:1.5;color:#1d2330}\
nav{position:fixed;top:0;bottom:0;left:0;width:17.5rem;overflow-y:auto;padding:1rem;background:#f6f7f9;border-right:1px solid #dde}\
nav h2{font-size:.8rem;text-transform:uppercase;letter-spacing:.04em;color:#556;margin:1rem 0 .3rem}\
nav ul{list-style:none;margin:0;padding:0}nav li a{display:block;padding:.1rem .3rem;color:#1d2330;text-decoration:none;font-size:.9rem}\
nav li a:hover{background:#e6e9f0}#search{width:100%;padding:.4rem;font-size:1rem;border:1px solid #bbc;border-radius:4px}\
#search-count{font-size:.8rem;color:#556;margin:.3rem 0}main{margin-left:17.5rem;padding:1rem 2rem;max-width:68rem}\
code,pre{font-family:ui-monospace,monospace;font-size:.88em}pre{background:#f4f5f7;padding:.7rem;overflow-x:auto;border-radius:4px}\
table{border-collapse:collapse;margin:.5rem 0;width:100%}td,th{border:1px solid #d5d8e0;padding:.25rem .5rem;text-align:left;vertical-align:top;font-size:.9rem}\
section.op{border-top:2px solid #dde;margin-top:2rem;padding-top:.5rem}.m{display:inline-block;min-width:4rem;font-weight:bold;text-transform:uppercase}\
.m-get{color:#1a7f37}.m-post{color:#0b5cad}.m-put{color:#8a5a00}.m-delete{color:#b42318}.req{color:#b42318;font-size:.8em}\
details{margin:.3rem 0}summary{cursor:pointer;font-weight:600}.nav-method{font-size:.7rem;color:#556;text-transform:uppercase}";

/// Filters the operations (and their links) by the search box; `?q=` fills it on load.
const SEARCH: &str = "const box=document.getElementById('search');const count=document.getElementById('search-count');\
const sections=[...document.querySelectorAll('section.op')];\
function filter(){const q=box.value.trim().toLowerCase();let hits=0;\
for(const s of sections){const hit=!q||s.textContent.toLowerCase().includes(q);s.hidden=!hit;if(hit)hits++;\
const link=document.querySelector('nav a[href=\"#'+s.id+'\"]');if(link)link.parentElement.hidden=!hit;}\
count.textContent=q?hits+' of '+sections.length+' operations match':'';}\
box.addEventListener('input',filter);const asked=new URLSearchParams(location.search).get('q');\
if(asked){box.value=asked;filter();}";

fn render(spec: &Value) -> String {
    let all = operations(spec);
    let groups = grouped(&all);
    let title = escape(spec["info"]["title"].as_str().unwrap_or("API"));
    let mut out = String::new();
    let _ = write!(
        out,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><link rel=\"icon\" href=\"data:,\">\
         <title>{title} reference</title><style>{STYLE}</style></head><body><nav>\
         <input id=\"search\" type=\"search\" placeholder=\"Search the reference\" aria-label=\"Search the reference\">\
         <p id=\"search-count\"></p><h2>Start</h2><ul><li><a href=\"#start\">Getting started</a></li></ul>"
    );
    for (group, ops) in &groups {
        let _ = write!(out, "<h2>{}</h2><ul>", escape(group));
        for op in ops {
            let _ = write!(
                out,
                "<li><a href=\"#{id}\"><span class=\"nav-method\">{method}</span> {summary}</a></li>",
                id = escape(op.id()),
                method = escape(op.method),
                summary = escape(op.operation["summary"].as_str().unwrap_or(op.path)),
            );
        }
        out.push_str("</ul>");
    }
    out.push_str(
        "<h2>Reference</h2><ul><li><a href=\"#webhook-events\">Webhook events</a></li>\
         <li><a href=\"#webhook-signatures\">Verifying webhook signatures</a></li>\
         <li><a href=\"#errors\">Error codes</a></li></ul></nav><main>",
    );
    let _ = write!(
        out,
        "<h1>{title} reference</h1><p>Version {} · the document: <a href=\"/openapi.json\"><code>/openapi.json</code></a> \
         · every error code: <a href=\"/errors\"><code>/errors</code></a></p><section id=\"start\"><h2>Getting started</h2>",
        escape(spec["info"]["version"].as_str().unwrap_or(""))
    );
    paragraphs(&mut out, spec["info"]["description"].as_str().unwrap_or(""));
    out.push_str(
        "<p>The samples call the demo server (<code>cargo run -- serve --demo</code>) with the demo keys in \
         <code>MARKETFRONT_DISTRIBUTION_KEY</code> (<code>mfk_demodistrib0_public-demo-key-for-local-use-only</code>) and \
         <code>MARKETFRONT_COMMERCE_KEY</code> (<code>mfk_democommerce_public-demo-key-for-local-use-only</code>).</p></section>",
    );
    for (group, ops) in &groups {
        let _ = write!(out, "<h2 class=\"group\">{}</h2>", escape(group));
        for op in ops {
            render_operation(&mut out, spec, op);
        }
    }
    render_webhooks(&mut out, spec);
    render_errors(&mut out, spec);
    let _ = write!(out, "</main><script>{SEARCH}</script></body></html>");
    out
}

fn paragraphs(out: &mut String, text: &str) {
    for paragraph in text.split("\n\n").filter(|p| !p.trim().is_empty()) {
        let _ = writeln!(out, "<p>{}</p>", inline_markdown(paragraph));
    }
}

/// A parameter, following a `$ref` to the shared parameters.
fn parameter<'a>(spec: &'a Value, parameter: &'a Value) -> &'a Value {
    schema::resolve(spec, parameter).0
}

/// The security schemes an operation takes, in the document's order (none for public ones).
fn schemes<'a>(spec: &'a Value, op: &'a Operation<'_>) -> Vec<&'a str> {
    let security = op.operation.get("security").unwrap_or(&spec["security"]);
    security
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
        .flat_map(|s| s.keys())
        .map(String::as_str)
        .collect()
}

/// The key a sample sends: the environment variable of the operation's first scheme.
fn key_variable(spec: &Value, op: &Operation<'_>) -> Option<&'static str> {
    match schemes(spec, op).first().copied() {
        None => None,
        Some("commerceKey") => Some("MARKETFRONT_COMMERCE_KEY"),
        Some(_) => Some("MARKETFRONT_DISTRIBUTION_KEY"),
    }
}

fn example_value(name: &str, parameter: &Value) -> String {
    if let Some(example) = parameter.get("example").or(parameter["schema"].get("example")) {
        return match example {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        };
    }
    match name {
        "storeId" => "0195a1b0-0000-7000-8000-000000000002".into(),
        "catalogSetId" => "0195a1b0-0000-7000-8000-000000000102".into(),
        _ => "0195a1b0-0000-7000-8000-00000000abcd".into(),
    }
}

/// The example body of a media type: its first named example, its example, or one made up.
fn body_example(spec: &Value, media: &Value) -> Value {
    if let Some((_, first)) = media["examples"].as_object().and_then(|examples| examples.iter().next()) {
        return first["value"].clone();
    }
    if let Some(example) = media.get("example") {
        return example.clone();
    }
    schema::example(spec, &media["schema"])
}

fn render_fields(out: &mut String, spec: &Value, body_schema: &Value) {
    let rows = schema::fields(spec, body_schema);
    if rows.is_empty() {
        return;
    }
    out.push_str("<table><tr><th>field</th><th>type</th><th>constraints</th><th>about</th></tr>");
    for field in rows {
        let required = if field.required { " <span class=\"req\">required</span>" } else { "" };
        let constraints: Vec<String> = field.constraints.iter().map(|c| inline_markdown(c)).collect();
        let _ = write!(
            out,
            "<tr><td><code>{}</code>{required}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&field.path),
            escape(&field.kind),
            constraints.join("<br>"),
            inline_markdown(&field.description),
        );
    }
    out.push_str("</table>");
}

fn render_operation(out: &mut String, spec: &Value, op: &Operation<'_>) {
    let operation = op.operation;
    let _ = write!(
        out,
        "<section class=\"op\" id=\"{id}\"><h3><span class=\"m m-{method}\">{method}</span> <code>{path}</code></h3>\
         <p><b>{summary}</b></p>",
        id = escape(op.id()),
        method = escape(op.method),
        path = escape(op.path),
        summary = inline_markdown(operation["summary"].as_str().unwrap_or("")),
    );
    paragraphs(out, operation["description"].as_str().unwrap_or(""));
    let key = key_variable(spec, op);
    let accepted: Vec<String> = schemes(spec, op)
        .iter()
        .map(|name| match *name {
            "commerceKey" => "a commerce partner's API key".to_string(),
            "distributionKey" => "a distribution partner's API key".to_string(),
            "session" => "a session token".to_string(),
            other => format!("<code>{}</code>", escape(other)),
        })
        .collect();
    let auth = if accepted.is_empty() {
        "none".to_string()
    } else {
        format!("{} (<code>Authorization: Bearer …</code>)", accepted.join(", or "))
    };
    let _ = write!(out, "<p>Authentication: {auth}</p>");

    let parameters: Vec<&Value> = op
        .shared_parameters
        .as_array()
        .into_iter()
        .chain(operation["parameters"].as_array())
        .flatten()
        .map(|p| parameter(spec, p))
        .collect();
    if !parameters.is_empty() {
        out.push_str(
            "<h4>Parameters</h4><table><tr><th>name</th><th>in</th><th>type</th><th>constraints</th><th>about</th></tr>",
        );
        for parameter in &parameters {
            let required = if parameter["required"].as_bool().unwrap_or(false) {
                " <span class=\"req\">required</span>"
            } else {
                ""
            };
            let constraints: Vec<String> =
                schema::constraints(spec, &parameter["schema"]).iter().map(|c| inline_markdown(c)).collect();
            let _ = write!(
                out,
                "<tr><td><code>{}</code>{required}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(parameter["name"].as_str().unwrap_or("")),
                escape(parameter["in"].as_str().unwrap_or("")),
                escape(&schema::type_name(&parameter["schema"])),
                constraints.join("<br>"),
                inline_markdown(parameter["description"].as_str().unwrap_or("")),
            );
        }
        out.push_str("</table>");
    }

    let media = &operation["requestBody"]["content"]["application/json"];
    let body = (!media.is_null()).then(|| body_example(spec, media));
    if let Some(example) = &body {
        let _ = write!(out, "<h4>Request body: <code>{}</code></h4>", escape(&schema::type_name(&media["schema"])));
        render_fields(out, spec, &media["schema"]);
        let _ = write!(
            out,
            "<details><summary>Example request body</summary><pre><code>{}</code></pre></details>",
            escape(&serde_json::to_string_pretty(example).unwrap_or_default())
        );
    }

    out.push_str("<h4>Responses</h4>");
    for (status, response) in operation["responses"].as_object().into_iter().flatten() {
        let response = schema::resolve(spec, response).0;
        let success = status.starts_with('2');
        let _ = write!(
            out,
            "<details{}><summary><code>{}</code> {}</summary>",
            if success { " open" } else { "" },
            escape(status),
            inline_markdown(response["description"].as_str().unwrap_or(""))
        );
        if let Some(headers) = response["headers"].as_object() {
            let names: Vec<String> = headers.keys().map(|name| format!("<code>{}</code>", escape(name))).collect();
            let _ = write!(out, "<p>Headers: {}</p>", names.join(", "));
        }
        for (media_type, content) in response["content"].as_object().into_iter().flatten() {
            let _ = write!(
                out,
                "<p><code>{}</code>: <code>{}</code></p>",
                escape(media_type),
                escape(&schema::type_name(&content["schema"]))
            );
            if success && media_type == "application/json" {
                render_fields(out, spec, &content["schema"]);
                let example = body_example(spec, content);
                let _ = write!(
                    out,
                    "<details><summary>Example answer</summary><pre><code>{}</code></pre></details>",
                    escape(&serde_json::to_string_pretty(&example).unwrap_or_default())
                );
            }
        }
        if let Some(links) = response["links"].as_object() {
            let targets: Vec<String> = links
                .values()
                .filter_map(|link| link["operationId"].as_str())
                .map(|id| format!("<a href=\"#{0}\"><code>{0}</code></a>", escape(id)))
                .collect();
            let _ = write!(out, "<p>Next: {}</p>", targets.join(", "));
        }
        out.push_str("</details>");
    }

    let path_with_examples = parameters.iter().filter(|p| p["in"] == "path").fold(op.path.to_string(), |path, p| {
        let name = p["name"].as_str().unwrap_or("");
        path.replace(&format!("{{{name}}}"), &example_value(name, p))
    });
    let query = parameters
        .iter()
        .filter(|p| p["in"] == "query" && (p["required"] == true || p.get("example").is_some()))
        .map(|p| {
            let name = p["name"].as_str().unwrap_or("");
            (name.to_string(), example_value(name, p))
        })
        .collect();
    let idempotency_key = parameters.iter().any(|p| p["name"] == "Idempotency-Key");
    let request = samples::Request {
        method: op.method,
        path: path_with_examples,
        query,
        key_variable: key,
        idempotency_key,
        body,
    };
    let _ = write!(
        out,
        "<h4>Code samples</h4><details class=\"sample\"><summary>curl</summary><pre><code>{}</code></pre></details>\
         <details class=\"sample\"><summary>Python</summary><pre><code>{}</code></pre></details>\
         <details class=\"sample\"><summary>TypeScript</summary><pre><code>{}</code></pre></details></section>",
        escape(&samples::curl(&request)),
        escape(&samples::python(&request)),
        escape(&samples::typescript(&request)),
    );
}

const VERIFY_PYTHON: &str = r#"import base64, hashlib, hmac, time

def verify(secret: str, headers: dict, body: bytes) -> bool:
    """True if any signature in webhook-signature is ours (two sign during a rotation)."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    message_id, timestamp = headers["webhook-id"], headers["webhook-timestamp"]
    if abs(time.time() - int(timestamp)) > 300:
        return False  # too old or from the future: a replay
    signed = f"{message_id}.{timestamp}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return any(
        hmac.compare_digest(candidate.split(",", 1)[1], expected)
        for candidate in headers["webhook-signature"].split(" ")
        if candidate.startswith("v1,")
    )"#;

const VERIFY_TYPESCRIPT: &str = r#"import { createHmac, timingSafeEqual } from "node:crypto";

export function verify(secret: string, headers: Headers, body: Buffer): boolean {
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  const id = headers.get("webhook-id") ?? "";
  const timestamp = headers.get("webhook-timestamp") ?? "";
  if (Math.abs(Date.now() / 1000 - Number(timestamp)) > 300) return false;
  const expected = createHmac("sha256", key)
    .update(`${id}.${timestamp}.`)
    .update(body)
    .digest();
  return (headers.get("webhook-signature") ?? "").split(" ").some((candidate) => {
    const [version, signature] = candidate.split(",", 2);
    const given = Buffer.from(signature ?? "", "base64");
    return version === "v1" && given.length === expected.length && timingSafeEqual(given, expected);
  });
}"#;

fn render_webhooks(out: &mut String, spec: &Value) {
    out.push_str("<h2 class=\"group\" id=\"webhook-events\">Webhook events</h2>");
    for (event, item) in spec["webhooks"].as_object().into_iter().flatten() {
        let operation = &item["post"];
        let _ = write!(
            out,
            "<section class=\"op\" id=\"event-{id}\"><h3><span class=\"m m-post\">post</span> <code>{event}</code> \
             to your endpoint</h3>",
            id = escape(event),
            event = escape(event)
        );
        paragraphs(out, operation["description"].as_str().unwrap_or(""));
        out.push_str("<table><tr><th>header</th><th>about</th></tr>");
        for header in operation["parameters"].as_array().into_iter().flatten() {
            let _ = write!(
                out,
                "<tr><td><code>{}</code></td><td>{}</td></tr>",
                escape(header["name"].as_str().unwrap_or("")),
                inline_markdown(header["description"].as_str().unwrap_or(""))
            );
        }
        out.push_str("</table>");
        let media = &operation["requestBody"]["content"]["application/json"];
        render_fields(out, spec, &media["schema"]);
        out.push_str("</section>");
    }
    let _ = write!(
        out,
        "<section class=\"op\" id=\"webhook-signatures\"><h3>Verifying webhook signatures</h3>\
         <p>Every delivery is signed with your endpoint's secret (<code>whsec_</code> and base64, shown once when the \
         endpoint is created or its secret rotated), in two schemes. <b>Standard Webhooks</b>: \
         <code>webhook-signature</code> is <code>v1,</code> and the base64 HMAC-SHA256 of \
         <code>{{webhook-id}}.{{webhook-timestamp}}.{{raw body}}</code>, keyed with the base64-decoded part of the \
         secret after <code>whsec_</code>; the Standard Webhooks and Svix libraries verify it as is. <b>The portal's</b>: \
         <code>Signature</code> is the hex HMAC-SHA256 of the raw body with the same key. During a secret rotation both \
         secrets sign (space-separated in <code>webhook-signature</code>, comma-separated in <code>Signature</code>): \
         accept a delivery if any signature verifies. Verify the raw bytes before parsing them, refuse a timestamp more \
         than five minutes from your clock, and de-duplicate on <code>webhook-id</code>: delivery is at least once.</p>\
         <details open><summary>Python</summary><pre><code>{}</code></pre></details>\
         <details><summary>TypeScript (Node.js)</summary><pre><code>{}</code></pre></details></section>",
        escape(VERIFY_PYTHON),
        escape(VERIFY_TYPESCRIPT)
    );
}

fn render_errors(out: &mut String, spec: &Value) {
    out.push_str(
        "<h2 class=\"group\" id=\"errors\">Error codes</h2><p>Every error is <code>application/problem+json</code>. \
         Each code's page (<code>/errors/{errorCode}</code>, the problem's <code>type</code>) says more, with an \
         example. Act on <code>status</code>, <code>errorCategory</code> and <code>retryable</code> for a code you do \
         not know: later versions may add codes.</p><table><tr><th>errorCode</th><th>HTTP</th>\
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
    out.push_str("</table>");
}
