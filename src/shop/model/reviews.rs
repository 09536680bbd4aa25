//! `[reviews]`: the customers' stars and comments on product cards.

use serde::Deserialize;

/// `[reviews]`: how product cards show the ratings customers gave after
/// delivery (`[followups] feedback_after_hours` asks for them).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reviews {
    /// A product shows its rating ("★ 4.7 · 12 reviews") from this many
    /// ratings on; below it, no rating line (default 3).
    #[serde(default = "default_min_count")]
    pub min_count: u32,
    /// How many of the latest comments the product's details show, 0–10
    /// (default 3; 0: none).
    #[serde(default = "default_show_comments")]
    pub show_comments: u32,
}

/// The largest `show_comments`.
pub const MAX_SHOWN_COMMENTS: u32 = 10;

impl Default for Reviews {
    fn default() -> Self {
        Self {
            min_count: default_min_count(),
            show_comments: default_show_comments(),
        }
    }
}

fn default_min_count() -> u32 {
    3
}

fn default_show_comments() -> u32 {
    3
}
