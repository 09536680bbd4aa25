//! Free text at any point: a few plain words, common questions, product search,
//! and an honest "not sure" (recorded for the owner) for the rest.

use super::{Action, Cx, Effect, Step};
use crate::shop::Phrase;
use crate::shop::search::normalize;

/// Simple requests typed as words: the phrase key listing the words, and the
/// action they stand for (`None`: thanks, answered politely).
const WORDS: &[(Phrase, Option<Action>)] = &[
    (Phrase::WordsMenu, Some(Action::Menu)),
    (Phrase::WordsCart, Some(Action::Cart)),
    (Phrase::WordsOrders, Some(Action::Orders)),
    (Phrase::WordsHuman, Some(Action::Human)),
    (Phrase::WordsFinder, Some(Action::Finder)),
    (Phrase::WordsThanks, None),
];

impl Cx<'_> {
    pub(super) fn free_text(&mut self, text: &str) {
        let normal = normalize(text);
        for (key, action) in WORDS {
            let matches = self.shop.languages().iter().any(|lang| {
                self.shop
                    .texts(lang)
                    .get(*key)
                    .split(',')
                    .any(|w| normalize(w) == normal)
            });
            if matches {
                if let Some(action) = action {
                    self.act(action);
                } else {
                    self.say(self.t().get(Phrase::YouAreWelcome));
                    self.show_step();
                }
                return;
            }
        }
        if let Some(index) = self.shop.search.common_question(text) {
            self.answer(index);
            return;
        }
        if let Some(hits) = self.shop.search.search(&self.shop.file, text) {
            let limit = self.shop.file.shop.page_size.max(1);
            if hits.products.is_empty() {
                self.say(self.t().get(Phrase::SearchNothing));
            } else {
                let shown = hits.products.len().min(limit);
                self.say(self.t().fill(
                    Phrase::SearchFound,
                    &[
                        ("count", &hits.products.len().to_string()),
                        ("shown", &shown.to_string()),
                    ],
                ));
                // In-stock products first; the search's own order otherwise.
                let mut ranked = hits.products.clone();
                ranked.sort_by_key(|&i| self.stock.available(&self.shop.products()[i], None) == 0);
                for &i in ranked.iter().take(limit) {
                    let product = &self.shop.products()[i];
                    self.product_card(product, true);
                }
            }
            self.s.step = Step::Menu;
            let buttons = vec![
                self.button(&Action::Finder, Phrase::MenuFinder),
                self.button(&Action::Browse, Phrase::MenuBrowse),
                self.button(&Action::Cart, Phrase::ViewCart),
                self.button(&Action::Menu, Phrase::MainMenu),
            ];
            self.ask(self.t().get(Phrase::SearchMore), buttons);
            return;
        }
        self.not_sure(text);
    }

    /// Text during a checkout step that wants a button: answer a common question
    /// if it is one, and keep the customer where they are.
    pub(super) fn checkout_text(&mut self, text: &str) {
        let lang = self.lang();
        match self.shop.search.common_question(text) {
            Some(index) => {
                let answer = self.shop.questions()[index].answer_in(&lang).to_owned();
                self.say(answer);
            }
            None => self.say(self.t().get(Phrase::ChooseAnOption)),
        }
        self.show_step();
    }

    fn not_sure(&mut self, text: &str) {
        let question: String = text.chars().take(1000).collect();
        self.effects.push(Effect::RecordUnanswered {
            text: question.clone(),
        });
        self.s.unanswered = Some(question);
        let buttons = vec![
            self.button(&Action::Human, Phrase::MenuHuman),
            self.button(&Action::Questions, Phrase::MenuQuestions),
            self.button(&Action::Menu, Phrase::MainMenu),
        ];
        self.ask(self.t().get(Phrase::NotSure), buttons);
    }
}
