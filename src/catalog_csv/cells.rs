//! One cell's text as a typed value, and back.

use crate::shop::{AttributeValue, Money};

/// Characters that make a spreadsheet read a cell as a formula; an export
/// puts a `'` before a cell starting with one (or with `'` itself), and an
/// import takes exactly that `'` off again.
const FORMULA_START: [char; 7] = ['=', '+', '-', '@', '\t', '\r', '\''];

/// A cell as an export writes it: defused against formulas.
pub fn defuse(text: &str) -> String {
    if text.starts_with(FORMULA_START) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

/// A cell as the seller meant it: the `'` an export (or the seller) put
/// before a formula character taken off.
pub fn undefuse(text: &str) -> &str {
    match text.strip_prefix('\'') {
        Some(rest) if rest.starts_with(FORMULA_START) => rest,
        _ => text,
    }
}

/// A typed cell value.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    Text(String),
    Money(Money),
    Int(i64),
    Stars(u32),
    Tags(Vec<String>),
    Attr(AttributeValue),
}

/// What is wrong with a cell, and how to fix it.
pub type Bad = (String, String);

fn bad(problem: impl Into<String>, fix: impl Into<String>) -> Bad {
    (problem.into(), fix.into())
}

/// A price as the shop writes it: `12`, `12.5`, `12.50` or `12,50`.
pub fn price(text: &str) -> Result<Money, Bad> {
    if let Some(m) = Money::parse(text) {
        return Ok(m);
    }
    if text.starts_with('-') {
        return Err(bad(format!("\"{text}\" is negative"), "use 0 or more"));
    }
    let fix = if text.chars().any(|c| c.is_ascii_digit())
        && text.chars().filter(|c| matches!(c, '.' | ',')).count() > 1
    {
        "write it without thousands separators, e.g. 1234.50"
    } else {
        "write a plain amount in the shop's currency without a currency sign, e.g. 12.50 or 12,50 (at most 2 decimals)"
    };
    Err(bad(format!("\"{text}\" is not a price"), fix))
}

/// A stock count: a whole number, 0 or more.
pub fn stock(text: &str) -> Result<i64, Bad> {
    match text.parse::<i64>() {
        Ok(n) if n >= 0 => Ok(n),
        Ok(_) => Err(bad(
            format!("\"{text}\" is negative"),
            "use 0 (sold out) or more",
        )),
        Err(_) => Err(bad(
            format!("\"{text}\" is not a whole number"),
            "write how many you have, e.g. 12 (0 = sold out)",
        )),
    }
}

/// A price in Telegram Stars: a whole number.
pub fn stars(text: &str) -> Result<u32, Bad> {
    text.parse::<u32>().map_err(|_| {
        bad(
            format!("\"{text}\" is not a whole number of Stars"),
            "write whole Stars, e.g. 250, or leave the cell empty",
        )
    })
}

/// Tags: words separated by commas.
pub fn tags(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Tags as a cell: `kids, family`.
pub fn tags_text(tags: &[String]) -> String {
    tags.join(", ")
}

/// An attribute: a number (`540`) or a range (`6..12`, `6-12`, `6–12`).
pub fn attribute(text: &str) -> Result<AttributeValue, Bad> {
    let number = |t: &str| -> Option<f64> {
        let t = t.trim();
        let first = t.chars().next()?;
        if !(first.is_ascii_digit() || first == '-' || first == '.') {
            return None;
        }
        t.parse::<f64>().ok().filter(|n| n.is_finite())
    };
    if let Some(n) = number(text) {
        return Ok(AttributeValue::Number(n));
    }
    let range = ["..", "–", "—"]
        .iter()
        .find_map(|sep| text.split_once(sep))
        .or_else(|| {
            // `6-12`, `-3--1`: the `-` after the first number's first character.
            let start = text.char_indices().nth(1).map_or(text.len(), |(i, _)| i);
            text[start..]
                .find('-')
                .map(|i| (&text[..start + i], &text[start + i + 1..]))
        });
    if let Some((lo, hi)) = range
        && let (Some(lo), Some(hi)) = (number(lo), number(hi))
    {
        if lo > hi {
            return Err(bad(
                format!("the range \"{text}\" goes backwards"),
                format!(
                    "write the lower bound first, e.g. {}..{}",
                    number_text(hi),
                    number_text(lo)
                ),
            ));
        }
        return Ok(AttributeValue::Range([lo, hi]));
    }
    let looks_like_date =
        text.contains('/') || text.chars().filter(char::is_ascii_alphabetic).count() >= 3;
    let fix = if looks_like_date {
        "it looks like a date: your spreadsheet turned a range into one; format the column as Text and write the range as 6..12"
    } else if text.contains(',') {
        "write decimals with a dot (1.5), and a range as 6..12"
    } else {
        "write a number (540) or a range (6..12)"
    };
    Err(bad(format!("\"{text}\" is not a number or a range"), fix))
}

/// A number as a cell: whole numbers without `.0`.
pub fn number_text(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        #[allow(clippy::cast_possible_truncation)]
        let whole = n as i64;
        whole.to_string()
    } else {
        n.to_string()
    }
}

/// An attribute as a cell: `540` or `6..12`.
pub fn attribute_text(value: AttributeValue) -> String {
    match value {
        AttributeValue::Number(n) => number_text(n),
        AttributeValue::Range([lo, hi]) => format!("{}..{}", number_text(lo), number_text(hi)),
    }
}

/// A valid id made from an invalid one, for the fix hint: `"Red Car!"` → `red-car`.
pub fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.trim().chars().flat_map(char::to_lowercase) {
        if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let out: String = out.trim_end_matches('-').chars().take(32).collect();
    if out.is_empty() {
        "my-product".to_owned()
    } else {
        out
    }
}

/// Whether an id is valid in shop.toml: 1–32 characters of `a-z 0-9 - _`.
pub fn valid_id(id: &str) -> bool {
    (1..=32).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_defusing_round_trips() {
        for text in [
            "=SUM(A1)", "'", "''x", "'=x", "-5", "plain", "", "'plain", "\t",
        ] {
            assert_eq!(undefuse(&defuse(text)), text, "{text:?}");
        }
        assert_eq!(defuse("=1+1"), "'=1+1");
        assert_eq!(undefuse("'hello"), "'hello");
    }

    #[test]
    fn attributes_read_numbers_and_ranges() {
        assert_eq!(attribute("540"), Ok(AttributeValue::Number(540.0)));
        assert_eq!(attribute("6..12"), Ok(AttributeValue::Range([6.0, 12.0])));
        assert_eq!(attribute("6-12"), Ok(AttributeValue::Range([6.0, 12.0])));
        assert_eq!(attribute("6 – 12"), Ok(AttributeValue::Range([6.0, 12.0])));
        assert_eq!(attribute("-3--1"), Ok(AttributeValue::Range([-3.0, -1.0])));
        assert_eq!(attribute("1.5"), Ok(AttributeValue::Number(1.5)));
        assert!(attribute("12-Jun").unwrap_err().1.contains("date"));
        assert!(attribute("12..6").unwrap_err().0.contains("backwards"));
        assert!(attribute("inf").is_err());
        assert_eq!(attribute_text(AttributeValue::Range([6.0, 12.0])), "6..12");
        assert_eq!(attribute_text(AttributeValue::Number(1.5)), "1.5");
    }

    #[test]
    fn prices_and_counts() {
        assert_eq!(price("12,50"), Ok(Money::from_cents(1250)));
        assert!(price("€12").unwrap_err().1.contains("currency sign"));
        assert!(price("1.234,50").unwrap_err().1.contains("thousands"));
        assert!(price("-1").unwrap_err().0.contains("negative"));
        assert_eq!(stock("7"), Ok(7));
        assert!(stock("-1").is_err());
        assert!(stock("1.5").is_err());
        assert_eq!(slug("Red Car!"), "red-car");
    }
}
