//! What each owner command decides, over the view the engine loaded.

use std::fmt::Write as _;

use jiff::Timestamp;

use super::notices::{order_body, status_name};
use super::{
    Command, OwnerEffect, OwnerTurn, OwnerView, ToCustomer, channel_name, selling, shorten,
};
use crate::conversation::{Answer, Input, Reply};
use crate::report::money;
use crate::shop::{OwnerPhrase as P, OwnerTexts, Shop, stock_key};
use crate::store::{Order, OrderStatus, Ticket};

/// The owner's help, in the owners' language (the command words stay as typed).
pub fn help(shop: &Shop) -> String {
    shop.owner_texts().get(P::Help).to_owned()
}

/// "Write it as: …", the argument words of `usage` in the owners' language.
fn usage(t: &OwnerTexts, usage: &str) -> String {
    let mut usage = usage.to_owned();
    for (english, key) in [
        ("your answer", P::UsageAnswer),
        ("your message", P::UsageMessage),
        ("[tracking]", P::UsageTracking),
        ("[days]", P::UsageDays),
    ] {
        let word = t.get(key);
        let word = if english.starts_with('[') {
            format!("[{word}]")
        } else {
            word.to_owned()
        };
        usage = usage.replace(english, &word);
    }
    t.fill(P::Usage, &[("usage", &usage)])
}

/// Decides an owner command (except `/reload`, which the engine does: it swaps
/// the shop) over what the store holds for it.
pub fn handle(shop: &Shop, view: OwnerView, command: Command, now: Timestamp) -> OwnerTurn {
    let t = shop.owner_texts();
    match command {
        Command::Help => OwnerTurn::say(help(shop)),
        Command::Usage(written) => OwnerTurn::say(usage(t, written)),
        Command::Tickets => tickets(t, view.open_tickets),
        Command::Reply { ticket, text } => answer(
            shop,
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
        Command::Close(number) => close(t, number, view.ticket),
        Command::Orders(_) => orders(shop, &view.orders),
        Command::Order(number) => order(shop, &number, view.order, view.feedback),
        Command::Status {
            number,
            status,
            tracking,
        } => status_turn(shop, &number, status, tracking, view.order.as_ref()),
        Command::Stock { key, qty } => stock(shop, &key, qty, view.stock_before),
        Command::Refund(number) => refund_turn(shop, &number, view.order.as_ref(), view.refunded),
        Command::Pause => OwnerTurn {
            effects: vec![OwnerEffect::SetPaused(Some(now.as_second()))],
            ..OwnerTurn::say(t.get(P::Paused))
        },
        Command::Resume => OwnerTurn {
            effects: vec![OwnerEffect::SetPaused(None)],
            ..OwnerTurn::say(t.get(P::Resumed))
        },
        Command::Stats(_) => match view.stats {
            Some(stats) => OwnerTurn {
                about: stats.askers.clone(),
                ..OwnerTurn::say(crate::report::text(shop, &stats))
            },
            None => OwnerTurn::say(t.get(P::NoFigures)),
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
                replies: vec![Reply::plain(
                    t.fill(P::BroadcastSent, &[("count", &customers.len().to_string())]),
                )],
                customers,
                ..OwnerTurn::default()
            }
        }
        Command::Reload => OwnerTurn::say(t.get(P::ReloadElsewhere)),
        Command::HideReview { number, hidden } => {
            super::reviews::hide_review(t, &number, view.review.as_ref(), hidden)
        }
    }
}

fn close(texts: &OwnerTexts, number: i64, ticket: Option<Ticket>) -> OwnerTurn {
    let n = number.to_string();
    match ticket {
        None => OwnerTurn::say(texts.fill(P::NoTicket, &[("n", &n)])),
        Some(t) if !t.open => OwnerTurn::say(texts.fill(P::TicketAlreadyClosed, &[("n", &n)])),
        Some(t) => OwnerTurn {
            replies: vec![Reply::plain(
                texts.fill(P::TicketClosed, &[("n", &n), ("customer", &t.customer)]),
            )],
            about: vec![t.key()],
            customers: vec![ToCustomer {
                customer: t.key(),
                input: Input::TicketClosed,
            }],
            effects: vec![OwnerEffect::CloseTicket(number)],
        },
    }
}

fn tickets(texts: &OwnerTexts, open: Vec<Ticket>) -> OwnerTurn {
    if open.is_empty() {
        return OwnerTurn::say(texts.get(P::NoOpenTickets));
    }
    let mut text = texts.fill(P::OpenTickets, &[("count", &open.len().to_string())]);
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
    let t = shop.owner_texts();
    if orders.is_empty() {
        return OwnerTurn::say(t.get(P::NoOrders));
    }
    let mut text = t.fill(P::OrdersTitle, &[("count", &orders.len().to_string())]);
    for o in orders.iter().take(20) {
        let units: u32 = o.lines.iter().map(|l| l.qty).sum();
        let line = t.fill(
            P::OrdersLine,
            &[
                ("number", &o.number),
                ("status", status_name(t, o.status)),
                ("total", &money(shop, o.total)),
                ("units", &units.to_string()),
                ("name", o.fields.get("name").map_or("", String::as_str)),
            ],
        );
        let _ = write!(text, "\n{line}");
    }
    if orders.len() > 20 {
        let _ = write!(text, "\n{}", t.get(P::OrdersMore));
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
    let t = shop.owner_texts();
    let Some(o) = order else {
        return OwnerTurn::say(t.fill(P::NoOrder, &[("number", number)]));
    };
    let mut text = t.fill(
        P::OrderTitle,
        &[
            ("number", &o.number),
            ("status", status_name(t, o.status)),
            ("channel", channel_name(o.channel)),
        ],
    );
    if let Some(tracking) = &o.tracking {
        let _ = write!(
            text,
            " · {}",
            t.fill(P::OrderTracking, &[("tracking", tracking)])
        );
    }
    let _ = write!(text, "\n{}", order_body(shop, &o));
    if let Some((stars, comment)) = feedback {
        let stars = "⭐".repeat(usize::from(stars));
        let feedback = match comment {
            Some(c) => t.fill(
                P::OrderFeedbackComment,
                &[("stars", &stars), ("comment", &c)],
            ),
            None => t.fill(P::OrderFeedback, &[("stars", &stars)]),
        };
        let _ = write!(text, "\n{feedback}");
    }
    OwnerTurn {
        about: vec![o.key()],
        ..OwnerTurn::say(text)
    }
}

/// The owner's answer to ticket `number` (`ticket`, if it exists), for the
/// customer.
pub fn answer(shop: &Shop, number: i64, ticket: Option<Ticket>, answer: Answer) -> OwnerTurn {
    let t = shop.owner_texts();
    let n = number.to_string();
    let Some(ticket) = ticket else {
        return OwnerTurn::say(t.fill(P::AnswerNoTicket, &[("n", &n)]));
    };
    let sent = if ticket.open {
        P::AnswerSent
    } else {
        P::AnswerSentClosed
    };
    OwnerTurn {
        replies: vec![Reply::plain(t.fill(sent, &[("n", &n)]))],
        about: vec![ticket.key()],
        customers: vec![ToCustomer {
            customer: ticket.key(),
            input: Input::OwnerAnswer(answer),
        }],
        effects: vec![OwnerEffect::TicketAnswered(number)],
    }
}

/// A reply to a message that belongs to no ticket.
pub fn unknown_reply(shop: &Shop) -> OwnerTurn {
    OwnerTurn::say(shop.owner_texts().get(P::UnknownReply))
}

/// `/status`: moving order `number` (`before`, as it is) to `status`, by the
/// one transition rule of [`OrderStatus`].
pub fn status_turn(
    shop: &Shop,
    number: &str,
    status: OrderStatus,
    tracking: Option<String>,
    before: Option<&Order>,
) -> OwnerTurn {
    let t = shop.owner_texts();
    let Some(before) = before else {
        return OwnerTurn::say(t.fill(P::NoOrder, &[("number", number)]));
    };
    if !before.status.can_become(status) {
        let (phrase, now) = if before.status == status {
            (P::StatusAlready, status)
        } else {
            (P::StatusFinal, before.status)
        };
        return OwnerTurn::say(t.fill(
            phrase,
            &[("number", number), ("status", status_name(t, now))],
        ));
    }
    let effects = vec![OwnerEffect::SetStatus {
        number: number.to_owned(),
        from: before.status,
        status,
        tracking: tracking.clone(),
    }];
    let said = |phrase: P| {
        let mut text = t.fill(
            phrase,
            &[("number", number), ("status", status_name(t, status))],
        );
        if status.returns_stock() {
            text.push(' ');
            text.push_str(t.get(P::StockBack));
        }
        text
    };
    if before.customer_forgotten() {
        // Erased by `/forget`: the order stays for the accounts, told to nobody.
        return OwnerTurn {
            effects,
            ..OwnerTurn::say(said(P::StatusForgotten))
        };
    }
    OwnerTurn {
        replies: vec![Reply::plain(said(P::StatusTold))],
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
    let t = shop.owner_texts();
    let (product_id, variant) = stock_target(key);
    let Some(product) = shop.product(product_id) else {
        return OwnerTurn::say(t.fill(P::StockNoProduct, &[("product", product_id)]));
    };
    let has_variants = !product.variants.is_empty();
    let id = ("product", product.id.as_str());
    let name = match (variant, has_variants) {
        (Some(v), true) => match product.variant(v) {
            Some(variant) => format!("{} ({})", product.name, variant.name),
            None => {
                return OwnerTurn::say(t.fill(P::StockNoVariant, &[id, ("variant", v)]));
            }
        },
        (None, true) => {
            let ids: Vec<&str> = product.variants.iter().map(|v| v.id.as_str()).collect();
            let ids = ids.join("|");
            return OwnerTurn::say(t.fill(P::StockNameVariant, &[id, ("variants", &ids)]));
        }
        (Some(_), false) => {
            return OwnerTurn::say(t.fill(P::StockNoVariants, &[id]));
        }
        (None, false) => product.name.clone(),
    };
    let qty_text = qty.to_string();
    let set = [("name", name.as_str()), ("qty", qty_text.as_str())];
    let said = match before {
        Some(b) => t.fill(P::StockSetWas, &[set[0], set[1], ("was", &b.to_string())]),
        None => t.fill(P::StockSet, &set),
    };
    OwnerTurn {
        effects: vec![OwnerEffect::SetStock {
            key: stock_key(product_id, variant),
            qty,
            product: product.id.clone(),
        }],
        ..OwnerTurn::say(said)
    }
}

/// `/stock` when the store refused the count: the product has no stock count
/// in shop.toml (unlimited).
pub fn stock_uncounted(shop: &Shop, product: &str) -> OwnerTurn {
    OwnerTurn::say(
        shop.owner_texts()
            .fill(P::StockUncounted, &[("product", product)]),
    )
}

/// `/refund N`: only an order paid in Telegram Stars, once.
pub fn refund_turn(shop: &Shop, number: &str, order: Option<&Order>, refunded: bool) -> OwnerTurn {
    let t = shop.owner_texts();
    let Some(order) = order else {
        return OwnerTurn::say(t.fill(P::NoOrder, &[("number", number)]));
    };
    let number = order.number.as_str();
    let in_stars = order.stars.is_some()
        && shop
            .payment(&order.payment_id)
            .is_some_and(|p| p.kind == crate::shop::PaymentKind::Stars);
    if !in_stars {
        return OwnerTurn::say(t.fill(P::RefundNotStars, &[("number", number)]));
    }
    if refunded {
        return OwnerTurn::say(t.fill(P::RefundTwice, &[("number", number)]));
    }
    if matches!(order.status, OrderStatus::New | OrderStatus::Cancelled) {
        return OwnerTurn::say(t.fill(P::RefundUnpaid, &[("number", number)]));
    }
    OwnerTurn {
        effects: vec![OwnerEffect::Refund(number.to_owned())],
        about: vec![order.key()],
        ..OwnerTurn::default()
    }
}
