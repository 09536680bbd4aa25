//! Free text at any point: a few plain words, common questions, product search,
//! and an honest "not sure" (recorded for the owner) for the rest.

use super::{Action, Cx, Effect, Step};
use crate::shop::search::normalize;

/// Simple requests typed as words: the phrase key listing the words, and the
/// action they stand for (`None`: thanks, answered politely).
const WORDS: &[(&str, Option<Action>)] = &[
    ("words_menu", Some(Action::Menu)),
    ("words_cart", Some(Action::Cart)),
    ("words_orders", Some(Action::Orders)),
    ("words_human", Some(Action::Human)),
    ("words_finder", Some(Action::Finder)),
    ("words_thanks", None),
];

impl Cx<'_> {
    pub(super) fn free_text(&mut self, text: &str) {
        let normal = normalize(text);
        for (key, action) in WORDS {
            let matches = self.shop.languages().iter().any(|lang| {
                self.shop
                    .texts(lang)
                    .get(key)
                    .split(',')
                    .any(|w| normalize(w) == normal)
            });
            if matches {
                if let Some(action) = action {
                    self.act(action);
                } else {
                    self.say(self.t().get("you_are_welcome"));
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
                self.say(self.t().get("search_nothing"));
            } else {
                let shown = hits.products.len().min(limit);
                self.say(self.t().fill(
                    "search_found",
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
                self.button(&Action::Finder, "menu_finder"),
                self.button(&Action::Browse, "menu_browse"),
                self.button(&Action::Cart, "view_cart"),
                self.button(&Action::Menu, "main_menu"),
            ];
            self.ask(self.t().get("search_more"), buttons);
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
            None => self.say(self.t().get("choose_an_option")),
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
            self.button(&Action::Human, "menu_human"),
            self.button(&Action::Questions, "menu_questions"),
            self.button(&Action::Menu, "main_menu"),
        ];
        self.ask(self.t().get("not_sure"), buttons);
    }
}
