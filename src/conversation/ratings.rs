//! Ratings on product cards: the line "★ 4.7 · 12 reviews" (from `[reviews]
//! min_count` ratings on) and, on the product's details, its latest comments
//! as the customers wrote them — cleaned of invisible controls, on one line,
//! clipped, and never with a name. The channels escape them like any text.

use super::Cx;
use crate::channel::ChatKey;
use crate::shop::{Phrase, Product, Texts};
use crate::store::{ProductRating, average_tenths};

/// The longest comment a card shows, in characters (with "…" when clipped).
pub const COMMENT_CHARS: usize = 200;

/// What a card shows of a product's rating.
#[derive(Debug, Default)]
pub(super) struct CardRating {
    /// "★ 4.3 · 3 reviews"; empty below the minimum.
    pub line: String,
    /// The comment lines, newest first (details only).
    pub comments: Vec<String>,
    /// The customers who wrote them: the card quotes them.
    pub authors: Vec<ChatKey>,
}

impl Cx<'_> {
    /// The rating a card of `p` shows: its line, and on the details (`brief`
    /// false) its latest comments; below `[reviews] min_count`, neither.
    pub(super) fn card_rating(&self, p: &Product, brief: bool) -> CardRating {
        let Some(rating) = self.ratings.get(&p.id) else {
            return CardRating::default();
        };
        let reviews = &self.shop.file.reviews;
        let t = self.t();
        // Below the minimum, nothing: not even a comment with its stars.
        let Some(line) = rating_line(t, rating, reviews.min_count) else {
            return CardRating::default();
        };
        let shown = if brief {
            0
        } else {
            usize::try_from(reviews.show_comments).unwrap_or(usize::MAX)
        };
        let (comments, authors) = rating
            .comments
            .iter()
            .filter_map(|c| {
                let text = clean_comment(&c.text);
                (!text.is_empty()).then(|| {
                    let line = t.fill(
                        Phrase::ReviewComment,
                        &[("stars", &stars(c.stars)), ("comment", &text)],
                    );
                    (line, c.author.clone())
                })
            })
            .take(shown)
            .unzip();
        CardRating {
            line,
            comments,
            authors,
        }
    }
}

/// "★ 4.3 · 3 reviews" in `t`'s language, or `None` below `min_count` ratings.
pub fn rating_line(t: &Texts, rating: &ProductRating, min_count: u32) -> Option<String> {
    if rating.count < min_count.max(1) {
        return None;
    }
    let tenths = average_tenths(u64::from(rating.sum), u64::from(rating.count))?;
    let average = format!(
        "{}{}{}",
        tenths / 10,
        t.get(Phrase::DecimalMark),
        tenths % 10
    );
    Some(if rating.count == 1 {
        t.fill(Phrase::RatingLineOne, &[("average", &average)])
    } else {
        t.fill(
            Phrase::RatingLine,
            &[("average", &average), ("count", &rating.count.to_string())],
        )
    })
}

/// `n` of five stars: `★★★★☆`.
pub fn stars(n: u8) -> String {
    let n = usize::from(n.min(5));
    format!("{}{}", "★".repeat(n), "☆".repeat(5 - n))
}

/// A customer's comment as a card shows it: on one line (any run of spaces,
/// line breaks and control characters is one space), without the invisible
/// characters that could turn or hide the text around it (direction
/// overrides, embeddings, isolates and marks; zero-width spaces; byte order
/// marks), at most [`COMMENT_CHARS`] characters. Joiners stay: emoji and
/// scripts need them. Markup stays as written: it is text, escaped by each
/// channel.
pub fn clean_comment(text: &str) -> String {
    let mut out = String::new();
    let mut gap = false;
    for c in text.chars() {
        if c.is_whitespace() || c.is_control() {
            gap = !out.is_empty();
        } else if !invisible(c) {
            if gap {
                out.push(' ');
                gap = false;
            }
            out.push(c);
        }
    }
    if out.chars().count() <= COMMENT_CHARS {
        return out;
    }
    let mut clipped: String = out.chars().take(COMMENT_CHARS - 1).collect();
    while clipped.ends_with([' ', '\u{200C}', '\u{200D}']) {
        clipped.pop();
    }
    clipped.push('…');
    clipped
}

/// Format characters that change the direction of, or hide, the text around them.
fn invisible(c: char) -> bool {
    matches!(
        c,
        '\u{061C}'
            | '\u{200B}'
            | '\u{200E}'
            | '\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206F}'
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::channel::Channel;
    use crate::store::ReviewComment;

    fn rated(count: u32, sum: u32) -> ProductRating {
        ProductRating {
            count,
            sum,
            comments: vec![ReviewComment {
                stars: 4,
                text: "x".into(),
                author: ChatKey::new(Channel::Terminal, "a"),
            }],
        }
    }

    #[test]
    fn the_line_has_one_decimal_rounded_half_up_in_the_language() {
        let en = Texts::new("en", None);
        let es = Texts::new("es", None);
        let ro = Texts::new("ro", None);
        assert_eq!(
            rating_line(&en, &rated(3, 13), 3).as_deref(),
            Some("★ 4.3 · 3 reviews")
        );
        assert_eq!(
            rating_line(&es, &rated(12, 56), 3).as_deref(),
            Some("★ 4,7 · 12 opiniones")
        );
        assert_eq!(
            rating_line(&ro, &rated(4, 17), 3).as_deref(),
            Some("★ 4,3 · recenzii: 4")
        );
        assert_eq!(
            rating_line(&en, &rated(1, 5), 1).as_deref(),
            Some("★ 5.0 · 1 review")
        );
        assert_eq!(rating_line(&en, &rated(2, 10), 3), None);
        assert_eq!(rating_line(&en, &rated(0, 0), 0), None);
    }

    #[test]
    fn comments_lose_invisible_controls_and_line_breaks_not_their_words() {
        assert_eq!(
            clean_comment("  Great\n\n castle!\t\u{7}ok  "),
            "Great castle! ok"
        );
        assert_eq!(clean_comment("\u{202E}tfig taerg"), "tfig taerg");
        assert_eq!(
            clean_comment("a\u{200B}b\u{FEFF}c\u{2066}d\u{2069}"),
            "abcd"
        );
        assert_eq!(clean_comment("\u{200B}\u{200B}\n"), "");
        // Hebrew and Arabic stay as written; an emoji family keeps its joiners.
        assert_eq!(clean_comment("מצוין جميل"), "מצוין جميل");
        assert_eq!(
            clean_comment("👨\u{200D}👩\u{200D}👧"),
            "👨\u{200D}👩\u{200D}👧"
        );
        assert_eq!(
            clean_comment("<b>x</b> *bold* [x](http://evil)"),
            "<b>x</b> *bold* [x](http://evil)"
        );
        let long = "é".repeat(500);
        let clipped = clean_comment(&long);
        assert_eq!(clipped.chars().count(), COMMENT_CHARS);
        assert!(clipped.ends_with("é…"));
        assert_eq!(stars(4), "★★★★☆");
        assert_eq!(stars(1), "★☆☆☆☆");
    }
}
