//! The owners' notices (new ticket, new order, payment, feedback, flood, a
//! failed turn), where they go, and when a person will answer a ticket.

use std::fmt::Write as _;

use jiff::Timestamp;

use super::{CONTEXT_LINES, Notice, channel_name, command, shorten};
use crate::attachment::Attachment;
use crate::channel::{Channel, ChatKey};
use crate::conversation::{Button, Reply, Session, TicketWait, order_lines};
use crate::report::money;
use crate::shop::{Money, OwnerPhrase as P, OwnerTexts, Shop};
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
    let t = shop.owner_texts();
    let n = ticket.number;
    let number = n.to_string();
    let mut text = t.fill(
        P::TicketTitle,
        &[
            ("n", &number),
            ("channel", channel_name(ticket.channel)),
            ("customer", &ticket.customer),
        ],
    );
    text.push('\n');
    match &ticket.question {
        Some(q) => {
            let _ = writeln!(text, "{}", t.fill(P::TicketAsked, &[("question", q)]));
        }
        None => {
            let _ = writeln!(text, "{}", t.get(P::TicketAskedPerson));
        }
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
        let answers = answers.join(" · ");
        let _ = writeln!(
            text,
            "{}",
            t.fill(P::TicketFinder, &[("answers", &answers)])
        );
    }
    let lines = order_lines(shop, session);
    if lines.is_empty() {
        let _ = writeln!(text, "{}", t.get(P::TicketCartEmpty));
    } else {
        let items: Vec<String> = lines
            .iter()
            .map(|l| format!("{} × {} ({})", l.qty, l.name, money(shop, l.unit_price)))
            .collect();
        let items = items.join(", ");
        let _ = writeln!(text, "{}", t.fill(P::TicketCart, &[("items", &items)]));
    }
    if !history.is_empty() {
        let _ = writeln!(text, "{}", t.get(P::TicketLastMessages));
        for line in history.iter().take(CONTEXT_LINES) {
            let arrow = if line.who == "customer" { "»" } else { "«" };
            let _ = writeln!(text, "{arrow} {}", shorten(&line.text, 200));
        }
    }
    match wait {
        TicketWait::Soon => {}
        TicketWait::ClosedUntil(at) => {
            let _ = writeln!(text, "{}", t.fill(P::TicketOutsideHours, &[("at", at)]));
        }
        TicketWait::Away => {
            let _ = writeln!(text, "{}", t.get(P::TicketHoliday));
        }
    }
    text.push_str(&t.fill(P::TicketHow, &[("n", &number)]));
    Notice {
        reply: Reply {
            text,
            buttons: vec![Button {
                id: command::button_id("close", &n.to_string()),
                label: t.fill(P::ButtonClose, &[("n", &number)]),
            }],
            image: None,
            invoice: None,
            refund: None,
            attachment: None,
        },
        ticket: Some(n),
    }
}

/// A customer's message relayed to the owners; `text` describes an
/// attachment (see [`Attachment::describe`]), which goes with it.
pub fn relay_notice(
    shop: &Shop,
    ticket: &Ticket,
    text: &str,
    attachment: Option<Box<Attachment>>,
) -> Notice {
    let mut reply = Reply::plain(shop.owner_texts().fill(
        P::Relay,
        &[
            ("n", &ticket.number.to_string()),
            ("customer", &ticket.customer),
            ("text", text),
        ],
    ));
    reply.attachment = attachment;
    Notice {
        reply,
        ticket: Some(ticket.number),
    }
}

/// The customer ended their ticket themselves.
pub fn closed_by_customer(shop: &Shop, ticket: &Ticket) -> Notice {
    Notice {
        reply: Reply::plain(shop.owner_texts().fill(
            P::ClosedByCustomer,
            &[
                ("n", &ticket.number.to_string()),
                ("customer", &ticket.customer),
            ],
        )),
        ticket: Some(ticket.number),
    }
}

/// The label of the owner's button that sets `status`.
fn button_label(t: &OwnerTexts, status: OrderStatus) -> &str {
    t.get(match status {
        OrderStatus::New => P::ButtonNew,
        OrderStatus::Paid => P::ButtonPaid,
        OrderStatus::Shipped => P::ButtonShipped,
        OrderStatus::Delivered => P::ButtonDelivered,
        OrderStatus::Cancelled => P::ButtonCancelled,
    })
}

/// An order status as the owners read it (`paid`, `pagado`, `plătită`).
pub(super) fn status_name(t: &OwnerTexts, status: OrderStatus) -> &str {
    t.get(match status {
        OrderStatus::New => P::StatusNew,
        OrderStatus::Paid => P::StatusPaid,
        OrderStatus::Shipped => P::StatusShipped,
        OrderStatus::Delivered => P::StatusDelivered,
        OrderStatus::Cancelled => P::StatusCancelled,
    })
}

/// The notice of a new order, with buttons to move it along.
pub fn order_notice(shop: &Shop, order: &Order, customer: &str) -> Notice {
    let t = shop.owner_texts();
    let mut text = t.fill(
        P::OrderNew,
        &[
            ("number", &order.number),
            ("channel", channel_name(order.channel)),
            ("customer", customer),
        ],
    );
    text.push('\n');
    text.push_str(&order_body(shop, order));
    let buttons = OrderStatus::SETTABLE
        .into_iter()
        .map(|status| Button {
            id: command::button_id(status.as_str(), &order.number),
            label: button_label(t, status).to_owned(),
        })
        .collect();
    Notice {
        reply: Reply {
            text,
            buttons,
            image: None,
            invoice: None,
            refund: None,
            attachment: None,
        },
        ticket: None,
    }
}

/// A notice of plain text (the engine's warnings: a pool of codes running low…).
pub fn text_notice(text: String) -> Notice {
    Notice::text(text)
}

/// A payment arrived through the platform.
pub fn paid_notice(shop: &Shop, order: &str) -> Notice {
    Notice::text(shop.owner_texts().fill(P::Paid, &[("number", order)]))
}

/// A message the bot could not handle however often it tried (a bug, or a
/// message that always makes its turn fail): the customer got an apology.
pub fn turn_failed_notice(
    shop: &Shop,
    channel: Channel,
    customer: &str,
    tries: u32,
    error: &str,
) -> Notice {
    let mut short: String = error.chars().take(300).collect();
    if short.len() < error.len() {
        short.push('…');
    }
    Notice::text(shop.owner_texts().fill(
        P::TurnFailed,
        &[
            ("channel", channel_name(channel)),
            ("customer", customer),
            ("tries", &tries.to_string()),
            ("error", &short),
        ],
    ))
}

/// A customer rated a delivered order, or commented on it.
pub fn feedback_notice(
    shop: &Shop,
    order: &str,
    customer: &str,
    stars: Option<u8>,
    comment: Option<&str>,
) -> Notice {
    let t = shop.owner_texts();
    let who = [("number", order), ("customer", customer)];
    let text = match (stars, comment) {
        (Some(n), _) => {
            let stars = "⭐".repeat(usize::from(n));
            t.fill(P::FeedbackStars, &[who[0], who[1], ("stars", &stars)])
        }
        (None, Some(c)) => {
            let mut text = t.fill(P::FeedbackComment, &[who[0], who[1], ("comment", c)]);
            if let Some(hint) = super::reviews::hide_hint(shop, order) {
                text.push('\n');
                text.push_str(&hint);
            }
            text
        }
        (None, None) => t.fill(P::FeedbackNone, &who),
    };
    Notice::text(text)
}

/// The flood guard slowed a customer down.
pub fn flood_notice(shop: &Shop, channel: Channel, customer: &str, ignored: u64) -> Notice {
    Notice::text(shop.owner_texts().fill(
        P::Flood,
        &[
            ("channel", channel_name(channel)),
            ("customer", customer),
            ("ignored", &ignored.to_string()),
        ],
    ))
}

/// Items, money, delivery, payment and the customer's checkout answers.
pub(super) fn order_body(shop: &Shop, order: &Order) -> String {
    let t = shop.owner_texts();
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
        let amount = money(shop, order.discount);
        let code = order.coupon.as_deref().unwrap_or("");
        let coupon = t.fill(P::OrderCoupon, &[("code", code), ("amount", &amount)]);
        let _ = writeln!(text, "{coupon}");
    }
    let lang = t.lang.as_str();
    let delivery = if order.delivery_id == crate::conversation::DIGITAL {
        t.get(P::DigitalDelivery)
    } else {
        shop.delivery(&order.delivery_id)
            .map_or(order.delivery_id.as_str(), |d| d.name_in(lang))
    };
    let price = money(shop, order.delivery_price);
    let delivery = t.fill(
        P::OrderDelivery,
        &[("delivery", delivery), ("price", &price)],
    );
    let _ = writeln!(text, "{delivery}");
    let payment = shop
        .payment(&order.payment_id)
        .map_or(order.payment_id.as_str(), |p| p.name_in(lang));
    let total = money(shop, order.total);
    let total = t.fill(P::OrderTotal, &[("total", &total), ("payment", payment)]);
    let _ = writeln!(text, "{total}");
    for (field, value) in &order.fields {
        let _ = writeln!(text, "{field}: {value}");
    }
    text.trim_end().to_owned()
}
