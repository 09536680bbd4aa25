//! The funnel charts: one small chart of horizontal bars per channel.

use super::svg::{Bar, Chart, Label, Line, Num, f, whole};
use super::{FUNNEL_WIDTH, STEPS, percent, to_i64};
use crate::shop::{OwnerPhrase as P, OwnerTexts};
use crate::store::{ChannelFigures, Stats};

/// The funnel: a small chart of horizontal bars per channel (and one for all
/// channels together when there are several), each scaled to its largest step;
/// the page sets them side by side on wide screens, one under the other on phones.
pub(super) fn funnel_charts(
    t: &OwnerTexts,
    stats: &Stats,
    colour_of: &dyn Fn(&str) -> &'static str,
) -> Vec<Chart> {
    let mut groups: Vec<&ChannelFigures> = stats.channels.iter().collect();
    if stats.channels.len() != 1 {
        groups.push(&stats.total);
    }
    groups
        .into_iter()
        .enumerate()
        .map(|(i, group)| funnel_chart(t, i, group, colour_of(&group.channel)))
        .collect()
}

fn funnel_chart(t: &OwnerTexts, index: usize, group: &ChannelFigures, fill: &'static str) -> Chart {
    const LABEL_W: f64 = 124.0;
    const BAR_X: f64 = 130.0;
    const ROW: f64 = 25.0;
    const BAR_H: f64 = 18.0;
    const TOP: f64 = 30.0;
    let max_w = f64::from(FUNNEL_WIDTH) - BAR_X - 66.0;

    let label = if group.channel == "all" {
        t.get(P::AllChannels).to_owned()
    } else {
        group.channel.clone()
    };
    let mut chart = Chart {
        id: "funnel",
        key: format!("funnel-{index}"),
        title: t.fill(P::FunnelTitle, &[("channel", &label)]),
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
        let name = t.get(*name);
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
            text: name.to_owned(),
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
                let value = value.to_string();
                let share = t.fill(P::FunnelShare, &[("value", &value), ("share", &share)]);
                format!("{label} · {name}: {share}")
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
