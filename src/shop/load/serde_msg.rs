//! Turning serde's messages into a seller's words.

use super::Seg;

/// What kind of problem a serde message reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Kind {
    /// "unknown field \`x\`, expected one of \`a\`, \`b\`": the known keys.
    Unknown {
        field: String,
        expected: Vec<String>,
    },
    /// "missing field \`x\`".
    Missing(String),
    /// Anything else (a wrong type, a bad value, a custom message).
    Other,
}

pub(super) fn classify(msg: &str) -> Kind {
    if let Some(rest) = msg.strip_prefix("unknown field `") {
        let (field, expected) = match rest.rfind("`, expected ") {
            Some(cut) => (&rest[..cut], ticked(&rest[cut + 1..])),
            None => (
                rest.rsplit_once("`, there are no fields")
                    .map_or(rest, |(f, _)| f),
                Vec::new(),
            ),
        };
        return Kind::Unknown {
            field: field.to_owned(),
            expected,
        };
    }
    if let Some(rest) = msg.strip_prefix("missing field `") {
        return Kind::Missing(rest.strip_suffix('`').unwrap_or(rest).to_owned());
    }
    Kind::Other
}

/// The first choice of an "unknown variant \`x\`, expected \`a\` or \`b\`"
/// message: a value that fits where a stand-in text did not.
pub(super) fn first_variant(msg: &str) -> Option<String> {
    let rest = msg.strip_prefix("unknown variant `")?;
    let cut = rest.rfind("`, expected ")?;
    ticked(&rest[cut + 1..]).into_iter().next()
}

/// The \`ticked\` words of a serde list such as "one of \`a\`, \`b\`".
fn ticked(text: &str) -> Vec<String> {
    text.split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

/// "did you mean `price`?" or the list of keys that may be used here.
pub(super) fn unknown_fix(field: &str, known: &[&str]) -> String {
    if let Some(best) = closest(field, known.iter().copied()) {
        format!("did you mean `{best}`?")
    } else if known.is_empty() {
        "remove it; this table takes no keys".to_owned()
    } else {
        format!("known keys here: {}", known.join(", "))
    }
}

/// The candidate closest to `word` by edit distance, if it is close enough
/// to be a plausible typo.
pub(crate) fn closest<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    const LONGEST: usize = 64;
    let word: Vec<char> = word.to_lowercase().chars().collect();
    if word.is_empty() || word.len() > LONGEST {
        return None;
    }
    candidates
        .into_iter()
        .filter(|c| c.chars().count() <= LONGEST)
        .map(|c| {
            (
                distance(&word, &c.to_lowercase().chars().collect::<Vec<_>>()),
                c,
            )
        })
        .filter(|(d, c)| *d <= (word.len().max(c.chars().count()) / 3).max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Levenshtein distance, counting an adjacent swap as one edit.
fn distance(a: &[char], b: &[char]) -> usize {
    let mut rows = vec![(0..=b.len()).collect::<Vec<_>>(); a.len() + 1];
    for (i, row) in rows.iter_mut().enumerate() {
        row[0] = i;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (rows[i - 1][j] + 1)
                .min(rows[i][j - 1] + 1)
                .min(rows[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(rows[i - 2][j - 2] + 1);
            }
            rows[i][j] = d;
        }
    }
    rows[a.len()][b.len()]
}

/// A problem and its fix for a message that is not about a key.
pub(super) fn describe(msg: &str, path: &[Seg]) -> (String, String) {
    let key = match path.last() {
        Some(Seg::Key(k)) => Some(k.as_str()),
        _ => None,
    };
    let example = |value: &str| match key {
        Some(k) => format!("`{k} = {value}`"),
        None => format!("`{value}`"),
    };
    let found_expected = msg
        .strip_prefix("invalid type: ")
        .or_else(|| msg.strip_prefix("invalid value: "))
        .and_then(|rest| rest.rsplit_once(", expected "));
    if let Some((found, expected)) = found_expected {
        let of_tables = matches!(
            key,
            Some(
                "categories"
                    | "products"
                    | "variants"
                    | "finder"
                    | "options"
                    | "questions"
                    | "fields"
                    | "delivery"
                    | "payment"
                    | "coupons"
                    | "replies"
            )
        );
        if expected == "a sequence" && (found == "map" || of_tables) {
            let header: Vec<&str> = path
                .iter()
                .filter_map(|s| match s {
                    Seg::Key(k) => Some(k.as_str()),
                    Seg::Index(_) => None,
                })
                .collect();
            let what = if found == "map" {
                "a single table".to_owned()
            } else {
                found_words(found)
            };
            let problem = format!("wrong type: expected a list of tables, found {what}");
            let fix = format!(
                "write each entry under its own `[[{}]]` header",
                header.join(".")
            );
            return (problem, fix);
        }
        let (want, value) = expected_words(expected);
        let problem = format!("wrong type: expected {want}, found {}", found_words(found));
        return (problem, format!("write {want}, e.g. {}", example(value)));
    }
    if let Some(rest) = msg.strip_prefix("unknown variant `") {
        let (value, choices) = match rest.rfind("`, expected ") {
            Some(cut) => (&rest[..cut], ticked(&rest[cut + 1..])),
            None => (rest, Vec::new()),
        };
        return (
            format!("unknown value \"{value}\""),
            format!("use one of: {}", choices.join(", ")),
        );
    }
    if msg.starts_with("data did not match any variant of untagged enum AttributeValue") {
        return (
            "wrong type: expected a number or a `[low, high]` range".to_owned(),
            format!("write e.g. {} or {}", example("8"), example("[6, 12]")),
        );
    }
    if msg.contains("two decimals") {
        return (
            "more than 2 decimals".to_owned(),
            format!("round it to cents, e.g. {}", example("12.50")),
        );
    }
    if msg.contains("too large") || msg.contains("overflowed") {
        return (
            "number too large".to_owned(),
            "use a smaller number".to_owned(),
        );
    }
    if msg.starts_with("wanted string or table") {
        return (
            "wrong type: expected text in quotes".to_owned(),
            format!("write e.g. {}", example("\"…\"")),
        );
    }
    (msg.to_owned(), "check this value".to_owned())
}

/// Plain words for serde's "expected" and an example value.
fn expected_words(expected: &str) -> (&str, &'static str) {
    match expected {
        "a string" => ("text in quotes", "\"…\""),
        "i64" | "i32" | "i16" | "i8" => ("a whole number", "3"),
        "u64" | "u32" | "u16" | "u8" | "usize" => ("a whole number (0 or more)", "3"),
        "f64" | "f32" => ("a number", "2.5"),
        "a boolean" => ("`true` or `false`", "true"),
        "a sequence" => ("a list", "[\"…\"]"),
        "an amount such as 12 or 12.50" => ("an amount", "12.50"),
        "a TOML datetime" => ("a date (no quotes)", "2027-12-31"),
        e if e.starts_with("struct ") || e == "a map" => ("a table", "{ … }"),
        e if e.starts_with("an array of length 2") => ("a `[low, high]` pair", "[6, 12]"),
        e => (e, "…"),
    }
}

/// Plain words for serde's "found" description.
fn found_words(found: &str) -> String {
    if let Some(s) = found.strip_prefix("string ") {
        return format!("text {s}");
    }
    for prefix in ["integer ", "floating point ", "boolean "] {
        if let Some(v) = found.strip_prefix(prefix) {
            return v.to_owned();
        }
    }
    match found {
        "map" => "a table".to_owned(),
        "sequence" => "a list".to_owned(),
        other => other.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_serde_messages() {
        assert_eq!(
            classify("unknown field `pricee`, expected one of `id`, `price`"),
            Kind::Unknown {
                field: "pricee".to_owned(),
                expected: vec!["id".to_owned(), "price".to_owned()]
            }
        );
        assert_eq!(
            classify("missing field `price`"),
            Kind::Missing("price".to_owned())
        );
        assert_eq!(
            classify("invalid type: string \"x\", expected i64"),
            Kind::Other
        );
    }

    #[test]
    fn suggests_close_keys_only() {
        assert_eq!(closest("welcme", ["welcome", "bye"]), Some("welcome"));
        assert_eq!(closest("stok", ["stock", "name"]), Some("stock"));
        assert_eq!(closest("colour", ["id", "name", "price"]), None);
        assert_eq!(closest("", ["a"]), None);
    }
}
