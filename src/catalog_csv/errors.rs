//! Problems found in a spreadsheet: `products.csv:ROW:COLUMN: key: what is wrong — how to fix it`.

use std::fmt;

/// One problem at one cell. `row` is the spreadsheet's row number (1 is the
/// header row); `column` is 1-based (A = 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellError {
    pub file: String,
    pub row: usize,
    pub column: usize,
    /// The column's name from the header row (`price`, `name.es`), or
    /// `(row)` / `(file)` for a problem with a whole row or the whole file.
    pub key: String,
    pub problem: String,
    pub fix: String,
}

impl fmt::Display for CellError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}: {} — {}",
            self.file, self.row, self.column, self.key, self.problem, self.fix
        )
    }
}

/// Every problem of one import, sorted by row and column. Nothing is written
/// when there is any.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ImportErrors(pub Vec<CellError>);

impl fmt::Display for ImportErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

/// Collects problems for one spreadsheet file.
#[derive(Debug)]
pub(crate) struct Problems {
    file: String,
    pub(crate) list: Vec<CellError>,
}

impl Problems {
    pub(crate) fn new(file: &str) -> Self {
        Self {
            file: file.to_owned(),
            list: Vec::new(),
        }
    }

    pub(crate) fn add(&mut self, row: usize, column: usize, key: &str, problem: &str, fix: &str) {
        self.list.push(CellError {
            file: self.file.clone(),
            row,
            column,
            key: key.to_owned(),
            problem: problem.to_owned(),
            fix: fix.to_owned(),
        });
    }

    /// Whether a problem is already reported at this cell.
    pub(crate) fn at(&self, row: usize, column: usize) -> bool {
        self.list.iter().any(|e| e.row == row && e.column == column)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The problems sorted by place, each place's first problem first.
    pub(crate) fn into_errors(self) -> ImportErrors {
        let mut list = self.list;
        list.sort_by_key(|e| (e.row, e.column));
        list.dedup();
        ImportErrors(list)
    }
}

/// Why an export failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("cannot write the spreadsheet: {0}")]
    Write(#[from] std::io::Error),
    #[error("cannot write the spreadsheet: {0}")]
    Csv(#[from] csv::Error),
}
