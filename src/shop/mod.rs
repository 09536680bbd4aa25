//! The shop: `shop.toml` loaded, validated and indexed for the conversation.

pub mod error;
pub mod hours;
mod load;
pub(crate) use load::closest;
mod localized;
pub mod model;
pub mod money;
pub mod search;
pub mod texts;
mod validate;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

pub use error::{ConfigError, ConfigErrors};
pub use model::*;
pub use money::Money;
pub use texts::{OwnerPhrase, OwnerTexts, Phrase, Texts};

/// The example shop, compiled into the binary for `shopbot init` and `shopbot chat`.
pub const EXAMPLE_TOML: &str = include_str!("../../shop.toml");

/// Products from which the search index is built on its own thread.
const PARALLEL_INDEX: usize = 500;

/// A loaded, validated shop with lookup indexes.
#[derive(Debug, Clone)]
pub struct Shop {
    pub file: ShopFile,
    /// Where the file came from, for messages (`shop.toml`, `(bundled example)`).
    pub source: String,
    /// The file it was loaded from (`None` for the bundled example): `/reload` reads it again.
    pub path: Option<PathBuf>,
    /// The folder relative image paths are resolved against.
    pub base_dir: PathBuf,
    pub time_zone: jiff::tz::TimeZone,
    pub hours: hours::Hours,
    pub search: search::SearchIndex,
    products: HashMap<String, usize>,
    categories: HashMap<String, usize>,
    texts: HashMap<String, Texts>,
    owner_texts: OwnerTexts,
}

impl Shop {
    /// Reads and validates a shop file; every problem is reported at once.
    pub fn load(path: &Path) -> Result<Self, ConfigErrors> {
        let label = path.display().to_string();
        let src = std::fs::read_to_string(path).map_err(|e| {
            ConfigErrors::single(ConfigError::whole_file(
                &label,
                &format!("cannot read the file: {e}"),
                "check the path and the file's permissions",
            ))
        })?;
        let base_dir = path
            .parent()
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        let mut shop = Self::from_source(&label, &src, base_dir)?;
        shop.path = Some(path.to_path_buf());
        Ok(shop)
    }

    /// The bundled example shop.
    pub fn example() -> Self {
        Self::from_source(
            "(bundled example shop.toml)",
            EXAMPLE_TOML,
            PathBuf::from("."),
        )
        .expect("the bundled example shop is valid")
    }

    /// Parses and validates shop text; `label` names it in messages.
    pub fn from_source(label: &str, src: &str, base_dir: PathBuf) -> Result<Self, ConfigErrors> {
        let load::Parsed {
            file,
            locator,
            mut errors,
        } = load::parse(label, src)?;
        // Structural and semantic problems together, in file order: the
        // semantic checks run on whatever parsed (and say nothing where a
        // value had to be stood in for).
        let mut search = None;
        if let Some(file) = &file {
            // A large catalogue is indexed while it is checked (the index of
            // a file with problems is thrown away).
            if errors.is_empty() && file.products.len() >= PARALLEL_INDEX {
                std::thread::scope(|s| {
                    let index = s.spawn(|| search::SearchIndex::build(file));
                    errors.extend(validate::validate(file, &locator));
                    let index = index
                        .join()
                        .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
                    search = Some(index);
                });
            } else {
                errors.extend(validate::validate(file, &locator));
            }
        }
        errors.sort_by_key(|e| (e.line, e.column));
        errors.dedup();
        let file = match file {
            Some(file) if errors.is_empty() => file,
            _ if errors.is_empty() => {
                return Err(ConfigErrors::single(ConfigError::whole_file(
                    label,
                    "cannot be read as a shop file",
                    "start from `shopbot init` and compare",
                )));
            }
            _ => return Err(ConfigErrors(errors)),
        };
        let time_zone = jiff::tz::TimeZone::get(&file.shop.time_zone).expect("validated time zone");
        let hours = hours::Hours::parse(&file.hours).expect("validated hours");
        let search = search.unwrap_or_else(|| search::SearchIndex::build(&file));
        let products = file
            .products
            .iter()
            .enumerate()
            .map(|(i, p)| (p.id.clone(), i))
            .collect();
        let categories = file
            .categories
            .iter()
            .enumerate()
            .map(|(i, c)| (c.id.clone(), i))
            .collect();
        let texts = Self::languages_of(&file)
            .into_iter()
            .map(|lang| {
                let texts = Texts::new(&lang, file.texts.get(&lang));
                (lang, texts)
            })
            .collect();
        let owner_texts = {
            let lang = file
                .owners
                .language
                .as_deref()
                .unwrap_or(&file.shop.language);
            OwnerTexts::new(
                lang,
                file.owner_texts.get(lang),
                &Texts::new(lang, file.texts.get(lang)),
            )
        };
        Ok(Self {
            file,
            source: label.to_owned(),
            path: None,
            base_dir,
            time_zone,
            hours,
            search,
            products,
            categories,
            texts,
            owner_texts,
        })
    }

    fn languages_of(file: &ShopFile) -> Vec<String> {
        let mut langs = vec![file.shop.language.clone()];
        for lang in &file.shop.languages {
            if !langs.contains(lang) {
                langs.push(lang.clone());
            }
        }
        langs
    }

    pub fn name(&self) -> &str {
        &self.file.shop.name
    }

    pub fn currency(&self) -> &str {
        &self.file.shop.currency
    }

    pub fn default_language(&self) -> &str {
        &self.file.shop.language
    }

    /// Languages the customer can choose, the default first.
    pub fn languages(&self) -> Vec<String> {
        Self::languages_of(&self.file)
    }

    /// The owners' phrases: `[owners] language`, else the shop's language.
    pub fn owner_texts(&self) -> &OwnerTexts {
        &self.owner_texts
    }

    /// The phrases for a language, falling back to the shop's default language.
    pub fn texts(&self, lang: &str) -> &Texts {
        self.texts
            .get(lang)
            .or_else(|| self.texts.get(self.default_language()))
            .expect("the default language always has texts")
    }

    pub fn products(&self) -> &[Product] {
        &self.file.products
    }

    pub fn product(&self, id: &str) -> Option<&Product> {
        self.products.get(id).map(|&i| &self.file.products[i])
    }

    pub fn categories(&self) -> &[Category] {
        &self.file.categories
    }

    pub fn category(&self, id: &str) -> Option<&Category> {
        self.categories.get(id).map(|&i| &self.file.categories[i])
    }

    pub fn finder(&self) -> &[FinderQuestion] {
        &self.file.finder
    }

    pub fn questions(&self) -> &[CommonQuestion] {
        &self.file.questions
    }

    pub fn delivery(&self, id: &str) -> Option<&Delivery> {
        self.file.delivery.iter().find(|d| d.id == id)
    }

    pub fn payment(&self, id: &str) -> Option<&Payment> {
        self.file.payment.iter().find(|p| p.id == id)
    }

    pub fn coupon(&self, code: &str) -> Option<&Coupon> {
        self.file
            .coupons
            .iter()
            .find(|c| c.code.eq_ignore_ascii_case(code.trim()))
    }

    /// Every (stock key, configured quantity) pair: one per product, or one per variant.
    pub fn configured_stock(&self) -> Vec<(String, i64)> {
        let mut out = Vec::new();
        for p in self.products() {
            if p.variants.is_empty() {
                out.push((stock_key(&p.id, None), p.stock.unwrap_or(0)));
            } else {
                for v in &p.variants {
                    out.push((stock_key(&p.id, Some(&v.id)), v.stock));
                }
            }
        }
        out
    }
}

/// The key of one stock row: `product` or `product/variant`.
pub fn stock_key(product: &str, variant: Option<&str>) -> String {
    match variant {
        Some(v) => format!("{product}/{v}"),
        None => product.to_owned(),
    }
}

/// Live stock levels, as the store last committed them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StockLevels(pub HashMap<String, i64>);

impl StockLevels {
    /// Units available for a product (or one of its variants); a product with
    /// variants and no variant chosen has the sum of its variants.
    pub fn available(&self, product: &Product, variant: Option<&str>) -> i64 {
        match variant {
            Some(v) => self.get(&stock_key(&product.id, Some(v))),
            None if product.variants.is_empty() => self.get(&product.id),
            None => product
                .variants
                .iter()
                .map(|v| self.get(&stock_key(&product.id, Some(&v.id))))
                .sum(),
        }
    }

    fn get(&self, key: &str) -> i64 {
        self.0.get(key).copied().unwrap_or(0).max(0)
    }

    /// The configured stock of a shop, before any sale.
    pub fn from_shop(shop: &Shop) -> Self {
        Self(shop.configured_stock().into_iter().collect())
    }
}
