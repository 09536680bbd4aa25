//! The owners' notices (new ticket, new order, payment, feedback, flood, a
//! failed turn), where they go, and when a person will answer a ticket.

use std::fmt::Write as _;

use jiff::Timestamp;

use super::{CONTEXT_LINES, Notice, channel_name, command, shorten};
use crate::attachment::Attachment;
use crate::channel::{Channel, ChatKey};
use crate::conversation::{Button, Reply, Session, TicketWait, order_lines};
use crate::report::money;
use crate::shop::{Money, Shop};
use crate::store::{HistoryLine, Order, OrderStatus, Ticket};

/// Where owner notices go: one chat for each running channel's owners.
/// `matrix_rooms` are the owners' direct rooms the store knows, used when the
/// shop names no Matrix room (see [`needs_matrix_rooms`]).
pub fn destinations(shop: &Shop, channels: &[Channel], matrix_rooms: Vec<String>) -> Vec<ChatKey> {
    let owners = &shop.file.owners;
    let mut out = Vec::new();
    if channels.contains(&Channel::Telegram) {
        match owners.telegram_chat {
            Some(group) => out.push(ChatKey::new(Channel::Telegram, group.to_string())),
            None => out.extend(
                owners
                    .telegram
                    .iter()
                    .map(|id| ChatKey::new(Channel::Telegram, id.to_string())),
            ),
        }
    }
    if channels.contains(&Channel::Matrix) {
        match &owners.matrix_room {
            Some(room) => out.push(ChatKey::new(Channel::Matrix, room.clone())),
            None => out.extend(
                matrix_rooms
                    .into_iter()
                    .map(|room| ChatKey::new(Channel::Matrix, room)),
            ),
        }
    }
    out
}

/// Whether [`destinations`] reads the owners' direct Matrix rooms.
pub fn needs_matrix_rooms(shop: &Shop, channels: &[Channel]) -> bool {
    channels.contains(&Channel::Matrix) && shop.file.owners.matrix_room.is_none()
}

/// When a person will answer a ticket opened `now`; `paused` is holiday mode.
pub fn ticket_wait(shop: &Shop, paused: bool, now: Timestamp) -> TicketWait {
    if paused {
        return TicketWait::Away;
    }
    let here = now.to_zoned(shop.time_zone.clone());
    if shop.hours.is_open(&here) {
        return TicketWait::Soon;
    }
    match shop.hours.next_opening(&here) {
        Some(at) => TicketWait::ClosedUntil(at.strftime("%a %Y-%m-%d %H:%M %Z").to_string()),
        None => TicketWait::Soon,
    }
}

/// The notice of a new ticket: who, what they asked, their finder answers and
/// cart, and the last lines of the conversation (`history`, oldest first, at
/// most [`CONTEXT_LINES`]).
pub fn ticket_notice(
    shop: &Shop,
    ticket: &Ticket,
    session: &Session,
    history: &[HistoryLine],
    wait: &TicketWait,
) -> Notice {
    let n = ticket.number;
    let mut text = format!(
        "🎫 Ticket #{n} — {} · {}\n",
        channel_name(ticket.channel),
        ticket.customer
    );
    match &ticket.question {
        Some(q) => {
            let _ = writeln!(text, "Asked: {q}");
        }
        None => text.push_str("Asked to talk to a person.\n"),
    }
    let lang = &session.lang;
    let answers: Vec<String> = session
        .finder
        .iter()
        .filter_map(|(q, o)| {
            let question = shop.finder().iter().find(|f| &f.id == q)?;
            let option = question.option(o)?;
            Some(format!(
                "{} → {}",
                question.question_in(lang),
                option.label_in(lang)
            ))
        })
        .collect();
    if !answers.is_empty() {
        let _ = writeln!(text, "Finder: {}", answers.join(" · "));
    }
    let lines = order_lines(shop, session);
    if lines.is_empty() {
        text.push_str("Cart: empty\n");
    } else {
        let items: Vec<String> = lines
            .iter()
            .map(|l| format!("{} × {} ({})", l.qty, l.name, money(shop, l.unit_price)))
            .collect();
        let _ = writeln!(text, "Cart: {}", items.join(", "));
    }
    if !history.is_empty() {
        text.push_str("Last messages:\n");
        for line in history.iter().take(CONTEXT_LINES) {
            let arrow = if line.who == "customer" { "»" } else { "«" };
            let _ = writeln!(text, "{arrow} {}", shorten(&line.text, 200));
        }
    }
    match wait {
        TicketWait::Soon => {}
        TicketWait::ClosedUntil(at) => {
            let _ = writeln!(
                text,
                "(Outside business hours: the customer expects an answer from {at}.)"
            );
        }
        TicketWait::Away => text.push_str("(Holiday mode: the customer was told you are away.)\n"),
    }
    let _ = write!(
        text,
        "Reply to this message (or to any 💬 #{n}) to answer, or send /reply {n} your answer. /close {n} ends it."
    );
    Notice {
        reply: Reply {
            text,
            buttons: vec![Button {
                id: command::button_id("close", &n.to_string()),
                label: format!("Close #{n}"),
            }],
            image: None,
            invoice: None,
            attachment: None,
        },
        ticket: Some(n),
    }
}

/// A customer's message relayed to the owners; `text` describes an
/// attachment (see [`Attachment::describe`]), which goes with it.
pub fn relay_notice(ticket: &Ticket, text: &str, attachment: Option<Box<Attachment>>) -> Notice {
    let mut reply = Reply::plain(format!(
        "💬 #{} · {}: {text}",
        ticket.number, ticket.customer
    ));
    reply.attachment = attachment;
    Notice {
        reply,
        ticket: Some(ticket.number),
    }
}

/// The customer ended their ticket themselves.
pub fn closed_by_customer(ticket: &Ticket) -> Notice {
    Notice {
        reply: Reply::plain(format!(
            "Ticket #{} closed by the customer ({}).",
            ticket.number, ticket.customer
        )),
        ticket: Some(ticket.number),
    }
}

/// The label of the owner's button that sets `status`.
fn button_label(status: OrderStatus) -> &'static str {
    match status {
        OrderStatus::New => "New",
        OrderStatus::Paid => "Paid",
        OrderStatus::Shipped => "Shipped",
        OrderStatus::Delivered => "Delivered",
        OrderStatus::Cancelled => "Cancel",
    }
}

/// The notice of a new order, with buttons to move it along.
pub fn order_notice(shop: &Shop, order: &Order, customer: &str) -> Notice {
    let mut text = format!(
        "🛒 New order #{} — {} · {customer}\n",
        order.number,
        channel_name(order.channel)
    );
    text.push_str(&order_body(shop, order));
    let buttons = OrderStatus::SETTABLE
        .into_iter()
        .map(|status| Button {
            id: command::button_id(status.as_str(), &order.number),
            label: button_label(status).to_owned(),
        })
        .collect();
    Notice {
        reply: Reply {
            text,
            buttons,
            image: None,
            invoice: None,
            attachment: None,
        },
        ticket: None,
    }
}

/// A payment arrived through the platform.
pub fn paid_notice(order: &str) -> Notice {
    Notice::text(format!("💳 Order #{order} was paid in the chat."))
}

/// A message the bot could not handle however often it tried (a bug, or a
/// message that always makes its turn fail): the customer got an apology.
pub fn turn_failed_notice(channel: Channel, customer: &str, tries: u32, error: &str) -> Notice {
    let mut short: String = error.chars().take(300).collect();
    if short.len() < error.len() {
        short.push('…');
    }
    Notice::text(format!(
        "⚠️ A message from a customer on {} ({customer}) could not be handled after \
         {tries} tries; they were sent an apology and the message was passed over. \
         The error (in full in the log): {short}",
        channel_name(channel)
    ))
}

/// A customer rated a delivered order, or commented on it.
pub fn feedback_notice(
    order: &str,
    customer: &str,
    stars: Option<u8>,
    comment: Option<&str>,
) -> Notice {
    let text = match (stars, comment) {
        (Some(n), _) => format!(
            "{} for order #{order} from {customer}.",
            "⭐".repeat(usize::from(n))
        ),
        (None, Some(c)) => format!("💬 Comment on order #{order} from {customer}: {c}"),
        (None, None) => format!("Feedback on order #{order} from {customer}."),
    };
    Notice::text(text)
}

/// The flood guard slowed a customer down.
pub fn flood_notice(channel: Channel, customer: &str, ignored: u64) -> Notice {
    Notice::text(format!(
        "⚠️ Flood guard: a customer on {} ({customer}) is sending too many messages; \
         {ignored} ignored so far. At most one such notice a minute.",
        channel_name(channel)
    ))
}

/// Items, money, delivery, payment and the customer's checkout answers.
pub(super) fn order_body(shop: &Shop, order: &Order) -> String {
    let mut text = String::new();
    for line in &order.lines {
        let _ = writeln!(
            text,
            "{} × {} — {}",
            line.qty,
            line.name,
            money(shop, line.unit_price.times(line.qty))
        );
    }
    if order.discount != Money::ZERO {
        let _ = writeln!(
            text,
            "Coupon {}: −{}",
            order.coupon.as_deref().unwrap_or(""),
            money(shop, order.discount)
        );
    }
    let lang = shop.default_language();
    let delivery = shop
        .delivery(&order.delivery_id)
        .map_or(order.delivery_id.as_str(), |d| d.name_in(lang));
    let _ = writeln!(
        text,
        "Delivery: {delivery} — {}",
        money(shop, order.delivery_price)
    );
    let payment = shop
        .payment(&order.payment_id)
        .map_or(order.payment_id.as_str(), |p| p.name_in(lang));
    let _ = writeln!(
        text,
        "Total: {} · Payment: {payment}",
        money(shop, order.total)
    );
    for (field, value) in &order.fields {
        let _ = writeln!(text, "{field}: {value}");
    }
    text.trim_end().to_owned()
}
