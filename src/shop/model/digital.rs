//! `[products.digital]`: what a digital product delivers by itself after payment.

use serde::Deserialize;

/// A digital product's goods: one file sent to every buyer, or a pool of
/// codes (one per line of a text file), each given to one buyer only.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Digital {
    /// A file relative to `shop.toml` (a PDF pattern, an e-book…).
    pub file: Option<String>,
    /// A text file relative to `shop.toml`, one code per line.
    pub codes: Option<String>,
    /// Warn the owners when this many codes are left (default 5).
    pub warn_below: Option<u32>,
}
