//! Browsing: categories, paged product lists, product cards, common questions.

use super::{Action, Button, Cx, Reply, Step, render};
use crate::shop::{Phrase, Product};

impl Cx<'_> {
    pub(super) fn categories(&mut self) {
        self.s.step = Step::Categories;
        let lang = self.lang();
        let mut buttons: Vec<Button> = self
            .shop
            .categories()
            .iter()
            .map(|c| {
                let count = self
                    .shop
                    .products()
                    .iter()
                    .filter(|p| p.category == c.id)
                    .count();
                Button {
                    id: Action::Category(c.id.clone(), 0).id(),
                    label: format!("{} ({count})", c.name_in(&lang)),
                }
            })
            .collect();
        buttons.push(self.button(&Action::Menu, Phrase::MainMenu));
        self.ask(self.t().get(Phrase::ChooseCategory), buttons);
    }

    pub(super) fn category(&mut self, id: &str, page: usize) {
        let Some(category) = self.shop.category(id) else {
            self.expired();
            return;
        };
        let lang = self.lang();
        let products: Vec<&Product> = self
            .shop
            .products()
            .iter()
            .filter(|p| p.category == category.id)
            .collect();
        let size = self.shop.file.shop.page_size.max(1);
        let pages = products.len().div_ceil(size).max(1);
        let page = page.min(pages - 1);
        self.s.step = Step::Category {
            id: category.id.clone(),
            page,
        };
        let mut buttons: Vec<Button> = products
            .iter()
            .skip(page * size)
            .take(size)
            .map(|p| Button {
                id: Action::Product(p.id.clone()).id(),
                label: self.product_label(p),
            })
            .collect();
        if page > 0 {
            buttons.push(self.button(
                &Action::Category(category.id.clone(), page - 1),
                Phrase::PrevPage,
            ));
        }
        if page + 1 < pages {
            buttons.push(self.button(
                &Action::Category(category.id.clone(), page + 1),
                Phrase::NextPage,
            ));
        }
        buttons.push(self.button(&Action::Browse, Phrase::Categories));
        buttons.push(self.button(&Action::Cart, Phrase::ViewCart));
        let text = self.t().fill(
            Phrase::CategoryPage,
            &[
                ("category", category.name_in(&lang)),
                ("page", &(page + 1).to_string()),
                ("pages", &pages.to_string()),
            ],
        );
        self.ask(text, buttons);
    }

    /// "Name — €9.99", or with "(sold out)".
    pub(super) fn product_label(&self, p: &Product) -> String {
        let lang = self.lang();
        let mut label = format!("{} — {}", p.name_in(&lang), self.money(p.price));
        if self.stock.available(p, None) == 0 {
            label.push(' ');
            label.push_str(self.t().get(Phrase::SoldOutTag));
        }
        label
    }

    pub(super) fn product(&mut self, id: &str) {
        let Some(product) = self.shop.product(id) else {
            self.expired();
            return;
        };
        self.s.step = Step::Product {
            id: product.id.clone(),
        };
        self.product_card(product, false);
        let buttons = vec![
            self.button(
                &Action::Category(product.category.clone(), 0),
                Phrase::BackToCategory,
            ),
            self.button(&Action::Cart, Phrase::ViewCart),
            self.button(&Action::Menu, Phrase::MainMenu),
        ];
        self.ask(self.t().get(Phrase::AnythingElse), buttons);
    }

    /// A product card with its add-to-cart buttons (one per variant in stock).
    /// `brief` cards (finder, search) also offer the details.
    pub(super) fn product_card(&mut self, p: &Product, brief: bool) {
        let lang = self.lang();
        let available = self.stock.available(p, None);
        let mut rating = self.card_rating(p, brief);
        self.quotes.append(&mut rating.authors);
        let text = render::product_card(self.shop, self.t(), &lang, p, self.stock, brief, rating);
        let mut buttons = Vec::new();
        if p.variants.is_empty() {
            if available > 0 {
                buttons.push(Button {
                    id: Action::Add(p.id.clone(), None).id(),
                    label: self.t().get(Phrase::AddToCart).to_owned(),
                });
            }
        } else {
            for v in &p.variants {
                if self.stock.available(p, Some(&v.id)) > 0 {
                    buttons.push(Button {
                        id: Action::Add(p.id.clone(), Some(v.id.clone())).id(),
                        label: self
                            .t()
                            .fill(Phrase::AddVariant, &[("variant", v.name_in(&lang))]),
                    });
                }
            }
        }
        if brief {
            buttons.push(Button {
                id: Action::Product(p.id.clone()).id(),
                label: self
                    .t()
                    .fill(Phrase::DetailsOf, &[("product", p.name_in(&lang))]),
            });
        }
        self.replies.push(Reply {
            text,
            buttons,
            image: p.image.clone(),
            invoice: None,
            refund: None,
            attachment: None,
        });
    }

    /// The card a person of the shop sends (`/send`), as browsing shows it;
    /// with `variant`, only that variant's button. The step stays: the
    /// customer goes on where they were, the card's buttons work as any card's.
    pub(super) fn owner_shows(&mut self, id: &str, variant: Option<&str>) {
        let Some(product) = self.shop.product(id) else {
            return;
        };
        self.product_card(product, false);
        if let (Some(v), Some(card)) = (variant, self.replies.last_mut()) {
            let only = Action::Add(product.id.clone(), Some(v.to_owned())).id();
            card.buttons.retain(|b| b.id == only);
        }
    }

    pub(super) fn questions(&mut self) {
        self.s.step = Step::Questions;
        let lang = self.lang();
        let mut buttons: Vec<Button> = self
            .shop
            .questions()
            .iter()
            .map(|q| Button {
                id: Action::Question(q.id.clone()).id(),
                label: q.title_in(&lang).to_owned(),
            })
            .collect();
        buttons.push(self.button(&Action::Human, Phrase::MenuHuman));
        buttons.push(self.button(&Action::Menu, Phrase::MainMenu));
        self.ask(self.t().get(Phrase::QuestionsTitle), buttons);
    }

    pub(super) fn question(&mut self, id: &str) {
        let Some(index) = self.shop.questions().iter().position(|q| q.id == id) else {
            self.expired();
            return;
        };
        self.answer(index);
    }

    /// Answers common question `index`, with a way on.
    pub(super) fn answer(&mut self, index: usize) {
        let lang = self.lang();
        let q = &self.shop.questions()[index];
        self.s.step = Step::Questions;
        let buttons = vec![
            self.button(&Action::Questions, Phrase::MoreQuestions),
            self.button(&Action::Human, Phrase::MenuHuman),
            self.button(&Action::Menu, Phrase::MainMenu),
        ];
        self.ask(q.answer_in(&lang), buttons);
    }
}
