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

#[path = "load_locator.rs"]
mod locator;
#[path = "load_serde.rs"]
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
    "owners",
    "hours",
    "texts",
    "telegram",
    "matrix",
    "followups",
];

/// How many times one piece is retried after fixing up a problem.
const MAX_TRIES: usize = 64;

/// Values nested deeper than this are not indexed (the parser limits nesting anyway).
const MAX_DEPTH: usize = 128;

/// Parses a shop file, reporting every problem serde finds at once.
pub fn parse(label: &str, src: &str) -> Result<(ShopFile, Locator), ConfigErrors> {
    let root = DeTable::parse(src).map_err(|e| {
        let lines = Lines::new(src);
        let pos = lines.pos(e.span().map_or(0, |s| s.start));
        let fix = if e.message().contains("duplicate key") {
            "each key may appear only once per table; remove or rename one of them"
        } else {
            "fix the TOML syntax here (quotes around text, `key = value`, brackets)"
        };
        let loc = Locator {
            file: label.to_owned(),
            ..Locator::default()
        };
        ConfigErrors::single(loc.at(pos, "(syntax)", e.message(), fix))
    })?;
    let mut loader = Loader::new(label, src);
    let table = root.into_inner();
    for (key, value) in &table {
        loader.index(
            value,
            &[Seg::Key(key.get_ref().to_string())],
            Some(key.span()),
        );
    }
    let file = loader.shop_file(&table);
    let Loader {
        locator,
        mut errors,
        ..
    } = loader;
    match file {
        Some(file) if errors.is_empty() => Ok((file, locator)),
        _ => {
            errors.sort_by_key(|e| (e.line, e.column));
            errors.dedup();
            Err(ConfigErrors(errors))
        }
    }
}

/// Deserialises the file piece by piece, collecting errors.
struct Loader<'s> {
    src: &'s str,
    lines: Lines<'s>,
    locator: Locator,
    /// Value spans to paths (the deepest path wins on a tie).
    value_paths: HashMap<(usize, usize), Vec<Seg>>,
    /// Key spans to paths.
    key_paths: HashMap<(usize, usize), Vec<Seg>>,
    /// Every value span, for the innermost value around an error.
    spans: Vec<(Range<usize>, Vec<Seg>)>,
    errors: Vec<ConfigError>,
    /// Stand-in values get made-up spans past the end of the source.
    next_fake: usize,
}

impl<'s> Loader<'s> {
    fn new(label: &str, src: &'s str) -> Self {
        Self {
            src,
            lines: Lines::new(src),
            locator: Locator {
                file: label.to_owned(),
                ..Locator::default()
            },
            value_paths: HashMap::new(),
            key_paths: HashMap::new(),
            spans: Vec::new(),
            errors: Vec::new(),
            next_fake: src.len() + 1,
        }
    }

    /// Records where every key and value of the tree is.
    fn index(&mut self, value: &Spanned<DeValue<'_>>, path: &[Seg], key: Option<Range<usize>>) {
        if path.len() > MAX_DEPTH {
            return;
        }
        let name = render(path);
        let span = value.span();
        self.locator
            .values
            .insert(name.clone(), self.lines.pos(span.start));
        if let Some(key) = key {
            self.locator.keys.insert(name, self.lines.pos(key.start));
            self.key_paths.insert((key.start, key.end), path.to_vec());
        }
        let slot = self.value_paths.entry((span.start, span.end)).or_default();
        if slot.len() <= path.len() {
            *slot = path.to_vec();
        }
        self.spans.push((span, path.to_vec()));
        match value.get_ref() {
            DeValue::Table(t) => {
                for (k, v) in t {
                    let mut sub = path.to_vec();
                    sub.push(Seg::Key(k.get_ref().to_string()));
                    self.index(v, &sub, Some(k.span()));
                }
            }
            DeValue::Array(a) => {
                for (i, v) in a.iter().enumerate() {
                    let mut sub = path.to_vec();
                    sub.push(Seg::Index(i));
                    self.index(v, &sub, None);
                }
            }
            _ => {}
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
        let shop = if let Some(v) = table.get("shop") {
            self.piece(v, &[Seg::Key("shop".to_owned())])
        } else {
            let fix = "add a `[shop]` table with `name` and `currency`";
            self.report_key(&[Seg::Key("shop".to_owned())], "missing", fix);
            None
        };
        let categories = self.list(table, "categories");
        let products = self.list(table, "products");
        let finder = self.list(table, "finder");
        let questions = self.list(table, "questions");
        let checkout = self.table(table, "checkout");
        let delivery = self.list(table, "delivery");
        let payment = self.list(table, "payment");
        let coupons = self.list(table, "coupons");
        let owners = self.table(table, "owners");
        let hours = self.table(table, "hours");
        let texts = self.table(table, "texts");
        let telegram = self.table(table, "telegram");
        let followups = self.table(table, "followups");
        let matrix: Option<Option<crate::shop::model::MatrixSettings>> = match table.get("matrix") {
            Some(v) => self.piece(v, &[Seg::Key("matrix".to_owned())]).map(Some),
            None => Some(None),
        };
        let file = ShopFile {
            shop: shop?,
            categories: categories?,
            products: products?,
            finder: finder?,
            questions: questions?,
            checkout: checkout?,
            delivery: delivery?,
            payment: payment?,
            coupons: coupons?,
            owners: owners?,
            hours: hours?,
            texts: texts?,
            telegram: telegram?,
            matrix: matrix?,
            followups: followups?,
        };
        Some(file)
    }

    /// An optional top-level table.
    fn table<T: DeserializeOwned + Default>(
        &mut self,
        root: &DeTable<'s>,
        name: &str,
    ) -> Option<T> {
        match root.get(name) {
            Some(v) => self.piece(v, &[Seg::Key(name.to_owned())]),
            None => Some(T::default()),
        }
    }

    /// An optional top-level array of tables, each element on its own.
    fn list<T: DeserializeOwned>(&mut self, root: &DeTable<'s>, name: &str) -> Option<Vec<T>> {
        let Some(value) = root.get(name) else {
            return Some(Vec::new());
        };
        let DeValue::Array(items) = value.get_ref() else {
            return self.piece(value, &[Seg::Key(name.to_owned())]);
        };
        let mut out = Vec::with_capacity(items.len());
        let mut ok = true;
        for (i, item) in items.iter().enumerate() {
            match self.piece(item, &[Seg::Key(name.to_owned()), Seg::Index(i)]) {
                Some(v) => out.push(v),
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    /// Deserialises one piece, reporting (and working around) each problem.
    fn piece<T: DeserializeOwned>(
        &mut self,
        value: &Spanned<DeValue<'s>>,
        base: &[Seg],
    ) -> Option<T> {
        let mut work = value.clone();
        let mut failed = false;
        // Made-up span start → (relative path, which stand-in was tried).
        let mut stand_ins: HashMap<usize, (Vec<Seg>, usize)> = HashMap::new();
        let mut removed: HashSet<Vec<Seg>> = HashSet::new();
        for _ in 0..MAX_TRIES {
            let err = match T::deserialize(work.clone().into_deserializer()) {
                Ok(v) => return (!failed).then_some(v),
                Err(e) => e,
            };
            failed = true;
            let span = err.span().unwrap_or_else(|| value.span());
            if span.start > self.src.len() {
                let (rel, tried) = stand_ins.remove(&span.start)?;
                let fake = self.fake_span();
                set(
                    &mut work,
                    &rel,
                    Spanned::new(fake.clone(), stand_in(tried + 1)?),
                )?;
                stand_ins.insert(fake.start, (rel, tried + 1));
                continue;
            }
            match serde_msg::classify(err.message()) {
                serde_msg::Kind::Missing(field) => {
                    let table = self.value_path(&span).unwrap_or_else(|| base.to_vec());
                    let mut rel = table.strip_prefix(base)?.to_vec();
                    rel.push(Seg::Key(field.clone()));
                    if !removed.contains(&rel) {
                        let mut path = table;
                        path.push(Seg::Key(field.clone()));
                        self.report_value(&path, "missing", &format!("add `{field} = …`"));
                    }
                    let fake = self.fake_span();
                    set(&mut work, &rel, Spanned::new(fake.clone(), stand_in(0)?))?;
                    stand_ins.insert(fake.start, (rel, 0));
                }
                serde_msg::Kind::Unknown { field, expected } => {
                    let Some(path) = self.key_paths.get(&(span.start, span.end)).cloned() else {
                        let fix = serde_msg::unknown_fix(&field, &[]);
                        self.report_value(base, &format!("unknown key `{field}`"), &fix);
                        return None;
                    };
                    let known: Vec<&str> = expected.iter().map(String::as_str).collect();
                    self.report_key(
                        &path,
                        "unknown key",
                        &serde_msg::unknown_fix(&field, &known),
                    );
                    remove(&mut work, path.strip_prefix(base)?)?;
                }
                serde_msg::Kind::Other => {
                    let path = self.value_path(&span).unwrap_or_else(|| base.to_vec());
                    let (problem, fix) = serde_msg::describe(err.message(), &path);
                    self.report_value(&path, &problem, &fix);
                    let mut rel = path.strip_prefix(base)?.to_vec();
                    while matches!(rel.last(), Some(Seg::Index(_))) {
                        rel.pop();
                    }
                    if rel.is_empty() {
                        return None;
                    }
                    remove(&mut work, &rel)?;
                    removed.insert(rel);
                }
            }
        }
        None
    }

    fn fake_span(&mut self) -> Range<usize> {
        let start = self.next_fake;
        self.next_fake += 1;
        start..start + 1
    }

    /// The path of the value at `span`, or of the innermost value around it.
    fn value_path(&self, span: &Range<usize>) -> Option<Vec<Seg>> {
        if let Some(path) = self.value_paths.get(&(span.start, span.end)) {
            return Some(path.clone());
        }
        self.spans
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
