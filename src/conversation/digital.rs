//! Digital goods and Telegram Stars in the conversation: a cart of digital
//! products skips delivery and the address, is offered Stars on Telegram,
//! and its goods arrive after payment (or again, from "my orders").

use super::io::{Goods, GoodsKind, Invoice, StarRefund};
use super::{Action, Button, Cx, Effect, OrderBrief, Reply};
use crate::channel::Channel;
use crate::shop::stars::XTR;
use crate::shop::{Payment, PaymentKind, Phrase, Shop};
use crate::store::{OrderLine, OrderStatus};

/// The delivery id of an order of digital goods only: sent in the chat.
pub const DIGITAL: &str = "";

/// How many orders of "my orders" get a "send again" button.
const RESEND_BUTTONS: usize = 3;

/// Whether every line is a digital product (and there is at least one).
pub fn all_digital(shop: &Shop, lines: &[OrderLine]) -> bool {
    !lines.is_empty()
        && lines.iter().all(|l| {
            shop.product(&l.product_id)
                .is_some_and(|p| p.digital.is_some())
        })
}

/// What `lines` cost in Stars with the Stars method `method`.
pub fn stars_of(
    shop: &Shop,
    lines: &[OrderLine],
    method: &Payment,
    totals: super::Totals,
) -> Option<u32> {
    let lines: Vec<_> = lines
        .iter()
        .map(|l| (l.product_id.as_str(), l.qty))
        .collect();
    shop.stars_total(&lines, method, totals.subtotal, totals.total)
}

/// Whether `lines` can be paid with the Stars method `method`: every line a
/// digital product it can price (Telegram takes Stars for digital goods only).
fn priced_in_stars(shop: &Shop, lines: &[OrderLine], method: &Payment) -> bool {
    stars_of(shop, lines, method, super::Totals::default()).is_some()
}

/// The payment methods a customer on `channel` can use for `lines`: Telegram's
/// own (a provider, or Stars) only on Telegram; Stars only for digital goods,
/// a provider only for physical ones (Telegram's rules for bots). When that
/// leaves none, every method (Stars only for goods it can price), as a shop
/// that takes Telegram payments only always did for its Matrix customers.
pub fn payment_methods<'s>(
    shop: &'s Shop,
    channel: Option<Channel>,
    lines: &[OrderLine],
) -> Vec<&'s Payment> {
    let on_telegram = channel == Some(Channel::Telegram);
    let digital = lines.iter().any(|l| {
        shop.product(&l.product_id)
            .is_some_and(|p| p.digital.is_some())
    });
    let all = &shop.file.payment;
    let usable: Vec<_> = all
        .iter()
        .filter(|p| match p.kind {
            PaymentKind::Telegram => on_telegram && !digital,
            PaymentKind::Stars => on_telegram && priced_in_stars(shop, lines, p),
            PaymentKind::Cash | PaymentKind::BankTransfer => true,
        })
        .collect();
    if usable.is_empty() {
        all.iter()
            .filter(|p| p.kind != PaymentKind::Stars || priced_in_stars(shop, lines, p))
            .collect()
    } else {
        usable
    }
}

impl Cx<'_> {
    /// Whether the cart holds digital goods only.
    pub(super) fn digital_cart(&self) -> bool {
        all_digital(self.shop, &super::order_lines(self.shop, &self.s))
    }

    /// The Stars invoice of an order just placed, when it is paid with Stars.
    pub(super) fn stars_invoice(
        &self,
        number: &str,
        lines: &[OrderLine],
        payment: &Payment,
        totals: super::Totals,
        description: String,
    ) -> Option<Reply> {
        let stars = stars_of(self.shop, lines, payment, totals)?;
        let amount = self
            .t()
            .fill(Phrase::StarsAmount, &[("stars", &stars.to_string())]);
        let mut reply = Reply::plain(self.t().fill(Phrase::InvoicePrompt, &[("total", &amount)]));
        reply.invoice = Some(Invoice {
            order: number.to_owned(),
            title: self.t().fill(
                Phrase::InvoiceTitle,
                &[("shop", self.shop.name()), ("number", number)],
            ),
            description,
            currency: XTR.to_owned(),
            amount: i64::from(stars),
            payment: payment.id.clone(),
        });
        Some(reply)
    }

    /// The engine recorded a payment: say so, with the goods when there are some.
    pub(super) fn payment_recorded(&mut self, order: &str, goods: Option<&Goods>) {
        match goods {
            Some(goods) => self.goods(goods),
            None => self.say(self.t().fill(Phrase::PaymentReceived, &[("number", order)])),
        }
        self.menu(true);
    }

    /// An order's digital goods: a heading, each file as its own message, the
    /// codes together in one.
    pub(super) fn goods(&mut self, goods: &Goods) {
        let number = goods.order.as_str();
        let heading = if goods.again {
            Phrase::GoodsAgain
        } else {
            Phrase::GoodsIntro
        };
        let mut text = vec![self.t().fill(heading, &[("number", number)])];
        let mut files = Vec::new();
        for item in &goods.items {
            match &item.what {
                GoodsKind::Codes(codes) => {
                    for code in codes {
                        text.push(
                            self.t()
                                .fill(Phrase::GoodsCode, &[("name", &item.name), ("code", code)]),
                        );
                    }
                }
                GoodsKind::Missing => {
                    text.push(self.t().fill(Phrase::GoodsMissing, &[("name", &item.name)]));
                }
                GoodsKind::File(attachment) => {
                    let mut reply =
                        Reply::plain(self.t().fill(Phrase::GoodsFile, &[("name", &item.name)]));
                    reply.attachment = Some(attachment.clone());
                    files.push(reply);
                }
            }
        }
        self.say(text.join("\n"));
        self.replies.extend(files);
    }

    /// The customer asked for an order's goods again.
    pub(super) fn resend(&mut self, order: &str) {
        self.effects.push(Effect::Deliver {
            order: order.to_owned(),
            again: true,
        });
    }

    /// After the owner moved an order on: its goods, if it is now paid.
    pub(super) fn deliver_if_paid(&mut self, number: &str, status: OrderStatus) {
        if matches!(
            status,
            OrderStatus::Paid | OrderStatus::Shipped | OrderStatus::Delivered
        ) {
            self.effects.push(Effect::Deliver {
                order: number.to_owned(),
                again: false,
            });
        }
    }

    /// The shop refunded a payment in Stars.
    pub(super) fn refunded(&mut self, refund: &StarRefund) {
        let mut reply = Reply::plain(self.t().fill(
            Phrase::Refunded,
            &[
                ("number", &refund.order),
                ("stars", &refund.stars.to_string()),
            ],
        ));
        reply.refund = Some(refund.clone());
        self.replies.push(reply);
    }

    /// "Send again" buttons for the latest orders whose goods were delivered.
    pub(super) fn resend_buttons(&self, orders: &[OrderBrief]) -> Vec<Button> {
        orders
            .iter()
            .filter(|o| o.resendable && o.status != OrderStatus::Cancelled)
            .take(RESEND_BUTTONS)
            .map(|o| Button {
                id: Action::Resend(o.number.clone()).id(),
                label: self
                    .t()
                    .fill(Phrase::ResendButton, &[("number", &o.number)]),
            })
            .collect()
    }
}
