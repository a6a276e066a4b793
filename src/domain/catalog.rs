//! CatalogSet: a store's whole menu as normalised id→object maps, and the rules a set must meet
//! before it may replace the live one.

use super::availability::{WindowDto, parse_windows};
use super::money::{check_amount, currency_exponent};
use super::problem::{Problem, key_path};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};
use uuid::Uuid;

/// A catalog set as it is kept: the partner's document and its store.
#[derive(Debug, Clone)]
pub struct StoredCatalogSet {
    pub id: Uuid,
    pub store_id: Uuid,
    pub document: CatalogSet,
    pub version: i64,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CatalogSet {
    pub catalog_set_id: Uuid,
    pub currency: String,
    #[serde(default)]
    pub catalogs: BTreeMap<String, Catalog>,
    #[serde(default)]
    pub sections: BTreeMap<String, Section>,
    #[serde(default)]
    pub items: BTreeMap<String, Item>,
    #[serde(default)]
    pub modifier_groups: BTreeMap<String, ModifierGroup>,
}

/// A daypart ("Breakfast", "All day") with its own opening windows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Catalog {
    pub catalog_id: String,
    pub name: String,
    #[serde(default)]
    pub section_ids: Vec<String>,
    #[serde(default)]
    pub availability: Vec<WindowDto>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Section {
    pub section_id: String,
    pub name: String,
    #[serde(default)]
    pub item_ids: Vec<String>,
    #[serde(default)]
    pub section_ids: Vec<String>,
}

/// A dish, or a modifier (modifiers are items referenced from a modifier group).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Item {
    pub item_id: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(deserialize_with = "super::money::json_number::deserialize")]
    pub base_price: Decimal,
    #[serde(default = "yes")]
    pub available: bool,
    #[serde(default)]
    pub modifier_group_ids: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ModifierGroup {
    pub modifier_group_id: String,
    pub name: String,
    #[serde(default)]
    pub min_selections: i64,
    pub max_selections: i64,
    #[serde(default)]
    pub item_ids: Vec<String>,
}

fn yes() -> bool {
    true
}

impl CatalogSet {
    /// Writes every price at the currency's minor-unit scale. Call after `validate`.
    pub fn normalise(&mut self) {
        let exponent = currency_exponent(&self.currency).unwrap_or(2);
        for item in self.items.values_mut() {
            item.base_price.rescale(exponent);
        }
    }
}

/// Every problem with a set, each with its JSONPath; empty when the set may go live.
pub fn validate(set: &CatalogSet, store_currency: &str) -> Vec<Problem> {
    let mut problems = Vec::new();

    let exponent = currency_exponent(&set.currency);
    match exponent {
        None => problems.push(Problem::at(
            "UNKNOWN_CURRENCY",
            "$.currency",
            format!("{:?} is not an ISO 4217 currency with minor units", set.currency),
        )),
        Some(_) if set.currency != store_currency => problems.push(Problem::at(
            "CURRENCY_MISMATCH",
            "$.currency",
            format!("the store trades in {store_currency}, the catalog set is in {}", set.currency),
        )),
        Some(_) => {}
    }

    check_keys(&set.catalogs, "$.catalogs", "catalogId", |c| &c.catalog_id, &mut problems);
    check_keys(&set.sections, "$.sections", "sectionId", |s| &s.section_id, &mut problems);
    check_keys(&set.items, "$.items", "itemId", |i| &i.item_id, &mut problems);
    check_keys(&set.modifier_groups, "$.modifierGroups", "modifierGroupId", |g| &g.modifier_group_id, &mut problems);

    for (key, catalog) in &set.catalogs {
        let path = key_path("$.catalogs", key);
        check_name(&catalog.name, &path, &mut problems);
        check_refs(&catalog.section_ids, &set.sections, &format!("{path}.sectionIds"), "section", &mut problems);
        if let Err(mut bad) = parse_windows(&catalog.availability, &format!("{path}.availability")) {
            problems.append(&mut bad);
        }
    }
    for (key, section) in &set.sections {
        let path = key_path("$.sections", key);
        check_name(&section.name, &path, &mut problems);
        check_refs(&section.item_ids, &set.items, &format!("{path}.itemIds"), "item", &mut problems);
        check_refs(&section.section_ids, &set.sections, &format!("{path}.sectionIds"), "section", &mut problems);
    }
    for (key, item) in &set.items {
        let path = key_path("$.items", key);
        check_name(&item.name, &path, &mut problems);
        // With an unknown currency only the sign can be judged, not the number of decimals.
        check_amount(item.base_price, exponent.unwrap_or(u32::MAX), &format!("{path}.basePrice"), &mut problems);
        check_refs(
            &item.modifier_group_ids,
            &set.modifier_groups,
            &format!("{path}.modifierGroupIds"),
            "modifier group",
            &mut problems,
        );
    }
    for (key, group) in &set.modifier_groups {
        let path = key_path("$.modifierGroups", key);
        check_name(&group.name, &path, &mut problems);
        check_refs(&group.item_ids, &set.items, &format!("{path}.itemIds"), "item", &mut problems);
        check_selection_range(group, &path, &mut problems);
    }

    problems.extend(section_cycles(set));
    problems.extend(modifier_cycles(set));
    problems
}

fn check_keys<T>(
    map: &BTreeMap<String, T>,
    base: &str,
    id_field: &str,
    id: impl Fn(&T) -> &String,
    problems: &mut Vec<Problem>,
) {
    for (key, value) in map {
        if key.trim().is_empty() {
            problems.push(Problem::at("INVALID_ID", key_path(base, key), "ids must not be blank"));
        } else if key.chars().count() > super::limits::MAX_ID_CHARS {
            problems.push(Problem::at(
                "INVALID_ID",
                key_path(base, key),
                format!("ids are at most {} characters", super::limits::MAX_ID_CHARS),
            ));
        } else if id(value) != key {
            problems.push(Problem::at(
                "KEY_MISMATCH",
                format!("{}.{id_field}", key_path(base, key)),
                format!("{id_field} {:?} differs from its map key {key:?}", id(value)),
            ));
        }
    }
}

fn check_name(name: &str, path: &str, problems: &mut Vec<Problem>) {
    if name.trim().is_empty() {
        problems.push(Problem::at("INVALID_VALUE", format!("{path}.name"), "name must not be blank"));
    }
    super::limits::check_text(Some(name), super::limits::MAX_NAME_CHARS, &format!("{path}.name"), problems);
}

fn check_refs<T>(refs: &[String], targets: &BTreeMap<String, T>, path: &str, what: &str, problems: &mut Vec<Problem>) {
    let mut seen = HashSet::new();
    for (i, id) in refs.iter().enumerate() {
        let at = format!("{path}[{i}]");
        if !targets.contains_key(id) {
            problems
                .push(Problem::at("DANGLING_REFERENCE", at, format!("no {what} with id {id:?}")).with_item(id.clone()));
        } else if !seen.insert(id) {
            problems.push(
                Problem::at("DUPLICATE_REFERENCE", at, format!("{what} {id:?} is listed twice")).with_item(id.clone()),
            );
        }
    }
}

fn check_selection_range(group: &ModifierGroup, path: &str, problems: &mut Vec<Problem>) {
    let (min, max) = (group.min_selections, group.max_selections);
    let message = if min < 0 || max < 0 {
        Some("minSelections and maxSelections must not be negative".to_string())
    } else if max == 0 {
        Some("maxSelections must be at least 1".to_string())
    } else if min > max {
        Some(format!("minSelections ({min}) is greater than maxSelections ({max})"))
    } else if min > group.item_ids.len() as i64 {
        Some(format!("minSelections ({min}) exceeds the {} modifiers on offer", group.item_ids.len()))
    } else {
        None
    };
    if let Some(message) = message {
        problems.push(Problem::at("INVALID_SELECTION_RANGE", format!("{path}.minSelections"), message));
    }
}

/// A node of a reference graph and the edges out of it: (target, JSONPath of the reference).
type Graph<'a> = HashMap<&'a str, Vec<(&'a str, String)>>;

fn section_cycles(set: &CatalogSet) -> Vec<Problem> {
    let graph: Graph = set
        .sections
        .iter()
        .map(|(key, s)| {
            let base = format!("{}.sectionIds", key_path("$.sections", key));
            let edges = s
                .section_ids
                .iter()
                .enumerate()
                .filter(|(_, id)| set.sections.contains_key(*id))
                .map(|(i, id)| (id.as_str(), format!("{base}[{i}]")))
                .collect();
            (key.as_str(), edges)
        })
        .collect();
    find_cycles(&graph, "section")
}

/// Items and modifier groups form one graph (item → its groups → their modifier items → …); a
/// cycle there would make an order's price unbounded.
fn modifier_cycles(set: &CatalogSet) -> Vec<Problem> {
    // Group nodes are prefixed so an item and a group may share an id.
    let group_keys: BTreeMap<&str, String> =
        set.modifier_groups.keys().map(|k| (k.as_str(), format!("\u{0}group:{k}"))).collect();
    let mut graph: Graph = HashMap::new();
    for (key, item) in &set.items {
        let base = format!("{}.modifierGroupIds", key_path("$.items", key));
        let edges = item
            .modifier_group_ids
            .iter()
            .enumerate()
            .filter_map(|(i, id)| group_keys.get(id.as_str()).map(|node| (node.as_str(), format!("{base}[{i}]"))))
            .collect();
        graph.insert(key.as_str(), edges);
    }
    for (key, group) in &set.modifier_groups {
        let base = format!("{}.itemIds", key_path("$.modifierGroups", key));
        let edges = group
            .item_ids
            .iter()
            .enumerate()
            .filter(|(_, id)| set.items.contains_key(*id))
            .map(|(i, id)| (id.as_str(), format!("{base}[{i}]")))
            .collect();
        graph.insert(group_keys[key.as_str()].as_str(), edges);
    }
    find_cycles(&graph, "modifier")
}

/// Iterative depth-first search (a hostile set could nest deeper than a thread's stack); every
/// edge that closes a cycle is reported once.
fn find_cycles(graph: &Graph, what: &str) -> Vec<Problem> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Visiting,
        Done,
    }
    let mut marks: HashMap<&str, Mark> = HashMap::new();
    let mut problems = Vec::new();
    let mut roots: Vec<&str> = graph.keys().copied().collect();
    roots.sort_unstable();
    for root in roots {
        if marks.contains_key(root) {
            continue;
        }
        let mut stack: Vec<(&str, usize)> = vec![(root, 0)];
        marks.insert(root, Mark::Visiting);
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            let edges = &graph[node];
            if *next == edges.len() {
                marks.insert(node, Mark::Done);
                stack.pop();
                continue;
            }
            let (target, path) = &edges[*next];
            *next += 1;
            match marks.get(target) {
                Some(Mark::Visiting) => problems.push(Problem::at(
                    "CYCLIC_REFERENCE",
                    path.clone(),
                    format!("this reference closes a {what} cycle"),
                )),
                Some(Mark::Done) => {}
                None => {
                    marks.insert(target, Mark::Visiting);
                    stack.push((target, 0));
                }
            }
        }
    }
    problems.sort_by(|a, b| a.json_path.cmp(&b.json_path));
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn set(value: serde_json::Value) -> CatalogSet {
        serde_json::from_value(value).expect("parses")
    }

    fn good() -> serde_json::Value {
        json!({
            "catalogSetId": "0190f0a0-0000-7000-8000-000000000001",
            "currency": "USD",
            "catalogs": {"allday": {"catalogId": "allday", "name": "All day", "sectionIds": ["mains"],
                "availability": [{"dayOfWeek": "Monday", "start": "11:00:00", "end": "22:00:00"}]}},
            "sections": {"mains": {"sectionId": "mains", "name": "Mains", "itemIds": ["pizza"], "sectionIds": ["specials"]},
                         "specials": {"sectionId": "specials", "name": "Specials", "itemIds": []}},
            "items": {"pizza": {"itemId": "pizza", "name": "Pizza", "basePrice": 12.5, "modifierGroupIds": ["size"]},
                      "large": {"itemId": "large", "name": "Large", "basePrice": 3}},
            "modifierGroups": {"size": {"modifierGroupId": "size", "name": "Size", "minSelections": 1, "maxSelections": 1, "itemIds": ["large"]}}
        })
    }

    fn codes_and_paths(problems: &[Problem]) -> Vec<(String, String)> {
        problems.iter().map(|p| (p.code.clone(), p.json_path.clone().unwrap_or_default())).collect()
    }

    #[test]
    fn a_good_set_has_no_problems() {
        assert_eq!(validate(&set(good()), "USD"), vec![]);
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let mut v = good();
        v["currency"] = json!("XXY");
        v["items"]["pizza"]["basePrice"] = json!(-1);
        v["items"]["pizza"]["modifierGroupIds"] = json!(["size", "size", "nope"]);
        v["items"]["large"]["itemId"] = json!("big");
        v["modifierGroups"]["size"]["minSelections"] = json!(2);
        v["sections"]["specials"]["sectionIds"] = json!(["mains"]);
        v["catalogs"]["allday"]["availability"][0]["end"] = json!("11:00:00");
        v["catalogs"]["allday"]["availability"][0]["start"] = json!("11:00:00");
        let problems = codes_and_paths(&validate(&set(v), "USD"));
        let expected = [
            ("UNKNOWN_CURRENCY", "$.currency"),
            ("KEY_MISMATCH", "$.items.large.itemId"),
            ("INVALID_TIME_WINDOW", "$.catalogs.allday.availability[0]"),
            ("DUPLICATE_REFERENCE", "$.items.pizza.modifierGroupIds[1]"),
            ("DANGLING_REFERENCE", "$.items.pizza.modifierGroupIds[2]"),
            ("INVALID_SELECTION_RANGE", "$.modifierGroups.size.minSelections"),
            ("CYCLIC_REFERENCE", "$.sections.specials.sectionIds[0]"),
            ("NEGATIVE_AMOUNT", "$.items.pizza.basePrice"),
        ];
        for (code, path) in expected {
            assert!(
                problems.contains(&(code.to_string(), path.to_string())),
                "missing {code} at {path} in {problems:?}"
            );
        }
        assert_eq!(problems.len(), expected.len(), "{problems:?}");
    }

    #[test]
    fn negative_price_and_precision_are_checked_against_the_currency() {
        let mut v = good();
        v["items"]["pizza"]["basePrice"] = json!(-1);
        v["items"]["large"]["basePrice"] = json!(1.999);
        let problems = codes_and_paths(&validate(&set(v), "USD"));
        assert_eq!(
            problems,
            [
                ("INVALID_PRECISION".to_string(), "$.items.large.basePrice".to_string()),
                ("NEGATIVE_AMOUNT".to_string(), "$.items.pizza.basePrice".to_string())
            ]
        );
    }

    #[test]
    fn modifier_cycles_are_found() {
        let mut v = good();
        v["items"]["large"]["modifierGroupIds"] = json!(["size"]);
        let problems = codes_and_paths(&validate(&set(v), "USD"));
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].0, "CYCLIC_REFERENCE");
    }

    #[test]
    fn self_nested_section_is_a_cycle() {
        let mut v = good();
        v["sections"]["mains"]["sectionIds"] = json!(["mains"]);
        let problems = codes_and_paths(&validate(&set(v), "USD"));
        assert_eq!(problems, [("CYCLIC_REFERENCE".to_string(), "$.sections.mains.sectionIds[0]".to_string())]);
    }

    #[test]
    fn deep_nesting_does_not_overflow_the_stack() {
        let mut v = good();
        let mut sections = serde_json::Map::new();
        for i in 0..50_000 {
            let children = if i + 1 < 50_000 { json!([format!("s{}", i + 1)]) } else { json!([]) };
            sections
                .insert(format!("s{i}"), json!({"sectionId": format!("s{i}"), "name": "n", "sectionIds": children}));
        }
        v["sections"] = serde_json::Value::Object(sections);
        v["catalogs"]["allday"]["sectionIds"] = json!(["s0"]);
        assert_eq!(validate(&set(v), "USD"), vec![]);
    }

    #[test]
    fn currency_must_match_the_store() {
        let problems = codes_and_paths(&validate(&set(good()), "EUR"));
        assert_eq!(problems, [("CURRENCY_MISMATCH".to_string(), "$.currency".to_string())]);
    }
}
