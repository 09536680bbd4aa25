//! The owner behind the bot: who the owners are, where their notices go, and
//! what their commands do. Owner-facing text is English; customers hear about
//! the owner's actions in their own language, through their conversation.

pub mod command;

use std::fmt::Write as _;

use jiff::Timestamp;

use crate::conversation::{Button, Input, Reply, Session, TicketWait, order_lines};
use crate::report::money;
use crate::shop::{Money, Shop, StockLevels, stock_key};
use crate::store::{Order, OrderStatus, Result, Ticket, Tx};

pub use command::Command;

/// How many lines of the conversation a ticket notice shows.
pub const CONTEXT_LINES: usize = 10;
/// The setting that holds holiday mode.
const PAUSED: &str = "paused";

/// Whether `sender` is one of the shop's owners on `channel`: by platform user id only.
pub fn is_owner(shop: &Shop, channel: &str, sender: &str) -> bool {
    let owners = &shop.file.owners;
    match channel {
        "telegram" => sender
            .parse::<i64>()
            .is_ok_and(|id| owners.telegram.contains(&id)),
        "matrix" => owners.matrix.iter().any(|o| o == sender),
        _ => false,
    }
}

/// A message for every owner, tied to a ticket when it is about one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub reply: Reply,
    pub ticket: Option<i64>,
}

impl Notice {
    fn text(text: String) -> Self {
        Self {
            reply: Reply::plain(text),
            ticket: None,
        }
    }
}

/// A message to one customer's conversation, made by an owner's action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToCustomer {
    pub channel: String,
    pub chat_id: String,
    pub input: Input,
}

/// What an owner's command did.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Answers to the owner, in the chat the command came from.
    pub replies: Vec<Reply>,
    pub customers: Vec<ToCustomer>,
    /// The live stock changed (a cancelled order, `/stock`).
    pub stock_changed: bool,
    /// The customers the replies quote (channel, chat): erasing one of them
    /// erases these replies too.
    pub about: Vec<(String, String)>,
}

impl Outcome {
    fn say(text: impl Into<String>) -> Self {
        Self {
            replies: vec![Reply::plain(text.into())],
            ..Self::default()
        }
    }
}

/// Where owner notices go: `(channel, chat)` for each running channel.
pub fn destinations(tx: &Tx<'_>, shop: &Shop, channels: &[&str]) -> Result<Vec<(String, String)>> {
    let owners = &shop.file.owners;
    let mut out = Vec::new();
    if channels.contains(&"telegram") {
        match owners.telegram_chat {
            Some(group) => out.push(("telegram".to_owned(), group.to_string())),
            None => out.extend(
                owners
                    .telegram
                    .iter()
                    .map(|id| ("telegram".to_owned(), id.to_string())),
            ),
        }
    }
    if channels.contains(&"matrix") {
        match &owners.matrix_room {
            Some(room) => out.push(("matrix".to_owned(), room.clone())),
            None => out.extend(
                tx.owner_rooms("matrix", &owners.matrix)?
                    .into_iter()
                    .map(|room| ("matrix".to_owned(), room)),
            ),
        }
    }
    Ok(out)
}

/// When a person will answer a ticket opened `now`.
pub fn ticket_wait(tx: &Tx<'_>, shop: &Shop, now: Timestamp) -> Result<TicketWait> {
    if tx.setting(PAUSED)?.is_some() {
        return Ok(TicketWait::Away);
    }
    let here = now.to_zoned(shop.time_zone.clone());
    if shop.hours.is_open(&here) {
        return Ok(TicketWait::Soon);
    }
    Ok(match shop.hours.next_opening(&here) {
        Some(at) => TicketWait::ClosedUntil(at.strftime("%a %Y-%m-%d %H:%M %Z").to_string()),
        None => TicketWait::Soon,
    })
}

fn channel_name(channel: &str) -> &str {
    match channel {
        "telegram" => "Telegram",
        "matrix" => "Matrix",
        other => other,
    }
}

/// The notice of a new ticket: who, what they asked, their finder answers and
/// cart, and the last lines of the conversation.
pub fn ticket_notice(
    tx: &Tx<'_>,
    shop: &Shop,
    ticket: &Ticket,
    session: &Session,
    wait: &TicketWait,
) -> Result<Notice> {
    let n = ticket.number;
    let mut text = format!(
        "🎫 Ticket #{n} — {} · {}\n",
        channel_name(&ticket.channel),
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
    let history = tx.recent_history(&ticket.channel, &ticket.chat_id, CONTEXT_LINES)?;
    if !history.is_empty() {
        text.push_str("Last messages:\n");
        for line in history {
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
    Ok(Notice {
        reply: Reply {
            text,
            buttons: vec![Button {
                id: command::button_id("close", &n.to_string()),
                label: format!("Close #{n}"),
            }],
            image: None,
            invoice: None,
        },
        ticket: Some(n),
    })
}

/// A customer's message relayed to the owners.
pub fn relay_notice(ticket: &Ticket, text: &str) -> Notice {
    Notice {
        reply: Reply::plain(format!(
            "💬 #{} · {}: {text}",
            ticket.number, ticket.customer
        )),
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
        channel_name(&order.channel)
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
pub fn turn_failed_notice(channel: &str, customer: &str, tries: u32, error: &str) -> Notice {
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
pub fn flood_notice(channel: &str, customer: &str, ignored: u64) -> Notice {
    Notice::text(format!(
        "⚠️ Flood guard: a customer on {} ({customer}) is sending too many messages; \
         {ignored} ignored so far. At most one such notice a minute.",
        channel_name(channel)
    ))
}

fn shorten(text: &str, max: usize) -> String {
    let mut out: String = text.chars().take(max).collect();
    if out.len() < text.len() {
        out.push('…');
    }
    out.replace('\n', " ")
}

/// Items, money, delivery, payment and the customer's checkout answers.
fn order_body(shop: &Shop, order: &Order) -> String {
    let mut text = String::new();
    for line in &order.lines {
        let _ = writeln!(
            text,
            "{} × {} — {}",
            line.qty,
            line.name,
            money(shop, Money(line.unit_price.0 * i64::from(line.qty)))
        );
    }
    if order.discount.0 != 0 {
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

/// The owner's help.
fn help() -> String {
    "Owner commands:\n\
     /tickets — open tickets\n\
     /reply N text — answer ticket N (or reply to its message)\n\
     /close N — end ticket N; the customer is back with the bot\n\
     /orders [new|paid|shipped|delivered|cancelled] — latest orders\n\
     /order N — one order in full\n\
     /status N paid|shipped|delivered|cancelled [tracking] — the customer is told\n\
     /stock PRODUCT_ID[:VARIANT_ID] N — set stock\n\
     /reload — re-read shop.toml (a broken file is refused)\n\
     /pause — holiday mode; /resume — back to normal\n\
     /stats [days] — conversations, orders, revenue, best sellers (default 30 days)\n\
     /broadcast text — a message to the customers who agreed to offers (they can /stop)\n\
     Anything else you write is the shop's own conversation, as a customer sees it."
        .to_owned()
}

/// Runs an owner command (except `/reload`, which the engine does: it swaps the shop).
pub fn run(
    tx: &Tx<'_>,
    shop: &Shop,
    stock: &StockLevels,
    command: Command,
    now: Timestamp,
) -> Result<Outcome> {
    Ok(match command {
        Command::Help => Outcome::say(help()),
        Command::Usage(usage) => Outcome::say(format!("Write it as: {usage}")),
        Command::Tickets => tickets(tx)?,
        Command::Reply { ticket, text } => answer(tx, ticket, &text, now)?,
        Command::Close(number) => match tx.ticket(number)? {
            None => Outcome::say(format!("There is no ticket #{number}.")),
            Some(t) if !t.open => Outcome::say(format!("Ticket #{number} is already closed.")),
            Some(t) => {
                tx.close_ticket(number, now.as_second())?;
                Outcome {
                    replies: vec![Reply::plain(format!(
                        "Ticket #{number} closed. {} is back with the bot.",
                        t.customer
                    ))],
                    about: vec![(t.channel.clone(), t.chat_id.clone())],
                    customers: vec![ToCustomer {
                        channel: t.channel,
                        chat_id: t.chat_id,
                        input: Input::TicketClosed,
                    }],
                    stock_changed: false,
                }
            }
        },
        Command::Orders(status) => orders(tx, shop, status)?,
        Command::Order(number) => match tx.order(&number)? {
            None => Outcome::say(format!("No order #{number}.")),
            Some(o) => {
                let mut text = format!(
                    "Order #{} — {} · {}",
                    o.number,
                    o.status,
                    channel_name(&o.channel)
                );
                if let Some(t) = &o.tracking {
                    let _ = write!(text, " · tracking {t}");
                }
                let _ = write!(text, "\n{}", order_body(shop, &o));
                if let Some((stars, comment)) = tx.feedback(&o.number)? {
                    let _ = write!(
                        text,
                        "\nFeedback: {}{}",
                        "⭐".repeat(usize::from(stars)),
                        comment.map(|c| format!(" — {c}")).unwrap_or_default()
                    );
                }
                Outcome {
                    about: vec![(o.channel, o.chat_id)],
                    ..Outcome::say(text)
                }
            }
        },
        Command::Status {
            number,
            status,
            tracking,
        } => set_status(tx, &number, status, tracking, now)?,
        Command::Stock { key, qty } => set_stock(tx, shop, stock, &key, qty)?,
        Command::Pause => {
            tx.set_setting(PAUSED, Some(&now.as_second().to_string()))?;
            Outcome::say(
                "Paused (holiday mode): customers who ask for a person are told the team is away. \
                 The shop keeps selling. /resume ends it.",
            )
        }
        Command::Resume => {
            tx.set_setting(PAUSED, None)?;
            Outcome::say("Resumed: tickets are answered as usual.")
        }
        Command::Stats(days) => {
            let stats = tx.stats(days, now, &shop.time_zone, shop.currency())?;
            Outcome::say(crate::report::text(shop, &stats))
        }
        Command::Broadcast(text) => {
            let customers: Vec<ToCustomer> = tx
                .consenting()?
                .into_iter()
                .map(|(channel, chat_id)| ToCustomer {
                    channel,
                    chat_id,
                    input: Input::Marketing(text.clone()),
                })
                .collect();
            Outcome {
                replies: vec![Reply::plain(format!(
                    "Sent to {} customer(s) who agreed to offers and news.",
                    customers.len()
                ))],
                customers,
                ..Outcome::default()
            }
        }
        Command::Reload => Outcome::say("/reload is done by the engine."),
    })
}

fn tickets(tx: &Tx<'_>) -> Result<Outcome> {
    let open = tx.open_tickets()?;
    if open.is_empty() {
        return Ok(Outcome::say("No open tickets."));
    }
    let mut text = format!("Open tickets ({}):", open.len());
    let about = open
        .iter()
        .map(|t| (t.channel.clone(), t.chat_id.clone()))
        .collect();
    for t in open {
        let _ = write!(
            text,
            "\n#{} · {} · {}",
            t.number,
            channel_name(&t.channel),
            t.customer
        );
        if let Some(q) = &t.question {
            let _ = write!(text, " — {}", shorten(q, 80));
        }
    }
    Ok(Outcome {
        about,
        ..Outcome::say(text)
    })
}

fn orders(tx: &Tx<'_>, shop: &Shop, status: Option<OrderStatus>) -> Result<Outcome> {
    let orders = tx.orders(status)?;
    if orders.is_empty() {
        return Ok(Outcome::say("No orders."));
    }
    let mut text = format!("Orders ({}, newest first):", orders.len());
    for o in orders.iter().take(20) {
        let units: u32 = o.lines.iter().map(|l| l.qty).sum();
        let _ = write!(
            text,
            "\n#{} · {} · {} · {units} item(s) · {}",
            o.number,
            o.status,
            money(shop, o.total),
            o.fields.get("name").map_or("", String::as_str)
        );
    }
    if orders.len() > 20 {
        text.push_str("\n… (`shopbot orders` lists them all)");
    }
    let about = orders
        .iter()
        .take(20)
        .map(|o| (o.channel.clone(), o.chat_id.clone()))
        .collect();
    Ok(Outcome {
        about,
        ..Outcome::say(text)
    })
}

/// The owner's answer to a ticket, for the customer.
pub fn answer(tx: &Tx<'_>, number: i64, text: &str, now: Timestamp) -> Result<Outcome> {
    let Some(ticket) = tx.ticket(number)? else {
        return Ok(Outcome::say(format!(
            "There is no ticket #{number}. /tickets lists the open ones."
        )));
    };
    tx.ticket_answered(number, now.as_second())?;
    let note = if ticket.open {
        String::new()
    } else {
        " (the ticket was closed; the customer gets it anyway)".to_owned()
    };
    Ok(Outcome {
        replies: vec![Reply::plain(format!("✓ Sent to ticket #{number}{note}."))],
        about: vec![(ticket.channel.clone(), ticket.chat_id.clone())],
        customers: vec![ToCustomer {
            channel: ticket.channel,
            chat_id: ticket.chat_id,
            input: Input::OwnerAnswer(text.to_owned()),
        }],
        stock_changed: false,
    })
}

/// A reply to a message that belongs to no ticket.
pub fn unknown_reply() -> Outcome {
    Outcome::say(
        "I can't tell which ticket that message belongs to, so nothing was sent. \
         Reply to a 🎫 or 💬 message, or use /reply N text (/tickets lists them).",
    )
}

fn set_status(
    tx: &Tx<'_>,
    number: &str,
    status: OrderStatus,
    tracking: Option<String>,
    now: Timestamp,
) -> Result<Outcome> {
    let Some(before) = tx.set_order_status(number, status, tracking.as_deref(), now.as_second())?
    else {
        return Ok(Outcome::say(format!("No order #{number}.")));
    };
    if !before.status.can_become(status) {
        // The store left it as it was.
        return Ok(Outcome::say(if before.status == status {
            format!("Order #{number} is already {status}.")
        } else {
            format!(
                "Order #{number} is {} — its status cannot change any more.",
                before.status
            )
        }));
    }
    let returned = if status.returns_stock() {
        " Its stock is back on sale."
    } else {
        ""
    };
    if before.customer_forgotten() {
        // Erased by `/forget`: the order stays for the accounts, told to nobody.
        return Ok(Outcome {
            replies: vec![Reply::plain(format!(
                "Order #{number}: {status}. Its customer erased their data, so nobody was told.{returned}"
            ))],
            stock_changed: status.returns_stock(),
            ..Outcome::default()
        });
    }
    Ok(Outcome {
        replies: vec![Reply::plain(format!(
            "Order #{number}: {status} — customer told.{returned}"
        ))],
        about: vec![(before.channel.clone(), before.chat_id.clone())],
        customers: vec![ToCustomer {
            channel: before.channel,
            chat_id: before.chat_id,
            input: Input::OrderStatus {
                number: number.to_owned(),
                status,
                tracking,
            },
        }],
        stock_changed: status.returns_stock(),
    })
}

fn set_stock(
    tx: &Tx<'_>,
    shop: &Shop,
    stock: &StockLevels,
    key: &str,
    qty: i64,
) -> Result<Outcome> {
    let (product_id, variant) = match key.split_once([':', '/']) {
        Some((p, v)) => (p, Some(v)),
        None => (key, None),
    };
    let Some(product) = shop.product(product_id) else {
        return Ok(Outcome::say(format!(
            "No product `{product_id}` in shop.toml (use the product's id)."
        )));
    };
    let has_variants = !product.variants.is_empty();
    let name = match (variant, has_variants) {
        (Some(v), true) => match product.variant(v) {
            Some(variant) => format!("{} ({})", product.name, variant.name),
            None => {
                return Ok(Outcome::say(format!(
                    "`{}` has no variant `{v}`.",
                    product.id
                )));
            }
        },
        (None, true) => {
            let ids: Vec<&str> = product.variants.iter().map(|v| v.id.as_str()).collect();
            return Ok(Outcome::say(format!(
                "`{}` has variants; name one: /stock {}:{} N",
                product.id,
                product.id,
                ids.join("|")
            )));
        }
        (Some(_), false) => {
            return Ok(Outcome::say(format!("`{}` has no variants.", product.id)));
        }
        (None, false) => product.name.clone(),
    };
    let key = stock_key(product_id, variant);
    let before = stock.0.get(&key).copied();
    if !tx.set_stock(&key, qty)? {
        return Ok(Outcome::say(format!(
            "`{}` has no stock count in shop.toml (unlimited); set `stock = N` there first.",
            product.id
        )));
    }
    let was = before.map(|b| format!(" (was {b})")).unwrap_or_default();
    Ok(Outcome {
        replies: vec![Reply::plain(format!("Stock of {name}: {qty}{was}."))],
        stock_changed: true,
        ..Outcome::default()
    })
}
