//! A vocabulary of indexed words and their stems, with postings per term,
//! looked up exactly, by stem, by prefix or with one typo.

use std::collections::HashMap;

use super::text::{MAX_WORD, Stems};

/// How well a query word matched a term.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Quality {
    /// One edit away (tokens of 6+ characters).
    Typo = 1,
    /// The query word starts an indexed word (tokens of 4+ characters).
    Prefix = 2,
    /// Same word, or same stem in the same language.
    Exact = 3,
}

/// Shortest query word matched by prefix.
const PREFIX_MIN: usize = 4;
/// Shortest query word matched with one typo.
const TYPO_MIN: usize = 6;
/// Most indexed words one query word may expand to by prefix or typo.
const EXPANSION_CAP: usize = 256;

/// Terms are raw words and per-language stems; each term has postings of `P`.
#[derive(Debug, Clone)]
pub struct Vocab<P> {
    /// Raw words, then stems per language (English, Spanish, Romanian).
    maps: [HashMap<Box<str>, u32>; 4],
    /// Raw words sorted, for prefix lookups.
    sorted: Vec<(Box<str>, u32)>,
    /// Each raw word of 5+ letters with one letter deleted → raw term ids.
    deletes: HashMap<Box<str>, Vec<u32>>,
    /// The text of each term (a word or a stem), by term id.
    keys: Vec<Box<str>>,
    postings: Vec<Vec<P>>,
}

impl<P> Default for Vocab<P> {
    fn default() -> Self {
        Self {
            maps: Default::default(),
            sorted: Vec::new(),
            deletes: HashMap::new(),
            keys: Vec::new(),
            postings: Vec::new(),
        }
    }
}

impl<P: Copy> Vocab<P> {
    /// The term ids of a word: its raw form and its stems (built on first use).
    pub fn terms_for(&mut self, stems: &Stems, word: &str) -> Vec<u32> {
        let mut ids = vec![self.intern(0, word)];
        if let Some(forms) = stems.of(word) {
            for (lang, stem) in forms.iter().enumerate() {
                let id = self.intern(lang + 1, stem);
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
        }
        ids
    }

    fn intern(&mut self, map: usize, key: &str) -> u32 {
        if let Some(&id) = self.maps[map].get(key) {
            return id;
        }
        let id = u32::try_from(self.postings.len()).unwrap_or(u32::MAX);
        self.postings.push(Vec::new());
        self.keys.push(key.into());
        self.maps[map].insert(key.into(), id);
        id
    }

    /// Adds a posting to a term.
    pub fn post(&mut self, term: u32, posting: P) {
        if let Some(list) = self.postings.get_mut(term as usize) {
            list.push(posting);
        }
    }

    /// Mutable postings, for deduplication after building.
    pub fn postings_mut(&mut self) -> impl Iterator<Item = &mut Vec<P>> {
        self.postings.iter_mut()
    }

    /// Builds the prefix and typo tables; call once all words are in.
    pub fn finish(&mut self) {
        self.sorted = self.maps[0]
            .iter()
            .map(|(word, &id)| (word.clone(), id))
            .collect();
        self.sorted.sort_unstable();
        let mut buf = String::new();
        for (word, id) in &self.sorted {
            if word.len() < TYPO_MIN - 1 || !typo_candidate(word) {
                continue;
            }
            for skip in 0..word.len() {
                delete_at(word, skip, &mut buf);
                let ids = self.deletes.entry(buf.as_str().into()).or_default();
                if !ids.contains(id) {
                    ids.push(*id);
                }
            }
        }
    }

    /// The postings of a term.
    pub fn postings(&self, term: u32) -> &[P] {
        self.postings.get(term as usize).map_or(&[], Vec::as_slice)
    }

    /// Calls `found` with every term the query word matches and how well;
    /// looser matches are tried only when stricter ones find nothing.
    pub fn lookup(&self, stems: &Stems, word: &str, mut found: impl FnMut(u32, Quality)) {
        let mut any = false;
        if let Some(&id) = self.maps[0].get(word) {
            found(id, Quality::Exact);
            any = true;
        }
        if let Some(forms) = stems.of(word) {
            for (lang, stem) in forms.iter().enumerate() {
                if let Some(&id) = self.maps[lang + 1].get(stem.as_ref()) {
                    found(id, Quality::Exact);
                    any = true;
                }
            }
        }
        if any || word.len() > MAX_WORD || word.bytes().all(|b| b.is_ascii_digit()) {
            return;
        }
        if word.chars().count() >= PREFIX_MIN {
            let start = self.sorted.partition_point(|(w, _)| w.as_ref() < word);
            for (_, id) in self.sorted[start..]
                .iter()
                .take_while(|(w, _)| w.starts_with(word))
                .take(EXPANSION_CAP)
            {
                found(*id, Quality::Prefix);
                any = true;
            }
        }
        if !any && word.len() >= TYPO_MIN && typo_candidate(word) {
            self.typos(word, |id| found(id, Quality::Typo));
        }
    }

    /// Raw words one edit (insertion, deletion, substitution, swap) from `word`.
    fn typos(&self, word: &str, mut found: impl FnMut(u32)) {
        let mut seen: Vec<u32> = Vec::new();
        let mut check = |id: u32, seen: &mut Vec<u32>| {
            if seen.len() < EXPANSION_CAP && !seen.contains(&id) {
                seen.push(id);
                if self
                    .keys
                    .get(id as usize)
                    .is_some_and(|w| one_edit(word, w))
                {
                    found(id);
                }
            }
        };
        // The word is an indexed word with a letter missing.
        for &id in self.deletes.get(word).into_iter().flatten() {
            check(id, &mut seen);
        }
        let mut buf = String::new();
        for skip in 0..word.len() {
            delete_at(word, skip, &mut buf);
            // The word has one letter too many.
            if let Some(&id) = self.maps[0].get(buf.as_str()) {
                check(id, &mut seen);
            }
            // One letter differs (or two are swapped).
            for &id in self.deletes.get(buf.as_str()).into_iter().flatten() {
                check(id, &mut seen);
            }
        }
    }
}

/// Lower-case ASCII letters only: typo tables are byte-indexed.
fn typo_candidate(word: &str) -> bool {
    word.bytes().all(|b| b.is_ascii_lowercase())
}

/// `word` without its byte at `skip` (ASCII words only).
fn delete_at(word: &str, skip: usize, buf: &mut String) {
    buf.clear();
    for (i, c) in word.char_indices() {
        if i != skip {
            buf.push(c);
        }
    }
}

/// True when two ASCII words differ by exactly one insertion, deletion,
/// substitution or swap of neighbours.
pub fn one_edit(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a == b {
        return false;
    }
    let prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let (a, b) = (&a[prefix..], &b[prefix..]);
    match a.len().abs_diff(b.len()) {
        0 => a[1..] == b[1..] || (a.len() >= 2 && a[0] == b[1] && a[1] == b[0] && a[2..] == b[2..]),
        1 if a.len() > b.len() => a[1..] == *b,
        1 => b[1..] == *a,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::one_edit;

    #[test]
    fn one_edit_kinds() {
        assert!(one_edit("castle", "castel"));
        assert!(one_edit("castle", "castlee"));
        assert!(one_edit("castle", "catle"));
        assert!(one_edit("castle", "cestle"));
        assert!(!one_edit("castle", "castle"));
        assert!(!one_edit("castle", "cattel"));
        assert!(!one_edit("castle", "cas"));
    }
}
