//! `[reviews]`: the rating line's threshold and the comments shown.

use super::Check;
use crate::shop::model::{MAX_SHOWN_COMMENTS, ShopFile};

impl Check<'_> {
    pub(super) fn reviews(&mut self, file: &ShopFile) {
        let r = &file.reviews;
        if r.min_count == 0 {
            self.err(
                "reviews.min_count",
                "is 0",
                "use at least 1 (an average needs a rating), e.g. `3`",
            );
        }
        if r.show_comments > MAX_SHOWN_COMMENTS {
            self.err(
                "reviews.show_comments",
                &format!("{} is out of range", r.show_comments),
                &format!("use a number from 0 (no comments) to {MAX_SHOWN_COMMENTS}"),
            );
        }
    }
}
