//! The products' ratings the engine keeps in memory for the cards, like the
//! live stock: read at the start, and after a turn that changed feedback
//! (stars given, a comment hidden or shown, a customer forgotten) read again
//! for the products concerned, inside that turn's transaction.

use super::Engine;
use crate::shop::Shop;
use crate::store::{Ratings, Result, Tx};

/// How many comments the cards keep per product (`[reviews] show_comments`).
pub(super) fn shown(shop: &Shop) -> usize {
    usize::try_from(shop.file.reviews.show_comments).unwrap_or(usize::MAX)
}

/// The ratings after a turn that changed the feedback of `orders`, or (`all`:
/// a customer was forgotten) of anyone; `None` when nothing changed.
pub(super) fn refreshed(
    tx: &Tx<'_>,
    shop: &Shop,
    before: &Ratings,
    orders: &[String],
    all: bool,
) -> Result<Option<Ratings>> {
    if all {
        return tx.ratings(shown(shop)).map(Some);
    }
    if orders.is_empty() {
        return Ok(None);
    }
    let mut after = before.clone();
    for order in orders {
        for product in tx.products_of_order(order)? {
            let rating = tx.product_rating(&product, shown(shop))?;
            after.0.insert(product, rating);
        }
    }
    Ok(Some(after))
}

impl Engine {
    /// Takes the ratings a turn read again, if any; inside a group, the ones
    /// before stay in its ledger until it commits.
    pub(super) fn swap_ratings(&mut self, fresh: Option<Ratings>) {
        if let Some(fresh) = fresh {
            let before = std::mem::replace(&mut self.ratings, fresh);
            if let Some(ledger) = &mut self.ledger {
                ledger.ratings_before.get_or_insert(before);
            }
        }
    }
}
