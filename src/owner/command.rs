//! The owner's commands, typed (`/status 1001 shipped TRK`) or pressed (buttons
//! under notices).

/// Button ids of owner buttons start with this; a customer's conversation never
/// makes such ids, and the engine refuses them from anyone but an owner.
pub const BUTTON_PREFIX: &str = "o:";

use crate::store::OrderStatus;

/// Every command name only an owner may use.
pub const NAMES: [&str; 21] = [
    "help",
    "tickets",
    "reply",
    "r",
    "send",
    "coupon",
    "close",
    "orders",
    "order",
    "status",
    "stock",
    "reload",
    "pause",
    "resume",
    "stats",
    "broadcast",
    "refund",
    "hide-review",
    "unhide-review",
    "hide_review",
    "unhide_review",
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Help,
    Tickets,
    Reply {
        ticket: i64,
        text: String,
    },
    /// Canned reply `id` of shop.toml to ticket N's customer (`/r N id`).
    Canned {
        ticket: i64,
        id: String,
    },
    /// A product's card to ticket N's customer (`/send N PRODUCT[:VARIANT]`).
    Send {
        ticket: i64,
        product: String,
        variant: Option<String>,
    },
    /// A coupon for ticket N's customer (`/coupon N CODE`).
    Coupon {
        ticket: i64,
        code: String,
    },
    Close(i64),
    Orders(Option<OrderStatus>),
    Order(String),
    Status {
        number: String,
        status: OrderStatus,
        tracking: Option<String>,
    },
    Stock {
        key: String,
        qty: i64,
    },
    Reload,
    Pause,
    Resume,
    /// The figures of the last N days.
    Stats(u32),
    /// A message to every customer who agreed to offers and news.
    Broadcast(String),
    /// Give back an order's payment in Telegram Stars (`/refund N`).
    Refund(String),
    /// Keep order N's feedback comment off product cards (`/hide-review N`),
    /// or show it again (`/unhide-review N`).
    HideReview {
        number: String,
        hidden: bool,
    },
    /// A known command written wrongly: how to write it.
    Usage(&'static str),
}

/// The name of a `/command` (without the bot's `@name`), lower-case.
pub fn name_of(text: &str) -> Option<String> {
    let word = text
        .trim_start()
        .strip_prefix('/')?
        .split_whitespace()
        .next()?;
    Some(word.split('@').next().unwrap_or("").to_ascii_lowercase())
}

/// Reads an owner command; `None` if the text is not one (a customer command
/// such as `/start`, or no command at all).
pub fn parse(text: &str) -> Option<Command> {
    let name = name_of(text)?;
    if !NAMES.contains(&name.as_str()) {
        return None;
    }
    // The arguments, with the command word removed (keeping the answer's own spacing).
    let rest = text
        .trim_start()
        .split_once(char::is_whitespace)
        .map_or("", |(_, rest)| rest.trim());
    let mut words = rest.split_whitespace();
    let command = match name.as_str() {
        "help" => Command::Help,
        "tickets" => Command::Tickets,
        "reply" => {
            let usage = Command::Usage("/reply N your answer");
            let Some(ticket) = words.next().and_then(number) else {
                return Some(usage);
            };
            let text = rest
                .split_once(char::is_whitespace)
                .map_or("", |(_, text)| text.trim());
            if text.is_empty() {
                return Some(usage);
            }
            Command::Reply {
                ticket,
                text: text.to_owned(),
            }
        }
        "r" | "send" | "coupon" => selling_command(&name, &mut words),
        "close" => match words.next().and_then(number) {
            Some(ticket) => Command::Close(ticket),
            None => Command::Usage("/close N"),
        },
        "orders" => match words.next() {
            None => Command::Orders(None),
            Some(status) => match status_of(status) {
                Some(status) => Command::Orders(Some(status)),
                None => Command::Usage("/orders [new|paid|shipped|delivered|cancelled]"),
            },
        },
        "order" => match words.next() {
            Some(n) => Command::Order(n.trim_start_matches('#').to_owned()),
            None => Command::Usage("/order N"),
        },
        "status" => {
            let usage = Command::Usage("/status N paid|shipped|delivered|cancelled [tracking]");
            let (Some(n), Some(status)) = (words.next(), words.next().and_then(status_word)) else {
                return Some(usage);
            };
            let tracking = words.collect::<Vec<_>>().join(" ");
            Command::Status {
                number: n.trim_start_matches('#').to_owned(),
                status,
                tracking: (!tracking.is_empty()).then_some(tracking),
            }
        }
        "stock" => {
            let (Some(key), Some(Ok(qty)), None) = (
                words.next(),
                words.next().map(str::parse::<i64>),
                words.next(),
            ) else {
                return Some(Command::Usage("/stock PRODUCT_ID[:VARIANT_ID] N"));
            };
            if qty < 0 {
                return Some(Command::Usage("/stock PRODUCT_ID[:VARIANT_ID] N (N ≥ 0)"));
            }
            Command::Stock {
                key: key.to_owned(),
                qty,
            }
        }
        "refund" => match (words.next(), words.next()) {
            (Some(n), None) => Command::Refund(n.trim_start_matches('#').to_owned()),
            _ => Command::Usage("/refund N"),
        },
        "reload" => Command::Reload,
        "pause" => Command::Pause,
        "broadcast" if rest.is_empty() => Command::Usage("/broadcast your message"),
        "broadcast" => Command::Broadcast(rest.to_owned()),
        "hide-review" | "hide_review" | "unhide-review" | "unhide_review" => {
            let hidden = name.starts_with("hide");
            match (words.next(), words.next()) {
                (Some(n), None) if !n.trim_start_matches('#').is_empty() => Command::HideReview {
                    number: n.trim_start_matches('#').to_owned(),
                    hidden,
                },
                _ if hidden => Command::Usage("/hide-review N"),
                _ => Command::Usage("/unhide-review N"),
            }
        }
        "stats" => match words.next().map(str::parse::<u32>) {
            None => Command::Stats(30),
            Some(Ok(days)) if (1..=3660).contains(&days) => Command::Stats(days),
            Some(_) => Command::Usage("/stats [days]"),
        },
        _ => Command::Resume,
    };
    Some(command)
}

/// `/r N id`, `/send N PRODUCT[:VARIANT]`, `/coupon N CODE`: a ticket and one word.
fn selling_command<'a>(name: &str, words: &mut impl Iterator<Item = &'a str>) -> Command {
    match name {
        "r" => match (words.next().and_then(number), words.next(), words.next()) {
            (Some(ticket), Some(id), None) => Command::Canned {
                ticket,
                id: id.to_owned(),
            },
            _ => Command::Usage("/r N reply_id"),
        },
        "send" => match (words.next().and_then(number), words.next(), words.next()) {
            (Some(ticket), Some(key), None) => {
                let (product, variant) = super::stock_target(key);
                Command::Send {
                    ticket,
                    product: product.to_owned(),
                    variant: variant.map(str::to_owned),
                }
            }
            _ => Command::Usage("/send N PRODUCT_ID[:VARIANT_ID]"),
        },
        _ => match (words.next().and_then(number), words.next(), words.next()) {
            (Some(ticket), Some(code), None) => Command::Coupon {
                ticket,
                code: code.to_owned(),
            },
            _ => Command::Usage("/coupon N CODE"),
        },
    }
}

/// Reads an owner button id (`o:shipped:1001`, `o:close:7`).
pub fn parse_button(id: &str) -> Option<Command> {
    let rest = id.strip_prefix(BUTTON_PREFIX)?;
    let (what, arg) = rest.split_once(':')?;
    if what == "close" {
        return number(arg).map(Command::Close);
    }
    if what == "r" {
        let (ticket, id) = arg.split_once(':')?;
        return Some(Command::Canned {
            ticket: number(ticket)?,
            id: id.to_owned(),
        });
    }
    let status = status_word(what)?;
    Some(Command::Status {
        number: arg.to_owned(),
        status,
        tracking: None,
    })
}

/// The id of an owner button.
pub fn button_id(what: &str, arg: &str) -> String {
    format!("{BUTTON_PREFIX}{what}:{arg}")
}

fn number(word: &str) -> Option<i64> {
    word.trim_start_matches('#').parse().ok().filter(|n| *n > 0)
}

/// A status the owner can set (not `new`), as they may write it.
fn status_word(word: &str) -> Option<OrderStatus> {
    status_of(word).filter(|status| OrderStatus::SETTABLE.contains(status))
}

/// A status as the owner may write it: the command word (`shipped`), or the
/// status as any bundled owner language says it (`enviado`, `expediată`).
fn status_of(word: &str) -> Option<OrderStatus> {
    OrderStatus::from_word(word).or_else(|| {
        let key = crate::shop::texts::owner_status_key(word)?;
        OrderStatus::from_word(key.strip_prefix("status_")?)
    })
}

#[cfg(test)]
mod tests {
    use super::{Command, OrderStatus, parse, parse_button};

    #[test]
    fn reads_commands_and_their_arguments() {
        assert_eq!(
            parse("/reply 12  Hello,\nyes we ship to Spain"),
            Some(Command::Reply {
                ticket: 12,
                text: "Hello,\nyes we ship to Spain".into()
            })
        );
        assert_eq!(
            parse("/status@shopbot #1001 Shipped DHL 123"),
            Some(Command::Status {
                number: "1001".into(),
                status: OrderStatus::Shipped,
                tracking: Some("DHL 123".into())
            })
        );
        assert_eq!(
            parse("/stock castle:red 4"),
            Some(Command::Stock {
                key: "castle:red".into(),
                qty: 4
            })
        );
        assert_eq!(parse("/close #3"), Some(Command::Close(3)));
        assert_eq!(
            parse("/orders paid"),
            Some(Command::Orders(Some(OrderStatus::Paid)))
        );
        assert!(matches!(parse("/reply 3"), Some(Command::Usage(_))));
        assert!(matches!(parse("/stock castle -1"), Some(Command::Usage(_))));
        assert!(matches!(
            parse("/status 1001 lost"),
            Some(Command::Usage(_))
        ));
        assert_eq!(
            parse("/send #4 truck:blue"),
            Some(Command::Send {
                ticket: 4,
                product: "truck".into(),
                variant: Some("blue".into())
            })
        );
        assert_eq!(
            parse("/coupon 4 welcome10"),
            Some(Command::Coupon {
                ticket: 4,
                code: "welcome10".into()
            })
        );
        assert_eq!(
            parse("/r 4 shipping"),
            Some(Command::Canned {
                ticket: 4,
                id: "shipping".into()
            })
        );
        for wrong in [
            "/send 4",
            "/send x castle",
            "/coupon 4",
            "/r 4",
            "/r 4 a b",
            "/send 0 castle",
        ] {
            assert!(matches!(parse(wrong), Some(Command::Usage(_))), "{wrong}");
        }
        assert_eq!(parse("/start"), None);
        assert_eq!(parse("hello"), None);
        assert_eq!(
            parse("/hide-review #1001"),
            Some(Command::HideReview {
                number: "1001".into(),
                hidden: true
            })
        );
        assert_eq!(
            parse("/unhide_review 1001"),
            Some(Command::HideReview {
                number: "1001".into(),
                hidden: false
            })
        );
        assert_eq!(
            parse("/hide-review"),
            Some(Command::Usage("/hide-review N"))
        );
        assert_eq!(
            parse("/unhide-review 1 2"),
            Some(Command::Usage("/unhide-review N"))
        );
    }

    #[test]
    fn reads_buttons() {
        assert_eq!(parse_button("o:close:7"), Some(Command::Close(7)));
        assert_eq!(
            parse_button("o:cancelled:1002"),
            Some(Command::Status {
                number: "1002".into(),
                status: OrderStatus::Cancelled,
                tracking: None
            })
        );
        assert_eq!(
            parse_button("o:r:12:shipping-times"),
            Some(Command::Canned {
                ticket: 12,
                id: "shipping-times".into()
            })
        );
        assert_eq!(parse_button("o:r:12"), None);
        assert_eq!(parse_button("o:r:x:shipping"), None);
        assert_eq!(parse_button("menu"), None);
        assert_eq!(parse_button("o:close:x"), None);
    }

    /// The usage texts write the status words out: they list exactly the type's.
    #[test]
    fn usage_lists_the_statuses() {
        let words = |statuses: &[OrderStatus]| {
            statuses
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join("|")
        };
        let Some(Command::Usage(orders)) = parse("/orders lost") else {
            panic!("no usage for /orders");
        };
        assert!(orders.contains(&format!("[{}]", words(&OrderStatus::ALL))));
        let Some(Command::Usage(status)) = parse("/status 1 lost") else {
            panic!("no usage for /status");
        };
        assert!(status.contains(&format!(" {} ", words(&OrderStatus::SETTABLE))));
        let help = super::super::help(&crate::shop::Shop::example());
        assert!(help.contains(orders) && help.contains(status));
    }
}
