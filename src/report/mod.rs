//! The shop's figures for people: as plain text (`shopbot stats`, the owner's
//! `/stats`) and as an HTML page with charts (`shopbot report`).

mod html;

use std::fmt::Write as _;

pub use html::html;

use crate::shop::{Money, Shop};
use crate::store::{ChannelFigures, Stats};

/// An amount in the shop's default language.
pub fn money(shop: &Shop, amount: Money) -> String {
    shop.texts(shop.default_language())
        .money(amount, shop.currency())
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
    let f = &c.funnel;
    format!(
        "{:<9} {:>6} {:>7} {:>7} {:>6} {:>9} {:>7} {:>6.1}% {:>12} {:>7}",
        c.channel,
        f.conversations,
        f.finder_started,
        f.finder_completed,
        f.carts,
        f.checkouts,
        f.orders,
        c.conversion(),
        money(shop, c.revenue),
        f.escalations
    )
}

/// The figures as text, for a terminal or a chat.
pub fn text(shop: &Shop, stats: &Stats) -> String {
    let mut out = format!("{} — the last {} day(s)\n\n", shop.name(), stats.days);
    out.push_str(
        "channel    conv. finder+ finder✓  carts checkouts  orders  conv.%      revenue  people\n",
    );
    for c in &stats.channels {
        let _ = writeln!(out, "{}", channel_line(shop, c));
    }
    if stats.channels.len() != 1 {
        let _ = writeln!(out, "{}", channel_line(shop, &stats.total));
    }
    let _ = writeln!(
        out,
        "\nOrders kept (not cancelled): {} · revenue {}",
        stats.total.orders,
        money(shop, stats.total.revenue)
    );
    match stats.median_answer_secs {
        Some(secs) => {
            let _ = writeln!(
                out,
                "Tickets answered: {} · median time to the first answer: {}",
                stats.answered_tickets,
                duration(secs)
            );
        }
        None => out.push_str("Tickets answered: none\n"),
    }
    if !stats.best_sellers.is_empty() {
        out.push_str("\nBest sellers:\n");
        for (i, s) in stats.best_sellers.iter().enumerate() {
            let _ = writeln!(
                out,
                "{:>2}. {} — {} sold, {}",
                i + 1,
                s.name,
                s.units,
                money(shop, s.revenue)
            );
        }
    }
    if !stats.unanswered.is_empty() {
        out.push_str("\nQuestions the bot did not understand (add them to [[questions]]):\n");
        for (text, n) in &stats.unanswered {
            let _ = writeln!(out, "{n:>4} × {text}");
        }
    }
    out.trim_end().to_owned()
}
