//! The figures as one HTML page with SVG charts drawn here: no JavaScript, no
//! network needed to view it. The page is `templates/report.html`; this module
//! turns [`Stats`] into the rows and chart geometry it writes out, and askama
//! escapes every text on the way (shop names, product names and the customers'
//! questions are anyone's input).

mod svg;

use std::collections::BTreeSet;

use askama::Template;

use self::svg::{Bar, Chart, Label, Line, Num, colour, f, fu, value_axis, whole};
use super::{duration, money};
use crate::shop::{Money, Shop};
use crate::store::{ChannelFigures, DayFigures, Stats};

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

/// The funnel: a small chart of horizontal bars per channel (and one for all
/// channels together when there are several), each scaled to its largest step;
/// the page sets them side by side on wide screens, one under the other on phones.
fn funnel_charts(stats: &Stats, colour_of: &dyn Fn(&str) -> &'static str) -> Vec<Chart> {
    let mut groups: Vec<&ChannelFigures> = stats.channels.iter().collect();
    if stats.channels.len() != 1 {
        groups.push(&stats.total);
    }
    groups
        .into_iter()
        .enumerate()
        .map(|(i, group)| funnel_chart(i, group, colour_of(&group.channel)))
        .collect()
}

fn funnel_chart(index: usize, group: &ChannelFigures, fill: &'static str) -> Chart {
    const LABEL_W: f64 = 124.0;
    const BAR_X: f64 = 130.0;
    const ROW: f64 = 25.0;
    const BAR_H: f64 = 18.0;
    const TOP: f64 = 30.0;
    let max_w = f64::from(FUNNEL_WIDTH) - BAR_X - 66.0;

    let label = if group.channel == "all" {
        "All channels".to_owned()
    } else {
        group.channel.clone()
    };
    let mut chart = Chart {
        id: "funnel",
        key: format!("funnel-{index}"),
        title: format!("Funnel of {label}: how far customers got"),
        width: FUNNEL_WIDTH,
        height: whole(TOP + ROW * 6.0 + 4.0),
        lines: Vec::new(),
        labels: vec![Label {
            class: "group",
            x: Num(0.0),
            y: Num(18.0),
            anchor: "start",
            text: label.clone(),
        }],
        bars: Vec::new(),
    };
    let values = group.funnel.steps().map(|(_, n)| n);
    let max = values.iter().copied().max().unwrap_or(0);
    let conversations = group.funnel.conversations;
    chart.lines.push(Line {
        class: "axis",
        x1: Num(BAR_X),
        y1: Num(TOP - 3.0),
        x2: Num(BAR_X),
        y2: Num(TOP + ROW * 5.0 + BAR_H + 3.0),
    });
    let mut y = TOP;
    for ((step, name), value) in STEPS.iter().zip(values) {
        let width = if max == 0 {
            0.0
        } else {
            max_w * f(to_i64(value)) / f(to_i64(max))
        };
        let share = percent(value, conversations);
        let first = *step == "conversations" || share.is_empty();
        chart.labels.push(Label {
            class: "step",
            x: Num(LABEL_W),
            y: Num(y + 13.5),
            anchor: "end",
            text: (*name).to_owned(),
        });
        chart.bars.push(Bar {
            class: "bar",
            channel: group.channel.clone(),
            date: String::new(),
            step: (*step).to_owned(),
            value: to_i64(value),
            x: Num(BAR_X),
            y: Num(y),
            width: Num(width),
            height: Num(BAR_H),
            fill,
            tip: if first {
                format!("{label} · {name}: {value}")
            } else {
                format!("{label} · {name}: {value} ({share} of conversations)")
            },
        });
        chart.labels.push(Label {
            class: "value",
            x: Num(BAR_X + width + 5.0),
            y: Num(y + 13.5),
            anchor: "start",
            text: if first {
                value.to_string()
            } else {
                format!("{value} · {share}")
            },
        });
        y += ROW;
    }
    chart
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Measure {
    Orders,
    Revenue,
}

impl Measure {
    /// A channel's orders, or revenue in cents, on a day.
    fn value(self, day: &DayFigures, channel: &str) -> i64 {
        match self {
            Self::Orders => to_i64(day.orders.get(channel).copied().unwrap_or(0)),
            Self::Revenue => day.revenue.get(channel).map_or(0, |m| m.0),
        }
    }

    /// A value as the axis shows it: `3`, `€45.00`.
    fn amount(self, shop: &Shop, v: i64) -> String {
        match self {
            Self::Orders => v.to_string(),
            Self::Revenue => money(shop, Money(v)),
        }
    }

    /// A value as a tooltip says it: `3 orders`, `€45.00`.
    fn say(self, shop: &Shop, v: i64) -> String {
        match self {
            Self::Orders if v == 1 => "1 order".to_owned(),
            Self::Orders => format!("{v} orders"),
            Self::Revenue => money(shop, Money(v)),
        }
    }

    fn id_and_title(self) -> (&'static str, &'static str) {
        match self {
            Self::Orders => ("orders", "Orders per day, by channel"),
            Self::Revenue => ("revenue", "Revenue per day, by channel"),
        }
    }
}

/// Orders or revenue per day, stacked by channel: every day of the period,
/// days without orders included; each day also has a transparent column whose
/// tooltip sums it up.
fn day_chart(
    shop: &Shop,
    stats: &Stats,
    names: &[String],
    colour_of: &dyn Fn(&str) -> &'static str,
    measure: Measure,
) -> Chart {
    const LEFT: f64 = 76.0;
    const RIGHT: f64 = 12.0;
    const TOP: f64 = 18.0;
    const PLOT_H: f64 = 180.0;
    const BOTTOM: f64 = 30.0;
    let plot_w = f64::from(WIDTH) - LEFT - RIGHT;
    let base = TOP + PLOT_H;

    let value_of = |day: &DayFigures, channel: &str| measure.value(day, channel);
    let amount = |v: i64| measure.amount(shop, v);
    let say = |v: i64| measure.say(shop, v);
    let totals: Vec<i64> = stats
        .per_day
        .iter()
        .map(|d| names.iter().map(|n| value_of(d, n)).sum())
        .collect();
    let max = totals.iter().copied().max().unwrap_or(0);
    let (top, step) = value_axis(max, if measure == Measure::Orders { 1 } else { 100 });
    let y_of = |v: i64| base - PLOT_H * f(v) / f(top);

    let (id, title) = measure.id_and_title();
    let mut chart = Chart {
        id,
        key: id.to_owned(),
        title: title.to_owned(),
        width: WIDTH,
        height: whole(base + BOTTOM),
        lines: Vec::new(),
        labels: Vec::new(),
        bars: Vec::new(),
    };
    value_grid(
        &mut chart,
        (LEFT, LEFT + plot_w),
        (top, step),
        &y_of,
        &amount,
    );

    let days = stats.per_day.len().max(1);
    let band = plot_w / fu(days);
    let bar_w = (band * 0.72).min(48.0);
    // Date labels about every 60 units, the last day always labelled.
    let every = days.div_ceil(whole(plot_w / 60.0).max(1) as usize).max(1);
    let mut stacked = Vec::new();
    for (i, (day, total)) in stats.per_day.iter().zip(&totals).enumerate() {
        let x = LEFT + band * fu(i);
        let tip = day_tip(shop, measure, day, names, *total);
        chart.bars.push(Bar {
            class: "day",
            channel: String::new(),
            date: day.date.clone(),
            step: String::new(),
            value: *total,
            x: Num(x),
            y: Num(TOP),
            width: Num(band),
            height: Num(PLOT_H),
            fill: "transparent",
            tip,
        });
        let mut y = base;
        for name in names {
            let value = value_of(day, name);
            let height = PLOT_H * f(value) / f(top);
            y -= height;
            stacked.push(Bar {
                class: "bar",
                channel: name.clone(),
                date: day.date.clone(),
                step: String::new(),
                value,
                x: Num(x + (band - bar_w) / 2.0),
                y: Num(y),
                width: Num(bar_w),
                height: Num(height),
                fill: colour_of(name),
                tip: format!("{} · {name}: {}", day.date, say(value)),
            });
        }
        if measure == Measure::Orders && *total > 0 && band >= 16.0 {
            chart.labels.push(Label {
                class: "value",
                x: Num(x + band / 2.0),
                y: Num(y - 4.0),
                anchor: "middle",
                text: total.to_string(),
            });
        }
        if (days - 1 - i).is_multiple_of(every) {
            chart.labels.push(Label {
                class: "tick",
                x: Num(x + band / 2.0),
                y: Num(base + 18.0),
                anchor: "middle",
                text: short_date(&day.date),
            });
        }
    }
    chart.bars.extend(stacked);
    chart
}

/// The horizontal grid of a value axis from 0 to `top`, a line and a label every `step`.
fn value_grid(
    chart: &mut Chart,
    (left, right): (f64, f64),
    (top, step): (i64, i64),
    y_of: &dyn Fn(i64) -> f64,
    amount: &dyn Fn(i64) -> String,
) {
    let mut v = 0;
    while v <= top {
        chart.lines.push(Line {
            class: if v == 0 { "axis" } else { "grid" },
            x1: Num(left),
            y1: Num(y_of(v)),
            x2: Num(right),
            y2: Num(y_of(v)),
        });
        chart.labels.push(Label {
            class: "tick",
            x: Num(left - 6.0),
            y: Num(y_of(v) + 4.0),
            anchor: "end",
            text: amount(v),
        });
        v += step;
    }
}

/// A day column's tooltip: `2026-11-20: 3 orders (matrix 1, telegram 2)`.
fn day_tip(
    shop: &Shop,
    measure: Measure,
    day: &DayFigures,
    names: &[String],
    total: i64,
) -> String {
    let parts: Vec<String> = names
        .iter()
        .map(|n| (n, measure.value(day, n)))
        .filter(|(_, v)| *v != 0)
        .map(|(n, v)| format!("{n} {}", measure.amount(shop, v)))
        .collect();
    if parts.is_empty() {
        format!("{}: {}", day.date, measure.say(shop, total))
    } else {
        format!(
            "{}: {} ({})",
            day.date,
            measure.say(shop, total),
            parts.join(", ")
        )
    }
}
