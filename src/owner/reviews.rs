//! `/hide-review N` and `/unhide-review N`: an order's feedback comment kept
//! off product cards, or shown again. Its stars still count in the ratings.

use super::{OwnerEffect, OwnerTurn};
use crate::shop::{OwnerPhrase as P, OwnerTexts, Shop};
use crate::store::Review;

/// Hides (or shows again) the comment of order `number`, whose feedback is
/// `review`; an order without a comment says so and changes nothing.
pub(super) fn hide_review(
    t: &OwnerTexts,
    number: &str,
    review: Option<&Review>,
    hidden: bool,
) -> OwnerTurn {
    let n = [("number", number)];
    let has_comment = review
        .and_then(|r| r.comment.as_deref())
        .is_some_and(|c| !c.trim().is_empty());
    if !has_comment {
        return OwnerTurn::say(t.fill(P::ReviewNone, &n));
    }
    let said = if hidden {
        P::ReviewHidden
    } else {
        P::ReviewShown
    };
    OwnerTurn {
        effects: vec![OwnerEffect::HideReview {
            number: number.to_owned(),
            hidden,
        }],
        ..OwnerTurn::say(t.fill(said, &n))
    }
}

/// The line under a comment's notice: how to keep it off the cards (only
/// when the cards show comments).
pub(super) fn hide_hint(shop: &Shop, number: &str) -> Option<String> {
    (shop.file.reviews.show_comments > 0).then(|| {
        shop.owner_texts()
            .fill(P::FeedbackHideHint, &[("number", number)])
    })
}
