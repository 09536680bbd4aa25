//! The customers' satisfaction over a period, for `/stats`, `shopbot stats`
//! and the report: the stars given in the period (by when they were given),
//! per product and per week (per month for periods over 92 days).
//!
//! Per product, a rated order counts once for each distinct product in it, as
//! on the cards; over time and in total, each rated order counts once. Stars
//! of a hidden comment count; so do the stars of a forgotten customer, whose
//! order stays anonymous.

use std::collections::BTreeMap;

use jiff::civil::Date;
use jiff::{Timestamp, ToSpan, tz::TimeZone};
use rusqlite::{Connection, params};
use serde::Serialize;

use super::Result;
use super::ratings::average_tenths;

/// Periods longer than this many days are shown per month, not per week.
pub const WEEKS_UP_TO_DAYS: u32 = 92;

/// Ratings counted: how many, their stars added up, and how many gave 1…5 stars.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    pub count: u64,
    pub sum: u64,
    /// `stars[0]`: ratings of 1 star … `stars[4]`: of 5 stars.
    pub stars: [u64; 5],
}

impl Tally {
    fn add(&mut self, stars: u8, n: u64) {
        if let Some(slot) = usize::from(stars)
            .checked_sub(1)
            .and_then(|i| self.stars.get_mut(i))
        {
            *slot += n;
            self.count += n;
            self.sum += u64::from(stars) * n;
        }
    }

    /// The average in tenths of a star, rounded half up.
    pub fn tenths(&self) -> Option<u64> {
        average_tenths(self.sum, self.count)
    }
}

/// One product's ratings in the period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProductSatisfaction {
    pub product_id: String,
    pub name: String,
    pub tally: Tally,
}

/// One week (from its Monday) or month of the period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SatisfactionPeriod {
    /// The first day: a Monday (`2026-11-23`) or the first of a month.
    pub start: String,
    pub tally: Tally,
}

/// The period's satisfaction.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Satisfaction {
    /// Each rated order once.
    pub total: Tally,
    /// Most ratings first, then by product id.
    pub per_product: Vec<ProductSatisfaction>,
    /// Every week (or month) of the period, oldest first, empty ones included.
    pub over_time: Vec<SatisfactionPeriod>,
    /// `over_time` is per month (a period over [`WEEKS_UP_TO_DAYS`]).
    pub by_month: bool,
}

/// The satisfaction of ratings given from `since` (the first day, `first`)
/// to `until` (excluded), days and weeks in `tz`.
pub(super) fn satisfaction(
    conn: &Connection,
    since: i64,
    until: i64,
    first: Date,
    last: Date,
    tz: &TimeZone,
) -> Result<Satisfaction> {
    let days = u32::try_from((last - first).get_days()).unwrap_or(0) + 1;
    let by_month = days > WEEKS_UP_TO_DAYS;
    let start_of = |d: Date| -> Date {
        if by_month {
            d.first_of_month()
        } else {
            let back = i64::from(d.weekday().to_monday_zero_offset());
            d.checked_sub(back.days()).unwrap_or(d)
        }
    };
    let mut buckets: BTreeMap<Date, Tally> = BTreeMap::new();
    let mut day = start_of(first);
    while day <= last {
        buckets.insert(day, Tally::default());
        let next = if by_month {
            day.checked_add(1.month())
        } else {
            day.checked_add(7.days())
        };
        match next {
            Ok(next) => day = next,
            Err(_) => break,
        }
    }
    let mut total = Tally::default();
    let mut stmt =
        conn.prepare_cached("SELECT stars, at FROM feedback WHERE at >= ?1 AND at < ?2")?;
    let rows = stmt
        .query_map(params![since, until], |r| {
            Ok((r.get::<_, u8>(0)?, r.get::<_, i64>(1)?))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    for (stars, at) in rows {
        total.add(stars, 1);
        if let Ok(ts) = Timestamp::from_second(at) {
            let date = ts.to_zoned(tz.clone()).date();
            buckets.entry(start_of(date)).or_default().add(stars, 1);
        }
    }
    let mut products: BTreeMap<String, ProductSatisfaction> = BTreeMap::new();
    let mut stmt = conn.prepare_cached(
        "SELECT i.product_id, MAX(i.name), f.stars, COUNT(*) FROM feedback f
         JOIN orders o ON o.number = f.order_number
         JOIN (SELECT order_id, product_id, MAX(name) AS name FROM order_items
               GROUP BY order_id, product_id) i ON i.order_id = o.id
         WHERE f.at >= ?1 AND f.at < ?2
         GROUP BY i.product_id, f.stars",
    )?;
    let rows = stmt
        .query_map(params![since, until], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, u8>(2)?,
                r.get::<_, i64>(3)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    for (id, name, stars, n) in rows {
        let entry = products
            .entry(id.clone())
            .or_insert_with(|| ProductSatisfaction {
                product_id: id,
                name: name.clone(),
                tally: Tally::default(),
            });
        entry.name = entry.name.clone().max(name);
        entry.tally.add(stars, u64::try_from(n).unwrap_or(0));
    }
    let mut per_product: Vec<ProductSatisfaction> = products.into_values().collect();
    per_product.sort_by(|a, b| {
        b.tally
            .count
            .cmp(&a.tally.count)
            .then_with(|| a.product_id.cmp(&b.product_id))
    });
    Ok(Satisfaction {
        total,
        per_product,
        over_time: buckets
            .into_iter()
            .map(|(start, tally)| SatisfactionPeriod {
                start: start.to_string(),
                tally,
            })
            .collect(),
        by_month,
    })
}
