//! Names and texts of shop items in the customer's language, falling back to the default.

use super::model::{
    CannedReply, Category, CommonQuestion, Delivery, FinderOption, FinderQuestion, Payment,
    Product, Variant,
};

impl Product {
    pub fn name_in(&self, lang: &str) -> &str {
        self.i18n
            .get(lang)
            .and_then(|t| t.name.as_deref())
            .unwrap_or(&self.name)
    }

    pub fn description_in(&self, lang: &str) -> &str {
        self.i18n
            .get(lang)
            .and_then(|t| t.description.as_deref())
            .unwrap_or(&self.description)
    }

    pub fn variant(&self, id: &str) -> Option<&Variant> {
        self.variants.iter().find(|v| v.id == id)
    }
}

impl Variant {
    pub fn name_in(&self, lang: &str) -> &str {
        self.i18n.get(lang).map_or(&self.name, |t| &t.name)
    }
}

impl Category {
    pub fn name_in(&self, lang: &str) -> &str {
        self.i18n.get(lang).map_or(&self.name, |t| &t.name)
    }
}

impl FinderQuestion {
    pub fn question_in(&self, lang: &str) -> &str {
        self.i18n.get(lang).map_or(&self.question, |t| &t.question)
    }

    pub fn option(&self, id: &str) -> Option<&FinderOption> {
        self.options.iter().find(|o| o.id == id)
    }
}

impl FinderOption {
    pub fn label_in(&self, lang: &str) -> &str {
        self.i18n.get(lang).map_or(&self.label, |t| &t.label)
    }
}

impl CommonQuestion {
    pub fn title_in(&self, lang: &str) -> &str {
        self.i18n
            .get(lang)
            .and_then(|t| t.title.as_deref())
            .unwrap_or(&self.title)
    }

    pub fn answer_in(&self, lang: &str) -> &str {
        self.i18n
            .get(lang)
            .and_then(|t| t.answer.as_deref())
            .unwrap_or(&self.answer)
    }
}

impl CannedReply {
    pub fn text_in(&self, lang: &str) -> &str {
        self.i18n.get(lang).map_or(&self.text, |t| &t.text)
    }
}

impl Delivery {
    pub fn name_in(&self, lang: &str) -> &str {
        self.i18n.get(lang).map_or(&self.name, |t| &t.name)
    }
}

impl Payment {
    pub fn name_in(&self, lang: &str) -> &str {
        self.i18n
            .get(lang)
            .and_then(|t| t.name.as_deref())
            .unwrap_or(&self.name)
    }

    pub fn instructions_in(&self, lang: &str) -> &str {
        self.i18n
            .get(lang)
            .and_then(|t| t.instructions.as_deref())
            .unwrap_or(&self.instructions)
    }
}

impl FinderOption {
    /// Whether this answer keeps `product`: any of its tags, its attribute range
    /// overlapping `[min, max]`, its price within `[price_min, price_max]` — each
    /// only where set (a variant's own price counts too). `any = true` keeps everything.
    pub fn keeps(&self, product: &Product) -> bool {
        if self.any {
            return true;
        }
        if !self.tags.is_empty() && !self.tags.iter().any(|t| product.tags.contains(t)) {
            return false;
        }
        if let Some(attr) = &self.attribute {
            let Some(value) = product.attributes.get(attr) else {
                return false;
            };
            let (lo, hi) = value.bounds();
            if self.min.is_some_and(|min| hi < min) || self.max.is_some_and(|max| lo > max) {
                return false;
            }
        }
        // A product with variants fits the budget when any of its variants does.
        let fits = |price| {
            self.price_min.is_none_or(|min| price >= min)
                && self.price_max.is_none_or(|max| price <= max)
        };
        fits(product.price) || product.variants.iter().any(|v| v.price.is_some_and(fits))
    }
}
