//! Parsing `shop.toml` into [`ShopFile`], keeping every key's place for messages.
//!
//! The file is parsed once into a spanned tree. Each top-level table, and each
//! element of each array of tables, is deserialised on its own, so a broken
//! product does not hide the problems of the next one. Within one piece a
//! failing key is reported and then taken out (or, when it is missing, stood
//! in for) and the piece is tried again, so a piece reports all its problems.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::ops::Range;

use serde::de::{DeserializeOwned, IntoDeserializer};
use toml::Spanned;
use toml::de::{DeArray, DeTable, DeValue};

use super::error::{ConfigError, ConfigErrors};
use super::model::ShopFile;

mod locator;
mod serde_msg;

pub use locator::Locator;
pub(crate) use locator::path_key;
use locator::{Lines, Seg, render};

pub(crate) use serde_msg::closest;

/// The top-level keys of a shop file.
const TOP_KEYS: &[&str] = &[
    "shop",
    "categories",
    "products",
    "finder",
    "questions",
    "checkout",
    "delivery",
    "payment",
    "coupons",
    "replies",
    "owners",
    "hours",
    "texts",
    "owner_texts",
    "telegram",
    "matrix",
    "followups",
    "reviews",
    "web",
];

/// How many times one piece is retried after fixing up a problem.
const MAX_TRIES: usize = 64;

/// What the loader made of a file.
pub struct Parsed {
    /// The model, with stand-ins where the seller's value could not be used
    /// (their places are in [`Locator::doubts`]); `None` only when some piece
    /// could not be stood in for at all.
    pub file: Option<ShopFile>,
    pub locator: Locator,
    /// Every structural problem (unknown keys, wrong types, missing keys).
    pub errors: Vec<ConfigError>,
}

/// Parses a shop file, reporting every problem serde finds at once. Only a
/// syntax error (the text is not TOML) is an `Err`: then nothing else can be
/// checked.
pub fn parse(label: &str, src: &str) -> Result<Parsed, ConfigErrors> {
    let root = DeTable::parse(src).map_err(|e| {
        let lines = Lines::new(src);
        let pos = lines.pos(e.span().map_or(0, |s| s.start));
        let fix = if e.message().contains("duplicate key") {
            "each key may appear only once per table; remove or rename one of them"
        } else {
            "fix the TOML syntax here (quotes around text, `key = value`, brackets)"
        };
        let loc = Locator::new(label, "");
        ConfigErrors::single(loc.at(pos, "(syntax)", e.message(), fix))
    })?;
    let mut loader = Loader::new(label, src);
    let table = root.into_inner();
    let file = loader.shop_file(&table);
    let Loader {
        locator, errors, ..
    } = loader;
    Ok(Parsed {
        file,
        locator,
        errors,
    })
}

/// Deserialises the file piece by piece, collecting errors.
struct Loader<'s> {
    src: &'s str,
    locator: Locator,
    errors: Vec<ConfigError>,
    /// Stand-in values get made-up spans past the end of the source.
    next_fake: usize,
}

impl<'s> Loader<'s> {
    fn new(label: &str, src: &'s str) -> Self {
        Self {
            src,
            locator: Locator::new(label, src),
            errors: Vec::new(),
            next_fake: src.len() + 1,
        }
    }

    fn shop_file(&mut self, table: &DeTable<'s>) -> Option<ShopFile> {
        for key in table.keys() {
            let name = key.get_ref().as_ref();
            if !TOP_KEYS.contains(&name) {
                let fix = serde_msg::unknown_fix(name, TOP_KEYS);
                self.report_key(&[Seg::Key(name.to_owned())], "unknown key", &fix);
            }
        }
        let shop_path = [Seg::Key("shop".to_owned())];
        let shop = if let Some(v) = table.get("shop") {
            self.piece(v, &shop_path, false)
        } else {
            let fix = "add a `[shop]` table with `name` and `currency`";
            self.report_key(&shop_path, "missing", fix);
            self.doubt(&shop_path);
            let empty = Spanned::new(0..0, DeValue::Table(DeTable::default()));
            self.piece(&empty, &shop_path, true)
        };
        let categories = self.list(table, "categories");
        let products = self.list(table, "products");
        let finder = self.list(table, "finder");
        let questions = self.list(table, "questions");
        let checkout = self.table(table, "checkout");
        let delivery = self.list(table, "delivery");
        let payment = self.list(table, "payment");
        let coupons = self.list(table, "coupons");
        let replies = self.list(table, "replies");
        let owners = self.table(table, "owners");
        let hours = self.table(table, "hours");
        let texts = self.table(table, "texts");
        let owner_texts = self.table(table, "owner_texts");
        let telegram = self.table(table, "telegram");
        let followups = self.table(table, "followups");
        let reviews = self.table(table, "reviews");
        let matrix = self.optional(table, "matrix");
        let web = self.optional(table, "web");
        let file = ShopFile {
            shop: shop?,
            categories: categories?,
            products: products?,
            finder: finder?,
            questions: questions?,
            checkout,
            delivery: delivery?,
            payment: payment?,
            coupons: coupons?,
            replies: replies?,
            owners,
            hours,
            texts,
            owner_texts,
            telegram,
            matrix,
            web,
            followups,
            reviews,
        };
        Some(file)
    }

    /// An optional top-level table that is absent by default (`[matrix]`,
    /// `[web]`); one that cannot be read is doubted and stands in as absent.
    fn optional<T: DeserializeOwned>(&mut self, root: &DeTable<'s>, name: &str) -> Option<T> {
        let path = [Seg::Key(name.to_owned())];
        let settings = self.piece(root.get(name)?, &path, false);
        if settings.is_none() {
            self.doubt(&path);
        }
        settings
    }

    /// An optional top-level table; one that cannot be read at all stands
    /// in as its default.
    fn table<T: DeserializeOwned + Default>(&mut self, root: &DeTable<'s>, name: &str) -> T {
        let path = [Seg::Key(name.to_owned())];
        let Some(v) = root.get(name) else {
            return T::default();
        };
        self.piece(v, &path, false).unwrap_or_else(|| {
            self.doubt(&path);
            T::default()
        })
    }

    /// An optional top-level array of tables, each element on its own; one
    /// that is not a list at all stands in as an empty list.
    fn list<T: DeserializeOwned>(&mut self, root: &DeTable<'s>, name: &str) -> Option<Vec<T>> {
        let Some(value) = root.get(name) else {
            return Some(Vec::new());
        };
        let path = [Seg::Key(name.to_owned())];
        let DeValue::Array(items) = value.get_ref() else {
            return Some(self.piece(value, &path, false).unwrap_or_else(|| {
                self.doubt(&path);
                Vec::new()
            }));
        };
        let mut out = Vec::with_capacity(items.len());
        let mut ok = true;
        for (i, item) in items.iter().enumerate() {
            match self.piece(item, &[Seg::Key(name.to_owned()), Seg::Index(i)], false) {
                Some(v) => out.push(v),
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    /// Deserialises one piece, reporting (and working around) each problem:
    /// an unknown key is taken out, a wrong value is taken out, a missing
    /// one is stood in for, and the piece is tried again. A piece that cannot
    /// be repaired that way stands in as an empty table (quietly: its problem
    /// is already reported). Every stand-in's place is recorded as doubtful,
    /// so the semantic checks say nothing about values the seller did not write.
    fn piece<T: DeserializeOwned>(
        &mut self,
        value: &Spanned<DeValue<'s>>,
        base: &[Seg],
        quiet: bool,
    ) -> Option<T> {
        // Most pieces are fine: no repair state (and no second copy) for them.
        if let Ok(v) = T::deserialize(value.clone().into_deserializer()) {
            return Some(v);
        }
        let mut repair = Repair {
            base: base.to_vec(),
            work: value.clone(),
            quiet,
            stand_ins: HashMap::new(),
            removed: HashSet::new(),
        };
        for _ in 0..MAX_TRIES {
            let err = match T::deserialize(repair.work.clone().into_deserializer()) {
                Ok(v) => return Some(v),
                Err(e) => e,
            };
            let span = err.span().unwrap_or_else(|| value.span());
            if self.fix_up(&mut repair, &err, span).is_none() {
                if repair.quiet {
                    return None;
                }
                self.doubt(base);
                repair = Repair {
                    base: base.to_vec(),
                    work: Spanned::new(value.span(), DeValue::Table(DeTable::default())),
                    quiet: true,
                    stand_ins: HashMap::new(),
                    removed: HashSet::new(),
                };
            }
        }
        None
    }

    /// Reports one serde error and changes the piece so it does not happen
    /// again; `None` when that is not possible.
    fn fix_up(
        &mut self,
        repair: &mut Repair<'s>,
        err: &toml::de::Error,
        span: Range<usize>,
    ) -> Option<()> {
        let base = repair.base.clone();
        if span.start > self.src.len() {
            // A stand-in did not fit: try the next kind of value.
            let (rel, tried) = repair.stand_ins.remove(&span.start)?;
            let (value, next) = match serde_msg::first_variant(err.message()) {
                Some(variant) => (DeValue::String(Cow::Owned(variant)), tried),
                None => (stand_in(tried + 1)?, tried + 1),
            };
            let fake = self.fake_span();
            set(&mut repair.work, &rel, Spanned::new(fake.clone(), value))?;
            repair.stand_ins.insert(fake.start, (rel, next));
            return Some(());
        }
        match serde_msg::classify(err.message()) {
            serde_msg::Kind::Missing(field) => {
                let mut path = self
                    .value_path(&span)
                    .filter(|p| p.starts_with(&base))
                    .unwrap_or_else(|| base.clone());
                path.push(Seg::Key(field.clone()));
                let rel = path.strip_prefix(base.as_slice())?.to_vec();
                if !repair.quiet && !repair.removed.contains(&rel) {
                    self.report_value(&path, "missing", &format!("add `{field} = …`"));
                }
                self.doubt(&path);
                let fake = self.fake_span();
                set(
                    &mut repair.work,
                    &rel,
                    Spanned::new(fake.clone(), stand_in(0)?),
                )?;
                repair.stand_ins.insert(fake.start, (rel, 0));
            }
            serde_msg::Kind::Unknown { field, expected } => {
                let key_paths = &self.locator.places().key_paths;
                let Some(path) = key_paths.get(&(span.start, span.end)).cloned() else {
                    if !repair.quiet {
                        let fix = serde_msg::unknown_fix(&field, &[]);
                        self.report_value(&base, &format!("unknown key `{field}`"), &fix);
                    }
                    return None;
                };
                let known: Vec<&str> = expected.iter().map(String::as_str).collect();
                if !repair.quiet {
                    let fix = serde_msg::unknown_fix(&field, &known);
                    self.report_key(&path, "unknown key", &fix);
                }
                // `stokc` is the seller's `stock`: its absence is no news.
                if let Some(meant) = closest(&field, known.iter().copied()) {
                    let mut sibling = path.clone();
                    sibling.pop();
                    sibling.push(Seg::Key(meant.to_owned()));
                    self.doubt(&sibling);
                }
                remove(&mut repair.work, path.strip_prefix(base.as_slice())?)?;
            }
            serde_msg::Kind::Other => {
                let path = self.value_path(&span).unwrap_or_else(|| base.clone());
                if !repair.quiet {
                    let (problem, fix) = serde_msg::describe(err.message(), &path);
                    self.report_value(&path, &problem, &fix);
                }
                let mut rel = path.strip_prefix(base.as_slice())?.to_vec();
                while matches!(rel.last(), Some(Seg::Index(_))) {
                    rel.pop();
                }
                if rel.is_empty() {
                    return None;
                }
                let mut doubtful = base;
                doubtful.extend(rel.iter().cloned());
                self.doubt(&doubtful);
                remove(&mut repair.work, &rel)?;
                repair.removed.insert(rel);
            }
        }
        Some(())
    }

    /// Marks a place whose value is a stand-in, not the seller's.
    fn doubt(&mut self, path: &[Seg]) {
        self.locator.doubtful.push(render(path));
    }

    fn fake_span(&mut self) -> Range<usize> {
        let start = self.next_fake;
        self.next_fake += 1;
        start..start + 1
    }

    /// The path of the value at `span`, or of the innermost value around it.
    fn value_path(&self, span: &Range<usize>) -> Option<Vec<Seg>> {
        let places = self.locator.places();
        if let Some(path) = places.value_paths.get(&(span.start, span.end)) {
            return Some(path.clone());
        }
        places
            .spans
            .iter()
            .filter(|(s, _)| s.start <= span.start && span.end <= s.end)
            .min_by_key(|(s, p)| (s.end - s.start, usize::MAX - p.len()))
            .map(|(_, p)| p.clone())
    }

    fn report_value(&mut self, path: &[Seg], problem: &str, fix: &str) {
        let e = self.locator.error(&render(path), problem, fix);
        self.errors.push(e);
    }

    fn report_key(&mut self, path: &[Seg], problem: &str, fix: &str) {
        let e = self.locator.key_error(&render(path), problem, fix);
        self.errors.push(e);
    }
}

/// One piece being repaired.
struct Repair<'s> {
    base: Vec<Seg>,
    work: Spanned<DeValue<'s>>,
    /// Problems are no longer reported (the piece as a whole was).
    quiet: bool,
    /// Made-up span start → (relative path, which stand-in was tried).
    stand_ins: HashMap<usize, (Vec<Seg>, usize)>,
    /// Keys taken out for a wrong value (not reported again as missing).
    removed: HashSet<Vec<Seg>>,
}

/// The values tried, in turn, in place of a missing key.
fn stand_in(attempt: usize) -> Option<DeValue<'static>> {
    Some(match attempt {
        0 => DeValue::String(Cow::Borrowed("")),
        1 => DeValue::Integer(toml::de::DeInteger::default()),
        2 => DeValue::Array(DeArray::default()),
        3 => DeValue::Boolean(false),
        4 => DeValue::Table(DeTable::default()),
        _ => return None,
    })
}

/// The table holding the last step of `path`, and that step's key.
fn parent_table<'a, 's>(
    root: &'a mut Spanned<DeValue<'s>>,
    path: &[Seg],
) -> Option<(&'a mut DeTable<'s>, String)> {
    let (Seg::Key(last), steps) = path.split_last()? else {
        return None;
    };
    let mut node = root;
    for step in steps {
        node = match (node.get_mut(), step) {
            (DeValue::Table(t), Seg::Key(k)) => t.get_mut(k.as_str())?,
            (DeValue::Array(a), Seg::Index(i)) => a.get_mut(*i)?,
            _ => return None,
        };
    }
    match node.get_mut() {
        DeValue::Table(t) => Some((t, last.clone())),
        _ => None,
    }
}

fn remove(root: &mut Spanned<DeValue<'_>>, path: &[Seg]) -> Option<()> {
    let (table, key) = parent_table(root, path)?;
    table.remove(key.as_str()).map(|_| ())
}

fn set<'s>(
    root: &mut Spanned<DeValue<'s>>,
    path: &[Seg],
    value: Spanned<DeValue<'s>>,
) -> Option<()> {
    let (table, key) = parent_table(root, path)?;
    let span = value.span();
    table.insert(Spanned::new(span, Cow::Owned(key)), value);
    Some(())
}

#[cfg(test)]
mod tests;
