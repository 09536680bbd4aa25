//! The per-day charts: orders or revenue per day, stacked by channel.

use super::svg::{Bar, Chart, Label, Line, Num, f, fu, value_axis, whole};
use super::{WIDTH, short_date, to_i64};
use crate::report::money;
use crate::shop::{Money, OwnerPhrase as P, Shop};
use crate::store::{DayFigures, Stats};

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Measure {
    Orders,
    Revenue,
}

impl Measure {
    /// A channel's orders, or revenue in cents, on a day.
    fn value(self, day: &DayFigures, channel: &str) -> i64 {
        match self {
            Self::Orders => to_i64(day.orders.get(channel).copied().unwrap_or(0)),
            Self::Revenue => day.revenue.get(channel).map_or(0, |m| m.cents()),
        }
    }

    /// A value as the axis shows it: `3`, `€45.00`.
    fn amount(self, shop: &Shop, v: i64) -> String {
        match self {
            Self::Orders => v.to_string(),
            Self::Revenue => money(shop, Money::from_cents(v)),
        }
    }

    /// A value as a tooltip says it: `3 orders`, `€45.00`.
    fn say(self, shop: &Shop, v: i64) -> String {
        let t = shop.owner_texts();
        match self {
            Self::Orders if v == 1 => t.get(P::OneOrder).to_owned(),
            Self::Orders => t.fill(P::NOrders, &[("count", &v.to_string())]),
            Self::Revenue => money(shop, Money::from_cents(v)),
        }
    }

    fn id_and_title(self) -> (&'static str, P) {
        match self {
            Self::Orders => ("orders", P::OrdersChart),
            Self::Revenue => ("revenue", P::RevenueChart),
        }
    }
}

/// Orders or revenue per day, stacked by channel: every day of the period,
/// days without orders included; each day also has a transparent column whose
/// tooltip sums it up.
pub(super) fn day_chart(
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
        title: shop.owner_texts().get(title).to_owned(),
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
                text: short_date(shop.owner_texts(), &day.date),
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
