//! The figures as one HTML page with SVG charts drawn here: no JavaScript, no
//! network needed to view it. The page is `templates/report.html`; this module
//! turns [`Stats`] into the rows and chart geometry it writes out, and askama
//! escapes every text on the way (shop names, product names and the customers'
//! questions are anyone's input).

mod days;
mod funnel;
mod pieces;
mod svg;

use std::collections::BTreeSet;

use askama::Template;

use self::days::{Measure, day_chart};
use self::funnel::funnel_charts;
use self::pieces::{Piece, pieces};
use self::svg::{Chart, colour, f};
use super::{duration, money};
use crate::shop::{Money, OwnerPhrase as P, OwnerTexts, Shop};

use crate::store::{ChannelFigures, Funnel, SourceFigures, Stats};

/// Errors of rendering the report.
#[derive(Debug, thiserror::Error)]
#[error("cannot render the report: {0}")]
pub struct ReportError(#[from] askama::Error);

/// The width of the per-day charts' `viewBox`; the page scales it to the screen.
const WIDTH: u32 = 640;
/// The width of each funnel chart's `viewBox`: narrow enough for a phone.
const FUNNEL_WIDTH: u32 = 360;

/// The funnel's steps: the `data-step` marker and the label.
const STEPS: [(&str, P); 6] = [
    ("conversations", P::StepConversations),
    ("finder_started", P::StepFinderStarted),
    ("finder_completed", P::StepFinderCompleted),
    ("carts", P::StepCarts),
    ("checkouts", P::StepCheckouts),
    ("orders", P::StepOrders),
];

struct ChannelRow {
    name: String,
    colour: &'static str,
    cells: FunnelCells,
}

/// One source's row (the tag of a deep link, or the customers without one).
struct SourceRow {
    /// The `data-source` marker: the tag, or empty for no link.
    key: String,
    name: String,
    cells: FunnelCells,
}

/// The figures of a channel's or a source's row, as shown.
struct FunnelCells {
    conversations: u64,
    finder_started: u64,
    finder_completed: u64,
    carts: u64,
    checkouts: u64,
    orders: u64,
    /// "(N kept)": orders in the period not cancelled, when that differs from `orders`.
    kept: Option<String>,
    conversion: String,
    revenue: String,
    escalations: u64,
}

impl FunnelCells {
    fn new(shop: &Shop, funnel: &Funnel, orders: u64, revenue: Money) -> Self {
        let t = shop.owner_texts();
        Self {
            conversations: funnel.conversations,
            finder_started: funnel.finder_started,
            finder_completed: funnel.finder_completed,
            carts: funnel.carts,
            checkouts: funnel.checkouts,
            orders: funnel.orders,
            kept: (orders != funnel.orders)
                .then(|| t.fill(P::Kept, &[("kept", &orders.to_string())])),
            conversion: format!("{} %", t.decimal(funnel.conversion(), 1)),
            revenue: money(shop, revenue),
            escalations: funnel.escalations,
        }
    }
}

struct Swatch {
    name: String,
    colour: &'static str,
}

struct Kpi {
    label: String,
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
    /// The owners' phrases: every label of the page.
    t: &'a OwnerTexts,
    lang: &'a str,
    shop_name: &'a str,
    title: String,
    period: Vec<Piece>,
    unanswered_note: Vec<Piece>,
    answered: Vec<Piece>,
    kpis: Vec<Kpi>,
    channels: Vec<ChannelRow>,
    total: Option<ChannelRow>,
    sources: Vec<SourceRow>,
    legend: Vec<Swatch>,
    funnel: Vec<Chart>,
    orders: Chart,
    revenue: Chart,
    sellers: Vec<SellerRow>,
    questions: Vec<QuestionRow>,
    satisfaction: super::satisfaction::View,
}

/// The report page.
pub fn html(shop: &Shop, stats: &Stats) -> Result<String, ReportError> {
    let t = shop.owner_texts();
    let names = channel_names(stats);
    let colour_of = |name: &str| {
        let index = names.iter().position(|n| n == name).unwrap_or(0);
        colour(name, index)
    };
    let row = |c: &ChannelFigures| ChannelRow {
        name: c.channel.clone(),
        colour: colour_of(&c.channel),
        cells: FunnelCells::new(shop, &c.funnel, c.orders, c.revenue),
    };
    let first_day = stats
        .per_day
        .first()
        .map_or_else(|| day_of(shop, stats.since), |d| d.date.clone());
    let last_day = stats
        .per_day
        .last()
        .map_or_else(|| day_of(shop, stats.until - 1), |d| d.date.clone());
    let kpis = kpis(shop, stats);
    let period = period(shop, stats, &first_day, &last_day);
    let answered = answered(shop, stats);
    let page = Page {
        t,
        lang: &t.lang,
        shop_name: shop.name(),
        title: t.fill(
            P::ReportTitle,
            &[
                ("shop", shop.name()),
                ("first", &first_day),
                ("last", &last_day),
            ],
        ),
        period,
        unanswered_note: pieces(
            t.get(P::UnansweredNote),
            &[("questions", "[[questions]]", "code")],
        ),
        answered,
        kpis,
        channels: stats.channels.iter().map(row).collect(),
        total: (stats.channels.len() != 1).then(|| row(&stats.total)),
        sources: stats.sources.iter().map(|s| source_row(shop, s)).collect(),
        legend: names
            .iter()
            .map(|n| Swatch {
                name: n.clone(),
                colour: colour_of(n),
            })
            .collect(),
        funnel: funnel_charts(t, stats, &colour_of),
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
        satisfaction: super::satisfaction::view(shop, &stats.satisfaction),
    };
    Ok(page.render()?)
}

fn source_row(shop: &Shop, s: &SourceFigures) -> SourceRow {
    SourceRow {
        key: s.source.clone().unwrap_or_default(),
        name: s
            .source
            .clone()
            .unwrap_or_else(|| shop.owner_texts().get(P::SourceNone).to_owned()),
        cells: FunnelCells::new(shop, &s.funnel, s.orders, s.revenue),
    }
}

/// "Figures for the last N days: FIRST to LAST (zone), as of …".
fn period(shop: &Shop, stats: &Stats, first_day: &str, last_day: &str) -> Vec<Piece> {
    let t = shop.owner_texts();
    let as_of = jiff::Timestamp::from_second(stats.until - 1)
        .map(|t| {
            t.to_zoned(shop.time_zone.clone())
                .strftime("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_default();
    let days = stats.days.to_string();
    let period = if stats.days == 1 {
        P::ReportPeriodOne
    } else {
        P::ReportPeriod
    };
    pieces(
        t.get(period),
        &[
            ("days", &days, ""),
            ("first", first_day, "time"),
            ("last", last_day, "time"),
            ("zone", &shop.file.shop.time_zone, ""),
            ("as_of", &as_of, ""),
        ],
    )
}

/// The figures in short, above the tables.
fn kpis(shop: &Shop, stats: &Stats) -> Vec<Kpi> {
    let t = shop.owner_texts();
    [
        (
            P::KpiConversations,
            stats.total.funnel.conversations.to_string(),
        ),
        (P::KpiOrdersKept, stats.total.orders.to_string()),
        (P::KpiRevenue, money(shop, stats.total.revenue)),
        (
            P::KpiConversion,
            format!("{} %", t.decimal(stats.total.funnel.conversion(), 1)),
        ),
    ]
    .into_iter()
    .map(|(label, value)| Kpi {
        label: t.get(label).to_owned(),
        value,
    })
    .collect()
}

/// "Tickets answered: N. Median time to the first answer: …", or none.
fn answered(shop: &Shop, stats: &Stats) -> Vec<Piece> {
    let t = shop.owner_texts();
    match stats.median_answer_secs {
        Some(secs) => pieces(
            t.get(P::Answered),
            &[
                ("count", &stats.answered_tickets.to_string(), "strong"),
                ("median", &duration(secs), "median"),
            ],
        ),
        None => pieces(t.get(P::AnsweredNone), &[]),
    }
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

/// A date as a short axis label: `Nov 20`, `20 nov`.
fn short_date(t: &OwnerTexts, date: &str) -> String {
    date.parse::<jiff::civil::Date>().map_or_else(
        |_| date.to_owned(),
        |d| {
            t.fill(
                P::ShortDate,
                &[("month", t.month(d.month())), ("day", &d.day().to_string())],
            )
        },
    )
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
