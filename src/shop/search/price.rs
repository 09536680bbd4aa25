//! Price bounds in English, Spanish and Romanian: "under 50", "menos de 50 €",
//! "între 20 și 40 lei", "20-40", "50 or less".

use crate::shop::money::Money;

/// Most tokens of a message looked at; the rest is ignored.
const MAX_TOKENS: usize = 512;

/// `… 50` means at most 50.
const MAX_BEFORE: &[&[&str]] = &[
    &["under"],
    &["below"],
    &["less", "than"],
    &["cheaper", "than"],
    &["max"],
    &["maximum"],
    &["up", "to"],
    &["upto"],
    &["at", "most"],
    &["no", "more", "than"],
    &["not", "more", "than"],
    &["<"],
    &["<", "="],
    &["≤"],
    &["menos", "de"],
    &["hasta"],
    &["maximo"],
    &["como", "maximo"],
    &["no", "mas", "de"],
    &["mas", "barato", "que"],
    &["mas", "baratos", "que"],
    &["sub"],
    &["pana", "la"],
    &["maxim"],
    &["cel", "mult"],
    &["mai", "putin", "de"],
    &["mai", "ieftin", "de"],
    &["mai", "ieftine", "de"],
];

/// `… 30` means at least 30.
const MIN_BEFORE: &[&[&str]] = &[
    &["over"],
    &["above"],
    &["more", "than"],
    &["from"],
    &["at", "least"],
    &["min"],
    &["minimum"],
    &["starting", "at"],
    &[">"],
    &[">", "="],
    &["≥"],
    &["mas", "de"],
    &["desde"],
    &["minimo"],
    &["como", "minimo"],
    &["al", "menos"],
    &["peste"],
    &["de", "la"],
    &["minim"],
    &["cel", "putin"],
    &["mai", "mult", "de"],
];

/// `between 20 and 40`.
const BETWEEN: &[&[&str]] = &[&["between"], &["entre"], &["intre"]];
const AND: &[&[&str]] = &[
    &["and"],
    &["y"],
    &["e"],
    &["si"],
    &["-"],
    &["–"],
    &["to"],
    &["a"],
];

/// `20 to 40`, `from 20 to 40`, `de la 20 la 40`.
const TO: &[&[&str]] = &[
    &["-"],
    &["–"],
    &["—"],
    &["to"],
    &["till"],
    &["until"],
    &["up", "to"],
    &["a"],
    &["hasta"],
    &["la"],
    &["pana", "la"],
];

/// `50 or less`, `50 max`.
const MAX_AFTER: &[&[&str]] = &[
    &["or", "less"],
    &["or", "under"],
    &["or", "below"],
    &["or", "cheaper"],
    &["max"],
    &["maximum"],
    &["tops"],
    &["o", "menos"],
    &["maximo"],
    &["como", "maximo"],
    &["sau", "mai", "putin"],
    &["sau", "mai", "ieftin"],
    &["maxim"],
];

/// `50 or more`, `50+`.
const MIN_AFTER: &[&[&str]] = &[
    &["or", "more"],
    &["or", "above"],
    &["or", "over"],
    &["+"],
    &["min"],
    &["minimum"],
    &["o", "mas"],
    &["minimo"],
    &["sau", "mai", "mult"],
    &["minim"],
];

const CURRENCY_BEFORE: &[&str] = &["€", "$", "£", "eur", "usd", "ron"];
const CURRENCY_AFTER: &[&str] = &[
    "€", "$", "£", "eur", "euro", "euros", "lei", "leu", "ron", "usd", "dollar", "dollars",
    "dolar", "dolares",
];

/// Words after a bare `6-12` that make it an age, a size or a count, not a price.
const NOT_PRICE: &[&str] = &[
    "years",
    "year",
    "yrs",
    "y",
    "ans",
    "anos",
    "ano",
    "ani",
    "an",
    "pieces",
    "pcs",
    "piezas",
    "piese",
    "cm",
    "mm",
    "m",
    "kg",
    "g",
    "months",
    "meses",
    "luni",
    "players",
    "jugadores",
    "jucatori",
    "kids",
    "ninos",
    "copii",
    "people",
    "personas",
    "persoane",
];

/// Words before a bare `6-12` that make it an age.
const NOT_PRICE_BEFORE: &[&str] = &["age", "ages", "aged", "edad", "edades", "varsta"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok<'a> {
    /// A word, or one symbol such as `<` or `€`.
    Word(&'a str),
    /// An amount, with its text.
    Num(Money, &'a str),
}

/// What a message says about price, and its other words.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Parsed<'a> {
    pub min: Option<Money>,
    pub max: Option<Money>,
    /// Words not used by a price bound, in order (stopwords included).
    pub words: Vec<&'a str>,
}

/// Reads price bounds out of folded text (see [`super::text::fold`]).
pub fn parse(folded: &str) -> Parsed<'_> {
    let toks = lex(folded);
    let mut used = vec![false; toks.len()];
    let mut out = Parsed::default();
    let mut i = 0;
    while i < toks.len() {
        if let Some(next) = bound_at(&toks, i, &mut out) {
            used[i..next].iter_mut().for_each(|u| *u = true);
            i = next;
        } else {
            i += 1;
        }
    }
    if let (Some(lo), Some(hi)) = (out.min, out.max)
        && lo > hi
    {
        out.min = Some(hi);
        out.max = Some(lo);
    }
    for (tok, used) in toks.iter().zip(&used) {
        match tok {
            _ if *used => {}
            Tok::Word(w) => {
                if w.chars().all(char::is_alphanumeric) {
                    out.words.push(w);
                }
            }
            Tok::Num(_, text) => out.words.extend(super::text::words(text)),
        }
    }
    out
}

/// Tries every pattern at `i`; on a match records the bounds and returns the index after it.
fn bound_at(toks: &[Tok], i: usize, out: &mut Parsed) -> Option<usize> {
    if let Some(j) = marker(toks, i, BETWEEN)
        && let Some((lo, j)) = amount(toks, j)
        && let Some(j) = marker(toks, j, AND)
        && let Some((hi, j)) = amount(toks, j)
    {
        out.min = Some(lo);
        out.max = Some(hi);
        return Some(j);
    }
    let max_at = marker(toks, i, MAX_BEFORE);
    let min_at = marker(toks, i, MIN_BEFORE);
    // The longer marker wins: "no mas de" (max) over "mas de" (min).
    let (at_most, j) = match (max_at, min_at) {
        (Some(a), Some(b)) if b > a => (false, b),
        (Some(a), _) => (true, a),
        (None, Some(b)) => (false, b),
        (None, None) => return bare_amount(toks, i, out),
    };
    let (value, j) = amount(toks, j)?;
    if at_most {
        out.max = Some(value);
        return Some(j);
    }
    out.min = Some(value);
    if let Some(k) = marker(toks, j, TO)
        && let Some((hi, k)) = amount(toks, k)
    {
        out.max = Some(hi);
        return Some(k);
    }
    Some(j)
}

/// `20-40`, `20 to 40`, `50 or less`, `50+`.
fn bare_amount(toks: &[Tok], i: usize, out: &mut Parsed) -> Option<usize> {
    let (value, j) = amount(toks, i)?;
    if let Some(Tok::Word(before)) = i.checked_sub(1).and_then(|b| toks.get(b))
        && NOT_PRICE_BEFORE.contains(before)
    {
        return None;
    }
    if let Some(k) = marker(toks, j, TO)
        && let Some((hi, k)) = amount(toks, k)
    {
        if let Some(Tok::Word(unit)) = toks.get(k)
            && NOT_PRICE.contains(unit)
        {
            return None;
        }
        out.min = Some(value);
        out.max = Some(hi);
        return Some(k);
    }
    let after = |list: &[&[&str]]| marker(toks, j, list).filter(|&k| amount(toks, k).is_none());
    if let Some(k) = after(MAX_AFTER) {
        out.max = Some(value);
        return Some(k);
    }
    if let Some(k) = after(MIN_AFTER) {
        out.min = Some(value);
        return Some(k);
    }
    None
}

/// An amount with an optional currency before or after it.
fn amount(toks: &[Tok], mut i: usize) -> Option<(Money, usize)> {
    if let Some(Tok::Word(w)) = toks.get(i)
        && CURRENCY_BEFORE.contains(w)
    {
        i += 1;
    }
    let Some(Tok::Num(value, _)) = toks.get(i) else {
        return None;
    };
    i += 1;
    if let Some(Tok::Word(w)) = toks.get(i)
        && CURRENCY_AFTER.contains(w)
    {
        i += 1;
    }
    Some((*value, i))
}

/// The index after the longest marker of `list` starting at `i`.
fn marker(toks: &[Tok], i: usize, list: &[&[&str]]) -> Option<usize> {
    list.iter()
        .filter(|m| {
            m.iter()
                .enumerate()
                .all(|(k, w)| toks.get(i + k) == Some(&Tok::Word(w)))
        })
        .map(|m| i + m.len())
        .max()
}

/// Splits folded text into words, single symbols and amounts.
fn lex(folded: &str) -> Vec<Tok<'_>> {
    let mut toks = Vec::new();
    let mut rest = folded;
    while let Some(c) = rest.chars().next() {
        if toks.len() >= MAX_TOKENS {
            break;
        }
        let len = if c.is_ascii_digit() {
            lex_number(rest, &mut toks)
        } else if c.is_alphanumeric() {
            let len = rest
                .find(|c: char| !c.is_alphanumeric())
                .unwrap_or(rest.len());
            toks.push(Tok::Word(&rest[..len]));
            len
        } else {
            if !c.is_whitespace() {
                toks.push(Tok::Word(&rest[..c.len_utf8()]));
            }
            c.len_utf8()
        };
        rest = &rest[len..];
    }
    toks
}

/// Lexes `12`, `12,50`, `1.000`, `1,299.99`, `50eur`; returns the bytes used.
fn lex_number<'a>(text: &'a str, toks: &mut Vec<Tok<'a>>) -> usize {
    let bytes = text.as_bytes();
    let digits_from = |i: usize| bytes[i..].iter().take_while(|b| b.is_ascii_digit()).count();
    let mut end = digits_from(0);
    while end + 1 < bytes.len()
        && matches!(bytes[end], b'.' | b',')
        && bytes[end + 1].is_ascii_digit()
    {
        end += 1 + digits_from(end + 1);
    }
    let number = &text[..end];
    let letters = text[end..]
        .find(|c: char| !c.is_alphanumeric())
        .unwrap_or(text.len() - end);
    let suffix = &text[end..end + letters];
    let value = amount_value(number);
    match value {
        Some(v) if suffix.is_empty() => toks.push(Tok::Num(v, number)),
        Some(v) if CURRENCY_AFTER.contains(&suffix) => {
            toks.push(Tok::Num(v, number));
            toks.push(Tok::Word(suffix));
        }
        _ => {
            // "3d", "1.2.3": plain words.
            for word in super::text::words(&text[..end + letters]) {
                toks.push(Tok::Word(word));
            }
        }
    }
    end + letters
}

/// The value of `12`, `12,5`, `12.50`, `1234,50`, `1.000`, `1,299.99`, `1.299,99`.
fn amount_value(number: &str) -> Option<Money> {
    let groups: Vec<&str> = number.split(['.', ',']).collect();
    let (last, init) = groups.split_last()?;
    let Some((first, middle)) = init.split_first() else {
        return Money::parse(last);
    };
    if middle.is_empty() && last.len() <= 2 {
        return Money::parse(&format!("{first}.{last}"));
    }
    // Thousands grouping: 1-3 digits, then groups of exactly 3.
    if first.len() > 3 || middle.iter().any(|g| g.len() != 3) {
        return None;
    }
    let whole = init.concat();
    match last.len() {
        3 => Money::parse(&format!("{whole}{last}")),
        1 | 2 if !middle.is_empty() => Money::parse(&format!("{whole}.{last}")),
        _ => None,
    }
}
