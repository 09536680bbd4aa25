//! The report's charts as plain geometry: bars, lines and labels with their
//! coordinates, ready for `templates/report.html` to write out as SVG (the
//! template escapes every text). Nothing here knows HTML.

use std::fmt;

use crate::channel::Channel;

/// A coordinate, written with at most two decimals (`12`, `12.5`, `12.25`).
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct Num(pub f64);

impl fmt::Display for Num {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = format!("{:.2}", self.0);
        let text = text.trim_end_matches('0').trim_end_matches('.');
        f.write_str(if text == "-0" { "0" } else { text })
    }
}

/// One bar, with the markers tests and readers rely on.
#[derive(Debug, Clone)]
pub struct Bar {
    /// `bar` for a drawn bar; `day` for a day's whole (transparent) column.
    pub class: &'static str,
    /// The channel, `all` for all channels together, empty for a day column.
    pub channel: String,
    /// `YYYY-MM-DD` for the per-day charts, empty otherwise.
    pub date: String,
    /// The funnel step (`conversations`, …, `orders`), empty otherwise.
    pub step: String,
    /// A count, or an amount in cents for the revenue chart.
    pub value: i64,
    pub x: Num,
    pub y: Num,
    pub width: Num,
    pub height: Num,
    pub fill: &'static str,
    /// The tooltip (`<title>`).
    pub tip: String,
}

/// A straight line: an axis or a grid line.
#[derive(Debug, Clone)]
pub struct Line {
    /// `axis` or `grid`.
    pub class: &'static str,
    pub x1: Num,
    pub y1: Num,
    pub x2: Num,
    pub y2: Num,
}

/// A piece of text in the chart.
#[derive(Debug, Clone)]
pub struct Label {
    /// `tick`, `value`, `step`, `group` (CSS classes).
    pub class: &'static str,
    pub x: Num,
    pub y: Num,
    /// `start`, `middle` or `end`.
    pub anchor: &'static str,
    pub text: String,
}

/// One chart: an SVG picture scaled to the page's width by its `viewBox`.
#[derive(Debug, Clone)]
pub struct Chart {
    /// `funnel`, `orders`, `revenue`: the `data-chart` marker and the element ids.
    pub id: &'static str,
    /// Unique in the page, for element ids (`funnel-0`, `orders`).
    pub key: String,
    /// What the chart shows, for screen readers and as the SVG's title.
    pub title: String,
    pub width: u32,
    pub height: u32,
    pub lines: Vec<Line>,
    pub labels: Vec<Label>,
    /// Day columns first (behind), then the bars.
    pub bars: Vec<Bar>,
}

/// A channel's colour: Okabe–Ito colours, told apart by colour-blind readers
/// and readable on white and in grey print. The figures name channels by their
/// stored word (`all` for all together); a word that is no channel gets one of
/// the other colours by its place.
pub fn colour(channel: &str, index: usize) -> &'static str {
    const OTHERS: [&str; 4] = ["#E69F00", "#56B4E9", "#7A5C00", "#444444"];
    if channel == "all" {
        return "#555555";
    }
    match channel.parse::<Channel>() {
        Ok(Channel::Telegram) => "#0072B2",
        Ok(Channel::Matrix) => "#D55E00",
        Ok(Channel::Web) => "#CC79A7",
        Ok(Channel::Terminal) => "#009E73",
        Err(_) => OTHERS[index % OTHERS.len()],
    }
}

/// A value axis from 0: the top value and the step between grid lines, both
/// multiples of `min_step` and of 1, 2 or 5 times a power of ten; about four steps.
pub fn value_axis(max: i64, min_step: i64) -> (i64, i64) {
    let max = max.max(1);
    let rough = (max + 3) / 4;
    let mut step = min_step.max(1);
    'search: loop {
        for factor in [1, 2, 5] {
            let candidate = step.saturating_mul(factor);
            if candidate >= rough {
                step = candidate;
                break 'search;
            }
        }
        step = step.saturating_mul(10);
    }
    let top = ((max + step - 1) / step).saturating_mul(step);
    (top, step)
}

#[allow(clippy::cast_precision_loss)] // counts and cents far below 2^52
pub fn f(n: i64) -> f64 {
    n as f64
}

#[allow(clippy::cast_precision_loss)] // a few hundred bars at most
pub fn fu(n: usize) -> f64 {
    n as f64
}

/// A size in whole units, rounded up (negative and NaN become 0).
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // clamped, small
pub fn whole(v: f64) -> u32 {
    v.ceil().clamp(0.0, f64::from(u32::MAX)) as u32
}

#[cfg(test)]
mod tests {
    use super::{Num, value_axis};

    #[test]
    fn numbers_are_short() {
        assert_eq!(Num(12.0).to_string(), "12");
        assert_eq!(Num(12.5).to_string(), "12.5");
        assert_eq!(Num(12.254).to_string(), "12.25");
        assert_eq!(Num(-0.001).to_string(), "0");
        assert_eq!(Num(0.0).to_string(), "0");
    }

    #[test]
    fn axes_are_round() {
        assert_eq!(value_axis(0, 1), (1, 1));
        assert_eq!(value_axis(3, 1), (3, 1));
        assert_eq!(value_axis(7, 1), (8, 2));
        assert_eq!(value_axis(17, 1), (20, 5));
        assert_eq!(value_axis(0, 100), (100, 100));
        assert_eq!(value_axis(12_345, 100), (15_000, 5_000));
        assert_eq!(value_axis(4_590, 100), (6_000, 2_000));
    }
}
