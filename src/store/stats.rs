//! The shop's figures over a period: the funnel per channel (from the journey
//! events, which hold no personal data) and per source (`sources.rs`), orders
//! and revenue per day, best
//! sellers, the questions the bot did not understand, the owners' answer time.

use std::collections::BTreeMap;

use jiff::{Timestamp, ToSpan, tz::TimeZone};
use rusqlite::{Connection, params};
use serde::Serialize;

use super::{OrderStatus, Result, Store, Tx};
use crate::channel::ChatKey;
use crate::shop::Money;

/// How far customers got, step by step.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Funnel {
    pub conversations: u64,
    pub finder_started: u64,
    pub finder_completed: u64,
    pub carts: u64,
    pub checkouts: u64,
    pub orders: u64,
    pub escalations: u64,
}

impl Funnel {
    pub(super) fn add(&mut self, step: &str, n: u64) {
        match step {
            "conversation" => self.conversations += n,
            "finder_started" => self.finder_started += n,
            "finder_completed" => self.finder_completed += n,
            "cart" => self.carts += n,
            "checkout_started" => self.checkouts += n,
            "order" => self.orders += n,
            "escalation" => self.escalations += n,
            _ => {}
        }
    }

    /// Orders per conversation, in percent.
    #[allow(clippy::cast_precision_loss)] // counts far below 2^52
    pub fn conversion(&self) -> f64 {
        if self.conversations == 0 {
            0.0
        } else {
            self.orders as f64 * 100.0 / self.conversations as f64
        }
    }

    /// The funnel's steps with their names, in order.
    pub fn steps(&self) -> [(&'static str, u64); 6] {
        [
            ("Conversations", self.conversations),
            ("Finder started", self.finder_started),
            ("Finder completed", self.finder_completed),
            ("Carts", self.carts),
            ("Checkouts started", self.checkouts),
            ("Orders", self.orders),
        ]
    }
}

/// One channel's figures (or all channels together, as channel `all`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ChannelFigures {
    pub channel: String,
    pub funnel: Funnel,
    /// Orders placed in the period and not cancelled.
    pub orders: u64,
    pub revenue: Money,
}

/// Orders and revenue of one day (the shop's calendar), per channel.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DayFigures {
    /// `YYYY-MM-DD`.
    pub date: String,
    pub orders: BTreeMap<String, u64>,
    pub revenue: BTreeMap<String, Money>,
}

impl DayFigures {
    pub fn total_orders(&self) -> u64 {
        self.orders.values().sum()
    }

    pub fn total_revenue(&self) -> Money {
        self.revenue.values().copied().sum()
    }
}

/// A product by units sold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Seller {
    pub product_id: String,
    pub name: String,
    pub units: u64,
    pub revenue: Money,
}

/// Everything `shopbot stats`, `/stats` and the report show.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stats {
    /// The period: unix seconds, `since` included, `until` excluded.
    pub since: i64,
    pub until: i64,
    pub days: u32,
    pub currency: String,
    /// Per channel, in name order.
    pub channels: Vec<ChannelFigures>,
    /// All channels together.
    pub total: ChannelFigures,
    /// Every day of the period, oldest first (days without orders included).
    pub per_day: Vec<DayFigures>,
    /// Up to 10, most units first.
    pub best_sellers: Vec<Seller>,
    /// Up to 10 questions the bot did not understand, most frequent first.
    pub unanswered: Vec<(String, u64)>,
    /// Who asked those questions: a message quoting them is about these customers
    /// (erased with any of them).
    #[serde(skip)]
    pub askers: Vec<ChatKey>,
    /// Tickets the owners answered in the period, and the median time to the first answer.
    pub answered_tickets: u64,
    pub median_answer_secs: Option<i64>,
    /// The stars customers gave in the period (see `satisfaction.rs`).
    pub satisfaction: super::Satisfaction,
    /// Per deep link's source tag, then the customers without a link; empty
    /// when no link brought anyone in the period.
    pub sources: Vec<super::SourceFigures>,
}

impl Store {
    /// The figures of the last `days` days up to `now`, days cut at midnight in `tz`.
    pub fn stats(&self, days: u32, now: Timestamp, tz: &TimeZone, currency: &str) -> Result<Stats> {
        self.read(|conn| compute(conn, days, now, tz, currency))
    }
}

impl Tx<'_> {
    /// [`Store::stats`] inside a transaction (the owner's `/stats`).
    pub fn stats(&self, days: u32, now: Timestamp, tz: &TimeZone, currency: &str) -> Result<Stats> {
        compute(&self.tx, days, now, tz, currency)
    }
}

fn compute(
    conn: &Connection,
    days: u32,
    now: Timestamp,
    tz: &TimeZone,
    currency: &str,
) -> Result<Stats> {
    let days = days.max(1);
    let today = now.to_zoned(tz.clone()).date();
    let first = today
        .checked_sub(i64::from(days - 1).days())
        .unwrap_or(today);
    let since = first
        .to_zoned(tz.clone())
        .map_or(now.as_second(), |z| z.timestamp().as_second());
    let until = now.as_second() + 1;

    let mut channels: BTreeMap<String, ChannelFigures> = BTreeMap::new();
    let mut stmt = conn.prepare_cached(
        "SELECT channel, step, COUNT(*) FROM events WHERE at >= ?1 AND at < ?2
         GROUP BY channel, step",
    )?;
    let rows = stmt
        .query_map(params![since, until], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    for (channel, step, n) in rows {
        channel_entry(&mut channels, &channel)
            .funnel
            .add(&step, u64::try_from(n).unwrap_or(0));
    }

    let mut per_day: Vec<DayFigures> = (0..days)
        .filter_map(|i| first.checked_add(i64::from(i).days()).ok())
        .map(|d| DayFigures {
            date: d.to_string(),
            ..DayFigures::default()
        })
        .collect();
    let mut stmt = conn.prepare_cached(
        "SELECT channel, total, created_at FROM orders
         WHERE created_at >= ?1 AND created_at < ?2 AND status <> ?3",
    )?;
    let orders = stmt
        .query_map(params![since, until, OrderStatus::Cancelled], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, Money>(1)?,
                r.get::<_, i64>(2)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    for (channel, total, at) in orders {
        let entry = channel_entry(&mut channels, &channel);
        entry.orders += 1;
        entry.revenue += total;
        let date = Timestamp::from_second(at)
            .map(|t| t.to_zoned(tz.clone()).date().to_string())
            .unwrap_or_default();
        if let Some(day) = per_day.iter_mut().find(|d| d.date == date) {
            *day.orders.entry(channel.clone()).or_insert(0) += 1;
            *day.revenue.entry(channel).or_default() += total;
        }
    }

    let mut total = ChannelFigures {
        channel: "all".to_owned(),
        ..ChannelFigures::default()
    };
    for c in channels.values() {
        let (f, t) = (&c.funnel, &mut total.funnel);
        t.conversations += f.conversations;
        t.finder_started += f.finder_started;
        t.finder_completed += f.finder_completed;
        t.carts += f.carts;
        t.checkouts += f.checkouts;
        t.orders += f.orders;
        t.escalations += f.escalations;
        total.orders += c.orders;
        total.revenue += c.revenue;
    }

    let best_sellers = best_sellers(conn, since, until)?;
    let unanswered = unanswered(conn, since, until)?;
    let askers = askers(conn, since, until)?;
    let waits = answer_waits(conn, since, until)?;
    let median_answer_secs = median(&waits);
    let satisfaction = super::satisfaction::satisfaction(conn, since, until, first, today, tz)?;

    Ok(Stats {
        since,
        until,
        days,
        currency: currency.to_owned(),
        channels: channels.into_values().collect(),
        total,
        per_day,
        best_sellers,
        unanswered,
        askers,
        answered_tickets: waits.len() as u64,
        median_answer_secs,
        satisfaction,
        sources: super::sources::per_source(conn, since, until)?,
    })
}

fn best_sellers(conn: &Connection, since: i64, until: i64) -> Result<Vec<Seller>> {
    let mut stmt = conn.prepare_cached(
        "SELECT i.product_id, MAX(i.name), SUM(i.qty), SUM(i.qty * i.unit_price)
         FROM order_items i JOIN orders o ON o.id = i.order_id
         WHERE o.created_at >= ?1 AND o.created_at < ?2 AND o.status <> ?3
         GROUP BY i.product_id ORDER BY SUM(i.qty) DESC, i.product_id LIMIT 10",
    )?;
    let rows = stmt
        .query_map(params![since, until, OrderStatus::Cancelled], |r| {
            Ok(Seller {
                product_id: r.get(0)?,
                name: r.get(1)?,
                units: u64::try_from(r.get::<_, i64>(2)?).unwrap_or(0),
                revenue: r.get(3)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

fn unanswered(conn: &Connection, since: i64, until: i64) -> Result<Vec<(String, u64)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT lower(trim(text)), COUNT(*) FROM unanswered
         WHERE created_at >= ?1 AND created_at < ?2
         GROUP BY lower(trim(text)) ORDER BY COUNT(*) DESC, lower(trim(text)) LIMIT 10",
    )?;
    let rows = stmt
        .query_map(params![since, until], |r| {
            Ok((r.get(0)?, u64::try_from(r.get::<_, i64>(1)?).unwrap_or(0)))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// The customers who asked the questions [`unanswered`] lists.
fn askers(conn: &Connection, since: i64, until: i64) -> Result<Vec<ChatKey>> {
    let mut stmt = conn.prepare_cached(
        "WITH listed AS (
             SELECT lower(trim(text)) AS question FROM unanswered
             WHERE created_at >= ?1 AND created_at < ?2
             GROUP BY question ORDER BY COUNT(*) DESC, question LIMIT 10)
         SELECT DISTINCT channel, chat_id FROM unanswered
         WHERE created_at >= ?1 AND created_at < ?2 AND chat_id IS NOT NULL
           AND lower(trim(text)) IN (SELECT question FROM listed)
         ORDER BY channel, chat_id",
    )?;
    let rows = stmt
        .query_map(params![since, until], |r| {
            Ok(ChatKey::new(r.get(0)?, r.get::<_, String>(1)?))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// Seconds from each ticket's opening to its first answer, sorted.
fn answer_waits(conn: &Connection, since: i64, until: i64) -> Result<Vec<i64>> {
    let mut stmt = conn.prepare_cached(
        "SELECT first_answer_at - opened_at FROM tickets
         WHERE first_answer_at IS NOT NULL AND opened_at >= ?1 AND opened_at < ?2
         ORDER BY 1",
    )?;
    let rows = stmt
        .query_map(params![since, until], |r| r.get::<_, i64>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

fn channel_entry<'a>(
    channels: &'a mut BTreeMap<String, ChannelFigures>,
    channel: &str,
) -> &'a mut ChannelFigures {
    channels
        .entry(channel.to_owned())
        .or_insert_with(|| ChannelFigures {
            channel: channel.to_owned(),
            ..ChannelFigures::default()
        })
}

/// The median of sorted values (the mean of the two middle ones for an even count).
fn median(sorted: &[i64]) -> Option<i64> {
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2]),
        _ => Some(i64::midpoint(sorted[n / 2 - 1], sorted[n / 2])),
    }
}

#[cfg(test)]
mod tests {
    use super::median;

    #[test]
    fn medians() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[5]), Some(5));
        assert_eq!(median(&[1, 3, 10]), Some(3));
        assert_eq!(median(&[1, 3, 10, 20]), Some(6));
    }
}
