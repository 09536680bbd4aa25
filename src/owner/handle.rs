//! What each owner command decides, over the view the engine loaded.

use std::fmt::Write as _;

use jiff::Timestamp;

use super::notices::order_body;
use super::{
    Command, OwnerEffect, OwnerTurn, OwnerView, ToCustomer, channel_name, selling, shorten,
};
use crate::conversation::{Answer, Input, Reply};
use crate::report::money;
use crate::shop::{Shop, stock_key};
use crate::store::{Order, OrderStatus, Ticket};

/// The owner's help.
pub fn help() -> String {
    "Owner commands:\n\
     /tickets — open tickets\n\
     /reply N text — answer ticket N (or reply to its message)\n\
     /r N id — send canned reply `id` ([[replies]] in shop.toml) to ticket N\n\
     /send N PRODUCT_ID[:VARIANT_ID] — show ticket N's customer a product's card\n\
     /coupon N CODE — give ticket N's customer a coupon\n\
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

/// Decides an owner command (except `/reload`, which the engine does: it swaps
/// the shop) over what the store holds for it.
pub fn handle(shop: &Shop, view: OwnerView, command: Command, now: Timestamp) -> OwnerTurn {
    match command {
        Command::Help => OwnerTurn::say(help()),
        Command::Usage(usage) => OwnerTurn::say(format!("Write it as: {usage}")),
        Command::Tickets => tickets(view.open_tickets),
        Command::Reply { ticket, text } => answer(
            ticket,
            view.ticket,
            Answer {
                signature: view.signature,
                ..Answer::text(text)
            },
        ),
        Command::Canned { ticket, id } => selling::canned(
            shop,
            ticket,
            view.ticket,
            &id,
            view.session.as_ref(),
            view.signature,
        ),
        Command::Send {
            ticket,
            product,
            variant,
        } => selling::send(
            shop,
            ticket,
            view.ticket,
            &product,
            variant.as_deref(),
            view.available,
        ),
        Command::Coupon { ticket, code } => {
            selling::coupon(shop, ticket, view.ticket, &code, view.session.as_ref(), now)
        }
        Command::Close(number) => close(number, view.ticket),
        Command::Orders(_) => orders(shop, &view.orders),
        Command::Order(number) => order(shop, &number, view.order, view.feedback),
        Command::Status {
            number,
            status,
            tracking,
        } => status_turn(&number, status, tracking, view.order.as_ref()),
        Command::Stock { key, qty } => stock(shop, &key, qty, view.stock_before),
        Command::Pause => OwnerTurn {
            effects: vec![OwnerEffect::SetPaused(Some(now.as_second()))],
            ..OwnerTurn::say(
                "Paused (holiday mode): customers who ask for a person are told the team is away. \
                 The shop keeps selling. /resume ends it.",
            )
        },
        Command::Resume => OwnerTurn {
            effects: vec![OwnerEffect::SetPaused(None)],
            ..OwnerTurn::say("Resumed: tickets are answered as usual.")
        },
        Command::Stats(_) => match view.stats {
            Some(stats) => OwnerTurn {
                about: stats.askers.clone(),
                ..OwnerTurn::say(crate::report::text(shop, &stats))
            },
            None => OwnerTurn::say("No figures."),
        },
        Command::Broadcast(text) => {
            let customers: Vec<ToCustomer> = view
                .consenting
                .into_iter()
                .map(|customer| ToCustomer {
                    customer,
                    input: Input::Marketing(text.clone()),
                })
                .collect();
            OwnerTurn {
                replies: vec![Reply::plain(format!(
                    "Sent to {} customer(s) who agreed to offers and news.",
                    customers.len()
                ))],
                customers,
                ..OwnerTurn::default()
            }
        }
        Command::Reload => OwnerTurn::say("/reload is done by the engine."),
    }
}

fn close(number: i64, ticket: Option<Ticket>) -> OwnerTurn {
    match ticket {
        None => OwnerTurn::say(format!("There is no ticket #{number}.")),
        Some(t) if !t.open => OwnerTurn::say(format!("Ticket #{number} is already closed.")),
        Some(t) => OwnerTurn {
            replies: vec![Reply::plain(format!(
                "Ticket #{number} closed. {} is back with the bot.",
                t.customer
            ))],
            about: vec![t.key()],
            customers: vec![ToCustomer {
                customer: t.key(),
                input: Input::TicketClosed,
            }],
            effects: vec![OwnerEffect::CloseTicket(number)],
        },
    }
}

fn tickets(open: Vec<Ticket>) -> OwnerTurn {
    if open.is_empty() {
        return OwnerTurn::say("No open tickets.");
    }
    let mut text = format!("Open tickets ({}):", open.len());
    let about = open.iter().map(Ticket::key).collect();
    for t in open {
        let _ = write!(
            text,
            "\n#{} · {} · {}",
            t.number,
            channel_name(t.channel),
            t.customer
        );
        if let Some(q) = &t.question {
            let _ = write!(text, " — {}", shorten(q, 80));
        }
    }
    OwnerTurn {
        about,
        ..OwnerTurn::say(text)
    }
}

fn orders(shop: &Shop, orders: &[Order]) -> OwnerTurn {
    if orders.is_empty() {
        return OwnerTurn::say("No orders.");
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
    let about = orders.iter().take(20).map(Order::key).collect();
    OwnerTurn {
        about,
        ..OwnerTurn::say(text)
    }
}

fn order(
    shop: &Shop,
    number: &str,
    order: Option<Order>,
    feedback: Option<(u8, Option<String>)>,
) -> OwnerTurn {
    let Some(o) = order else {
        return OwnerTurn::say(format!("No order #{number}."));
    };
    let mut text = format!(
        "Order #{} — {} · {}",
        o.number,
        o.status,
        channel_name(o.channel)
    );
    if let Some(t) = &o.tracking {
        let _ = write!(text, " · tracking {t}");
    }
    let _ = write!(text, "\n{}", order_body(shop, &o));
    if let Some((stars, comment)) = feedback {
        let _ = write!(
            text,
            "\nFeedback: {}{}",
            "⭐".repeat(usize::from(stars)),
            comment.map(|c| format!(" — {c}")).unwrap_or_default()
        );
    }
    OwnerTurn {
        about: vec![o.key()],
        ..OwnerTurn::say(text)
    }
}

/// The owner's answer to ticket `number` (`ticket`, if it exists), for the
/// customer.
pub fn answer(number: i64, ticket: Option<Ticket>, answer: Answer) -> OwnerTurn {
    let Some(ticket) = ticket else {
        return OwnerTurn::say(format!(
            "There is no ticket #{number}. /tickets lists the open ones."
        ));
    };
    let note = if ticket.open {
        String::new()
    } else {
        " (the ticket was closed; the customer gets it anyway)".to_owned()
    };
    OwnerTurn {
        replies: vec![Reply::plain(format!("✓ Sent to ticket #{number}{note}."))],
        about: vec![ticket.key()],
        customers: vec![ToCustomer {
            customer: ticket.key(),
            input: Input::OwnerAnswer(answer),
        }],
        effects: vec![OwnerEffect::TicketAnswered(number)],
    }
}

/// A reply to a message that belongs to no ticket.
pub fn unknown_reply() -> OwnerTurn {
    OwnerTurn::say(
        "I can't tell which ticket that message belongs to, so nothing was sent. \
         Reply to a 🎫 or 💬 message, or use /reply N text (/tickets lists them).",
    )
}

/// `/status`: moving order `number` (`before`, as it is) to `status`, by the
/// one transition rule of [`OrderStatus`].
pub fn status_turn(
    number: &str,
    status: OrderStatus,
    tracking: Option<String>,
    before: Option<&Order>,
) -> OwnerTurn {
    let Some(before) = before else {
        return OwnerTurn::say(format!("No order #{number}."));
    };
    if !before.status.can_become(status) {
        return OwnerTurn::say(if before.status == status {
            format!("Order #{number} is already {status}.")
        } else {
            format!(
                "Order #{number} is {} — its status cannot change any more.",
                before.status
            )
        });
    }
    let effects = vec![OwnerEffect::SetStatus {
        number: number.to_owned(),
        from: before.status,
        status,
        tracking: tracking.clone(),
    }];
    let returned = if status.returns_stock() {
        " Its stock is back on sale."
    } else {
        ""
    };
    if before.customer_forgotten() {
        // Erased by `/forget`: the order stays for the accounts, told to nobody.
        return OwnerTurn {
            effects,
            ..OwnerTurn::say(format!(
                "Order #{number}: {status}. Its customer erased their data, so nobody was told.{returned}"
            ))
        };
    }
    OwnerTurn {
        replies: vec![Reply::plain(format!(
            "Order #{number}: {status} — customer told.{returned}"
        ))],
        about: vec![before.key()],
        customers: vec![ToCustomer {
            customer: before.key(),
            input: Input::OrderStatus {
                number: number.to_owned(),
                status,
                tracking,
            },
        }],
        effects,
    }
}

/// The stock key `/stock KEY` names: `product`, `product:variant` or `product/variant`.
pub fn stock_target(key: &str) -> (&str, Option<&str>) {
    match key.split_once([':', '/']) {
        Some((p, v)) => (p, Some(v)),
        None => (key, None),
    }
}

fn stock(shop: &Shop, key: &str, qty: i64, before: Option<i64>) -> OwnerTurn {
    let (product_id, variant) = stock_target(key);
    let Some(product) = shop.product(product_id) else {
        return OwnerTurn::say(format!(
            "No product `{product_id}` in shop.toml (use the product's id)."
        ));
    };
    let has_variants = !product.variants.is_empty();
    let name = match (variant, has_variants) {
        (Some(v), true) => match product.variant(v) {
            Some(variant) => format!("{} ({})", product.name, variant.name),
            None => {
                return OwnerTurn::say(format!("`{}` has no variant `{v}`.", product.id));
            }
        },
        (None, true) => {
            let ids: Vec<&str> = product.variants.iter().map(|v| v.id.as_str()).collect();
            return OwnerTurn::say(format!(
                "`{}` has variants; name one: /stock {}:{} N",
                product.id,
                product.id,
                ids.join("|")
            ));
        }
        (Some(_), false) => {
            return OwnerTurn::say(format!("`{}` has no variants.", product.id));
        }
        (None, false) => product.name.clone(),
    };
    let was = before.map(|b| format!(" (was {b})")).unwrap_or_default();
    OwnerTurn {
        effects: vec![OwnerEffect::SetStock {
            key: stock_key(product_id, variant),
            qty,
            product: product.id.clone(),
        }],
        ..OwnerTurn::say(format!("Stock of {name}: {qty}{was}."))
    }
}

/// `/stock` when the store refused the count: the product has no stock count
/// in shop.toml (unlimited).
pub fn stock_uncounted(product: &str) -> OwnerTurn {
    OwnerTurn::say(format!(
        "`{product}` has no stock count in shop.toml (unlimited); set `stock = N` there first."
    ))
}
