//! Selling from the ticket: a product's card (`/send`), a coupon (`/coupon`),
//! canned replies (`/r` and the buttons under a ticket notice), the customer's
//! past orders and tickets on the notice, and how an answer is signed.

use std::fmt::Write as _;

use jiff::Timestamp;

use super::notices::status_name;
use super::{Notice, OwnerTurn, ToCustomer, answer, command};
use crate::conversation::{
    Answer, Button, CouponProblem, Input, Reply, Session, coupon_problem, totals,
};
use crate::report::money;
use crate::shop::{OwnerPhrase as P, Shop};
use crate::store::{Order, Ticket};

/// How many canned replies get a button under a ticket notice.
pub const REPLY_BUTTONS: usize = 4;
/// How many past orders a ticket notice lists.
pub const PAST_ORDERS: usize = 5;

/// What the shop knows of a ticket's customer from before: for the notice.
#[derive(Debug, Clone, Default)]
pub struct Past {
    /// Their latest orders, newest first (at least [`PAST_ORDERS`] when there are).
    pub orders: Vec<Order>,
    /// How many orders they placed in all.
    pub order_count: usize,
    /// How many tickets they opened before this one.
    pub earlier_tickets: usize,
}

/// The name the customer sees on an answer from owner `sender`: their name in
/// `[owners] names`, else their platform first name (from `sender_name`,
/// "Marta Pop (@marta)"), else none (the shop's name). Always none unless
/// `[owners] sign = true`.
pub fn signature(shop: &Shop, sender: Option<&str>, sender_name: Option<&str>) -> Option<String> {
    let owners = &shop.file.owners;
    if !owners.sign {
        return None;
    }
    // Braces would read as a phrase's placeholders when the name is filled in.
    let clean = |name: &str| -> Option<String> {
        let name: String = name.chars().filter(|c| !matches!(c, '{' | '}')).collect();
        let name = name.trim();
        (!name.is_empty()).then(|| name.to_owned())
    };
    if let Some(name) = sender.and_then(|s| owners.names.get(s)) {
        return clean(name);
    }
    let full = sender_name?;
    // The handle in brackets is not a name; the first word is.
    let name = full.split(" (").next().unwrap_or(full);
    let first = name.split_whitespace().next()?;
    if first.starts_with('@') {
        return None;
    }
    clean(first)
}

/// Adds the customer's past orders and tickets, and buttons for the canned
/// replies, to the notice of ticket `number`: the lines go before its last
/// line (how to answer), the buttons before "Close".
pub fn add_to_notice(shop: &Shop, notice: &mut Notice, number: i64, past: &Past) {
    let mut lines = past_lines(shop, past);
    let replies = &shop.file.replies;
    if !replies.is_empty() {
        let ids: Vec<&str> = replies.iter().map(|r| r.id.as_str()).collect();
        let n = number.to_string();
        let _ = writeln!(
            lines,
            "{}",
            shop.owner_texts().fill(
                P::NoticeCanned,
                &[("n", &n), ("first", ids[0]), ("ids", &ids.join(", "))]
            )
        );
    }
    let text = &mut notice.reply.text;
    let at = text.rfind('\n').map_or(0, |i| i + 1);
    text.insert_str(at, &lines);
    let buttons: Vec<Button> = replies
        .iter()
        .take(REPLY_BUTTONS)
        .map(|r| Button {
            id: command::button_id("r", &format!("{number}:{}", r.id)),
            label: format!("↩ {}", r.id),
        })
        .collect();
    notice.reply.buttons.splice(0..0, buttons);
}

/// "Past orders: 7", the latest [`PAST_ORDERS`] (number, date, total,
/// status), "+2 more", and "Earlier tickets: 1"; each line ends in a newline.
pub fn past_lines(shop: &Shop, past: &Past) -> String {
    let t = shop.owner_texts();
    let mut text = String::new();
    if past.order_count == 0 {
        let _ = writeln!(text, "{}", t.get(P::PastOrdersNone));
    } else {
        let count = past.order_count.to_string();
        let _ = writeln!(text, "{}", t.fill(P::PastOrders, &[("count", &count)]));
        for o in past.orders.iter().take(PAST_ORDERS) {
            let date = Timestamp::from_second(o.created_at).map_or_else(
                |_| "?".to_owned(),
                |t| {
                    t.to_zoned(shop.time_zone.clone())
                        .strftime("%Y-%m-%d")
                        .to_string()
                },
            );
            let line = t.fill(
                P::PastOrderLine,
                &[
                    ("number", &o.number),
                    ("date", &date),
                    ("total", &money(shop, o.total)),
                    ("status", status_name(t, o.status)),
                ],
            );
            let _ = writeln!(text, "{line}");
        }
        let shown = past.orders.len().min(PAST_ORDERS);
        if past.order_count > shown {
            let more = (past.order_count - shown).to_string();
            let _ = writeln!(text, "{}", t.fill(P::PastOrdersMore, &[("count", &more)]));
        }
    }
    let earlier = past.earlier_tickets.to_string();
    let _ = writeln!(
        text,
        "{}",
        t.fill(P::EarlierTickets, &[("count", &earlier)])
    );
    text
}

/// `/send N PRODUCT[:VARIANT]`: the product's live card to ticket N's
/// customer; `available` is its live stock (of the variant, when named).
pub fn send(
    shop: &Shop,
    number: i64,
    ticket: Option<Ticket>,
    product_id: &str,
    variant: Option<&str>,
    available: i64,
) -> OwnerTurn {
    let t = shop.owner_texts();
    let Some(ticket) = ticket else {
        return no_ticket(shop, number);
    };
    let n = number.to_string();
    let Some(product) = shop.product(product_id) else {
        return OwnerTurn::say(t.fill(P::SendNoProduct, &[("product", product_id)]));
    };
    let ids: Vec<&str> = product.variants.iter().map(|v| v.id.as_str()).collect();
    let name = match variant {
        Some(_) if ids.is_empty() => {
            return OwnerTurn::say(
                t.fill(P::SendNoVariants, &[("product", &product.id), ("n", &n)]),
            );
        }
        Some(v) => match product.variant(v) {
            Some(found) => format!("{} ({})", product.name, found.name),
            None => {
                return OwnerTurn::say(t.fill(
                    P::SendNoVariant,
                    &[
                        ("product", &product.id),
                        ("variant", v),
                        ("variants", &ids.join(", ")),
                    ],
                ));
            }
        },
        None => product.name.clone(),
    };
    if available <= 0 {
        return OwnerTurn::say(t.fill(P::SendSoldOut, &[("name", &name)]));
    }
    let done = if ticket.open {
        P::SendDone
    } else {
        P::SendDoneClosed
    };
    OwnerTurn {
        replies: vec![Reply::plain(t.fill(done, &[("name", &name), ("n", &n)]))],
        about: vec![ticket.key()],
        customers: vec![ToCustomer {
            customer: ticket.key(),
            input: Input::OwnerShows {
                product: product.id.clone(),
                variant: variant.map(str::to_owned),
            },
        }],
        effects: Vec::new(),
    }
}

/// `/coupon N CODE`: checked as the customer's own code would be (unknown,
/// expired; below its minimum it is given all the same, taken off once the
/// goods reach it), then put on their cart.
pub fn coupon(
    shop: &Shop,
    number: i64,
    ticket: Option<Ticket>,
    code: &str,
    session: Option<&Session>,
    now: Timestamp,
) -> OwnerTurn {
    let t = shop.owner_texts();
    let Some(ticket) = ticket else {
        return no_ticket(shop, number);
    };
    let goods = session.map(|s| totals(shop, s, now).subtotal);
    let minimum = match coupon_problem(shop, code, goods.unwrap_or_default(), now) {
        Ok(_) => None,
        Err(CouponProblem::Minimum(min)) => Some(min),
        Err(CouponProblem::Unknown) => {
            let codes: Vec<&str> = shop.file.coupons.iter().map(|c| c.code.as_str()).collect();
            return OwnerTurn::say(if codes.is_empty() {
                t.fill(P::CouponNoneAtAll, &[("code", code)])
            } else {
                t.fill(
                    P::CouponUnknown,
                    &[("code", code), ("codes", &codes.join(", "))],
                )
            });
        }
        Err(CouponProblem::Expired) => {
            let last = shop
                .coupon(code)
                .and_then(|c| c.expires.as_ref())
                .map(ToString::to_string);
            return OwnerTurn::say(match last {
                Some(date) => t.fill(P::CouponExpiredOn, &[("code", code), ("date", &date)]),
                None => t.fill(P::CouponExpired, &[("code", code)]),
            });
        }
    };
    let code = shop.coupon(code).map_or(code, |c| c.code.as_str());
    let done = if ticket.open {
        P::CouponDone
    } else {
        P::CouponDoneClosed
    };
    let mut said = t.fill(done, &[("code", code), ("n", &number.to_string())]);
    if let Some(min) = minimum {
        said.push(' ');
        said.push_str(&t.fill(
            P::CouponMinimum,
            &[
                ("minimum", &money(shop, min)),
                ("goods", &money(shop, goods.unwrap_or_default())),
            ],
        ));
    }
    OwnerTurn {
        replies: vec![Reply::plain(said)],
        about: vec![ticket.key()],
        customers: vec![ToCustomer {
            customer: ticket.key(),
            input: Input::OwnerCoupon {
                code: code.to_owned(),
            },
        }],
        effects: Vec::new(),
    }
}

/// `/r N id`: canned reply `id` in the customer's language (the shop's own
/// text when it has no translation), sent as the owner's answer.
pub fn canned(
    shop: &Shop,
    number: i64,
    ticket: Option<Ticket>,
    id: &str,
    session: Option<&Session>,
    signature: Option<String>,
) -> OwnerTurn {
    if ticket.is_none() {
        return no_ticket(shop, number);
    }
    let t = shop.owner_texts();
    let replies = &shop.file.replies;
    let Some(reply) = replies.iter().find(|r| r.id == id) else {
        let ids: Vec<&str> = replies.iter().map(|r| r.id.as_str()).collect();
        return OwnerTurn::say(if ids.is_empty() {
            t.get(P::CannedNone).to_owned()
        } else {
            t.fill(P::CannedUnknown, &[("id", id), ("ids", &ids.join(", "))])
        });
    };
    let lang = session.map_or(shop.default_language(), |s| s.lang.as_str());
    let text = reply.text_in(lang).to_owned();
    answer(
        shop,
        number,
        ticket,
        Answer {
            text,
            attachment: None,
            signature,
        },
    )
}

fn no_ticket(shop: &Shop, number: i64) -> OwnerTurn {
    OwnerTurn::say(
        shop.owner_texts()
            .fill(P::AnswerNoTicket, &[("n", &number.to_string())]),
    )
}

#[cfg(test)]
mod tests {
    use super::{Past, past_lines, signature};
    use crate::shop::Shop;

    fn shop(owners: &str) -> Shop {
        let small = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/shops/small.toml"
        ))
        .expect("small.toml");
        let text = small.replace(
            "[owners]\ntelegram = []\nmatrix = []",
            &format!("[owners]\ntelegram = [111]\nmatrix = [\"@m:x.org\"]\n{owners}"),
        );
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("shop.toml");
        std::fs::write(&path, text).expect("write");
        Shop::load(&path).expect("loads")
    }

    #[test]
    fn an_answer_is_signed_by_name_first_name_or_not_at_all() {
        let unsigned = shop("names = { \"111\" = \"Marta\" }");
        assert_eq!(signature(&unsigned, Some("111"), Some("Marta Pop")), None);
        let signed = shop("sign = true\nnames = { \"111\" = \" Marta \" }");
        let sign = |sender, name| signature(&signed, sender, name);
        assert_eq!(sign(Some("111"), Some("Boss")), Some("Marta".into()));
        assert_eq!(
            sign(Some("222"), Some("Luis Gómez (@luis)")),
            Some("Luis".into())
        );
        assert_eq!(
            sign(Some("@m:x.org"), Some("Ana B (@m:x.org)")),
            Some("Ana".into())
        );
        // A Matrix account without a display name is only its id: the shop signs.
        assert_eq!(sign(Some("@m:x.org"), Some("@m:x.org")), None);
        assert_eq!(sign(Some("222"), None), None);
        assert_eq!(sign(Some("222"), Some("   ")), None);
        assert_eq!(sign(Some("222"), Some("{}")), None);
        assert_eq!(sign(Some("222"), Some("{shop}x")), Some("shopx".into()));
        assert_eq!(
            sign(Some("222"), Some("\u{202e}ﷺ (@z)")),
            Some("\u{202e}ﷺ".into())
        );
    }

    #[test]
    fn past_orders_show_the_latest_five_and_how_many_more() {
        let shop = shop("");
        assert_eq!(
            past_lines(&shop, &Past::default()),
            "Past orders: none\nEarlier tickets: 0\n"
        );
        let past = Past {
            orders: Vec::new(),
            order_count: 12,
            earlier_tickets: 3,
        };
        // Orders counted but none loaded (erased since): the count stays true.
        assert_eq!(
            past_lines(&shop, &past),
            "Past orders: 12\n  +12 more\nEarlier tickets: 3\n"
        );
    }
}
