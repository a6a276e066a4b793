//! Free-text search over stores: how text becomes words, how a query word finds the indexed
//! words it stands for (exact, the last word as a prefix, or a correction within a typo budget),
//! how results rank, and which item names say why a store matched.
//!
//! The rules follow what Meilisearch and Typesense document: every query word must match
//! (several words narrow), a longer word tolerates more typos, the word being typed matches as a
//! prefix, and a match in the store's name outranks one in its cuisines, which outranks one on
//! its menu. Unlike them, a word that exists exactly in the index is not also corrected: a
//! person who typed a real word meant it, and a query stays cheap (every hit shares the same
//! words, so typos need no per-store ranking).
//!
//! The index and the query use the same `words`, so the two can never disagree about
//! where a word starts or how it is cased.

use std::collections::{BTreeMap, BTreeSet};

/// At most this many words of a query count; more would only narrow an already empty result.
pub const MAX_QUERY_WORDS: usize = 8;
/// How many indexed words a query word may stand for (corrections and completions together).
pub const MAX_ALTERNATIVES: usize = 10;
/// A prefix shorter than this completes to too many words to mean anything.
pub const MIN_PREFIX_CHARS: usize = 3;
/// How many item names a result quotes as the reason it matched.
pub const MATCHED_ITEMS: usize = 3;
/// How many item names the index keeps per word, to pick the quoted ones from.
pub const ITEMS_PER_WORD: usize = 5;
/// An indexed word longer than this is noise (a pasted code, a URL) and is left out.
pub const MAX_WORD_CHARS: usize = 40;

/// Lower-case words of letters and digits, in order, each once.
pub fn words(text: &str) -> Vec<String> {
    // Lower-case first, then split: lower-casing may add a mark that is not a letter ("İ").
    let mut seen = BTreeSet::new();
    text.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty() && word.chars().count() <= MAX_WORD_CHARS)
        .map(str::to_string)
        .filter(|word| seen.insert(word.clone()))
        .collect()
}

/// How many typos a query word of this length may carry and still find its word: none below
/// four letters (too many short words are one edit apart), one up to seven, two from eight.
pub fn typo_budget(word: &str) -> usize {
    match word.chars().count() {
        0..=3 => 0,
        4..=7 => 1,
        _ => 2,
    }
}

/// Edits (insert, delete, substitute, swap two neighbours) that turn `a` into `b`: the optimal
/// string alignment distance, which counts "tcao" → "taco" as one typo, as a person would.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // Three rows of the dynamic programme: two back (for swaps), one back, this one.
    let mut before: Vec<usize> = vec![0; b.len() + 1];
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut current = vec![i; b.len() + 1];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (previous[j] + 1).min(current[j - 1] + 1).min(previous[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(before[j - 2] + 1);
            }
            current[j] = best;
        }
        before = std::mem::replace(&mut previous, current);
    }
    previous[b.len()]
}

/// An indexed word the index offered for a query word, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// Position of the query word it was offered for.
    pub position: usize,
    pub word: String,
    /// Offered as a completion of the query word (the last word only), not as a look-alike.
    pub completion: bool,
}

/// A query, resolved against the index: for each query word, the indexed words it stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub alternatives: Vec<Vec<String>>,
}

/// A parsed text query: its words, the last of which may be a prefix still being typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextQuery {
    pub words: Vec<String>,
}

impl TextQuery {
    /// `None` for text without a single word.
    pub fn parse(text: &str) -> Option<TextQuery> {
        let mut words = words(text);
        words.truncate(MAX_QUERY_WORDS);
        (!words.is_empty()).then_some(TextQuery { words })
    }

    /// Whether the index should be asked for completions of the word at `position`.
    pub fn completes(&self, position: usize) -> bool {
        position + 1 == self.words.len() && self.words[position].chars().count() >= MIN_PREFIX_CHARS
    }

    /// Picks, for each query word, what it stands for among the candidates the index offered
    /// (look-alikes by trigram similarity, completions by prefix): the word itself when it is
    /// indexed, otherwise the look-alikes within its typo budget (closest first); and, for the
    /// word being typed, its completions. A word left with nothing makes the query match no
    /// store.
    pub fn resolve(&self, candidates: &[Candidate]) -> Resolved {
        let alternatives = self
            .words
            .iter()
            .enumerate()
            .map(|(position, asked)| {
                let offered: Vec<&Candidate> = candidates.iter().filter(|c| c.position == position).collect();
                let exact = offered.iter().any(|c| &c.word == asked);
                let mut chosen: Vec<String> = Vec::new();
                if exact {
                    chosen.push(asked.clone());
                } else {
                    let budget = typo_budget(asked);
                    let mut near: Vec<(usize, &str)> = offered
                        .iter()
                        .filter(|c| !c.completion)
                        .map(|c| (edit_distance(asked, &c.word), c.word.as_str()))
                        .filter(|(distance, _)| *distance <= budget)
                        .collect();
                    near.sort();
                    chosen.extend(near.into_iter().map(|(_, word)| word.to_string()));
                }
                if self.completes(position) {
                    let mut completions: Vec<&str> = offered
                        .iter()
                        .filter(|c| c.completion && c.word.starts_with(asked.as_str()))
                        .map(|c| c.word.as_str())
                        .collect();
                    // Shortest first: "ram" means "ramen" before "ramekin".
                    completions.sort_by_key(|word| (word.chars().count(), *word));
                    chosen.extend(completions.into_iter().map(str::to_string));
                }
                let mut seen = BTreeSet::new();
                chosen.retain(|word| seen.insert(word.clone()));
                chosen.truncate(MAX_ALTERNATIVES);
                chosen
            })
            .collect();
        Resolved { alternatives }
    }
}

impl Resolved {
    /// Whether some query word stands for nothing indexed: then no store can match.
    pub fn matches_nothing(&self) -> bool {
        self.alternatives.iter().any(Vec::is_empty)
    }

    /// One `tsquery` per query word: its alternatives joined by `|`. Words are letters and
    /// digits only (see `words`), and each is quoted, so nothing in them is an operator.
    pub fn word_queries(&self) -> Vec<String> {
        self.alternatives
            .iter()
            .map(|alternatives| alternatives.iter().map(|word| format!("'{word}'")).collect::<Vec<_>>().join(" | "))
            .collect()
    }

    /// The whole query as one `tsquery`: every word must match (`&`), each by any alternative.
    pub fn query(&self) -> String {
        self.word_queries().iter().map(|q| format!("({q})")).collect::<Vec<_>>().join(" & ")
    }

    /// Every indexed word the query stands for, for looking up item names.
    pub fn all_words(&self) -> Vec<String> {
        let set: BTreeSet<&String> = self.alternatives.iter().flatten().collect();
        set.into_iter().cloned().collect()
    }

    /// Up to three item names that say why a store matched, from the index's names per word:
    /// names that contain more of the query's words first, then in the index's order.
    pub fn matched_items(&self, names_by_word: &BTreeMap<String, Vec<String>>) -> Vec<String> {
        // (name, how many query words it holds); the vector keeps the order names were met.
        let mut scored: Vec<(&String, usize)> = Vec::new();
        for alternatives in &self.alternatives {
            let mut for_this_word: Vec<&String> = Vec::new();
            for name in alternatives.iter().filter_map(|word| names_by_word.get(word)).flatten() {
                if !for_this_word.contains(&name) {
                    for_this_word.push(name);
                }
            }
            for name in for_this_word {
                match scored.iter_mut().find(|(known, _)| *known == name) {
                    Some((_, words)) => *words += 1,
                    None => scored.push((name, 1)),
                }
            }
        }
        // A stable sort: among names with as many words, the first met stays first.
        scored.sort_by_key(|(_, words)| std::cmp::Reverse(*words));
        scored.into_iter().take(MATCHED_ITEMS).map(|(name, _)| name.clone()).collect()
    }
}

/// What the index keeps of a store for text search: its words by where they occur, and the
/// item names per menu word (for `matchedItems`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Document {
    pub name: Vec<String>,
    pub cuisines: Vec<String>,
    pub menu: Vec<String>,
    pub items_by_word: BTreeMap<String, Vec<String>>,
}

impl Document {
    /// The index entry for a store's name, its cuisines and its menu's section and item names.
    pub fn new<'a>(
        name: &str,
        cuisines: &[String],
        sections: impl IntoIterator<Item = &'a str>,
        items: impl IntoIterator<Item = &'a str>,
    ) -> Document {
        let mut menu = BTreeSet::new();
        for section in sections {
            menu.extend(words(section));
        }
        let mut items_by_word: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut items: Vec<&str> = items.into_iter().collect();
        // Shorter names first, so the names quoted are the plainest ("Ramen" before "Ramen
        // with extra chashu and a soft egg"); then by name, so the choice is stable.
        items.sort_by_key(|name| (name.chars().count(), *name));
        for item in items {
            for word in words(item) {
                let names = items_by_word.entry(word.clone()).or_default();
                if names.len() < ITEMS_PER_WORD {
                    names.push(item.to_string());
                }
                menu.insert(word);
            }
        }
        Document {
            name: words(name),
            cuisines: cuisines.iter().flat_map(|c| words(c)).collect(),
            menu: menu.into_iter().collect(),
            items_by_word,
        }
    }

    /// Every word of the store, each once, for the vocabulary that corrections come from.
    pub fn vocabulary(&self) -> Vec<String> {
        let set: BTreeSet<&String> = self.name.iter().chain(&self.cuisines).chain(&self.menu).collect();
        set.into_iter().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn candidates(position: usize, words: &[&str], completion: bool) -> Vec<Candidate> {
        words.iter().map(|w| Candidate { position, word: w.to_string(), completion }).collect()
    }

    #[test]
    fn words_are_lower_case_letters_and_digits_each_once() {
        assert_eq!(words("Joe's PIZZA, pizza & Café 24/7"), ["joe", "s", "pizza", "café", "24", "7"]);
        assert!(words("  -- ").is_empty());
    }

    #[test]
    fn edit_distance_counts_what_a_person_calls_one_typo() {
        assert_eq!(edit_distance("pizzza", "pizza"), 1);
        assert_eq!(edit_distance("ramn", "ramen"), 1);
        assert_eq!(edit_distance("tcao", "taco"), 1);
        assert_eq!(edit_distance("sushi", "sushi"), 0);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn a_typo_is_corrected_only_within_the_budget_of_its_length() {
        let query = TextQuery::parse("pizzza").unwrap();
        let resolved = query.resolve(&candidates(0, &["pizza", "pizzeria", "pizzas"], false));
        // "pizzas" is two edits from "pizzza"; a six-letter word may carry one.
        assert_eq!(resolved.alternatives, [vec!["pizza".to_string()]]);
        let short = TextQuery::parse("pho").unwrap();
        let offered = [candidates(0, &["phi"], false), candidates(0, &["phoenix"], true)].concat();
        assert_eq!(short.resolve(&offered).alternatives, [vec!["phoenix".to_string()]]);
    }

    #[test]
    fn an_indexed_word_is_taken_as_meant_and_the_last_word_also_completes() {
        let query = TextQuery::parse("vegan ram").unwrap();
        let offered = [
            candidates(0, &["vegan", "vegans"], false),
            candidates(1, &["ramen", "ramekin", "rum"], false),
            candidates(1, &["ramekin", "ramen"], true),
        ]
        .concat();
        let resolved = query.resolve(&offered);
        assert_eq!(resolved.alternatives, [vec!["vegan".to_string()], vec!["ramen".into(), "ramekin".into()]]);
        assert_eq!(resolved.query(), "('vegan') & ('ramen' | 'ramekin')");
        assert!(!resolved.matches_nothing());
        assert!(TextQuery::parse("xyzzy").unwrap().resolve(&[]).matches_nothing());
    }

    #[test]
    fn matched_items_prefer_names_with_more_query_words() {
        let resolved = Resolved { alternatives: vec![vec!["vegan".into()], vec!["ramen".into()]] };
        let index = BTreeMap::from([
            ("vegan".to_string(), vec!["Vegan Gyoza".to_string(), "Vegan Ramen".to_string()]),
            ("ramen".to_string(), vec!["Shoyu Ramen".to_string(), "Vegan Ramen".to_string(), "Miso Ramen".into()]),
        ]);
        assert_eq!(resolved.matched_items(&index), ["Vegan Ramen", "Vegan Gyoza", "Shoyu Ramen"]);
    }

    #[test]
    fn a_document_keeps_the_plainest_names_per_word() {
        let cuisines = vec!["Japanese".to_string()];
        let doc = Document::new(
            "Ramen Ya",
            &cuisines,
            ["Noodles"],
            ["Ramen with extra chashu", "Ramen", "Gyoza", "Spicy Ramen", "Miso Ramen", "Shio Ramen", "Tan Ramen"],
        );
        assert_eq!(doc.name, ["ramen", "ya"]);
        assert_eq!(doc.cuisines, ["japanese"]);
        assert!(doc.menu.contains(&"noodles".to_string()) && doc.menu.contains(&"chashu".to_string()));
        assert_eq!(doc.items_by_word["ramen"], ["Ramen", "Tan Ramen", "Miso Ramen", "Shio Ramen", "Spicy Ramen"]);
        assert!(doc.vocabulary().windows(2).all(|w| w[0] < w[1]));
    }

    proptest! {
        #[test]
        fn edit_distance_is_a_distance(a in "[a-e]{0,7}", b in "[a-e]{0,7}") {
            prop_assert_eq!(edit_distance(&a, &b), edit_distance(&b, &a));
            prop_assert_eq!(edit_distance(&a, &b) == 0, a == b);
            let longest = a.chars().count().max(b.chars().count());
            prop_assert!(edit_distance(&a, &b) <= longest);
        }

        #[test]
        fn one_edit_is_within_every_budget_from_four_letters(word in "[a-z]{4,12}", at in 0usize..12) {
            let at = at % word.len();
            let mut typo = word.clone();
            typo.remove(at);
            prop_assert!(edit_distance(&word, &typo) <= typo_budget(&word));
        }

        #[test]
        fn a_tsquery_holds_nothing_but_quoted_words(text in "\\PC{0,60}") {
            if let Some(query) = TextQuery::parse(&text) {
                let offered: Vec<Candidate> = query.words.iter().enumerate()
                    .map(|(position, word)| Candidate { position, word: word.clone(), completion: false })
                    .collect();
                let resolved = query.resolve(&offered);
                for alternatives in &resolved.alternatives {
                    for word in alternatives {
                        prop_assert!(word.chars().all(char::is_alphanumeric));
                    }
                }
            }
        }
    }
}
