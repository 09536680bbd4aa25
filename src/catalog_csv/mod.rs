//! The catalog from a spreadsheet: `shopbot import products.csv` merges
//! products into `shop.toml` (keeping its comments and layout), `shopbot
//! export products.csv` writes the catalog back out with the live stock.
//!
//! One row per product; a product with variants has one row per variant,
//! its `id` repeated (see [`columns`] for the column names). A column missing
//! from the spreadsheet leaves that key of every product as it is; an empty
//! cell removes an optional key. Products are merged by id: a product of the
//! shop file is updated in place (only changed values are rewritten), a new
//! one is added after the last product, and a product the spreadsheet does
//! not mention is kept. Every problem is reported at once as
//! `products.csv:ROW:COLUMN: key: what is wrong — how to fix it`.

mod cells;
pub mod columns;
mod edit;
mod errors;
mod export;
mod group;
mod import;
mod merge;
mod read;

pub use cells::{defuse, undefuse};
pub use errors::{CellError, ExportError, ImportErrors};
pub use export::{Exported, export};
pub use import::{ImportFailure, ImportInput, Plan, StockChange, import};
pub use read::guess_delimiter;
