//! Product cards, cart, order summary, receipt and order list, from the askama
//! templates in `templates/`; every phrase comes from the shop's texts.

use askama::Template;

use super::ratings::CardRating;
use super::{OrderBrief, Session, Totals};
use crate::shop::{Money, Payment, Phrase, Product, Shop, StockLevels, Texts};
use crate::store::{OrderLine, OrderStatus};

/// An amount in the customer's language.
fn money(shop: &Shop, t: &Texts, amount: Money) -> String {
    t.money(amount, shop.currency())
}

struct LineView {
    name: String,
    qty: u32,
    total: String,
}

fn line_views(shop: &Shop, t: &Texts, lines: &[OrderLine]) -> Vec<LineView> {
    lines
        .iter()
        .map(|l| LineView {
            name: l.name.clone(),
            qty: l.qty,
            total: money(shop, t, l.unit_price.times(l.qty)),
        })
        .collect()
}

fn discount_line(shop: &Shop, t: &Texts, totals: &Totals, coupon: Option<&str>) -> Option<String> {
    (totals.discount > Money::ZERO).then(|| {
        t.fill(
            Phrase::DiscountLine,
            &[
                ("code", coupon.unwrap_or("")),
                ("amount", &money(shop, t, totals.discount)),
            ],
        )
    })
}

fn finish(rendered: Result<String, askama::Error>) -> String {
    // Templates only format strings we built; rendering cannot fail on data.
    rendered.map_or_else(|e| format!("({e})"), |s| s.trim_end().to_owned())
}

#[derive(Template)]
#[template(path = "product_card.txt")]
struct CardView<'a> {
    name: &'a str,
    price: String,
    rating: String,
    stock_line: String,
    description: &'a str,
    variants: Vec<String>,
    reviews_title: &'a str,
    reviews: Vec<String>,
}

/// A product card: name, price, rating, stock, description, variants, and
/// the latest comments (see `ratings.rs`).
pub(super) fn product_card(
    shop: &Shop,
    t: &Texts,
    lang: &str,
    p: &Product,
    stock: &StockLevels,
    brief: bool,
    rating: CardRating,
) -> String {
    let available = stock.available(p, None);
    let stock_line = match available {
        0 => t.get(Phrase::StockNone).to_owned(),
        1..=3 => t.fill(Phrase::StockFew, &[("count", &available.to_string())]),
        _ if brief => String::new(),
        _ => t.get(Phrase::StockYes).to_owned(),
    };
    let description = p.description_in(lang);
    let description = if brief {
        description.split_inclusive(". ").next().unwrap_or("")
    } else {
        description
    };
    let variants = p
        .variants
        .iter()
        .map(|v| {
            let price = money(shop, t, v.price.unwrap_or(p.price));
            if stock.available(p, Some(&v.id)) == 0 {
                format!(
                    "{} — {} {}",
                    v.name_in(lang),
                    price,
                    t.get(Phrase::SoldOutTag)
                )
            } else {
                format!("{} — {}", v.name_in(lang), price)
            }
        })
        .collect();
    finish(
        CardView {
            name: p.name_in(lang),
            price: money(shop, t, p.price),
            rating: rating.line,
            stock_line,
            description: description.trim(),
            variants,
            reviews_title: t.get(Phrase::ReviewsTitle),
            reviews: rating.comments,
        }
        .render(),
    )
}

#[derive(Template)]
#[template(path = "cart.txt")]
struct CartView<'a> {
    title: &'a str,
    lines: Vec<LineView>,
    subtotal_label: &'a str,
    subtotal: String,
    discount: Option<String>,
    total_label: &'a str,
    total: String,
}

/// The cart with its totals.
pub fn cart(
    shop: &Shop,
    t: &Texts,
    lines: &[OrderLine],
    totals: &Totals,
    coupon: Option<&str>,
) -> String {
    finish(
        CartView {
            title: t.get(Phrase::CartTitle),
            lines: line_views(shop, t, lines),
            subtotal_label: t.get(Phrase::Subtotal),
            subtotal: money(shop, t, totals.subtotal),
            discount: discount_line(shop, t, totals, coupon),
            total_label: t.get(Phrase::Total),
            total: money(shop, t, Totals::goods_total(totals)),
        }
        .render(),
    )
}

#[derive(Template)]
#[template(path = "summary.txt")]
struct SummaryView<'a> {
    title: &'a str,
    lines: Vec<LineView>,
    subtotal_label: &'a str,
    subtotal: String,
    discount: Option<String>,
    delivery_label: &'a str,
    delivery: String,
    total_label: &'a str,
    total: String,
    fields: Vec<(String, String)>,
    payment_label: &'a str,
    payment: String,
}

/// The order summary shown before the one confirm.
pub fn summary(
    shop: &Shop,
    t: &Texts,
    s: &Session,
    lines: &[OrderLine],
    totals: &Totals,
) -> String {
    let lang = &s.lang;
    let delivery = s
        .checkout
        .delivery
        .as_deref()
        .and_then(|d| shop.delivery(d))
        .map_or_else(
            || digital_delivery(t, s),
            |d| {
                let price = if totals.delivery == Money::ZERO {
                    t.get(Phrase::Free).to_owned()
                } else {
                    money(shop, t, totals.delivery)
                };
                format!("{} ({price})", d.name_in(lang))
            },
        );
    let fields = shop
        .file
        .checkout
        .fields
        .iter()
        .filter_map(|f| {
            let value = s.checkout.fields.get(&f.id)?;
            let key = format!("label_{}", f.id);
            let label = if let Some(key) = Phrase::from_name(&key) {
                t.get(key).to_owned()
            } else {
                f.id.clone()
            };
            Some((label, value.clone()))
        })
        .collect();
    let payment = s
        .checkout
        .payment
        .as_deref()
        .and_then(|p| shop.payment(p))
        .map_or_else(String::new, |p| {
            let stars = (p.kind == crate::shop::PaymentKind::Stars)
                .then(|| super::digital::stars_of(shop, lines, p, *totals))
                .flatten();
            match stars {
                Some(stars) => format!(
                    "{} — {}",
                    p.name_in(lang),
                    t.fill(Phrase::StarsAmount, &[("stars", &stars.to_string())])
                ),
                None => p.name_in(lang).to_owned(),
            }
        });
    finish(
        SummaryView {
            title: t.get(Phrase::SummaryTitle),
            lines: line_views(shop, t, lines),
            subtotal_label: t.get(Phrase::Subtotal),
            subtotal: money(shop, t, totals.subtotal),
            discount: discount_line(shop, t, totals, s.checkout.coupon.as_deref()),
            delivery_label: t.get(Phrase::Delivery),
            delivery,
            total_label: t.get(Phrase::Total),
            total: money(shop, t, totals.total),
            fields,
            payment_label: t.get(Phrase::Payment),
            payment,
        }
        .render(),
    )
}

#[derive(Template)]
#[template(path = "receipt.txt")]
struct ReceiptView<'a> {
    thanks: String,
    lines: Vec<LineView>,
    total_label: &'a str,
    total: String,
    instructions: &'a str,
}

/// The receipt after the order is placed, with payment instructions.
pub fn receipt(
    shop: &Shop,
    t: &Texts,
    lang: &str,
    number: &str,
    lines: &[OrderLine],
    totals: &Totals,
    payment: Option<&Payment>,
) -> String {
    finish(
        ReceiptView {
            thanks: t.fill(Phrase::OrderPlaced, &[("number", number)]),
            lines: line_views(shop, t, lines),
            total_label: t.get(Phrase::Total),
            total: money(shop, t, totals.total),
            instructions: payment.map_or("", |p| p.instructions_in(lang)),
        }
        .render(),
    )
}

struct OrderView {
    number: String,
    date: String,
    status: String,
    total: String,
    items: Vec<(String, u32)>,
}

#[derive(Template)]
#[template(path = "orders.txt")]
struct OrdersView<'a> {
    title: &'a str,
    orders: Vec<OrderView>,
}

/// "My orders": number, date, status and items of each.
pub fn orders(shop: &Shop, t: &Texts, orders: &[OrderBrief]) -> String {
    let orders = orders
        .iter()
        .map(|o| OrderView {
            number: o.number.clone(),
            date: jiff::Timestamp::from_second(o.created_at).map_or_else(
                |_| String::new(),
                |ts| {
                    ts.to_zoned(shop.time_zone.clone())
                        .strftime("%Y-%m-%d")
                        .to_string()
                },
            ),
            status: t.get(status_phrase(o.status)).to_owned(),
            total: money(shop, t, o.total),
            items: o.items.clone(),
        })
        .collect();
    finish(
        OrdersView {
            title: t.get(Phrase::OrdersTitle),
            orders,
        }
        .render(),
    )
}

/// How an order's status reads to the customer.
pub(super) fn status_phrase(status: OrderStatus) -> Phrase {
    match status {
        OrderStatus::New => Phrase::StatusNew,
        OrderStatus::Paid => Phrase::StatusPaid,
        OrderStatus::Shipped => Phrase::StatusShipped,
        OrderStatus::Delivered => Phrase::StatusDelivered,
        OrderStatus::Cancelled => Phrase::StatusCancelled,
    }
}

/// The delivery line of a summary without a delivery option: digital goods
/// come in the chat.
fn digital_delivery(t: &Texts, s: &Session) -> String {
    if s.checkout.delivery.as_deref() == Some(super::DIGITAL) {
        t.get(Phrase::DigitalDelivery).to_owned()
    } else {
        String::new()
    }
}
