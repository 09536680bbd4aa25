//! Small edits of a `toml_edit` tree that keep the seller's layout: a value
//! is replaced only when it differs, keeping its comments and spacing.

use toml_edit::{Array, InlineTable, Item, Table, TableLike, Value};

use super::cells::Val;
use crate::shop::{AttributeValue, Money};

/// A cell value as TOML, written the way shop.toml is: `price = 12.50`,
/// `tags = ["kids", "city"]`, `age = [6, 12]`.
pub fn to_toml(value: &Val) -> Value {
    match value {
        Val::Text(s) => Value::from(s.as_str()),
        Val::Money(m) => money(*m),
        Val::Int(n) => Value::from(*n),
        Val::Stars(n) => Value::from(i64::from(*n)),
        Val::Tags(tags) => {
            let mut array: Array = tags.iter().map(String::as_str).collect();
            array.fmt();
            Value::Array(array)
        }
        Val::Attr(AttributeValue::Number(n)) => number(*n),
        Val::Attr(AttributeValue::Range([lo, hi])) => {
            let mut array: Array = [number(*lo), number(*hi)].into_iter().collect();
            array.fmt();
            Value::Array(array)
        }
    }
}

/// `12` for whole amounts, else `12.50`.
fn money(m: Money) -> Value {
    let text = m.decimal(".");
    let text = text.strip_suffix(".00").unwrap_or(&text);
    text.parse().unwrap_or_else(|_| Value::from(m.cents()))
}

fn number(n: f64) -> Value {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        #[allow(clippy::cast_possible_truncation)]
        Value::from(n as i64)
    } else {
        Value::from(n)
    }
}

/// A TOML number as `f64`.
fn as_f64(value: &Value) -> Option<f64> {
    #[allow(clippy::cast_precision_loss)]
    value
        .as_integer()
        .map(|n| n as f64)
        .or_else(|| value.as_float())
}

/// Whether the TOML value already says what the cell says.
pub fn same(item: &Item, value: &Val) -> bool {
    let Some(v) = item.as_value() else {
        return false;
    };
    match value {
        Val::Text(s) => v.as_str() == Some(s.as_str()),
        Val::Money(m) => money_of(v) == Some(*m),
        Val::Int(n) => v.as_integer() == Some(*n),
        Val::Stars(n) => v.as_integer() == Some(i64::from(*n)),
        Val::Tags(tags) => v.as_array().is_some_and(|a| {
            a.len() == tags.len()
                && a.iter()
                    .zip(tags)
                    .all(|(x, t)| x.as_str() == Some(t.as_str()))
        }),
        Val::Attr(attr) => attribute_of(v) == Some(*attr),
    }
}

/// A TOML price as the loader reads it.
pub fn money_of(v: &Value) -> Option<Money> {
    if let Some(n) = v.as_integer() {
        return n.checked_mul(100).map(Money::from_cents);
    }
    let f = v.as_float()?;
    let cents = (f * 100.0).round();
    #[allow(clippy::cast_possible_truncation)]
    (cents.is_finite() && cents.abs() < 1e15).then(|| Money::from_cents(cents as i64))
}

/// A TOML attribute as the loader reads it.
pub fn attribute_of(v: &Value) -> Option<AttributeValue> {
    if let Some(n) = as_f64(v) {
        return Some(AttributeValue::Number(n));
    }
    let a = v.as_array()?;
    if a.len() != 2 {
        return None;
    }
    Some(AttributeValue::Range([
        as_f64(a.get(0)?)?,
        as_f64(a.get(1)?)?,
    ]))
}

/// Sets (`Some`) or removes (`None`) the value at `path` under `table`,
/// creating dotted tables on the way (an inline table for `attributes`) and
/// dropping tables the removal left empty. `true` when something changed.
pub fn set_path(table: &mut Table, path: &[String], value: Option<&Val>) -> bool {
    let indent = indent_of(table);
    set_in(table, false, &indent, path, value)
}

/// The indentation of a table's first key (`  ` in the example shop's variants).
pub fn indent_of(table: &Table) -> String {
    table
        .iter()
        .next()
        .and_then(|(first, _)| table.key(first))
        .and_then(|k| k.leaf_decor().prefix())
        .and_then(|p| p.as_str())
        .filter(|p| p.chars().all(|c| c == ' ' || c == '\t'))
        .unwrap_or_default()
        .to_owned()
}

fn set_in(
    table: &mut dyn TableLike,
    inline: bool,
    indent: &str,
    path: &[String],
    value: Option<&Val>,
) -> bool {
    let Some((key, rest)) = path.split_first() else {
        return false;
    };
    if rest.is_empty() {
        return set_leaf(table, inline, indent, key, value);
    }
    if table
        .get(key)
        .is_none_or(|item| item.as_table_like().is_none())
    {
        if value.is_none() {
            return false;
        }
        let child = if key == "attributes" || inline {
            Item::Value(Value::InlineTable(InlineTable::new()))
        } else {
            let mut t = Table::new();
            t.set_implicit(true);
            t.set_dotted(true);
            Item::Table(t)
        };
        table.insert(key, child);
    }
    let Some(child_item) = table.get_mut(key) else {
        return false;
    };
    let child_inline = child_item.is_inline_table();
    let Some(child) = child_item.as_table_like_mut() else {
        return false;
    };
    let changed = set_in(child, child_inline, indent, rest, value);
    if changed && child_inline {
        child.fmt();
    }
    if changed && child.is_empty() {
        table.remove(key);
    }
    changed
}

fn set_leaf(
    table: &mut dyn TableLike,
    inline: bool,
    indent: &str,
    key: &str,
    value: Option<&Val>,
) -> bool {
    match (table.get_mut(key), value) {
        (None, None) => false,
        // `description = ""`, `tags = []`: already what an empty cell says.
        (Some(item), None) if is_empty_value(item) => false,
        (Some(_), None) => {
            table.remove(key);
            true
        }
        (Some(item), Some(value)) if same(item, value) => false,
        (Some(item), Some(value)) => {
            let mut new = to_toml(value);
            if let Some(old) = item.as_value() {
                *new.decor_mut() = old.decor().clone();
            }
            *item = Item::Value(new);
            true
        }
        (None, Some(value)) => {
            table.insert(key, Item::Value(to_toml(value)));
            if !inline
                && !indent.is_empty()
                && let Some(mut k) = table.key_mut(key)
            {
                k.leaf_decor_mut().set_prefix(indent);
            }
            true
        }
    }
}

/// An empty string, list or inline table: the same as no value.
fn is_empty_value(item: &Item) -> bool {
    item.as_value().is_some_and(|v| match v {
        Value::String(s) => s.value().is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::InlineTable(t) => t.is_empty(),
        _ => false,
    })
}
