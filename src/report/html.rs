//! The figures as one HTML page with SVG charts drawn here: no JavaScript, no
//! network needed to view it. The page is `templates/report.html`; this module
//! turns [`Stats`] into the rows and chart geometry it writes out, and askama
//! escapes every text on the way (shop names, product names and the customers'
//! questions are anyone's input).

mod days;
mod funnel;
mod svg;

use std::collections::BTreeSet;

use askama::Template;

use self::days::{Measure, day_chart};
use self::funnel::funnel_charts;
use self::svg::{Chart, colour, f};
use super::{duration, money};
use crate::shop::Shop;
use crate::store::{ChannelFigures, Stats};

/// Errors of rendering the report.
#[derive(Debug, thiserror::Error)]
#[error("cannot render the report: {0}")]
pub struct ReportError(#[from] askama::Error);

/// The width of the per-day charts' `viewBox`; the page scales it to the screen.
const WIDTH: u32 = 640;
/// The width of each funnel chart's `viewBox`: narrow enough for a phone.
const FUNNEL_WIDTH: u32 = 360;

/// The funnel's steps: the `data-step` marker and the label.
const STEPS: [(&str, &str); 6] = [
    ("conversations", "Conversations"),
    ("finder_started", "Finder started"),
    ("finder_completed", "Finder completed"),
    ("carts", "Carts"),
    ("checkouts", "Checkouts started"),
    ("orders", "Orders"),
];

struct ChannelRow {
    name: String,
    colour: &'static str,
    conversations: u64,
    finder_started: u64,
    finder_completed: u64,
    carts: u64,
    checkouts: u64,
    orders: u64,
    /// Orders in the period not cancelled, when that differs from `orders`.
    kept: Option<u64>,
    conversion: String,
    revenue: String,
    escalations: u64,
}

struct Swatch {
    name: String,
    colour: &'static str,
}

struct Kpi {
    label: &'static str,
    value: String,
}

struct SellerRow {
    rank: usize,
    name: String,
    units: u64,
    revenue: String,
}

struct QuestionRow {
    text: String,
    count: u64,
}

#[derive(Template)]
#[template(path = "report.html")]
struct Page<'a> {
    lang: &'a str,
    shop_name: &'a str,
    first_day: String,
    last_day: String,
    days: u32,
    time_zone: &'a str,
    as_of: String,
    kpis: Vec<Kpi>,
    channels: Vec<ChannelRow>,
    total: Option<ChannelRow>,
    legend: Vec<Swatch>,
    funnel: Vec<Chart>,
    orders: Chart,
    revenue: Chart,
    sellers: Vec<SellerRow>,
    questions: Vec<QuestionRow>,
    answered_tickets: u64,
    median_answer: Option<String>,
}

/// The report page.
pub fn html(shop: &Shop, stats: &Stats) -> Result<String, ReportError> {
    let names = channel_names(stats);
    let colour_of = |name: &str| {
        let index = names.iter().position(|n| n == name).unwrap_or(0);
        colour(name, index)
    };
    let row = |c: &ChannelFigures| ChannelRow {
        name: c.channel.clone(),
        colour: colour_of(&c.channel),
        conversations: c.funnel.conversations,
        finder_started: c.funnel.finder_started,
        finder_completed: c.funnel.finder_completed,
        carts: c.funnel.carts,
        checkouts: c.funnel.checkouts,
        orders: c.funnel.orders,
        kept: (c.orders != c.funnel.orders).then_some(c.orders),
        conversion: format!("{:.1} %", c.conversion()),
        revenue: money(shop, c.revenue),
        escalations: c.funnel.escalations,
    };
    let first_day = stats
        .per_day
        .first()
        .map_or_else(|| day_of(shop, stats.since), |d| d.date.clone());
    let last_day = stats
        .per_day
        .last()
        .map_or_else(|| day_of(shop, stats.until - 1), |d| d.date.clone());
    let as_of = jiff::Timestamp::from_second(stats.until - 1)
        .map(|t| {
            t.to_zoned(shop.time_zone.clone())
                .strftime("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_default();
    let kpis = vec![
        Kpi {
            label: "Conversations",
            value: stats.total.funnel.conversations.to_string(),
        },
        Kpi {
            label: "Orders kept",
            value: stats.total.orders.to_string(),
        },
        Kpi {
            label: "Revenue",
            value: money(shop, stats.total.revenue),
        },
        Kpi {
            label: "Conversion",
            value: format!("{:.1} %", stats.total.conversion()),
        },
    ];
    let page = Page {
        lang: shop.default_language(),
        shop_name: shop.name(),
        first_day,
        last_day,
        days: stats.days,
        time_zone: &shop.file.shop.time_zone,
        as_of,
        kpis,
        channels: stats.channels.iter().map(row).collect(),
        total: (stats.channels.len() != 1).then(|| row(&stats.total)),
        legend: names
            .iter()
            .map(|n| Swatch {
                name: n.clone(),
                colour: colour_of(n),
            })
            .collect(),
        funnel: funnel_charts(stats, &colour_of),
        orders: day_chart(shop, stats, &names, &colour_of, Measure::Orders),
        revenue: day_chart(shop, stats, &names, &colour_of, Measure::Revenue),
        sellers: stats
            .best_sellers
            .iter()
            .enumerate()
            .map(|(i, s)| SellerRow {
                rank: i + 1,
                name: s.name.clone(),
                units: s.units,
                revenue: money(shop, s.revenue),
            })
            .collect(),
        questions: stats
            .unanswered
            .iter()
            .map(|(text, count)| QuestionRow {
                text: text.clone(),
                count: *count,
            })
            .collect(),
        answered_tickets: stats.answered_tickets,
        median_answer: stats.median_answer_secs.map(duration),
    };
    Ok(page.render()?)
}

/// Every channel with figures, in name order (those with orders only included).
fn channel_names(stats: &Stats) -> Vec<String> {
    let mut names: BTreeSet<String> = stats.channels.iter().map(|c| c.channel.clone()).collect();
    for day in &stats.per_day {
        names.extend(day.orders.keys().cloned());
        names.extend(day.revenue.keys().cloned());
    }
    names.into_iter().collect()
}

/// The shop's calendar day of a unix time.
fn day_of(shop: &Shop, secs: i64) -> String {
    jiff::Timestamp::from_second(secs)
        .map(|t| t.to_zoned(shop.time_zone.clone()).date().to_string())
        .unwrap_or_default()
}

/// A date as a short axis label: `Nov 20`.
fn short_date(date: &str) -> String {
    date.parse::<jiff::civil::Date>()
        .map_or_else(|_| date.to_owned(), |d| d.strftime("%b %-d").to_string())
}

fn percent(n: u64, of: u64) -> String {
    if of == 0 {
        String::new()
    } else {
        format!("{:.0} %", f(to_i64(n)) * 100.0 / f(to_i64(of)))
    }
}

fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}
