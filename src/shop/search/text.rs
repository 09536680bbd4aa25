//! Folding, normalising, tokenising and stemming free text.

use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::LazyLock;

use rust_stemmers::{Algorithm, Stemmer};
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Longest word that is stemmed or matched loosely; longer "words" are noise.
pub const MAX_WORD: usize = 40;

/// Lower case with diacritics removed, punctuation kept (the price lexer needs it).
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars().flat_map(char::to_lowercase).nfd() {
        if is_combining_mark(c) || is_invisible(c) {
            continue;
        }
        match c {
            'ß' => out.push_str("ss"),
            'æ' => out.push_str("ae"),
            'œ' => out.push_str("oe"),
            'ø' => out.push('o'),
            'ł' => out.push('l'),
            'đ' | 'ð' => out.push('d'),
            'þ' => out.push_str("th"),
            'ı' => out.push('i'),
            '\u{2019}' | '\u{2018}' | '`' | '´' => out.push('\''),
            _ => out.push(c),
        }
    }
    out
}

/// Zero-width and bidirectional control characters: dropped, not turned into spaces,
/// so `"env\u{200B}io"` still reads as one word.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{061C}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2069}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{FEFF}'
    )
}

/// Lower case, accents and punctuation removed: `"¿Envío?"` → `"envio"`.
pub fn normalize(text: &str) -> String {
    let folded = fold(text);
    let mut out = String::with_capacity(folded.len());
    for word in words(&folded) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// The words of folded text: maximal runs of letters and digits.
pub fn words(folded: &str) -> impl Iterator<Item = &str> {
    folded
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
}

/// Function words of English, Spanish and Romanian (folded), never matched.
const STOPWORDS: &str = concat!(
    // English
    "a about an and am are as at be been by can could d did do does for from hello ",
    "hey hi how i if im is it its ll m me my of on or our please pls re s so t than ",
    "thank thanks that the there these this those to us ve was we what which will ",
    "with would you your ",
    // Spanish
    "al como con cual de del e el en es esta este favor gracias hola la las le les ",
    "lo los mas me mi mis muy nos o os para pero por porfa que se si son su sus te ",
    "tu tus u un una unas unos vosotros y yo ",
    // Romanian
    "ai ale alo buna care ce cu cum din ea este eu imi in ma mi multumesc noi pe ",
    "pentru rog sa salut sau sunt unei unui va voi ",
);

/// Words that ask for products without naming one ("I want something …").
const SEARCH_FILLERS: &str = concat!(
    // English
    "any anything buy cheap cost costs find get got has have item items like look ",
    "looking need price prices product products see sell selling sells show some ",
    "something stuff thing things want wanted ",
    // Spanish
    "algo algun alguna alguno articulo articulos busco buscando comprar cosa cosas ",
    "cuesta cuestan hay muestrame necesito precio precios producto productos quiero ",
    "teneis tiene tienen tienes vendeis venden ver ",
    // Romanian
    "arata aratati are aveti caut ceva costa cumpar doresc nevoie pret preturi ",
    "produs produse vreau ",
    // Currencies
    "dollar dollars dolar dolares eur euro euros lei leu ron usd ",
);

static STOPWORD_SET: LazyLock<HashSet<&str>> =
    LazyLock::new(|| STOPWORDS.split_ascii_whitespace().collect());
static FILLER_SET: LazyLock<HashSet<&str>> =
    LazyLock::new(|| SEARCH_FILLERS.split_ascii_whitespace().collect());

/// True for a word that carries no meaning on its own.
pub fn is_stopword(word: &str) -> bool {
    let mut chars = word.chars();
    let single = chars.next().is_some() && chars.next().is_none();
    (single && !word.bytes().all(|b| b.is_ascii_digit())) || STOPWORD_SET.contains(word)
}

/// True for a word that only frames a product request.
pub fn is_search_filler(word: &str) -> bool {
    FILLER_SET.contains(word)
}

/// The three stemmers; creating them is free (a function pointer each).
pub struct Stems {
    stemmers: [Stemmer; 3],
}

impl Stems {
    pub fn new() -> Self {
        Self {
            stemmers: [
                Stemmer::create(Algorithm::English),
                Stemmer::create(Algorithm::Spanish),
                Stemmer::create(Algorithm::Romanian),
            ],
        }
    }

    /// The English, Spanish and Romanian stems of a folded word, or `None` for a word
    /// the stemmers must not see (non-ASCII, too long, or containing digits).
    pub fn of<'a>(&self, word: &'a str) -> Option<[Cow<'a, str>; 3]> {
        if word.len() > MAX_WORD || !word.bytes().all(|b| b.is_ascii_lowercase()) {
            return None;
        }
        Some([
            self.stemmers[0].stem(word),
            self.stemmers[1].stem(word),
            self.stemmers[2].stem(word),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_accents_case_and_punctuation() {
        assert_eq!(
            normalize("¿Cuánto cuesta el ENVÍO?"),
            "cuanto cuesta el envio"
        );
        assert_eq!(
            normalize("Șapte ţări, ăâî Straße"),
            "sapte tari aai strasse"
        );
        assert_eq!(normalize("  niño   pingüino!! "), "nino pinguino");
        assert_eq!(normalize("env\u{200B}io \u{202E}ok"), "envio ok");
        assert_eq!(normalize("İstanbul ŞŢ"), "istanbul st");
        assert_eq!(normalize("🏰 castle 🎉"), "castle");
        assert_eq!(normalize(""), "");
    }

    #[test]
    fn stems_in_three_languages() {
        let stems = Stems::new();
        let [en, es, _] = stems.of("castles").unwrap();
        assert_eq!(en, stems.of("castle").unwrap()[0]);
        assert_ne!(es, "");
        assert_eq!(
            stems.of("castillos").unwrap()[1],
            stems.of("castillo").unwrap()[1]
        );
        assert_eq!(
            stems.of("jucariile").unwrap()[2],
            stems.of("jucarii").unwrap()[2]
        );
        assert!(stems.of("ab12").is_none());
        assert!(stems.of("قلعة").is_none());
    }

    #[test]
    fn stopwords_keep_meaningful_words() {
        for w in ["the", "de", "si", "que", "x"] {
            assert!(is_stopword(w), "{w}");
        }
        for w in ["castle", "envio", "shipping", "5", "where", "cat", "no"] {
            assert!(!is_stopword(w), "{w}");
        }
    }

    #[test]
    fn stemmers_survive_any_ascii_word() {
        let stems = Stems::new();
        let mut state: u32 = 2_463_534_242;
        for _ in 0..20_000 {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            let len = (state % 41) as usize;
            let word: String = (0..len)
                .map(|k| char::from(b"aeiouyrstlnmcdhgbpw"[(state as usize >> (k % 24)) % 19]))
                .collect();
            let _ = stems.of(&word);
        }
    }
}
