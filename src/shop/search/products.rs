//! The inverted index of product words: term → products, with field weights.

use std::collections::HashMap;

use crate::shop::model::{Category, Product};

use super::text::{Stems, fold, is_search_filler, is_stopword, words};
use super::vocab::{Quality, Vocab};

/// Field weights: a word in the name counts more than one in the description.
const NAME: u8 = 3;
const LABEL: u8 = 2;
const DESCRIPTION: u8 = 1;
/// Query words looked at.
const MAX_QUERY_WORDS: usize = 32;

#[derive(Debug, Clone, Copy)]
struct Post {
    product: u32,
    weight: u8,
}

#[derive(Debug, Clone, Default)]
pub struct Products {
    vocab: Vocab<Post>,
    len: usize,
}

/// One product's running score during a query.
#[derive(Debug, Clone, Copy, Default)]
struct Score {
    /// Query words matched.
    words: u16,
    /// Sum over matched query words of the best field weight × match quality.
    weight: u32,
    /// 1 + index of the last query word counted, and its best weight so far.
    last: u16,
    best: u8,
    /// Whether some word matched a name, tag, category or variant (not only the description).
    strong: bool,
}

/// What the query words found.
pub enum Found {
    /// No query word matched any product.
    Nothing,
    /// Matching products, best first.
    Ranked(Vec<usize>),
}

impl Products {
    pub fn build(products: &[Product], categories: &[Category], stems: &Stems) -> Self {
        let mut index = Self {
            vocab: Vocab::default(),
            len: products.len(),
        };
        let mut cache: HashMap<String, Vec<u32>> = HashMap::new();
        // Categories by id (in file order), rather than a scan per product.
        let mut by_id: HashMap<&str, Vec<&Category>> = HashMap::new();
        for c in categories {
            by_id.entry(c.id.as_str()).or_default().push(c);
        }
        for (pi, p) in products.iter().enumerate() {
            let Ok(product) = u32::try_from(pi) else {
                break;
            };
            let mut add = |text: &str, weight: u8| {
                for word in words(&fold(text)).filter(|w| !is_stopword(w)) {
                    if !cache.contains_key(word) {
                        let terms = index.vocab.terms_for(stems, word);
                        cache.insert(word.to_owned(), terms);
                    }
                    for &term in cache.get(word).into_iter().flatten() {
                        index.vocab.post(term, Post { product, weight });
                    }
                }
            };
            add(&p.name, NAME);
            for t in p.i18n.values() {
                add(t.name.as_deref().unwrap_or_default(), NAME);
            }
            for tag in &p.tags {
                add(tag, LABEL);
            }
            add(&p.category, LABEL);
            for c in by_id.get(p.category.as_str()).into_iter().flatten() {
                add(&c.name, LABEL);
                for t in c.i18n.values() {
                    add(&t.name, LABEL);
                }
            }
            for v in &p.variants {
                add(&v.name, LABEL);
                for t in v.i18n.values() {
                    add(&t.name, LABEL);
                }
            }
            add(&p.description, DESCRIPTION);
            for t in p.i18n.values() {
                add(t.description.as_deref().unwrap_or_default(), DESCRIPTION);
            }
        }
        for list in index.vocab.postings_mut() {
            dedup_keep_heaviest(list);
        }
        index.vocab.finish();
        index
    }

    /// Ranks products by query words matched, then weight, then file order.
    pub fn find(&self, query: &[&str], stems: &Stems) -> Found {
        let mut scores = vec![Score::default(); self.len];
        let mut touched: Vec<usize> = Vec::new();
        let mut distinct: Vec<&str> = Vec::new();
        for &word in query {
            if distinct.len() >= MAX_QUERY_WORDS {
                break;
            }
            if !is_stopword(word) && !is_search_filler(word) && !distinct.contains(&word) {
                distinct.push(word);
            }
        }
        let asked = distinct.len();
        for (i, word) in (1u16..).zip(distinct) {
            self.vocab.lookup(stems, word, |term, quality| {
                let factor = match quality {
                    Quality::Exact => 3,
                    Quality::Prefix => 2,
                    Quality::Typo => 1,
                };
                for post in self.vocab.postings(term) {
                    let p = post.product as usize;
                    let Some(score) = scores.get_mut(p) else {
                        continue;
                    };
                    let weight = post.weight * factor;
                    score.strong |= post.weight >= LABEL;
                    if score.last == 0 {
                        touched.push(p);
                    }
                    if score.last == i {
                        if weight > score.best {
                            score.weight += u32::from(weight - score.best);
                            score.best = weight;
                        }
                    } else {
                        score.last = i;
                        score.best = weight;
                        score.words += 1;
                        score.weight += u32::from(weight);
                    }
                }
            });
        }
        // A product must match at least half of the words; with several words, at
        // least one of them outside the description ("meaning of life" must not
        // find a "life-size" owl).
        touched.retain(|&p| {
            let score = scores[p];
            usize::from(score.words) * 2 >= asked && (asked == 1 || score.strong)
        });
        if touched.is_empty() {
            return Found::Nothing;
        }
        touched.sort_unstable_by(|&a, &b| {
            let (sa, sb) = (scores[a], scores[b]);
            (sb.words, sb.weight, a).cmp(&(sa.words, sa.weight, b))
        });
        Found::Ranked(touched)
    }
}

/// Postings arrive grouped by product; keeps one per product, with its best weight.
fn dedup_keep_heaviest(list: &mut Vec<Post>) {
    list.dedup_by(|next, kept| {
        if next.product == kept.product {
            kept.weight = kept.weight.max(next.weight);
            true
        } else {
            false
        }
    });
}
