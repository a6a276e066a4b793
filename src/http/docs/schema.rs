//! Reading the OpenAPI document's schemas for the reference: every field of a body as a row
//! (its path, type, whether required, constraints and description), and an example body where
//! the document gives none.

use serde_json::{Map, Value, json};

/// How deep the reference follows nested objects; below, a field names its type only.
const MAX_DEPTH: usize = 5;

/// One field of a body, as the reference lists it.
pub struct Field {
    /// `cart.lineItems[].quantity`
    pub path: String,
    pub kind: String,
    pub required: bool,
    pub constraints: Vec<String>,
    pub description: String,
}

/// The schema a `$ref` names, and the name; the schema itself when it is no reference.
pub fn resolve<'a>(spec: &'a Value, schema: &'a Value) -> (&'a Value, Option<&'a str>) {
    match schema["$ref"].as_str() {
        Some(reference) => {
            let name = reference.rsplit('/').next();
            (spec.pointer(reference.trim_start_matches('#')).unwrap_or(&Value::Null), name)
        }
        None => (schema, None),
    }
}

/// A short name for a schema's type: `string (uuid)`, `Order`, `array of LineItem`, `A | B`.
pub fn type_name(schema: &Value) -> String {
    if let Some(reference) = schema["$ref"].as_str() {
        return reference.rsplit('/').next().unwrap_or(reference).to_string();
    }
    for (combinator, separator) in [("oneOf", " | "), ("anyOf", " | "), ("allOf", " & ")] {
        if let Some(parts) = schema[combinator].as_array() {
            return parts.iter().map(type_name).collect::<Vec<_>>().join(separator);
        }
    }
    if let Some(constant) = schema.get("const") {
        return format!("const {constant}");
    }
    let kinds: Vec<String> = match &schema["type"] {
        Value::String(kind) => vec![kind.clone()],
        Value::Array(kinds) => kinds.iter().filter_map(Value::as_str).map(String::from).collect(),
        _ if schema.get("properties").is_some() => vec!["object".into()],
        _ => vec!["any".into()],
    };
    kinds
        .into_iter()
        .map(|kind| match kind.as_str() {
            "array" => format!("array of {}", type_name(&schema["items"])),
            "string" => match schema["format"].as_str() {
                Some(format) => format!("string ({format})"),
                None => "string".into(),
            },
            "object" if schema["additionalProperties"].is_object() => {
                format!("map of {}", type_name(&schema["additionalProperties"]))
            }
            _ => kind,
        })
        .collect::<Vec<_>>()
        .join(" | ")
}

/// What a schema allows beyond its type, in a partner's words.
pub fn constraints(spec: &Value, schema: &Value) -> Vec<String> {
    let (target, _) = resolve(spec, schema);
    let mut out = Vec::new();
    if let Some(values) = target["enum"].as_array() {
        let values: Vec<String> = values.iter().filter(|v| !v.is_null()).map(|v| format!("`{}`", plain(v))).collect();
        out.push(format!("one of {}", values.join(", ")));
    }
    for (key, label) in [
        ("minimum", "≥"),
        ("exclusiveMinimum", ">"),
        ("maximum", "≤"),
        ("exclusiveMaximum", "<"),
        ("minLength", "length ≥"),
        ("maxLength", "length ≤"),
        ("minItems", "items ≥"),
        ("maxItems", "items ≤"),
    ] {
        if let Some(value) = schema.get(key).or_else(|| target.get(key)) {
            out.push(format!("{label} {value}"));
        }
    }
    if let Some(pattern) = schema["pattern"].as_str().or(target["pattern"].as_str()) {
        out.push(format!("pattern `{pattern}`"));
    }
    if let Some(default) = schema.get("default") {
        out.push(format!("default `{}`", plain(default)));
    }
    out
}

fn plain(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// Every field of `schema`, depth first, with dotted paths from `prefix`.
pub fn fields(spec: &Value, schema: &Value) -> Vec<Field> {
    let mut rows = Vec::new();
    collect(spec, schema, "", 0, &mut Vec::new(), &mut rows);
    rows
}

fn collect(spec: &Value, schema: &Value, prefix: &str, depth: usize, seen: &mut Vec<String>, rows: &mut Vec<Field>) {
    let (target, name) = resolve(spec, schema);
    if depth > MAX_DEPTH || name.is_some_and(|n| seen.iter().any(|s| s == n)) {
        return;
    }
    if let Some(name) = name {
        seen.push(name.to_string());
    }
    // A choice of shapes: each variant's own fields, under its name.
    for combinator in ["oneOf", "anyOf"] {
        for variant in target[combinator].as_array().into_iter().flatten() {
            let (shape, variant_name) = resolve(spec, variant);
            if shape.get("properties").is_some() {
                let label = variant_name.map_or_else(|| prefix.to_string(), |n| format!("{prefix}({n}) "));
                collect_properties(spec, shape, &label, depth, seen, rows);
            } else if shape["type"] == "array" {
                collect(spec, &shape["items"], &format!("{prefix}[]."), depth + 1, seen, rows);
            }
        }
    }
    for part in target["allOf"].as_array().into_iter().flatten() {
        collect(spec, part, prefix, depth, seen, rows);
    }
    collect_properties(spec, target, prefix, depth, seen, rows);
    if let Some(values) = target["additionalProperties"].as_object() {
        collect(spec, &Value::Object(values.clone()), &format!("{prefix}{{key}}."), depth + 1, seen, rows);
    }
    if name.is_some() {
        seen.pop();
    }
}

fn collect_properties(
    spec: &Value,
    schema: &Value,
    prefix: &str,
    depth: usize,
    seen: &mut Vec<String>,
    rows: &mut Vec<Field>,
) {
    let required: Vec<&str> = schema["required"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
    for (property, sub) in schema["properties"].as_object().into_iter().flatten() {
        let path = format!("{prefix}{property}");
        let (target, _) = resolve(spec, sub);
        let description = sub["description"].as_str().or(target["description"].as_str()).unwrap_or("");
        rows.push(Field {
            path: path.clone(),
            kind: type_name(sub),
            required: required.contains(&property.as_str()),
            constraints: constraints(spec, sub),
            description: description.to_string(),
        });
        match items_of(spec, sub) {
            Some(items) => collect(spec, items, &format!("{path}[]."), depth + 1, seen, rows),
            None => collect(spec, sub, &format!("{path}."), depth + 1, seen, rows),
        }
    }
}

/// The item schema of an array (also behind `$ref` or a nullable `anyOf`).
fn items_of<'a>(spec: &'a Value, schema: &'a Value) -> Option<&'a Value> {
    let (target, _) = resolve(spec, schema);
    let is_array = target["type"] == "array" || target["type"].as_array().is_some_and(|t| t.contains(&json!("array")));
    is_array.then(|| &target["items"])
}

/// An example of `schema`: the document's own where it has one, else one made from the types.
pub fn example(spec: &Value, schema: &Value) -> Value {
    make(spec, schema, 0)
}

fn make(spec: &Value, schema: &Value, depth: usize) -> Value {
    if let Some(given) = schema.get("example") {
        return given.clone();
    }
    let (target, _) = resolve(spec, schema);
    if let Some(given) = target.get("example") {
        return given.clone();
    }
    if depth > MAX_DEPTH {
        return Value::Null;
    }
    if let Some(constant) = target.get("const") {
        return constant.clone();
    }
    if let Some(first) = target["enum"].as_array().and_then(|values| values.iter().find(|v| !v.is_null())) {
        return first.clone();
    }
    for combinator in ["oneOf", "anyOf"] {
        if let Some(variant) =
            target[combinator].as_array().and_then(|variants| variants.iter().find(|v| v["type"] != "null"))
        {
            return make(spec, variant, depth + 1);
        }
    }
    if let Some(parts) = target["allOf"].as_array() {
        let mut merged = Map::new();
        for part in parts {
            if let Value::Object(members) = make(spec, part, depth + 1) {
                merged.extend(members);
            }
        }
        return Value::Object(merged);
    }
    let kind = match &target["type"] {
        Value::String(kind) => kind.as_str(),
        Value::Array(kinds) => kinds.iter().filter_map(Value::as_str).find(|k| *k != "null").unwrap_or("null"),
        _ if target.get("properties").is_some() => "object",
        _ => "null",
    };
    match kind {
        "object" => {
            let mut members = Map::new();
            for (name, sub) in target["properties"].as_object().into_iter().flatten() {
                let value = make(spec, sub, depth + 1);
                if !value.is_null() {
                    members.insert(name.clone(), value);
                }
            }
            Value::Object(members)
        }
        "array" => json!([make(spec, &target["items"], depth + 1)]),
        "string" => match target["format"].as_str() {
            Some("uuid") => json!("0195a1b0-0000-7000-8000-000000000002"),
            Some("date-time") => json!("2026-12-01T17:00:00Z"),
            Some("uri") => json!("https://partner.example.com/hooks"),
            _ => json!("string"),
        },
        "integer" => {
            target.get("minimum").filter(|m| m.as_i64().is_some_and(|m| m > -1_000)).cloned().unwrap_or(json!(1))
        }
        "number" => json!(1.5),
        "boolean" => json!(true),
        _ => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> Value {
        json!({"components": {"schemas": {
            "Line": {"type": "object", "required": ["itemId"], "properties": {
                "itemId": {"type": "string", "maxLength": 128, "description": "The item."},
                "quantity": {"type": "integer", "minimum": 1, "maximum": 99}}},
            "Cart": {"type": "object", "properties": {
                "lines": {"type": "array", "items": {"$ref": "#/components/schemas/Line"}},
                "kind": {"$ref": "#/components/schemas/Kind"}}},
            "Kind": {"type": "string", "enum": ["Pickup", "Delivery"]}
        }}})
    }

    #[test]
    fn fields_follow_references_and_arrays_with_their_constraints() {
        let spec = spec();
        let rows = fields(&spec, &json!({"$ref": "#/components/schemas/Cart"}));
        let paths: Vec<&str> = rows.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(paths, ["kind", "lines", "lines[].itemId", "lines[].quantity"]);
        assert_eq!(rows[0].constraints, ["one of `Pickup`, `Delivery`"]);
        assert_eq!(rows[1].kind, "array of Line");
        assert!(rows[2].required && !rows[3].required);
        assert_eq!(rows[2].constraints, ["length ≤ 128"]);
        assert_eq!(rows[3].constraints, ["≥ 1", "≤ 99"]);
    }

    #[test]
    fn an_example_is_made_from_the_types_where_none_is_given() {
        let spec = spec();
        let made = example(&spec, &json!({"$ref": "#/components/schemas/Cart"}));
        assert_eq!(made, json!({"kind": "Pickup", "lines": [{"itemId": "string", "quantity": 1}]}));
        assert_eq!(example(&spec, &json!({"type": "string", "example": "given"})), json!("given"));
    }
}
