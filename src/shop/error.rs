//! Problems found in a shop file, each with its place and a fix.

use std::fmt;

/// One problem: `file:line:column: key: what is wrong — how to fix it`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// The key path, e.g. `products[3].price` or `shop.time_zone`.
    pub key: String,
    /// What is wrong.
    pub problem: String,
    /// How to fix it.
    pub fix: String,
}

impl ConfigError {
    /// A problem with the file as a whole (it cannot be read, say).
    pub fn whole_file(file: &str, problem: &str, fix: &str) -> Self {
        Self {
            file: file.to_owned(),
            line: 1,
            column: 1,
            key: "(file)".to_owned(),
            problem: problem.to_owned(),
            fix: fix.to_owned(),
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}: {} — {}",
            self.file, self.line, self.column, self.key, self.problem, self.fix
        )
    }
}

/// Every problem found in one file, in file order.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl ConfigErrors {
    pub fn single(error: ConfigError) -> Self {
        Self(vec![error])
    }
}

impl fmt::Display for ConfigErrors {
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
