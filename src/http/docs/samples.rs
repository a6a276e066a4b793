//! Code samples for an operation, made from the document: curl, Python (httpx) and TypeScript
//! (fetch), against the demo server with the key of the audience the operation is for.

use serde_json::Value;

/// Where the samples send their requests: the demo server of the README.
const BASE_URL: &str = "http://127.0.0.1:8080";

/// What a sample needs to know about one request.
pub struct Request<'a> {
    pub method: &'a str,
    /// The path with its parameters filled in with example values.
    pub path: String,
    /// `(name, example)` query parameters that are required or worth showing.
    pub query: Vec<(String, String)>,
    /// The environment variable holding the key (`MARKETFRONT_DISTRIBUTION_KEY` …), if any.
    pub key_variable: Option<&'a str>,
    pub idempotency_key: bool,
    pub body: Option<Value>,
}

impl Request<'_> {
    fn url(&self) -> String {
        let query: Vec<String> = self.query.iter().map(|(name, value)| format!("{name}={value}")).collect();
        if query.is_empty() {
            format!("{BASE_URL}{}", self.path)
        } else {
            format!("{BASE_URL}{}?{}", self.path, query.join("&"))
        }
    }
}

pub fn curl(request: &Request<'_>) -> String {
    let mut lines = vec![format!("curl -sS -X {} '{}'", request.method.to_uppercase(), request.url())];
    if let Some(variable) = request.key_variable {
        lines.push(format!("-H \"Authorization: Bearer ${variable}\""));
    }
    if request.idempotency_key {
        lines.push("-H \"Idempotency-Key: $(cat /proc/sys/kernel/random/uuid)\"".to_string());
    }
    if let Some(body) = &request.body {
        lines.push("-H 'Content-Type: application/json'".to_string());
        let text = serde_json::to_string_pretty(body).unwrap_or_default().replace('\'', "'\\''");
        lines.push(format!("-d '{text}'"));
    }
    lines.join(" \\\n  ")
}

pub fn python(request: &Request<'_>) -> String {
    let mut out = String::from("import os\nimport uuid\n\nimport httpx\n\n");
    let mut headers = Vec::new();
    if let Some(variable) = request.key_variable {
        headers.push(format!("\"Authorization\": f\"Bearer {{os.environ['{variable}']}}\""));
    }
    if request.idempotency_key {
        headers.push("\"Idempotency-Key\": str(uuid.uuid4())".to_string());
    }
    let mut arguments = vec![format!("\"{}\"", request.url())];
    if !headers.is_empty() {
        arguments.push(format!("headers={{{}}}", headers.join(", ")));
    }
    if let Some(body) = &request.body {
        arguments.push(format!("json={}", python_literal(body, 1)));
    }
    out.push_str(&format!(
        "response = httpx.request(\n    \"{}\",\n    {},\n)\nresponse.raise_for_status()\nprint(response.json())",
        request.method.to_uppercase(),
        arguments.join(",\n    ")
    ));
    out
}

pub fn typescript(request: &Request<'_>) -> String {
    let mut headers = Vec::new();
    if let Some(variable) = request.key_variable {
        headers.push(format!("Authorization: `Bearer ${{process.env.{variable}}}`"));
    }
    if request.idempotency_key {
        headers.push("\"Idempotency-Key\": crypto.randomUUID()".to_string());
    }
    if request.body.is_some() {
        headers.push("\"Content-Type\": \"application/json\"".to_string());
    }
    let mut options = vec![format!("method: \"{}\"", request.method.to_uppercase())];
    if !headers.is_empty() {
        options.push(format!("headers: {{ {} }}", headers.join(", ")));
    }
    if let Some(body) = &request.body {
        let text = serde_json::to_string_pretty(body).unwrap_or_default().replace('\n', "\n  ");
        options.push(format!("body: JSON.stringify({text})"));
    }
    format!(
        "const response = await fetch(\"{}\", {{\n  {},\n}});\nif (!response.ok) throw new Error(JSON.stringify(await response.json()));\nconsole.log(await response.json());",
        request.url(),
        options.join(",\n  ")
    )
}

/// `value` written as a Python literal (`True`, `None`, dicts and lists), indented for a call.
fn python_literal(value: &Value, indent: usize) -> String {
    let pad = "    ".repeat(indent + 1);
    let close = "    ".repeat(indent);
    match value {
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Number(number) => number.to_string(),
        Value::String(text) => serde_json::to_string(text).unwrap_or_default(),
        Value::Array(items) if items.is_empty() => "[]".into(),
        Value::Array(items) => {
            let items: Vec<String> =
                items.iter().map(|item| format!("{pad}{}", python_literal(item, indent + 1))).collect();
            format!("[\n{},\n{close}]", items.join(",\n"))
        }
        Value::Object(members) if members.is_empty() => "{}".into(),
        Value::Object(members) => {
            let members: Vec<String> = members
                .iter()
                .map(|(name, member)| {
                    format!(
                        "{pad}{}: {}",
                        serde_json::to_string(name).unwrap_or_default(),
                        python_literal(member, indent + 1)
                    )
                })
                .collect();
            format!("{{\n{},\n{close}}}", members.join(",\n"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn place() -> Request<'static> {
        Request {
            method: "post",
            path: "/v1/marketplace/orders/place".into(),
            query: vec![],
            key_variable: Some("MARKETFRONT_DISTRIBUTION_KEY"),
            idempotency_key: true,
            body: Some(json!({"amounts": {"total": 7.16}, "gift": false, "note": null})),
        }
    }

    #[test]
    fn every_sample_sends_the_key_the_idempotency_key_and_the_body() {
        let curl = curl(&place());
        assert!(curl.starts_with("curl -sS -X POST 'http://127.0.0.1:8080/v1/marketplace/orders/place'"), "{curl}");
        assert!(
            curl.contains("Authorization: Bearer $MARKETFRONT_DISTRIBUTION_KEY") && curl.contains("Idempotency-Key")
        );
        let python = python(&place());
        assert!(python.contains("\"total\": 7.16") && python.contains("\"gift\": False") && python.contains("None"));
        let typescript = typescript(&place());
        assert!(typescript.contains("crypto.randomUUID()") && typescript.contains("JSON.stringify({"), "{typescript}");
    }
}
