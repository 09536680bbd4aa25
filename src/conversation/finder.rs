//! The guided finder: a few questions, then the best matches — never a dead end.

use super::{Action, Button, Cx, Step};
use crate::shop::{FinderOption, Phrase, Shop, StockLevels};

/// What the finder suggests for a set of answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FinderOutcome {
    /// Indexes into the shop's products, best first.
    pub products: Vec<usize>,
    /// The answers no suggested product meets: (question id, option id).
    pub relaxed: Vec<(String, String)>,
}

/// Ranks the products for the finder's answers.
///
/// In-stock products come first (only when none is in stock are sold-out ones
/// considered). Products meeting every answer win; when none does, those meeting
/// the most answers are suggested, and the answers they miss are reported as relaxed.
pub fn suggest(
    shop: &Shop,
    stock: &StockLevels,
    answers: &[(String, String)],
    limit: usize,
) -> FinderOutcome {
    let options: Vec<(&str, &str, &FinderOption)> = answers
        .iter()
        .filter_map(|(q, o)| {
            let question = shop.finder().iter().find(|fq| &fq.id == q)?;
            Some((q.as_str(), o.as_str(), question.option(o)?))
        })
        .collect();
    let products = shop.products();
    let in_stock: Vec<usize> = (0..products.len())
        .filter(|&i| stock.available(&products[i], None) > 0)
        .collect();
    let pool: Vec<usize> = if in_stock.is_empty() {
        (0..products.len()).collect()
    } else {
        in_stock
    };
    // Bitmask of met answers per product; the finder has few questions.
    let met = |i: usize| -> u64 {
        options
            .iter()
            .enumerate()
            .filter(|(_, (_, _, opt))| opt.keeps(&products[i]))
            .fold(0u64, |mask, (bit, _)| mask | (1 << bit.min(63)))
    };
    let scored: Vec<(usize, u64)> = pool.iter().map(|&i| (i, met(i))).collect();
    let best = scored
        .iter()
        .map(|(_, m)| m.count_ones())
        .max()
        .unwrap_or(0);
    let top: Vec<(usize, u64)> = scored
        .into_iter()
        .filter(|(_, m)| m.count_ones() == best)
        .collect();
    // Among the best, prefer the most common set of met answers, so the relaxed
    // wishes are the same for every suggestion.
    let mask = top.first().map_or(0, |&(_, m)| {
        let mut counts: Vec<(u64, usize)> = Vec::new();
        for (_, m) in &top {
            match counts.iter_mut().find(|(k, _)| k == m) {
                Some((_, n)) => *n += 1,
                None => counts.push((*m, 1)),
            }
        }
        counts.iter().max_by_key(|(_, n)| *n).map_or(m, |(k, _)| *k)
    });
    let chosen: Vec<usize> = top
        .iter()
        .filter(|(_, m)| *m == mask)
        .map(|(i, _)| *i)
        .take(limit)
        .collect();
    let relaxed = options
        .iter()
        .enumerate()
        .filter(|(bit, _)| mask & (1 << (*bit).min(63)) == 0)
        .map(|(_, (q, o, _))| ((*q).to_owned(), (*o).to_owned()))
        .collect();
    FinderOutcome {
        products: chosen,
        relaxed,
    }
}

impl Cx<'_> {
    pub(super) fn finder_start(&mut self) {
        self.s.finder.clear();
        if self.shop.finder().is_empty() {
            self.categories();
            return;
        }
        self.finder_question(0);
    }

    pub(super) fn finder_question(&mut self, index: usize) {
        let Some(question) = self.shop.finder().get(index) else {
            self.finder_results();
            return;
        };
        self.s.step = Step::Finder { question: index };
        let lang = self.lang();
        let mut buttons: Vec<Button> = question
            .options
            .iter()
            .map(|o| Button {
                id: Action::Answer(question.id.clone(), o.id.clone()).id(),
                label: o.label_in(&lang).to_owned(),
            })
            .collect();
        if index > 0 {
            buttons.push(self.button(&Action::FinderBack, Phrase::Back));
            buttons.push(self.button(&Action::FinderRestart, Phrase::StartOver));
        }
        buttons.push(self.button(&Action::Menu, Phrase::MainMenu));
        let total = self.shop.finder().len();
        let text = self.t().fill(
            Phrase::FinderQuestion,
            &[
                ("n", &(index + 1).to_string()),
                ("total", &total.to_string()),
                ("question", question.question_in(&lang)),
            ],
        );
        self.ask(text, buttons);
    }

    pub(super) fn finder_answer(&mut self, question_id: &str, option_id: &str) {
        let Step::Finder { question } = self.s.step else {
            self.expired();
            return;
        };
        let Some(current) = self.shop.finder().get(question) else {
            self.expired();
            return;
        };
        if current.id != question_id || current.option(option_id).is_none() {
            self.expired();
            return;
        }
        self.s.finder.truncate(question);
        self.s
            .finder
            .push((question_id.to_owned(), option_id.to_owned()));
        self.finder_question(question + 1);
    }

    pub(super) fn finder_back(&mut self) {
        let Step::Finder { question } = self.s.step else {
            if self.s.step == Step::FinderResults && !self.shop.finder().is_empty() {
                let last = self.shop.finder().len() - 1;
                self.s.finder.truncate(last);
                self.finder_question(last);
            } else {
                self.expired();
            }
            return;
        };
        let previous = question.saturating_sub(1);
        self.s.finder.truncate(previous);
        self.finder_question(previous);
    }

    pub(super) fn finder_results(&mut self) {
        self.s.step = Step::FinderResults;
        let outcome = suggest(
            self.shop,
            self.stock,
            &self.s.finder,
            self.shop.file.shop.suggestions,
        );
        let lang = self.lang();
        if outcome.relaxed.is_empty() {
            self.say(self.t().get(Phrase::FinderFound));
        } else {
            let wishes: Vec<&str> = outcome
                .relaxed
                .iter()
                .filter_map(|(q, o)| {
                    let question = self.shop.finder().iter().find(|fq| &fq.id == q)?;
                    Some(question.option(o)?.label_in(&lang))
                })
                .collect();
            self.say(
                self.t()
                    .fill(Phrase::FinderRelaxed, &[("wishes", &wishes.join(", "))]),
            );
        }
        for &i in &outcome.products {
            let product = &self.shop.products()[i];
            self.product_card(product, true);
        }
        let buttons = vec![
            self.button(&Action::FinderBack, Phrase::Back),
            self.button(&Action::FinderRestart, Phrase::StartOver),
            self.button(&Action::Browse, Phrase::MenuBrowse),
            self.button(&Action::Cart, Phrase::ViewCart),
            self.button(&Action::Menu, Phrase::MainMenu),
        ];
        self.ask(self.t().get(Phrase::FinderMore), buttons);
    }
}
