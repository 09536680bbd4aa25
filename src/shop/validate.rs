//! Cross-key checks of a parsed shop file. (Stub: replaced by the full validator.)

use super::error::ConfigError;
use super::load::Locator;
use super::model::ShopFile;

pub fn validate(_file: &ShopFile, _loc: &Locator) -> Vec<ConfigError> {
    Vec::new()
}
