//! Where things are in the source: key paths, lines and columns.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::ops::Range;
use std::sync::OnceLock;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::super::error::ConfigError;

/// Values nested deeper than this are not indexed (the parser limits nesting anyway).
const MAX_DEPTH: usize = 128;

/// One step of a key path.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) enum Seg {
    Key(String),
    Index(usize),
}

/// Renders a path as `products[3].i18n.es.name`; odd keys are quoted.
pub(super) fn render(path: &[Seg]) -> String {
    let mut out = String::new();
    for seg in path {
        match seg {
            Seg::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                push_key(&mut out, k);
            }
            Seg::Index(i) => {
                let _ = write!(out, "[{i}]");
            }
        }
    }
    out
}

/// A key as it appears in a path (quoted when it is not a bare key).
pub(crate) fn path_key(key: &str) -> String {
    let mut out = String::new();
    push_key(&mut out, key);
    out
}

fn push_key(out: &mut String, key: &str) {
    let bare = !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if bare {
        out.push_str(key);
    } else {
        out.push('"');
        for c in key.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                c if c.is_control() => out.extend(c.escape_default()),
                c => out.push(c),
            }
        }
        out.push('"');
    }
}

/// Whether path `inner` is `outer` or lies within it.
fn nested(outer: &str, inner: &str) -> bool {
    inner
        .strip_prefix(outer)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '[']))
}

/// A 1-based line and column (in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Pos {
    line: usize,
    column: usize,
}

const START: Pos = Pos { line: 1, column: 1 };

/// Turns byte offsets into lines and columns.
pub(super) struct Lines<'s> {
    src: &'s str,
    starts: Vec<usize>,
}

impl<'s> Lines<'s> {
    pub(super) fn new(src: &'s str) -> Self {
        let mut starts = vec![0];
        starts.extend(src.match_indices('\n').map(|(i, _)| i + 1));
        Self { src, starts }
    }

    pub(super) fn pos(&self, offset: usize) -> Pos {
        let mut offset = offset.min(self.src.len());
        while !self.src.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.starts.partition_point(|&s| s <= offset).max(1);
        let start = self.starts.get(line - 1).copied().unwrap_or(0).min(offset);
        let column = self.src.get(start..offset).map_or(0, |s| s.chars().count()) + 1;
        Pos { line, column }
    }
}

/// Where every key and value of the file is. Only a problem needs a place,
/// so a valid file never builds this (on a large catalogue it costs more
/// than everything else the loader does).
#[derive(Debug, Clone, Default)]
pub(super) struct Places {
    /// Where each path's value starts (a table's header for tables).
    values: HashMap<String, Pos>,
    /// Where each path's key is written.
    keys: HashMap<String, Pos>,
    /// Value spans to paths (the deepest path wins on a tie).
    pub(super) value_paths: HashMap<(usize, usize), Vec<Seg>>,
    /// Key spans to paths.
    pub(super) key_paths: HashMap<(usize, usize), Vec<Seg>>,
    /// Every value span, for the innermost value around an error.
    pub(super) spans: Vec<(Range<usize>, Vec<Seg>)>,
}

impl Places {
    /// Parses the (already parsed once, so valid) source again and records
    /// where everything is; spans are the same as in the first parse.
    fn of(src: &str) -> Self {
        let mut places = Self::default();
        let Ok(root) = DeTable::parse(src) else {
            return places;
        };
        let lines = Lines::new(src);
        for (key, value) in root.get_ref() {
            places.index(
                &lines,
                value,
                &[Seg::Key(key.get_ref().to_string())],
                Some(key.span()),
            );
        }
        places
    }

    fn index(
        &mut self,
        lines: &Lines<'_>,
        value: &Spanned<DeValue<'_>>,
        path: &[Seg],
        key: Option<Range<usize>>,
    ) {
        if path.len() > MAX_DEPTH {
            return;
        }
        let name = render(path);
        let span = value.span();
        self.values.insert(name.clone(), lines.pos(span.start));
        if let Some(key) = key {
            self.keys.insert(name, lines.pos(key.start));
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
                    self.index(lines, v, &sub, Some(k.span()));
                }
            }
            DeValue::Array(a) => {
                for (i, v) in a.iter().enumerate() {
                    let mut sub = path.to_vec();
                    sub.push(Seg::Index(i));
                    self.index(lines, v, &sub, None);
                }
            }
            _ => {}
        }
    }
}

/// Finds the line and column of a key path in the source.
#[derive(Debug, Clone, Default)]
pub struct Locator {
    pub file: String,
    /// The source, read again for [`Places`] when a problem is first placed.
    src: String,
    places: OnceLock<Places>,
    /// Paths whose value in the model is a stand-in for one the seller wrote
    /// wrongly or left out (already reported): nothing more is said there.
    pub(super) doubtful: Vec<String>,
}

impl Locator {
    pub(super) fn new(file: &str, src: &str) -> Self {
        Self {
            file: file.to_owned(),
            src: src.to_owned(),
            ..Self::default()
        }
    }

    /// Where everything is (built on first use).
    pub(super) fn places(&self) -> &Places {
        self.places.get_or_init(|| Places::of(&self.src))
    }

    /// An error placed at `key` (a path such as `products[3].price`); a path
    /// that is not in the file (a missing key) is placed at its table.
    pub fn error(&self, key: &str, problem: &str, fix: &str) -> ConfigError {
        self.at(self.value_pos(key), key, problem, fix)
    }

    /// An error placed at the key itself rather than its value (for a key that
    /// should not be there, such as an unknown language).
    pub fn key_error(&self, key: &str, problem: &str, fix: &str) -> ConfigError {
        let pos = self
            .places()
            .keys
            .get(key)
            .copied()
            .unwrap_or_else(|| self.value_pos(key));
        self.at(pos, key, problem, fix)
    }

    /// Whether `key` is, holds or lies within a stand-in value: a check of
    /// it would judge what the loader made up, not what the seller wrote.
    pub fn doubts(&self, key: &str) -> bool {
        self.doubtful
            .iter()
            .any(|d| nested(d, key) || nested(key, d))
    }

    /// Whether `key` is or lies within a stand-in value (a value around it
    /// may be sound).
    pub fn stood_in(&self, key: &str) -> bool {
        self.doubtful.iter().any(|d| nested(d, key))
    }

    /// The line a path is on (1 if unknown), for "also used on line 4".
    pub fn line(&self, key: &str) -> usize {
        self.value_pos(key).line
    }

    fn value_pos(&self, key: &str) -> Pos {
        let mut path = key;
        loop {
            if let Some(pos) = self.places().values.get(path) {
                return *pos;
            }
            match path.rfind(['.', '[']) {
                Some(cut) => path = &path[..cut],
                None => return START,
            }
        }
    }

    pub(super) fn at(&self, pos: Pos, key: &str, problem: &str, fix: &str) -> ConfigError {
        ConfigError {
            file: self.file.clone(),
            line: pos.line,
            column: pos.column,
            key: key.to_owned(),
            problem: problem.to_owned(),
            fix: fix.to_owned(),
        }
    }
}
