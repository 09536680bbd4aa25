//! Satisfaction in the figures: the stars customers gave in the period, per
//! product and per week (or month), briefly in `/stats` and `shopbot stats`
//! and as tables in the report page.

use std::fmt::Write as _;

use crate::shop::{OwnerPhrase as P, OwnerTexts, Shop};
use crate::store::{Satisfaction, Tally};

/// How many products `/stats` lists.
const TEXT_PRODUCTS: usize = 10;

/// One row of a satisfaction table: a product, or a week or month.
pub(super) struct Row {
    /// The product id, or the period's first day: the row's marker.
    pub key: String,
    pub label: String,
    pub average: String,
    pub count: u64,
    /// Ratings of 1 star … 5 stars.
    pub stars: [u64; 5],
}

/// The report's satisfaction tables.
pub(super) struct View {
    pub products: Vec<Row>,
    pub over_time: Vec<Row>,
    /// "Satisfaction per week" or "… per month".
    pub over_time_title: String,
    /// "Week from" or "Month".
    pub period_column: String,
}

/// The average as owners read it (`4,3`), or `—` without ratings.
pub(super) fn average(t: &OwnerTexts, tally: &Tally) -> String {
    tally.tenths().map_or_else(
        || "—".to_owned(),
        |tenths| {
            #[allow(clippy::cast_precision_loss)] // tenths of at most 5 stars
            let value = tenths as f64 / 10.0;
            t.decimal(value, 1)
        },
    )
}

pub(super) fn view(shop: &Shop, s: &Satisfaction) -> View {
    let t = shop.owner_texts();
    let row = |key: &str, label: String, tally: &Tally| Row {
        key: key.to_owned(),
        label,
        average: average(t, tally),
        count: tally.count,
        stars: tally.stars,
    };
    View {
        products: s
            .per_product
            .iter()
            .map(|p| {
                row(
                    &p.product_id,
                    product_name(shop, &p.product_id, &p.name),
                    &p.tally,
                )
            })
            .collect(),
        over_time: s
            .over_time
            .iter()
            .map(|w| {
                let label = if s.by_month {
                    w.start.get(..7).unwrap_or(&w.start).to_owned()
                } else {
                    w.start.clone()
                };
                row(&w.start, label, &w.tally)
            })
            .collect(),
        over_time_title: t
            .get(if s.by_month {
                P::ReportSatisfactionMonths
            } else {
                P::ReportSatisfactionWeeks
            })
            .to_owned(),
        period_column: t
            .get(if s.by_month { P::ColMonth } else { P::ColWeek })
            .to_owned(),
    }
}

/// The product's name in the shop file today, else as its orders named it.
fn product_name(shop: &Shop, id: &str, ordered_as: &str) -> String {
    shop.product(id)
        .map_or_else(|| ordered_as.to_owned(), |p| p.name.clone())
}

/// The satisfaction lines of `/stats` and `shopbot stats`.
pub(super) fn text(shop: &Shop, s: &Satisfaction) -> String {
    let t = shop.owner_texts();
    if s.total.count == 0 {
        return t.get(P::StatsSatisfactionNone).to_owned();
    }
    let [one, two, three, four, five] = s.total.stars.map(|n| n.to_string());
    let mut out = t.fill(
        P::StatsSatisfaction,
        &[
            ("average", &average(t, &s.total)),
            ("count", &s.total.count.to_string()),
            ("one", &one),
            ("two", &two),
            ("three", &three),
            ("four", &four),
            ("five", &five),
        ],
    );
    let _ = write!(out, "\n{}", t.get(P::StatsRatedProducts));
    for p in s.per_product.iter().take(TEXT_PRODUCTS) {
        let line = t.fill(
            P::StatsRatedProduct,
            &[
                ("name", &product_name(shop, &p.product_id, &p.name)),
                ("average", &average(t, &p.tally)),
                ("count", &p.tally.count.to_string()),
            ],
        );
        let _ = write!(out, "\n  {line}");
    }
    out
}
