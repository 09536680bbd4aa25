//! Understanding free text: common questions and product search.
//!
//! Text is folded (lower case, no diacritics), split into words, stripped of
//! English, Spanish and Romanian function words, and each word is matched by its
//! raw form or by its English, Spanish or Romanian stem; words of 4+ letters also
//! match by prefix and words of 6+ letters with one typo when nothing closer does.
//! Everything is looked up in indexes built once per shop, so a query costs
//! the same on ten products as on ten thousand.

mod price;
mod products;
mod questions;
mod text;
mod vocab;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_large;

use super::model::ShopFile;
use super::money::Money;

pub use questions::{MIN_MESSAGE_SHARE, MIN_PHRASING_SHARE};
pub use text::normalize;

/// Bytes of a message that are read; a chat message longer than this is not a query.
pub const MAX_MESSAGE: usize = 2_000;

/// The first [`MAX_MESSAGE`] bytes of `text`, cut at a character boundary.
fn clip(text: &str) -> &str {
    &text[..text.floor_char_boundary(MAX_MESSAGE)]
}

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
pub struct SearchIndex {
    questions: questions::Questions,
    products: products::Products,
}

impl SearchIndex {
    pub fn build(file: &ShopFile) -> Self {
        let stems = text::Stems::new();
        Self {
            questions: questions::Questions::build(&file.questions, &stems),
            products: products::Products::build(&file.products, &file.categories, &stems),
        }
    }

    /// The common question (index into `ShopFile::questions`) that `text` asks, if confident:
    /// the words found cover at least [`MIN_PHRASING_SHARE`] of one phrasing (generic words
    /// such as "much" or "cost" counting half), they make up at least [`MIN_MESSAGE_SHARE`]
    /// of the message's words, and, when only generic words matched, the message says
    /// nothing else. The best phrasing wins (share, then words matched, then share of the
    /// message); ties go to the first question. A phrasing of function words only
    /// ("how are you") matches only a message equal to it.
    pub fn common_question(&self, text: &str) -> Option<usize> {
        self.questions.find(clip(text), &text::Stems::new())
    }

    /// Products that `text` searches for; `None` when the text names no product
    /// and no price bound.
    ///
    /// Products matching more query words come first, then heavier matches (name over
    /// tags and category over description), then file order. When the words match
    /// nothing but a price bound was given ("something under 20"), every product in
    /// the price range is returned in file order.
    pub fn search(&self, file: &ShopFile, text: &str) -> Option<SearchHits> {
        let folded = text::fold(clip(text));
        let parsed = price::parse(&folded);
        let (min, max) = (parsed.min, parsed.max);
        let in_range = |i: &usize| {
            file.products.get(*i).is_some_and(|p| {
                min.is_none_or(|m| p.price >= m) && max.is_none_or(|m| p.price <= m)
            })
        };
        let products = match self.products.find(&parsed.words, &text::Stems::new()) {
            products::Found::Ranked(ranked) => ranked.into_iter().filter(in_range).collect(),
            products::Found::Nothing if min.is_some() || max.is_some() => {
                (0..file.products.len()).filter(in_range).collect()
            }
            products::Found::Nothing => return None,
        };
        Some(SearchHits {
            products,
            price_min: min,
            price_max: max,
        })
    }
}
