//! `shopbot export`: the catalog as a spreadsheet, with the live stock.

use std::collections::{BTreeSet, HashMap};
use std::hash::BuildHasher;
use std::io::Write;

use super::cells::{attribute_text, defuse, tags_text};
use super::columns::Column;
use super::errors::ExportError;
use crate::shop::{Product, Shop, Variant, stock_key};

/// What an export wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exported {
    pub products: usize,
    pub rows: usize,
}

/// The columns an export writes for a shop: the product columns always, the
/// others only when some product uses them.
fn columns(shop: &Shop) -> Vec<Column> {
    let products = shop.products();
    let mut out = vec![
        Column::Id,
        Column::Name,
        Column::Description,
        Column::Price,
        Column::Stock,
        Column::Category,
        Column::Tags,
        Column::Image,
    ];
    if products.iter().any(|p| p.stars.is_some()) {
        out.push(Column::Stars);
    }
    let digital = products.iter().filter_map(|p| p.digital.as_ref());
    if digital.clone().any(|d| d.file.is_some()) {
        out.push(Column::DigitalFile);
    }
    if digital.clone().any(|d| d.codes.is_some()) {
        out.push(Column::DigitalCodes);
    }
    let attrs: BTreeSet<&String> = products.iter().flat_map(|p| p.attributes.keys()).collect();
    out.extend(attrs.into_iter().map(|a| Column::Attr(a.clone())));
    let offered: BTreeSet<String> = shop
        .file
        .shop
        .languages
        .iter()
        .filter(|l| **l != shop.file.shop.language)
        .cloned()
        .collect();
    let mut names = offered.clone();
    let mut descriptions = offered.clone();
    for p in products {
        for (lang, text) in &p.i18n {
            if text.name.is_some() {
                names.insert(lang.clone());
            }
            if text.description.is_some() {
                descriptions.insert(lang.clone());
            }
        }
    }
    out.extend(names.into_iter().map(Column::NameIn));
    out.extend(descriptions.into_iter().map(Column::DescriptionIn));
    if products.iter().any(|p| !p.variants.is_empty()) {
        out.extend([
            Column::VariantId,
            Column::VariantName,
            Column::VariantStock,
            Column::VariantPrice,
        ]);
        let mut langs = offered;
        langs.extend(
            products
                .iter()
                .flat_map(|p| &p.variants)
                .flat_map(|v| v.i18n.keys().cloned()),
        );
        out.extend(langs.into_iter().map(Column::VariantNameIn));
    }
    out
}

/// Writes every product, one row each (one row per variant for a product
/// with variants: the product's values on its first row). The stock is the
/// live stock where `live` knows it, else the shop file's.
pub fn export<S: BuildHasher>(
    shop: &Shop,
    live: Option<&HashMap<String, i64, S>>,
    out: impl Write,
    delimiter: u8,
) -> Result<Exported, ExportError> {
    let columns = columns(shop);
    let mut writer = csv::WriterBuilder::new()
        .delimiter(delimiter)
        .from_writer(out);
    writer.write_record(columns.iter().map(ToString::to_string))?;
    let stock_of = |key: String, configured: i64| {
        live.and_then(|l| l.get(&key).copied())
            .unwrap_or(configured)
    };
    let mut rows = 0;
    for p in shop.products() {
        let first_variant = p.variants.first();
        let cells: Vec<String> = columns
            .iter()
            .map(|c| match (product_cell(p, c, &stock_of), first_variant) {
                (Some(text), _) => text,
                (None, Some(v)) => variant_cell(p, v, c, &stock_of),
                (None, None) => String::new(),
            })
            .collect();
        writer.write_record(cells.iter().map(|c| defuse(c)))?;
        rows += 1;
        for v in p.variants.iter().skip(1) {
            let cells: Vec<String> = columns
                .iter()
                .map(|c| match c {
                    Column::Id => p.id.clone(),
                    c if c.is_variant() => variant_cell(p, v, c, &stock_of),
                    _ => String::new(),
                })
                .collect();
            writer.write_record(cells.iter().map(|c| defuse(c)))?;
            rows += 1;
        }
    }
    writer.flush()?;
    Ok(Exported {
        products: shop.products().len(),
        rows,
    })
}

/// A product column's cell; `None` for a variant column.
fn product_cell(
    p: &Product,
    column: &Column,
    stock_of: &impl Fn(String, i64) -> i64,
) -> Option<String> {
    let text = match column {
        Column::Id => p.id.clone(),
        Column::Name => p.name.clone(),
        Column::Description => p.description.clone(),
        Column::Price => p.price.decimal("."),
        Column::Stock => match p.stock {
            Some(n) if p.variants.is_empty() => stock_of(stock_key(&p.id, None), n).to_string(),
            _ => String::new(),
        },
        Column::Category => p.category.clone(),
        Column::Tags => tags_text(&p.tags),
        Column::Image => p.image.clone().unwrap_or_default(),
        Column::Stars => p.stars.map(|s| s.to_string()).unwrap_or_default(),
        Column::DigitalFile => p
            .digital
            .as_ref()
            .and_then(|d| d.file.clone())
            .unwrap_or_default(),
        Column::DigitalCodes => p
            .digital
            .as_ref()
            .and_then(|d| d.codes.clone())
            .unwrap_or_default(),
        Column::Attr(a) => p
            .attributes
            .get(a)
            .map(|v| attribute_text(*v))
            .unwrap_or_default(),
        Column::NameIn(l) => p
            .i18n
            .get(l)
            .and_then(|t| t.name.clone())
            .unwrap_or_default(),
        Column::DescriptionIn(l) => p
            .i18n
            .get(l)
            .and_then(|t| t.description.clone())
            .unwrap_or_default(),
        _ => return None,
    };
    Some(text)
}

fn variant_cell(
    p: &Product,
    v: &Variant,
    column: &Column,
    stock_of: &impl Fn(String, i64) -> i64,
) -> String {
    match column {
        Column::VariantId => v.id.clone(),
        Column::VariantName => v.name.clone(),
        Column::VariantStock => stock_of(stock_key(&p.id, Some(&v.id)), v.stock).to_string(),
        Column::VariantPrice => v.price.map(|m| m.decimal(".")).unwrap_or_default(),
        Column::VariantNameIn(l) => v.i18n.get(l).map(|t| t.name.clone()).unwrap_or_default(),
        _ => String::new(),
    }
}
