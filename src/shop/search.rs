//! Understanding free text: common questions and product search.
//! (Stub with the agreed API: replaced by the full implementation.)
#![allow(clippy::unused_self, unused_variables)]

use super::model::ShopFile;
use super::money::Money;

/// What a product search found.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SearchHits {
    /// Indexes into `ShopFile::products`, best first.
    pub products: Vec<usize>,
    /// Price bounds read from the text ("under 50", "menos de 50", "sub 50").
    pub price_min: Option<Money>,
    pub price_max: Option<Money>,
}

/// Precomputed, normalised and stemmed words of the shop's questions and products.
#[derive(Debug, Clone, Default)]
pub struct SearchIndex;

impl SearchIndex {
    pub fn build(file: &ShopFile) -> Self {
        Self
    }

    /// The common question (index into `ShopFile::questions`) that `text` asks, if confident.
    pub fn common_question(&self, text: &str) -> Option<usize> {
        None
    }

    /// Products that `text` searches for; `None` when the text names no product.
    pub fn search(&self, file: &ShopFile, text: &str) -> Option<SearchHits> {
        None
    }
}

/// Lower case, accents and punctuation removed: `"¿Envío?"` → `"envio"`.
pub fn normalize(text: &str) -> String {
    text.to_lowercase()
}
