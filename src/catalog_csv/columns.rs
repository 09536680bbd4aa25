//! The spreadsheet's columns: what each header name means.
//!
//! Product columns: `id`, `name`, `description`, `price`, `stock`, `category`,
//! `tags`, `image`, `stars`, `digital.file`, `digital.codes`, `attr.<name>`,
//! `name.<lang>`, `description.<lang>`. Variant columns (one row per variant,
//! the product's `id` repeated): `variant.id`, `variant.name`, `variant.stock`,
//! `variant.price`, `variant.name.<lang>`.

use std::collections::HashMap;
use std::fmt;

use super::errors::Problems;
use crate::shop::closest;
use crate::shop::texts;

/// One column of the spreadsheet.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Column {
    Id,
    Name,
    Description,
    Price,
    Stock,
    Category,
    Tags,
    Image,
    Stars,
    DigitalFile,
    DigitalCodes,
    Attr(String),
    NameIn(String),
    DescriptionIn(String),
    VariantId,
    VariantName,
    VariantStock,
    VariantPrice,
    VariantNameIn(String),
}

/// The fixed column names, in the order an export writes them.
const FIXED: &[(&str, Column)] = &[
    ("id", Column::Id),
    ("name", Column::Name),
    ("description", Column::Description),
    ("price", Column::Price),
    ("stock", Column::Stock),
    ("category", Column::Category),
    ("tags", Column::Tags),
    ("image", Column::Image),
    ("stars", Column::Stars),
    ("digital.file", Column::DigitalFile),
    ("digital.codes", Column::DigitalCodes),
    ("variant.id", Column::VariantId),
    ("variant.name", Column::VariantName),
    ("variant.stock", Column::VariantStock),
    ("variant.price", Column::VariantPrice),
];

impl Column {
    /// Whether the column describes a variant (its cells belong to the row's variant).
    pub fn is_variant(&self) -> bool {
        matches!(
            self,
            Self::VariantId
                | Self::VariantName
                | Self::VariantStock
                | Self::VariantPrice
                | Self::VariantNameIn(_)
        )
    }

    /// Reads a header cell; `Err` says what is wrong and how to fix it.
    fn parse(name: &str) -> Result<Self, (String, String)> {
        let lower = name.to_lowercase();
        if let Some((_, c)) = FIXED.iter().find(|(n, _)| *n == lower) {
            return Ok(c.clone());
        }
        let lang_column = |lang: &str, make: fn(String) -> Self| {
            let lang = lang.trim().to_lowercase();
            if texts::is_bundled(&lang) {
                Ok(make(lang))
            } else {
                let langs: Vec<&str> = texts::BUNDLED.iter().map(|(l, _)| *l).collect();
                Err((
                    format!("unsupported language \"{lang}\""),
                    format!("use one of: {}", langs.join(", ")),
                ))
            }
        };
        if let Some(attr) = name.get(..5).filter(|p| p.eq_ignore_ascii_case("attr.")) {
            let attr_name = name[attr.len()..].trim();
            if attr_name.is_empty() {
                return Err((
                    "an attribute column without a name".to_owned(),
                    "name it like `attr.age` or `attr.pieces`".to_owned(),
                ));
            }
            return Ok(Self::Attr(attr_name.to_owned()));
        }
        if let Some(lang) = lower.strip_prefix("variant.name.") {
            return lang_column(lang, Self::VariantNameIn);
        }
        if let Some(lang) = lower.strip_prefix("name.") {
            return lang_column(lang, Self::NameIn);
        }
        if let Some(lang) = lower.strip_prefix("description.") {
            return lang_column(lang, Self::DescriptionIn);
        }
        let known: Vec<&str> = FIXED.iter().map(|(n, _)| *n).collect();
        let fix = match closest(&lower, known.iter().copied()) {
            Some(best) => format!("did you mean `{best}`?"),
            None => format!(
                "use one of: {}, attr.<name>, name.<lang>, description.<lang>, variant.name.<lang>",
                known.join(", ")
            ),
        };
        Err(("unknown column".to_owned(), fix))
    }
}

impl fmt::Display for Column {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Attr(a) => write!(f, "attr.{a}"),
            Self::NameIn(l) => write!(f, "name.{l}"),
            Self::DescriptionIn(l) => write!(f, "description.{l}"),
            Self::VariantNameIn(l) => write!(f, "variant.name.{l}"),
            fixed => {
                let name = FIXED
                    .iter()
                    .find(|(_, c)| c == fixed)
                    .map_or("?", |(n, _)| *n);
                f.write_str(name)
            }
        }
    }
}

/// The header row: which column is where.
#[derive(Debug, Default)]
pub struct Header {
    /// By position (0-based); `None` for an unnamed column.
    pub columns: Vec<Option<Column>>,
    index: HashMap<Column, usize>,
}

impl Header {
    /// Reads the header cells, reporting unknown, repeated and missing columns.
    pub(crate) fn parse(cells: &[String], row: usize, problems: &mut Problems) -> Self {
        let mut header = Self::default();
        for (i, cell) in cells.iter().enumerate() {
            let name = cell.trim();
            if name.is_empty() {
                header.columns.push(None);
                continue;
            }
            match Column::parse(name) {
                Ok(column) => {
                    if let Some(&first) = header.index.get(&column) {
                        let problem =
                            format!("the column appears twice (also column {})", first + 1);
                        problems.add(row, i + 1, name, &problem, "delete one of the two columns");
                        header.columns.push(None);
                    } else {
                        header.index.insert(column.clone(), i);
                        header.columns.push(Some(column));
                    }
                }
                Err((problem, fix)) => {
                    problems.add(row, i + 1, name, &problem, &fix);
                    header.columns.push(None);
                }
            }
        }
        if !header.has(&Column::Id) && !cells.is_empty() {
            problems.add(
                row,
                1,
                "id",
                "there is no `id` column",
                "add a column named `id`: each product's id (a-z, 0-9, `-`, `_`) links its row to shop.toml",
            );
        }
        let variant_cols = header.columns.iter().flatten().any(Column::is_variant);
        if variant_cols && !header.has(&Column::VariantId) {
            let at = header
                .columns
                .iter()
                .position(|c| c.as_ref().is_some_and(Column::is_variant))
                .unwrap_or(0);
            problems.add(
                row,
                at + 1,
                "variant.id",
                "variant columns without a `variant.id` column",
                "add a `variant.id` column: one row per variant, each with its own variant id",
            );
        }
        header
    }

    pub fn has(&self, column: &Column) -> bool {
        self.index.contains_key(column)
    }

    /// The 0-based position of a column.
    pub fn position(&self, column: &Column) -> Option<usize> {
        self.index.get(column).copied()
    }

    /// The named columns with their 0-based positions.
    pub fn named(&self) -> impl Iterator<Item = (usize, &Column)> {
        self.columns
            .iter()
            .enumerate()
            .filter_map(|(i, c)| c.as_ref().map(|c| (i, c)))
    }
}
