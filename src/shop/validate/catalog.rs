//! Checks of the catalogue: categories, products, the finder, common
//! questions and checkout fields.

use std::collections::{BTreeSet, HashSet};

use super::super::model::{FinderOption, Product, ShopFile};
use super::{Check, closest, path_key};

impl Check<'_> {
    pub(super) fn categories(&mut self, file: &ShopFile) {
        if file.categories.is_empty() {
            let fix = "add a `[[categories]]` table with `id` and `name`";
            self.err("categories", "no categories", fix);
        }
        for (i, c) in file.categories.iter().enumerate() {
            let key = format!("categories[{i}]");
            self.id(&format!("{key}.id"), &c.id);
            self.not_empty(&format!("{key}.name"), &c.name, "name = \"Puzzles\"");
            self.i18n(&key, &c.i18n);
        }
        let ids = file.categories.iter().enumerate();
        self.unique(
            "id",
            ids.map(|(i, c)| (format!("categories[{i}].id"), c.id.as_str())),
            false,
        );
    }

    pub(super) fn products(&mut self, file: &ShopFile) {
        if file.products.is_empty() {
            let fix =
                "add a `[[products]]` table with `id`, `name`, `price`, `stock` and `category`";
            self.err("products", "no products", fix);
        }
        let categories: Vec<&str> = file.categories.iter().map(|c| c.id.as_str()).collect();
        let unsure = self.unsure("categories", categories.len(), &["id"]);
        let known: HashSet<&str> = categories.iter().copied().collect();
        for (i, p) in file.products.iter().enumerate() {
            let category_known = known.contains(p.category.as_str());
            self.product(
                &format!("products[{i}]"),
                p,
                &categories,
                unsure || category_known,
            );
        }
        let ids = file.products.iter().enumerate();
        self.unique(
            "id",
            ids.map(|(i, p)| (format!("products[{i}].id"), p.id.as_str())),
            false,
        );
    }

    /// One product; `category_ok` when its category is known (or a category
    /// id is a stand-in, so it cannot be judged).
    fn product(&mut self, key: &str, p: &Product, categories: &[&str], category_ok: bool) {
        self.id(&format!("{key}.id"), &p.id);
        self.not_empty(&format!("{key}.name"), &p.name, "name = \"Wooden train\"");
        self.not_negative(&format!("{key}.price"), Some(p.price));
        match (p.stock, p.variants.is_empty()) {
            // A digital product's stock is its file (unlimited) or its pool of codes.
            (None, true) if p.digital.is_some() => {}
            (None, true) if !self.doubts(&format!("{key}.variants")) => {
                let fix = "add `stock = …`, or `[[products.variants]]` each with its own `stock`";
                self.err(
                    &format!("{key}.stock"),
                    "missing (the product has no variants)",
                    fix,
                );
            }
            (Some(_), false) => {
                let fix = "remove `stock`; each variant has its own stock";
                self.err(&format!("{key}.stock"), "set together with variants", fix);
            }
            (Some(n), true) if n < 0 => {
                self.err(&format!("{key}.stock"), "is negative", "use 0 or more");
            }
            _ => {}
        }
        if !category_ok {
            let fix = match closest(&p.category, categories.iter().copied()) {
                Some(best) => format!("did you mean `{best}`?"),
                None if categories.is_empty() => {
                    "add a `[[categories]]` table with this id".to_owned()
                }
                None => format!("use one of the category ids: {}", categories.join(", ")),
            };
            self.err(
                &format!("{key}.category"),
                &format!("unknown category \"{}\"", p.category),
                &fix,
            );
        }
        for (name, value) in &p.attributes {
            let (lo, hi) = value.bounds();
            let akey = format!("{key}.attributes.{}", path_key(name));
            if !lo.is_finite() || !hi.is_finite() {
                self.err(&akey, "is not a finite number", "write a number, e.g. `8`");
            } else if lo > hi {
                let fix = format!("write the lower bound first, e.g. `{name} = [{hi}, {lo}]`");
                self.err(&akey, &format!("range [{lo}, {hi}] goes backwards"), &fix);
            }
        }
        for (j, v) in p.variants.iter().enumerate() {
            let vkey = format!("{key}.variants[{j}]");
            self.id(&format!("{vkey}.id"), &v.id);
            self.not_empty(&format!("{vkey}.name"), &v.name, "name = \"Red\"");
            if v.stock < 0 {
                self.err(&format!("{vkey}.stock"), "is negative", "use 0 or more");
            }
            self.not_negative(&format!("{vkey}.price"), v.price);
            self.i18n(&vkey, &v.i18n);
        }
        let ids = p.variants.iter().enumerate();
        self.unique(
            "variant id",
            ids.map(|(j, v)| (format!("{key}.variants[{j}].id"), v.id.as_str())),
            false,
        );
        if let Some(image) = &p.image {
            self.image(&format!("{key}.image"), image);
        }
        self.i18n(key, &p.i18n);
    }

    pub(super) fn image(&mut self, key: &str, image: &str) {
        let text = image.trim();
        let ok = match text.split_once("://") {
            Some((scheme, rest)) => {
                matches!(scheme, "http" | "https")
                    && !rest.is_empty()
                    && !rest.contains(char::is_whitespace)
            }
            None => !text.is_empty() && !text.starts_with(['/', '\\', '~']) && !text.contains(':'),
        };
        if !ok {
            let fix = "use an `https://` address, or a path relative to shop.toml such as `images/train.jpg`";
            self.err(
                key,
                &format!("\"{image}\" is not a web address or a relative path"),
                fix,
            );
        }
    }

    pub(super) fn finder(&mut self, file: &ShopFile) {
        let attributes: BTreeSet<&str> = file
            .products
            .iter()
            .flat_map(|p| p.attributes.keys().map(String::as_str))
            .collect();
        // What the options are compared with: the products' filterable fields.
        let fields = ["tags", "attributes", "price", "variants"];
        let unsure = self.unsure("products", file.products.len(), &fields);
        for (i, q) in file.finder.iter().enumerate() {
            let key = format!("finder[{i}]");
            self.id(&format!("{key}.id"), &q.id);
            self.not_empty(
                &format!("{key}.question"),
                &q.question,
                "question = \"Who is it for?\"",
            );
            self.i18n(&key, &q.i18n);
            if q.options.len() < 2 {
                let problem = format!("has {} option(s)", q.options.len());
                let fix = "give the question at least 2 `[[finder.options]]`";
                self.err(&format!("{key}.options"), &problem, fix);
            }
            for (j, o) in q.options.iter().enumerate() {
                self.option(&format!("{key}.options[{j}]"), o, file, &attributes, unsure);
            }
            let ids = q.options.iter().enumerate();
            self.unique(
                "option id",
                ids.map(|(j, o)| (format!("{key}.options[{j}].id"), o.id.as_str())),
                false,
            );
        }
        let ids = file.finder.iter().enumerate();
        self.unique(
            "id",
            ids.map(|(i, q)| (format!("finder[{i}].id"), q.id.as_str())),
            false,
        );
    }

    fn option(
        &mut self,
        key: &str,
        o: &FinderOption,
        file: &ShopFile,
        attributes: &BTreeSet<&str>,
        unsure_products: bool,
    ) {
        self.id(&format!("{key}.id"), &o.id);
        self.not_empty(&format!("{key}.label"), &o.label, "label = \"Under 6\"");
        self.i18n(key, &o.i18n);
        let has_range = o.min.is_some() || o.max.is_some();
        let has_filter = !o.tags.is_empty()
            || o.attribute.is_some()
            || has_range
            || o.price_min.is_some()
            || o.price_max.is_some();
        let before = self.errors.len();
        if o.any {
            if has_filter {
                let fix = "remove `any = true` or remove the filters";
                self.err(
                    &format!("{key}.any"),
                    "`any = true` together with filters",
                    fix,
                );
            }
        } else if !has_filter {
            let fix = "add `tags`, `attribute` with `min`/`max`, `price_min`/`price_max`, or `any = true`";
            self.err(key, "has no filter", fix);
        }
        if has_range && o.attribute.is_none() && !self.doubts(&format!("{key}.attribute")) {
            let fix = "add `attribute = \"…\"` naming the product attribute to compare";
            self.err(
                &format!("{key}.min"),
                "`min`/`max` without `attribute`",
                fix,
            );
        }
        if let Some(attr) = &o.attribute
            && !attributes.contains(attr.as_str())
            && !unsure_products
        {
            let fix = match closest(attr, attributes.iter().copied()) {
                Some(best) => format!("did you mean `{best}`?"),
                None => format!(
                    "add `{attr} = …` under `[products.attributes]` of the products it describes"
                ),
            };
            self.err(
                &format!("{key}.attribute"),
                &format!("no product has the attribute \"{attr}\""),
                &fix,
            );
        }
        if let (Some(min), Some(max)) = (o.min, o.max)
            && min > max
        {
            self.err(
                &format!("{key}.min"),
                "`min` is greater than `max`",
                "swap `min` and `max`",
            );
        }
        if let (Some(min), Some(max)) = (o.price_min, o.price_max)
            && min > max
        {
            let fix = "swap `price_min` and `price_max`";
            self.err(
                &format!("{key}.price_min"),
                "`price_min` is greater than `price_max`",
                fix,
            );
        }
        let clean = self.errors.len() == before;
        if clean
            && !o.any
            && has_filter
            && !unsure_products
            && !file.products.iter().any(|p| o.keeps(p))
        {
            let fix = "check its tags, attribute range and prices against the products";
            self.err(key, "matches no product", fix);
        }
    }

    pub(super) fn questions(&mut self, file: &ShopFile) {
        for (i, q) in file.questions.iter().enumerate() {
            let key = format!("questions[{i}]");
            self.id(&format!("{key}.id"), &q.id);
            self.not_empty(
                &format!("{key}.title"),
                &q.title,
                "title = \"Opening hours\"",
            );
            if q.ask.is_empty() {
                let fix = "add what customers would type, e.g. `ask = [\"opening hours\", \"when are you open\"]`";
                self.err(&format!("{key}.ask"), "is empty", fix);
            }
            for (k, ask) in q.ask.iter().enumerate() {
                if ask.trim().is_empty() {
                    self.err(
                        &format!("{key}.ask[{k}]"),
                        "is empty",
                        "remove it or write a phrasing",
                    );
                }
            }
            self.not_empty(
                &format!("{key}.answer"),
                &q.answer,
                "answer = \"We open 9 to 6.\"",
            );
            self.i18n(&key, &q.i18n);
        }
        let ids = file.questions.iter().enumerate();
        self.unique(
            "id",
            ids.map(|(i, q)| (format!("questions[{i}].id"), q.id.as_str())),
            false,
        );
    }

    pub(super) fn checkout(&mut self, file: &ShopFile) {
        for (i, f) in file.checkout.fields.iter().enumerate() {
            let key = format!("checkout.fields[{i}]");
            self.id(&format!("{key}.id"), &f.id);
            self.i18n(&key, &f.i18n);
        }
        let ids = file.checkout.fields.iter().enumerate();
        self.unique(
            "id",
            ids.map(|(i, f)| (format!("checkout.fields[{i}].id"), f.id.as_str())),
            false,
        );
    }
}
