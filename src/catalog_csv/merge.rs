//! Merging the spreadsheet's products into the shop file's `[[products]]`.

use std::collections::HashMap;

use toml_edit::{ArrayOfTables, DocumentMut, Item, Table};

use super::cells::Val;
use super::columns::Column;
use super::edit::{indent_of, set_path};
use super::group::{CsvProduct, CsvVariant, Given};
use crate::shop::{path_key, stock_key};

/// Where the values of one product of the merged file came from, so the
/// loader's messages about it point at the spreadsheet.
#[derive(Debug, Default)]
pub(crate) struct Origin {
    pub row: usize,
    pub id_col: usize,
    /// Key path below the product (`price`, `i18n.es.name`,
    /// `variants[1].stock`) → (row, column).
    pub cells: Vec<(String, usize, usize)>,
}

/// What the merge did.
#[derive(Debug, Default)]
pub(crate) struct Merged {
    /// Product index in the merged file → its origin.
    pub origins: HashMap<usize, Origin>,
    pub added: Vec<String>,
    /// Updated products with the columns that changed.
    pub updated: Vec<(String, Vec<String>)>,
    pub unchanged: usize,
    /// Live stock to set: (stock key, quantity, live quantity before).
    pub stock: Vec<(String, i64, i64)>,
}

/// The key path in a product table of a column.
fn path_of(column: &Column) -> Vec<String> {
    let p = |parts: &[&str]| parts.iter().map(|s| (*s).to_owned()).collect();
    match column {
        Column::Name | Column::VariantName => p(&["name"]),
        Column::Description => p(&["description"]),
        Column::Price | Column::VariantPrice => p(&["price"]),
        Column::Stock | Column::VariantStock => p(&["stock"]),
        Column::Category => p(&["category"]),
        Column::Tags => p(&["tags"]),
        Column::Image => p(&["image"]),
        Column::Stars => p(&["stars"]),
        Column::DigitalFile => p(&["digital", "file"]),
        Column::DigitalCodes => p(&["digital", "codes"]),
        Column::Attr(a) => vec!["attributes".to_owned(), a.clone()],
        Column::NameIn(l) | Column::VariantNameIn(l) => {
            vec!["i18n".to_owned(), l.clone(), "name".to_owned()]
        }
        Column::DescriptionIn(l) => vec!["i18n".to_owned(), l.clone(), "description".to_owned()],
        Column::Id | Column::VariantId => p(&["id"]),
    }
}

/// The loader's spelling of a key path.
fn rendered(path: &[String]) -> String {
    path.iter()
        .map(|k| path_key(k))
        .collect::<Vec<_>>()
        .join(".")
}

/// Live stock levels, when the database is known: stock key → quantity.
pub(crate) type Live = HashMap<String, i64>;

/// Sets the stock at `key` of a product or variant table: the spreadsheet's
/// stock is the stock. Compared with the live stock when the database knows
/// the key (a sale since the export is not undone when the cell still shows
/// the exported number), else with the shop file.
fn set_stock(
    table: &mut Table,
    key: &str,
    given: &Given,
    live: Option<&Live>,
    merged: &mut Merged,
) -> bool {
    let Some(Val::Int(want)) = given.value else {
        return set_path(table, &["stock".to_owned()], given.value.as_ref());
    };
    match live.and_then(|l| l.get(key)) {
        Some(&now) if now == want => false,
        Some(&now) => {
            merged.stock.push((key.to_owned(), want, now));
            set_path(table, &["stock".to_owned()], given.value.as_ref());
            true
        }
        None => set_path(table, &["stock".to_owned()], given.value.as_ref()),
    }
}

/// Merges every product into the document.
pub(crate) fn merge(doc: &mut DocumentMut, products: &[CsvProduct], live: Option<&Live>) -> Merged {
    let mut merged = Merged::default();
    if !doc.contains_key("products") {
        doc.insert("products", Item::ArrayOfTables(ArrayOfTables::new()));
    }
    let Some(list) = doc
        .get_mut("products")
        .and_then(Item::as_array_of_tables_mut)
    else {
        return merged;
    };
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut last_position = None;
    let mut indent = None;
    for (i, t) in list.iter().enumerate() {
        if let Some(id) = t.get("id").and_then(Item::as_str) {
            index.entry(id.to_owned()).or_insert(i);
        }
        last_position = last_position.max(t.position());
        if let Some(vs) = t.get("variants").and_then(Item::as_array_of_tables) {
            for v in vs {
                last_position = last_position.max(v.position());
                if indent.is_none() {
                    indent = Some(indent_of(v));
                }
            }
        }
    }
    let indent = indent.unwrap_or_else(|| "  ".to_owned());
    for p in products {
        let (at, is_new) = if let Some(&i) = index.get(&p.id) {
            (i, false)
        } else {
            let mut t = Table::new();
            t.decor_mut().set_prefix("\n");
            t.set_position(last_position);
            t.insert("id", toml_edit::value(p.id.as_str()));
            list.push(t);
            index.insert(p.id.clone(), list.len() - 1);
            merged.added.push(p.id.clone());
            (list.len() - 1, true)
        };
        let Some(table) = list.get_mut(at) else {
            continue;
        };
        let mut origin = Origin {
            row: p.row,
            id_col: p.id_col,
            cells: vec![("id".to_owned(), p.row, p.id_col)],
        };
        let mut changed = Vec::new();
        for (column, given) in &p.fields {
            let path = path_of(column);
            origin.cells.push((rendered(&path), given.row, given.col));
            let did = if *column == Column::Stock {
                set_stock(table, &p.id, given, live, &mut merged)
            } else {
                set_path(table, &path, given.value.as_ref())
            };
            if did {
                changed.push(column.to_string());
            }
        }
        if let Some(variants) = &p.variants {
            let own = table.get("variants").and_then(Item::as_array_of_tables);
            let pos = own
                .into_iter()
                .flatten()
                .map(Table::position)
                .fold(table.position(), Option::max);
            if merge_variants(
                table,
                p,
                variants,
                live,
                pos,
                &indent,
                &mut origin,
                &mut merged,
            ) {
                changed.push("variants".to_owned());
            }
        }
        if !is_new {
            if changed.is_empty() {
                merged.unchanged += 1;
            } else {
                merged.updated.push((p.id.clone(), changed));
            }
        }
        merged.origins.insert(at, origin);
    }
    merged
}

/// Makes the product's variants the spreadsheet's: existing ones updated in
/// place, new ones added after them, ones the spreadsheet lacks removed.
#[allow(clippy::too_many_arguments)]
fn merge_variants(
    table: &mut Table,
    p: &CsvProduct,
    variants: &[CsvVariant],
    live: Option<&Live>,
    position: Option<isize>,
    indent: &str,
    origin: &mut Origin,
    merged: &mut Merged,
) -> bool {
    let mut changed = false;
    if variants.is_empty() {
        return table.remove("variants").is_some();
    }
    if table.remove("stock").is_some() {
        changed = true;
    }
    if !table.contains_key("variants") {
        table.insert("variants", Item::ArrayOfTables(ArrayOfTables::new()));
    }
    let Some(list) = table
        .get_mut("variants")
        .and_then(Item::as_array_of_tables_mut)
    else {
        return changed;
    };
    let before = list.len();
    list.retain(|t| {
        let id = t.get("id").and_then(Item::as_str);
        id.is_some_and(|id| variants.iter().any(|v| v.id == id))
    });
    changed |= list.len() != before;
    for v in variants {
        let at = list
            .iter()
            .position(|t| t.get("id").and_then(Item::as_str) == Some(v.id.as_str()));
        let at = at.unwrap_or_else(|| {
            let mut t = Table::new();
            t.decor_mut().set_prefix(format!("\n{indent}"));
            t.set_position(position);
            t.insert("id", toml_edit::value(v.id.as_str()));
            if let Some(mut k) = t.key_mut("id") {
                k.leaf_decor_mut().set_prefix(indent);
            }
            list.push(t);
            changed = true;
            list.len() - 1
        });
        let Some(vt) = list.get_mut(at) else { continue };
        let base = format!("variants[{at}]");
        origin.cells.push((format!("{base}.id"), v.row, v.id_col));
        for (column, given) in &v.fields {
            let path = path_of(column);
            origin
                .cells
                .push((format!("{base}.{}", rendered(&path)), given.row, given.col));
            changed |= if *column == Column::VariantStock {
                set_stock(vt, &stock_key(&p.id, Some(&v.id)), given, live, merged)
            } else {
                set_path(vt, &path, given.value.as_ref())
            };
        }
    }
    changed
}
