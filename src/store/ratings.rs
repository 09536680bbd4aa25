//! `product_ratings`: what the customers' stars say about each product, kept
//! up to date in the transaction that stores the stars, so that a card reads
//! one product's figures and never adds up all the feedback.
//!
//! A rating belongs to an order ("how was order #1001?"); it counts once for
//! each distinct product in that order (two castles and a car: the castle and
//! the car get one rating each). Rating an order again replaces its stars.
//! The comments a card shows are the latest visible ones of orders holding the
//! product: not hidden by an owner (`/hide-review`), not erased by `/forget`.

use std::collections::BTreeMap;

use rusqlite::{Connection, OptionalExtension, params};

use super::{Result, Store, Tx};
use crate::channel::ChatKey;

/// Longest comment kept in memory for cards (characters); cards clip shorter.
const KEPT_CHARS: i64 = 1000;

/// A customer's comment as cards may show it: their stars and their words,
/// never their name. `author` is for erasure only: a message showing the
/// comment quotes them (see `outbox_about`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewComment {
    pub stars: u8,
    pub text: String,
    pub author: ChatKey,
}

/// One product's rating: how many orders rated it, their stars added up,
/// and its latest visible comments, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProductRating {
    pub count: u32,
    pub sum: u32,
    pub comments: Vec<ReviewComment>,
}

/// Every product's rating, as the engine keeps it in memory for cards.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ratings(pub BTreeMap<String, ProductRating>);

static NO_RATINGS: Ratings = Ratings(BTreeMap::new());

impl Ratings {
    /// No product rated (a conversation run without a store).
    pub fn none() -> &'static Self {
        &NO_RATINGS
    }

    pub fn get(&self, product: &str) -> Option<&ProductRating> {
        self.0.get(product)
    }
}

/// An order's feedback as an owner manages it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Review {
    pub stars: u8,
    pub comment: Option<String>,
    /// Hidden from cards by an owner (`/hide-review`); the stars still count.
    pub hidden: bool,
}

impl Store {
    /// Every product's rating, with up to `comments` latest comments each.
    pub fn ratings(&self, comments: usize) -> Result<Ratings> {
        self.read(|conn| load_all(conn, comments))
    }
}

impl Tx<'_> {
    /// [`Store::ratings`] inside a transaction.
    pub fn ratings(&self, comments: usize) -> Result<Ratings> {
        load_all(&self.tx, comments)
    }

    /// The distinct products of an order.
    pub fn products_of_order(&self, order: &str) -> Result<Vec<String>> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT DISTINCT i.product_id FROM order_items i JOIN orders o ON o.id = i.order_id
             WHERE o.number = ?1 ORDER BY i.product_id",
        )?;
        let rows = stmt
            .query_map([order], |r| r.get(0))?
            .collect::<rusqlite::Result<Vec<String>>>()?;
        Ok(rows)
    }

    /// One product's rating, with up to `comments` latest comments.
    pub fn product_rating(&self, product: &str, comments: usize) -> Result<ProductRating> {
        let figures: Option<(u32, u32)> = self
            .tx
            .prepare_cached("SELECT ratings, stars FROM product_ratings WHERE product_id = ?1")?
            .query_row([product], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        let (count, sum) = figures.unwrap_or((0, 0));
        let mut stmt = self.tx.prepare_cached(
            "SELECT f.stars, substr(f.comment, 1, ?3), o.channel, o.chat_id FROM feedback f
             JOIN orders o ON o.number = f.order_number
             WHERE o.id IN (SELECT order_id FROM order_items WHERE product_id = ?1)
               AND f.comment IS NOT NULL AND trim(f.comment) <> '' AND f.hidden = 0
             ORDER BY f.at DESC, o.id DESC LIMIT ?2",
        )?;
        let comments = stmt
            .query_map(params![product, limit(comments), KEPT_CHARS], |r| {
                Ok(ReviewComment {
                    stars: r.get(0)?,
                    text: r.get(1)?,
                    author: ChatKey::new(r.get(2)?, r.get::<_, String>(3)?),
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(ProductRating {
            count,
            sum,
            comments,
        })
    }

    /// Moves each product of `order` from its old stars (`None`: not rated
    /// before) to `stars`: a new rating counts once, a changed one replaces.
    pub(super) fn rerate(&self, order: &str, old: Option<u8>, stars: u8) -> Result<()> {
        let products = "SELECT DISTINCT i.product_id FROM order_items i
             JOIN orders o ON o.id = i.order_id WHERE o.number = ?1";
        match old {
            Some(old) => self
                .tx
                .prepare_cached(&format!(
                    "UPDATE product_ratings SET stars = stars + ?2 - ?3
                     WHERE product_id IN ({products})"
                ))?
                .execute(params![order, stars, old])?,
            None => self
                .tx
                .prepare_cached(&format!(
                    "INSERT INTO product_ratings (product_id, ratings, stars)
                     SELECT product_id, 1, ?2 FROM ({products}) WHERE true
                     ON CONFLICT (product_id) DO UPDATE SET
                     ratings = ratings + 1, stars = stars + excluded.stars"
                ))?
                .execute(params![order, stars])?,
        };
        Ok(())
    }

    /// An order's feedback with its hidden flag.
    pub fn review(&self, order: &str) -> Result<Option<Review>> {
        Ok(self
            .tx
            .prepare_cached("SELECT stars, comment, hidden FROM feedback WHERE order_number = ?1")?
            .query_row([order], |r| {
                Ok(Review {
                    stars: r.get(0)?,
                    comment: r.get(1)?,
                    hidden: r.get(2)?,
                })
            })
            .optional()?)
    }

    /// Hides an order's comment from cards, or shows it again; false when the
    /// order has no feedback.
    pub fn set_review_hidden(&self, order: &str, hidden: bool) -> Result<bool> {
        let changed = self
            .tx
            .prepare_cached("UPDATE feedback SET hidden = ?2 WHERE order_number = ?1")?
            .execute(params![order, hidden])?;
        Ok(changed == 1)
    }
}

fn limit(comments: usize) -> i64 {
    i64::try_from(comments).unwrap_or(i64::MAX)
}

/// Every product's figures, then each one's latest visible comments in one pass.
fn load_all(conn: &Connection, comments: usize) -> Result<Ratings> {
    let mut ratings = BTreeMap::new();
    let mut stmt = conn.prepare_cached("SELECT product_id, ratings, stars FROM product_ratings")?;
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                ProductRating {
                    count: r.get(1)?,
                    sum: r.get(2)?,
                    comments: Vec::new(),
                },
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    ratings.extend(rows);
    if comments > 0 {
        let mut stmt = conn.prepare_cached(
            "SELECT product_id, stars, text, channel, chat_id FROM (
                 SELECT i.product_id, f.stars, substr(f.comment, 1, ?2) AS text,
                        o.channel, o.chat_id,
                        ROW_NUMBER() OVER (PARTITION BY i.product_id
                                           ORDER BY f.at DESC, o.id DESC) AS n
                 FROM feedback f
                 JOIN orders o ON o.number = f.order_number
                 JOIN (SELECT DISTINCT order_id, product_id FROM order_items) i
                   ON i.order_id = o.id
                 WHERE f.comment IS NOT NULL AND trim(f.comment) <> '' AND f.hidden = 0)
             WHERE n <= ?1 ORDER BY product_id, n",
        )?;
        let rows = stmt
            .query_map(params![limit(comments), KEPT_CHARS], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    ReviewComment {
                        stars: r.get(1)?,
                        text: r.get(2)?,
                        author: ChatKey::new(r.get(3)?, r.get::<_, String>(4)?),
                    },
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        for (product, comment) in rows {
            ratings
                .entry(product)
                .or_insert_with(ProductRating::default)
                .comments
                .push(comment);
        }
    }
    Ok(Ratings(ratings))
}

/// The average of `sum` over `count` ratings in tenths of a star, rounded half
/// up (13 stars over 3 ratings: 4.333… → 43; 17 over 4: 4.25 → 43); `None`
/// without ratings. Integers only: no binary fraction decides a rounding.
pub fn average_tenths(sum: u64, count: u64) -> Option<u64> {
    (count > 0).then(|| (20 * sum + count) / (2 * count))
}

#[cfg(test)]
mod tests {
    use super::average_tenths;

    #[test]
    fn averages_round_half_up_in_tenths() {
        assert_eq!(average_tenths(13, 3), Some(43));
        assert_eq!(average_tenths(17, 4), Some(43));
        assert_eq!(average_tenths(9, 2), Some(45));
        assert_eq!(average_tenths(14, 3), Some(47));
        assert_eq!(average_tenths(49, 10), Some(49));
        assert_eq!(average_tenths(5, 1), Some(50));
        assert_eq!(average_tenths(1, 1), Some(10));
        assert_eq!(average_tenths(0, 0), None);
        // 4.05 exactly: up to 4.1, where f64 formatting would say 4.0.
        assert_eq!(average_tenths(81, 20), Some(41));
    }
}
