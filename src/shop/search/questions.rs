//! Matching a message to one of the shop's common questions.

use crate::shop::model::CommonQuestion;

use super::text::{Stems, fold, is_stopword, normalize, words};
use super::vocab::Vocab;

/// Share of a phrasing's words the message must contain, generic words
/// ("much", "cost", "cuánto", see [`WEAK`]) counting half.
pub const MIN_PHRASING_SHARE: f64 = 0.6;
/// Share of the message's words that must belong to the phrasing, so that a long
/// message mentioning "shipping" once in passing is not taken for the question.
pub const MIN_MESSAGE_SHARE: f64 = 0.2;
/// Words of a phrasing (or of a message) that are looked at.
const MAX_WORDS: usize = 64;

/// Words common to many questions ("how much does X cost"): they count half,
/// so "how much does the castle cost" is not "how much does shipping cost".
const WEAK: &str = concat!(
    "ask cost costs get help know long many much need price prices take takes tell time want ",
    "coste costo cuanta cuantas cuanto cuantos cuesta cuestan hacer haceis hay precio precios ",
    "puedo quiero saber tarda tiempo ",
    "cat cate costa dureaza pot pret preturi stiu vreau",
);

/// One phrasing (an `ask` entry or a title, in any language).
#[derive(Debug, Clone)]
struct Phrasing {
    question: usize,
    /// Bit per word that counts half (see [`WEAK`]).
    weak: u64,
    /// Two per content word, one per weak word.
    weight: u32,
}

/// A phrasing of function words only ("how are you"): matched when equal.
#[derive(Debug, Clone)]
struct Whole {
    question: usize,
    text: Box<str>,
}

/// The phrasing and the word slot within it a term belongs to.
#[derive(Debug, Clone, Copy)]
struct Slot {
    phrasing: u32,
    word: u8,
}

#[derive(Debug, Clone, Default)]
pub struct Questions {
    vocab: Vocab<Slot>,
    phrasings: Vec<Phrasing>,
    wholes: Vec<Whole>,
}

/// How one phrasing matched a message.
#[derive(Debug, Clone, Copy, Default)]
struct Tally {
    /// Bit per phrasing word found.
    found: u64,
    /// Message words that matched this phrasing.
    message_words: u32,
    /// 1 + index of the last message word counted.
    last: u32,
}

impl Questions {
    pub fn build(questions: &[CommonQuestion], stems: &Stems) -> Self {
        let mut index = Self::default();
        for (qi, q) in questions.iter().enumerate() {
            let translated = q.i18n.values().flat_map(|t| t.ask.iter().chain(&t.title));
            for text in q.ask.iter().chain([&q.title]).chain(translated) {
                index.add(qi, text, stems);
            }
        }
        index.vocab.finish();
        index
    }

    fn add(&mut self, question: usize, text: &str, stems: &Stems) {
        let folded = fold(text);
        let content = distinct_content(&folded);
        if content.is_empty() {
            let text = normalize(text);
            if !text.is_empty() {
                self.wholes.push(Whole {
                    question,
                    text: text.into(),
                });
            }
            return;
        }
        let Ok(phrasing) = u32::try_from(self.phrasings.len()) else {
            return;
        };
        for (slot, word) in content.iter().enumerate() {
            let slot = Slot {
                phrasing,
                word: u8::try_from(slot).unwrap_or(u8::MAX),
            };
            for term in self.vocab.terms_for(stems, word) {
                self.vocab.post(term, slot);
            }
        }
        let weak = content
            .iter()
            .enumerate()
            .filter(|(_, w)| WEAK.split_ascii_whitespace().any(|weak| weak == **w))
            .fold(0u64, |mask, (i, _)| mask | 1 << i);
        self.phrasings.push(Phrasing {
            question,
            weak,
            weight: weight_of(u64::MAX >> (64 - content.len()), weak),
        });
    }

    /// The question `text` asks, when confident; ties go to the first question.
    pub fn find(&self, text: &str, stems: &Stems) -> Option<usize> {
        let folded = fold(text);
        let message = distinct_content(&folded);
        if message.is_empty() {
            let text = normalize(text);
            return self
                .wholes
                .iter()
                .find(|w| *w.text == *text)
                .map(|w| w.question);
        }
        let mut tallies = vec![Tally::default(); self.phrasings.len()];
        let mut touched: Vec<usize> = Vec::new();
        for (i, word) in (1u32..).zip(&message) {
            self.vocab.lookup(stems, word, |term, _| {
                for slot in self.vocab.postings(term) {
                    let p = slot.phrasing as usize;
                    let Some(tally) = tallies.get_mut(p) else {
                        continue;
                    };
                    if tally.last == 0 {
                        touched.push(p);
                    }
                    if tally.last != i {
                        tally.last = i;
                        tally.message_words += 1;
                    }
                    tally.found |= 1u64 << slot.word.min(63);
                }
            });
        }
        let message_len_u32 = u32::try_from(message.len()).unwrap_or(u32::MAX);
        let message_len = f64::from(message_len_u32);
        let mut best: Option<((f64, u32, f64), usize)> = None;
        touched.sort_unstable();
        for p in touched {
            let (Some(phrasing), Some(tally)) = (self.phrasings.get(p), tallies.get(p)) else {
                continue;
            };
            let found = tally.found.count_ones();
            let weight = weight_of(tally.found, phrasing.weak);
            let share = f64::from(weight) / f64::from(phrasing.weight.max(1));
            let message_share = f64::from(tally.message_words) / message_len;
            // Only generic words matched ("how much … cost"): the message must say
            // nothing else, or it asks about something else ("… the castle …").
            let generic = tally.found & !phrasing.weak == 0;
            if found == 0
                || share < MIN_PHRASING_SHARE
                || message_share < MIN_MESSAGE_SHARE
                || (generic && tally.message_words < message_len_u32)
            {
                continue;
            }
            let score = (share, found, message_share);
            let better = best.is_none_or(|(b, q)| {
                score
                    .partial_cmp(&b)
                    .is_some_and(|o| o.is_gt() || (o.is_eq() && phrasing.question < q))
            });
            if better {
                best = Some((score, phrasing.question));
            }
        }
        best.map(|(_, q)| q)
    }
}

/// Two per strong word of `words`, one per weak word.
fn weight_of(words: u64, weak: u64) -> u32 {
    2 * words.count_ones() - (words & weak).count_ones()
}

/// The distinct content words of folded text, at most [`MAX_WORDS`].
fn distinct_content(folded: &str) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    for word in words(folded).filter(|w| !is_stopword(w)) {
        if out.len() >= MAX_WORDS {
            break;
        }
        if !out.contains(&word) {
            out.push(word);
        }
    }
    out
}
