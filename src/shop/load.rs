//! Parsing `shop.toml` into [`ShopFile`], keeping every key's place for messages.
//! (Stub: replaced by the full loader.)

use super::error::{ConfigError, ConfigErrors};
use super::model::ShopFile;

/// Finds the line and column of a key path in the source.
#[derive(Debug, Clone)]
pub struct Locator {
    pub file: String,
}

impl Locator {
    /// An error placed at `key` (a path such as `products[3].price`).
    pub fn error(&self, key: &str, problem: &str, fix: &str) -> ConfigError {
        ConfigError {
            file: self.file.clone(),
            line: 1,
            column: 1,
            key: key.to_owned(),
            problem: problem.to_owned(),
            fix: fix.to_owned(),
        }
    }
}

pub fn parse(label: &str, src: &str) -> Result<(ShopFile, Locator), ConfigErrors> {
    let loc = Locator {
        file: label.to_owned(),
    };
    toml::from_str(src)
        .map(|f| (f, loc.clone()))
        .map_err(|e| ConfigErrors::single(loc.error("(file)", e.message(), "fix the syntax")))
}
