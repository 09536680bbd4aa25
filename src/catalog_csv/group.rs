//! Rows grouped into products: one row per product, or one row per variant
//! with the product's id repeated.

use std::collections::{BTreeMap, HashMap};

use super::cells::{self, Bad, Val};
use super::columns::{Column, Header};
use super::errors::Problems;
use super::read::{Sheet, column_name};

/// A cell's value (`None`: the cell is empty) and where it is.
#[derive(Debug, Clone)]
pub(crate) struct Given {
    pub value: Option<Val>,
    pub row: usize,
    /// 1-based.
    pub col: usize,
}

/// One product as the spreadsheet gives it. A column that is missing from
/// the spreadsheet (or whose cell could not be read) is not in `fields`:
/// the shop file keeps what it has there.
#[derive(Debug)]
pub(crate) struct CsvProduct {
    pub id: String,
    /// The product's first row, and the `id` column.
    pub row: usize,
    pub id_col: usize,
    pub fields: BTreeMap<Column, Given>,
    /// `Some` when the spreadsheet has variant columns: then these are the
    /// product's variants (none: the product has no variants).
    pub variants: Option<Vec<CsvVariant>>,
}

#[derive(Debug)]
pub(crate) struct CsvVariant {
    pub id: String,
    pub row: usize,
    pub id_col: usize,
    pub fields: BTreeMap<Column, Given>,
}

/// Reads one cell of a column.
fn typed(column: &Column, text: &str) -> Result<Option<Val>, Bad> {
    let raw = cells::undefuse(text);
    let trimmed = raw.trim();
    let text_column = matches!(
        column,
        Column::Name
            | Column::Description
            | Column::NameIn(_)
            | Column::DescriptionIn(_)
            | Column::VariantName
            | Column::VariantNameIn(_)
    );
    if text_column {
        return Ok((!raw.is_empty()).then(|| Val::Text(raw.to_owned())));
    }
    if trimmed.is_empty() {
        return Ok(None);
    }
    let value = match column {
        Column::Price | Column::VariantPrice => Val::Money(cells::price(trimmed)?),
        Column::Stock | Column::VariantStock => Val::Int(cells::stock(trimmed)?),
        Column::Stars => Val::Stars(cells::stars(trimmed)?),
        Column::Tags => Val::Tags(cells::tags(trimmed)),
        Column::Attr(_) => Val::Attr(cells::attribute(trimmed)?),
        _ => Val::Text(trimmed.to_owned()),
    };
    Ok(Some(value))
}

fn id_problem(id: &str, what: &str) -> Bad {
    (
        format!("invalid {what} \"{id}\""),
        format!(
            "use 1–32 characters from a-z, 0-9, `-` and `_`, e.g. `{}`",
            cells::slug(id)
        ),
    )
}

/// Groups the rows into products, in the order their ids first appear.
pub(crate) fn group(sheet: &Sheet, header: &Header, problems: &mut Problems) -> Vec<CsvProduct> {
    let width = sheet.header.len();
    let id_at = header.position(&Column::Id);
    let variant_at = header.position(&Column::VariantId);
    let mut products: Vec<CsvProduct> = Vec::new();
    let mut by_id: HashMap<String, usize> = HashMap::new();
    // Rows of a product without a variant id: product id → row.
    let mut plain_rows: HashMap<String, usize> = HashMap::new();
    let mut unnamed_reported = false;
    for row in &sheet.rows {
        let n = row.number;
        let extra_filled = row.cells.iter().skip(width).any(|c| !c.trim().is_empty());
        if row.cells.len() < width || extra_filled {
            let problem = format!("has {} cells, the header row has {width}", row.cells.len());
            let fix = "a cell holding the separator must be in double quotes; check this row's quotes and separators";
            problems.add(n, 1, "(row)", &problem, fix);
            continue;
        }
        if !unnamed_reported
            && let Some(i) = (0..width)
                .find(|&i| sheet.header[i].trim().is_empty() && !row.cells[i].trim().is_empty())
        {
            unnamed_reported = true;
            let problem = "a value under a column without a name";
            let fix = "name the column in row 1 (e.g. `description`), or delete the column";
            problems.add(n, i + 1, &column_name(sheet, i), problem, fix);
        }
        let Some(id_at) = id_at else { continue };
        let id = cells::undefuse(&row.cells[id_at]).trim().to_owned();
        if id.is_empty() {
            problems.add(
                n,
                id_at + 1,
                "id",
                "is empty on a row with values",
                "write the product's id",
            );
            continue;
        }
        if !cells::valid_id(&id) {
            let (problem, fix) = id_problem(&id, "id");
            problems.add(n, id_at + 1, "id", &problem, &fix);
            continue;
        }
        let variant_id = variant_at.map(|at| cells::undefuse(&row.cells[at]).trim().to_owned());
        if variant_id.as_deref().is_none_or(str::is_empty) {
            if let Some(&first) = plain_rows.get(&id) {
                let problem = format!("the id \"{id}\" is also on row {first}");
                let fix =
                    "give each product its own id (for variants, write each one's `variant.id`)";
                problems.add(n, id_at + 1, "id", &problem, fix);
                continue;
            }
            plain_rows.insert(id.clone(), n);
        }
        let index = *by_id.entry(id.clone()).or_insert_with(|| {
            products.push(CsvProduct {
                id: id.clone(),
                row: n,
                id_col: id_at + 1,
                fields: BTreeMap::new(),
                variants: variant_at.map(|_| Vec::new()),
            });
            products.len() - 1
        });
        let product = &mut products[index];
        let variant_fields = read_cells(&row.cells, n, header, product, problems);
        add_variant(
            product,
            variant_id.as_deref(),
            variant_fields,
            n,
            variant_at,
            problems,
        );
    }
    check_variant_rows(&products, &plain_rows, variant_at, problems);
    products
}

/// Reads a row's cells (except the ids): product cells go into the product,
/// variant cells are returned.
fn read_cells(
    cells: &[String],
    n: usize,
    header: &Header,
    product: &mut CsvProduct,
    problems: &mut Problems,
) -> BTreeMap<Column, Given> {
    let mut variant_fields = BTreeMap::new();
    for (i, column) in header.named() {
        if *column == Column::Id || *column == Column::VariantId {
            continue;
        }
        let value = match typed(column, &cells[i]) {
            Ok(v) => v,
            Err((problem, fix)) => {
                problems.add(n, i + 1, &column.to_string(), &problem, &fix);
                continue;
            }
        };
        let given = Given {
            value,
            row: n,
            col: i + 1,
        };
        if column.is_variant() {
            variant_fields.insert(column.clone(), given);
        } else {
            merge_product_cell(product, column, given, problems);
        }
    }
    variant_fields
}

/// Adds the row's variant (if it names one) to its product.
fn add_variant(
    product: &mut CsvProduct,
    variant_id: Option<&str>,
    variant_fields: BTreeMap<Column, Given>,
    n: usize,
    variant_at: Option<usize>,
    problems: &mut Problems,
) {
    let id = product.id.clone();
    match variant_id {
        None => {}
        Some("") => {
            if let Some((column, g)) = variant_fields.iter().find(|(_, g)| g.value.is_some()) {
                problems.add(
                    n,
                    g.col,
                    &column.to_string(),
                    "a variant value on a row without a `variant.id`",
                    "write the variant's id in `variant.id`, or empty this cell",
                );
            }
        }
        Some(vid) => {
            let at = variant_at.unwrap_or_default() + 1;
            if !cells::valid_id(vid) {
                let (problem, fix) = id_problem(vid, "variant id");
                problems.add(n, at, "variant.id", &problem, &fix);
                return;
            }
            let variants = product.variants.get_or_insert_with(Vec::new);
            if let Some(first) = variants.iter().find(|v| v.id == vid) {
                let problem = format!(
                    "the variant \"{vid}\" of \"{id}\" is also on row {}",
                    first.row
                );
                problems.add(
                    n,
                    at,
                    "variant.id",
                    &problem,
                    "give each variant of a product its own id",
                );
                return;
            }
            variants.push(CsvVariant {
                id: vid.to_owned(),
                row: n,
                id_col: at,
                fields: variant_fields,
            });
        }
    }
}

/// A product with variants has a `variant.id` on each of its rows and no stock of its own.
fn check_variant_rows(
    products: &[CsvProduct],
    plain_rows: &HashMap<String, usize>,
    variant_at: Option<usize>,
    problems: &mut Problems,
) {
    for p in products {
        let with_variants = p.variants.as_ref().is_some_and(|v| !v.is_empty());
        if with_variants && let Some(&row) = plain_rows.get(&p.id) {
            let at = variant_at.unwrap_or_default() + 1;
            let problem = format!("\"{}\" has variants on other rows, this row has none", p.id);
            let fix = "write a `variant.id` on every row of a product with variants (the product's own values may go on any of them)";
            problems.add(row, at, "variant.id", &problem, fix);
        }
        if with_variants
            && let Some(g) = p.fields.get(&Column::Stock)
            && g.value.is_some()
        {
            problems.add(
                g.row,
                g.col,
                "stock",
                "a product with variants has no stock of its own",
                "leave `stock` empty and give each variant row its `variant.stock`",
            );
        }
    }
}

/// A product cell: the first non-empty value of the product's rows counts;
/// another row may repeat it or leave it empty.
fn merge_product_cell(
    product: &mut CsvProduct,
    column: &Column,
    given: Given,
    problems: &mut Problems,
) {
    match product.fields.get(column) {
        None => {
            product.fields.insert(column.clone(), given);
        }
        Some(first) => match (&first.value, &given.value) {
            (_, None) => {}
            (None, Some(_)) => {
                product.fields.insert(column.clone(), given);
            }
            (Some(a), Some(b)) if a == b => {}
            (Some(_), Some(_)) => {
                let problem = format!("differs from row {} of the same product", first.row);
                let fix = "write the product's values once (or the same on each of its rows)";
                problems.add(given.row, given.col, &column.to_string(), &problem, fix);
            }
        },
    }
}
