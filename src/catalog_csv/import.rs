//! `shopbot import`: the spreadsheet merged into the shop file, checked by
//! the real loader before anything is written.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;

use toml_edit::DocumentMut;

use super::cells::Val;
use super::columns::{Column, Header};
use super::errors::{CellError, ImportErrors, Problems};
use super::group::{CsvProduct, group};
use super::merge::{Live, Merged, Origin, merge};
use super::read::read;
use crate::shop::{ConfigError, ConfigErrors, Shop, closest};

/// Why an import wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum ImportFailure {
    /// Problems in the spreadsheet (or in the shop file as it would become).
    #[error("{0}")]
    Sheet(ImportErrors),
    /// The shop file has problems of its own: fix them first.
    #[error("{0}")]
    ShopFile(ConfigErrors),
}

/// A live stock level the import sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockChange {
    /// `product` or `product/variant`.
    pub key: String,
    pub qty: i64,
    /// The live stock before.
    pub was: i64,
}

/// What an import would do; nothing is written yet.
#[derive(Debug)]
pub struct Plan {
    /// The new shop file text (byte-identical to the old one when nothing changes).
    pub toml: String,
    pub changed: bool,
    /// Products the spreadsheet holds.
    pub read: usize,
    pub added: Vec<String>,
    /// Updated products and the columns that changed.
    pub updated: Vec<(String, Vec<String>)>,
    pub unchanged: usize,
    /// Products of the shop file the spreadsheet does not mention (kept as they are).
    pub kept: Vec<String>,
    /// Live stock to set in the database.
    pub stock: Vec<StockChange>,
}

/// The spreadsheet and the shop file an import reads.
pub struct ImportInput<'a> {
    /// `products.csv` as messages name it.
    pub csv_label: &'a str,
    pub csv: &'a [u8],
    pub delimiter: u8,
    pub shop_label: &'a str,
    pub shop_src: &'a str,
    /// The shop file's folder (relative paths in it are resolved against it).
    pub base_dir: PathBuf,
    /// Live stock (stock key → quantity) when the database is known.
    pub live: Option<&'a HashMap<String, i64>>,
}

/// Reads the spreadsheet, merges it into the shop file and checks the result.
pub fn import(input: &ImportInput<'_>) -> Result<Plan, ImportFailure> {
    let original = Shop::from_source(input.shop_label, input.shop_src, input.base_dir.clone())
        .map_err(ImportFailure::ShopFile)?;
    let mut problems = Problems::new(input.csv_label);
    let Some(sheet) = read(input.csv, input.delimiter, &mut problems) else {
        return Err(ImportFailure::Sheet(problems.into_errors()));
    };
    let header = Header::parse(&sheet.header, sheet.header_row, &mut problems);
    let products = group(&sheet, &header, &mut problems);
    let needs = check(
        &original,
        &products,
        &header,
        sheet.header_row,
        sheet.header.len(),
        &mut problems,
    );
    let mut doc: DocumentMut = input.shop_src.parse().map_err(|_| {
        ImportFailure::ShopFile(ConfigErrors::single(ConfigError::whole_file(
            input.shop_label,
            "cannot be read as TOML",
            "run `shopbot check` and fix it first",
        )))
    })?;
    let live: Option<&Live> = input.live;
    let merged = merge(&mut doc, &products, live);
    let toml = doc.to_string();
    let bad_rows: HashSet<usize> = problems.list.iter().map(|e| e.row).collect();
    if let Err(errors) = Shop::from_source(input.shop_label, &toml, input.base_dir.clone()) {
        for e in errors.0 {
            place(
                &e,
                &merged,
                input.shop_label,
                (&bad_rows, &needs),
                &mut problems,
            );
        }
    }
    if !problems.is_empty() {
        return Err(ImportFailure::Sheet(problems.into_errors()));
    }
    let mentioned: HashSet<&str> = products.iter().map(|p| p.id.as_str()).collect();
    let kept = original
        .products()
        .iter()
        .filter(|p| !mentioned.contains(p.id.as_str()))
        .map(|p| p.id.clone())
        .collect();
    let Merged {
        added,
        updated,
        unchanged,
        stock,
        ..
    } = merged;
    Ok(Plan {
        changed: toml != input.shop_src,
        toml,
        read: products.len(),
        added,
        updated,
        unchanged,
        kept,
        stock: stock
            .into_iter()
            .map(|(key, qty, was)| StockChange { key, qty, was })
            .collect(),
    })
}

/// Checks that need the shop file: categories that exist, and the values a
/// new product (or variant) must have. Returns the (row, column) pairs of
/// values missing for want of a column (reported once, on the header row).
fn check(
    shop: &Shop,
    products: &[CsvProduct],
    header: &Header,
    header_row: usize,
    width: usize,
    problems: &mut Problems,
) -> HashSet<(usize, String)> {
    let mut needs = HashSet::new();
    let categories: Vec<&str> = shop.categories().iter().map(|c| c.id.as_str()).collect();
    // Column → rows of new products or variants that need it.
    let mut missing: BTreeMap<Column, Vec<usize>> = BTreeMap::new();
    for p in products {
        if let Some(g) = p.fields.get(&Column::Category)
            && let Some(Val::Text(c)) = &g.value
            && !categories.contains(&c.as_str())
        {
            let fix = match closest(c, categories.iter().copied()) {
                Some(best) => {
                    format!("did you mean `{best}`? (categories are listed in shop.toml)")
                }
                None => format!(
                    "use one of: {} (or add a `[[categories]]` table to shop.toml first)",
                    categories.join(", ")
                ),
            };
            problems.add(
                g.row,
                g.col,
                "category",
                &format!("unknown category \"{c}\""),
                &fix,
            );
        }
        let existing = shop.product(&p.id);
        let variants_before = existing.is_some_and(|e| !e.variants.is_empty());
        let has_variants = p
            .variants
            .as_ref()
            .map_or(variants_before, |v| !v.is_empty());
        let mut required = vec![
            (Column::Name, "write the product's name"),
            (Column::Price, "write the price, e.g. 12.50"),
            (
                Column::Category,
                "write one of the category ids of shop.toml",
            ),
        ];
        if !has_variants && !is_digital(p, existing) {
            required.push((
                Column::Stock,
                "write how many you have, e.g. 12 (0 = sold out)",
            ));
        }
        for (column, fix) in required {
            match p.fields.get(&column) {
                Some(g) if g.value.is_none() && !problems.at(g.row, g.col) => {
                    problems.add(g.row, g.col, &column.to_string(), "is empty", fix);
                }
                None if existing.is_none() || (column == Column::Stock && variants_before) => {
                    missing.entry(column).or_default().push(p.row);
                }
                _ => {}
            }
        }
        for v in p.variants.iter().flatten() {
            let known = existing.is_some_and(|e| e.variants.iter().any(|x| x.id == v.id));
            for (column, fix) in [
                (Column::VariantName, "write the variant's name, e.g. Red"),
                (
                    Column::VariantStock,
                    "write how many you have of it, e.g. 5",
                ),
            ] {
                match v.fields.get(&column) {
                    Some(g) if g.value.is_none() && !problems.at(g.row, g.col) => {
                        problems.add(g.row, g.col, &column.to_string(), "is empty", fix);
                    }
                    None if !known => missing.entry(column).or_default().push(v.row),
                    _ => {}
                }
            }
        }
    }
    for (column, rows) in missing {
        if header.has(&column) {
            continue;
        }
        needs.extend(rows.iter().map(|&r| (r, column.to_string())));
        let shown: Vec<String> = rows.iter().take(3).map(ToString::to_string).collect();
        let more = if rows.len() > 3 {
            format!(" and {} more", rows.len() - 3)
        } else {
            String::new()
        };
        let problem = format!(
            "no such column, and new products or variants need it (row {}{more})",
            shown.join(", ")
        );
        problems.add(
            header_row,
            width + 1,
            &column.to_string(),
            &problem,
            &format!("add a `{column}` column"),
        );
    }
    needs
}

/// Puts one of the loader's problems with the merged file at the spreadsheet
/// cell it came from; problems elsewhere are reported at their place in the
/// shop file as the import would write it.
fn place(
    e: &ConfigError,
    merged: &Merged,
    shop_label: &str,
    (bad_rows, needs): (&HashSet<usize>, &HashSet<(usize, String)>),
    problems: &mut Problems,
) {
    if let Some((origin, rest)) = product_of(&e.key, &merged.origins) {
        let (row, col, key) = cell_of(origin, rest);
        let known = bad_rows.contains(&row) || needs.contains(&(row, key.clone()));
        if !known && !problems.at(row, col) {
            problems.add(row, col, &key, &e.problem, &e.fix);
        }
        return;
    }
    problems.list.push(CellError {
        file: format!("{shop_label} (as the import would write it)"),
        row: e.line,
        column: e.column,
        key: e.key.clone(),
        problem: e.problem.clone(),
        fix: e.fix.clone(),
    });
}

/// `products[3].i18n.es.name` → the origin of product 3 and `i18n.es.name`.
fn product_of<'a>(
    key: &'a str,
    origins: &'a HashMap<usize, Origin>,
) -> Option<(&'a Origin, &'a str)> {
    let rest = key.strip_prefix("products[")?;
    let (index, rest) = rest.split_once(']')?;
    let origin = origins.get(&index.parse().ok()?)?;
    Some((origin, rest.strip_prefix('.').unwrap_or(rest)))
}

/// The cell (row, column, column name) a key path below a product came from.
fn cell_of(origin: &Origin, rest: &str) -> (usize, usize, String) {
    let related = |cell: &str| {
        cell == rest
            || cell
                .strip_prefix(rest)
                .is_some_and(|t| t.starts_with(['.', '[']))
            || rest
                .strip_prefix(cell)
                .is_some_and(|t| t.starts_with(['.', '[']))
    };
    let exact = origin.cells.iter().find(|(cell, ..)| cell == rest);
    let near = || {
        origin
            .cells
            .iter()
            .find(|(cell, ..)| !rest.is_empty() && related(cell))
    };
    if let Some((cell, row, col)) = exact.or_else(near) {
        return (*row, *col, column_of(cell));
    }
    // A key the spreadsheet has no column for: its variant's row, else the product's.
    let variant_id = rest
        .strip_prefix("variants[")
        .and_then(|r| r.split_once(']'))
        .map(|(j, _)| format!("variants[{j}].id"));
    let at = variant_id.and_then(|id| origin.cells.iter().find(|(cell, ..)| *cell == id));
    let (row, col) = at.map_or((origin.row, origin.id_col), |(_, row, col)| (*row, *col));
    let key = if rest.is_empty() {
        "id".to_owned()
    } else {
        column_of(rest)
    };
    (row, col, key)
}

/// The spreadsheet column name of a key path below a product.
fn column_of(path: &str) -> String {
    let (prefix, path) = match path.strip_prefix("variants[") {
        Some(rest) => ("variant.", rest.split_once("].").map_or(rest, |(_, p)| p)),
        None => ("", path),
    };
    let name = if let Some(rest) = path.strip_prefix("i18n.") {
        match rest.split_once('.') {
            Some((lang, field)) => format!("{field}.{lang}"),
            None => rest.to_owned(),
        }
    } else if let Some(attr) = path.strip_prefix("attributes.") {
        format!("attr.{}", attr.trim_matches('"'))
    } else {
        path.to_owned()
    };
    format!("{prefix}{name}")
}

/// Whether a product of the sheet is digital (its cells, else the shop file):
/// it needs no stock — its file never runs out, its pool of codes is its
/// stock (an export leaves the cell empty).
fn is_digital(p: &CsvProduct, existing: Option<&crate::shop::Product>) -> bool {
    let was = existing.and_then(|e| e.digital.as_ref());
    let set =
        |column: Column, before: bool| p.fields.get(&column).map_or(before, |g| g.value.is_some());
    set(Column::DigitalFile, was.is_some_and(|d| d.file.is_some()))
        || set(Column::DigitalCodes, was.is_some_and(|d| d.codes.is_some()))
}
