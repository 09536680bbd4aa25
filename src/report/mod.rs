//! The shop's figures for people: as plain text (`shopbot stats`, the owner's
//! `/stats`) and as an HTML page with charts (`shopbot report`).

mod html;
mod satisfaction;

use std::fmt::Write as _;

pub use html::html;

use crate::shop::{Money, OwnerPhrase as P, Shop};
use crate::store::{ChannelFigures, Funnel, SourceFigures, Stats};

/// An amount as the owners read it (their language's money format).
pub fn money(shop: &Shop, amount: Money) -> String {
    shop.owner_texts().money(amount, shop.currency())
}

/// A duration as people say it: `45 s`, `12 min`, `3 h 05 min`.
pub fn duration(secs: i64) -> String {
    match secs {
        s if s < 60 => format!("{s} s"),
        s if s < 3600 => format!("{} min", s / 60),
        s => format!("{} h {:02} min", s / 3600, (s % 3600) / 60),
    }
}

fn channel_line(shop: &Shop, c: &ChannelFigures) -> String {
    format!("{:<9} {}", c.channel, columns(shop, &c.funnel, c.revenue))
}

/// The figures' columns after the first (the channel's or the source's name).
fn columns(shop: &Shop, f: &Funnel, revenue: Money) -> String {
    format!(
        "{:>6} {:>7} {:>7} {:>6} {:>9} {:>7} {:>6}% {:>12} {:>7}",
        f.conversations,
        f.finder_started,
        f.finder_completed,
        f.carts,
        f.checkouts,
        f.orders,
        shop.owner_texts().decimal(f.conversion(), 1),
        money(shop, revenue),
        f.escalations
    )
}

/// The figures per source, under their own header (nothing when no deep
/// link brought anyone in the period).
fn sources(shop: &Shop, stats: &Stats, out: &mut String) {
    if stats.sources.is_empty() {
        return;
    }
    let t = shop.owner_texts();
    let name = |s: &SourceFigures| {
        s.source
            .clone()
            .unwrap_or_else(|| t.get(P::SourceNone).to_owned())
    };
    let width = stats
        .sources
        .iter()
        .map(|s| name(s).chars().count())
        .chain([9, t.get(P::StatsSourceColumn).chars().count()])
        .max()
        .unwrap_or(9);
    // The channels' header without its first column (9 wide and a space).
    let header: String = t.get(P::StatsHeader).chars().skip(10).collect();
    let _ = writeln!(out, "\n{}", t.get(P::StatsSources));
    let _ = writeln!(out, "{:<width$} {header}", t.get(P::StatsSourceColumn));
    for s in &stats.sources {
        let _ = writeln!(
            out,
            "{:<width$} {}",
            name(s),
            columns(shop, &s.funnel, s.revenue)
        );
    }
}

/// The figures as text, for a terminal or a chat.
pub fn text(shop: &Shop, stats: &Stats) -> String {
    let t = shop.owner_texts();
    let mut out = t.fill(
        P::StatsTitle,
        &[("shop", shop.name()), ("days", &stats.days.to_string())],
    );
    out.push_str("\n\n");
    let _ = writeln!(out, "{}", t.get(P::StatsHeader));
    for c in &stats.channels {
        let _ = writeln!(out, "{}", channel_line(shop, c));
    }
    if stats.channels.len() != 1 {
        let _ = writeln!(out, "{}", channel_line(shop, &stats.total));
    }
    sources(shop, stats, &mut out);
    let kept = t.fill(
        P::StatsOrdersKept,
        &[
            ("orders", &stats.total.orders.to_string()),
            ("revenue", &money(shop, stats.total.revenue)),
        ],
    );
    let _ = writeln!(out, "\n{kept}");
    match stats.median_answer_secs {
        Some(secs) => {
            let answered = t.fill(
                P::StatsAnswered,
                &[
                    ("count", &stats.answered_tickets.to_string()),
                    ("median", &duration(secs)),
                ],
            );
            let _ = writeln!(out, "{answered}");
        }
        None => {
            let _ = writeln!(out, "{}", t.get(P::StatsAnsweredNone));
        }
    }
    if !stats.best_sellers.is_empty() {
        let _ = writeln!(out, "\n{}", t.get(P::StatsBestSellers));
        for (i, s) in stats.best_sellers.iter().enumerate() {
            let seller = t.fill(
                P::StatsSeller,
                &[
                    ("rank", &format!("{:>2}", i + 1)),
                    ("name", &s.name),
                    ("units", &s.units.to_string()),
                    ("revenue", &money(shop, s.revenue)),
                ],
            );
            let _ = writeln!(out, "{seller}");
        }
    }
    let _ = writeln!(out, "\n{}", satisfaction::text(shop, &stats.satisfaction));
    if !stats.unanswered.is_empty() {
        let _ = writeln!(out, "\n{}", t.get(P::StatsUnanswered));
        for (text, n) in &stats.unanswered {
            let _ = writeln!(out, "{n:>4} × {text}");
        }
    }
    out.trim_end().to_owned()
}
