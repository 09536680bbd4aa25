//! The cart: adding, quantities, coupons and totals.

use jiff::Timestamp;

use super::{Action, Button, CartItem, Cx, Session, Step, Totals, render};
use crate::shop::{Coupon, Money, Phrase, Shop};
use crate::store::OrderLine;

/// Why a coupon cannot be used now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CouponProblem {
    Unknown,
    Expired,
    /// The goods total must reach this amount.
    Minimum(Money),
}

/// Checks a coupon against the goods total and the date in the shop's time zone.
pub fn coupon_problem<'a>(
    shop: &'a Shop,
    code: &str,
    subtotal: Money,
    now: Timestamp,
) -> Result<&'a Coupon, CouponProblem> {
    let coupon = shop.coupon(code).ok_or(CouponProblem::Unknown)?;
    if let Some(expires) = coupon.expires.as_ref().and_then(|d| d.date) {
        let today = now.to_zoned(shop.time_zone.clone()).date();
        let last = jiff::civil::date(
            i16::try_from(expires.year).unwrap_or(i16::MAX),
            i8::try_from(expires.month).unwrap_or(12),
            i8::try_from(expires.day).unwrap_or(31),
        );
        if today > last {
            return Err(CouponProblem::Expired);
        }
    }
    if let Some(min) = coupon.min_total
        && subtotal < min
    {
        return Err(CouponProblem::Minimum(min));
    }
    Ok(coupon)
}

/// The cart's lines with names and prices as they are now; unknown products are skipped.
pub fn order_lines(shop: &Shop, session: &Session) -> Vec<OrderLine> {
    let lang = &session.lang;
    session
        .cart
        .iter()
        .filter_map(|item| {
            let p = shop.product(&item.product)?;
            let (name, price) = match &item.variant {
                Some(v) => {
                    let variant = p.variant(v)?;
                    (
                        format!("{} ({})", p.name_in(lang), variant.name_in(lang)),
                        variant.price.unwrap_or(p.price),
                    )
                }
                None => (p.name_in(lang).to_owned(), p.price),
            };
            Some(OrderLine {
                product_id: p.id.clone(),
                variant: item.variant.clone(),
                name,
                unit_price: price,
                qty: item.qty,
            })
        })
        .collect()
}

/// Subtotal, coupon discount (if the coupon is valid now), delivery and total.
pub fn totals(shop: &Shop, session: &Session, now: Timestamp) -> Totals {
    let subtotal = order_lines(shop, session)
        .iter()
        .fold(Money::ZERO, |sum, l| sum + l.unit_price.times(l.qty));
    let discount = session
        .checkout
        .coupon
        .as_deref()
        .and_then(|code| coupon_problem(shop, code, subtotal, now).ok())
        .map_or(Money::ZERO, |c| match (c.percent, c.amount) {
            (Some(p), _) => subtotal.percent(p),
            (None, Some(a)) => a.min(subtotal),
            (None, None) => Money::ZERO,
        });
    let delivery = session
        .checkout
        .delivery
        .as_deref()
        .and_then(|id| shop.delivery(id))
        .map_or(Money::ZERO, |d| match d.free_from {
            Some(free) if subtotal >= free => Money::ZERO,
            _ => d.price,
        });
    Totals {
        subtotal,
        discount,
        delivery,
        total: subtotal - discount + delivery,
    }
}

impl Cx<'_> {
    pub(super) fn add_to_cart(&mut self, product_id: &str, variant: Option<&str>) {
        let Some(p) = self.shop.product(product_id) else {
            self.expired();
            return;
        };
        // A product with variants needs one; a product without must not get one.
        let valid = match variant {
            Some(v) => p.variant(v).is_some(),
            None => p.variants.is_empty(),
        };
        if !valid {
            self.expired();
            return;
        }
        let lang = self.lang();
        let available = u32::try_from(self.stock.available(p, variant)).unwrap_or(0);
        let in_cart = self
            .s
            .cart_item_mut(product_id, variant)
            .map_or(0, |i| i.qty);
        let name = match variant.and_then(|v| p.variant(v)) {
            Some(v) => format!("{} ({})", p.name_in(&lang), v.name_in(&lang)),
            None => p.name_in(&lang).to_owned(),
        };
        if available == 0 {
            self.say(self.t().fill(Phrase::SoldOut, &[("product", &name)]));
        } else if in_cart >= available {
            self.say(self.t().fill(
                Phrase::OnlyLeft,
                &[("product", &name), ("count", &available.to_string())],
            ));
        } else {
            match self.s.cart_item_mut(product_id, variant) {
                Some(item) => item.qty += 1,
                None => self.s.cart.push(CartItem {
                    product: product_id.to_owned(),
                    variant: variant.map(str::to_owned),
                    qty: 1,
                }),
            }
            let totals = totals(self.shop, &self.s, self.now);
            self.say(self.t().fill(
                Phrase::Added,
                &[
                    ("product", &name),
                    ("count", &self.s.cart_units().to_string()),
                    ("total", &self.money(totals.subtotal)),
                ],
            ));
        }
        let buttons = vec![
            self.button(&Action::Cart, Phrase::ViewCart),
            self.button(&Action::Checkout, Phrase::Checkout),
            self.button(&Action::Browse, Phrase::KeepShopping),
            self.button(&Action::Menu, Phrase::MainMenu),
        ];
        self.ask(self.t().get(Phrase::AnythingElse), buttons);
    }

    pub(super) fn cart(&mut self) {
        self.s.step = Step::Cart;
        if self.s.cart.is_empty() {
            let buttons = vec![
                self.button(&Action::Finder, Phrase::MenuFinder),
                self.button(&Action::Browse, Phrase::MenuBrowse),
                self.button(&Action::Menu, Phrase::MainMenu),
            ];
            self.ask(self.t().get(Phrase::CartEmpty), buttons);
            return;
        }
        let lines = order_lines(self.shop, &self.s);
        let totals = totals(self.shop, &self.s, self.now);
        let text = render::cart(
            self.shop,
            self.t(),
            &lines,
            &totals,
            self.s.checkout.coupon.as_deref(),
        );
        let mut buttons = Vec::new();
        for line in &lines {
            let key = crate::shop::stock_key(&line.product_id, line.variant.as_deref());
            buttons.push(Button {
                id: Action::Inc(key.clone()).id(),
                label: format!("+1 {}", line.name),
            });
            buttons.push(Button {
                id: Action::Dec(key).id(),
                label: format!("−1 {}", line.name),
            });
        }
        buttons.push(self.button(&Action::Checkout, Phrase::Checkout));
        buttons.push(self.button(&Action::Coupon, Phrase::EnterCoupon));
        buttons.push(self.button(&Action::EmptyCart, Phrase::EmptyCart));
        buttons.push(self.button(&Action::Browse, Phrase::KeepShopping));
        buttons.push(self.button(&Action::Menu, Phrase::MainMenu));
        self.ask(text, buttons);
    }

    pub(super) fn change_qty(&mut self, key: &str, up: bool) {
        let Some(pos) = self.s.cart.iter().position(|i| i.key() == key) else {
            self.expired();
            return;
        };
        let item = self.s.cart[pos].clone();
        if up {
            let available = self
                .shop
                .product(&item.product)
                .map_or(0, |p| self.stock.available(p, item.variant.as_deref()));
            if i64::from(item.qty) >= available {
                let name = order_lines(self.shop, &self.s)
                    .into_iter()
                    .find(|l| l.product_id == item.product && l.variant == item.variant)
                    .map_or(item.product.clone(), |l| l.name);
                self.say(self.t().fill(
                    Phrase::OnlyLeft,
                    &[("product", &name), ("count", &available.max(0).to_string())],
                ));
            } else {
                self.s.cart[pos].qty += 1;
            }
        } else if item.qty <= 1 {
            self.s.cart.remove(pos);
        } else {
            self.s.cart[pos].qty -= 1;
        }
        self.cart();
    }

    pub(super) fn empty_cart(&mut self) {
        self.s.cart.clear();
        self.s.checkout.coupon = None;
        self.say(self.t().get(Phrase::CartEmptied));
        self.menu(true);
    }

    pub(super) fn coupon_prompt(&mut self) {
        self.s.step = Step::Coupon;
        let buttons = vec![self.button(&Action::Cart, Phrase::BackToCart)];
        self.ask(self.t().get(Phrase::CouponPrompt), buttons);
    }

    /// A coupon from a person of the shop (`/coupon`): on the cart even
    /// below its minimum (taken off once the goods reach it); an unknown or
    /// expired code (the owner was told) changes nothing.
    pub(super) fn coupon_given(&mut self, code: &str) {
        let subtotal = totals(self.shop, &self.s, self.now).subtotal;
        let minimum = match coupon_problem(self.shop, code, subtotal, self.now) {
            Ok(_) => None,
            Err(CouponProblem::Minimum(min)) => Some(min),
            Err(CouponProblem::Unknown | CouponProblem::Expired) => return,
        };
        let Some(coupon) = self.shop.coupon(code) else {
            return;
        };
        self.s.checkout.coupon = Some(coupon.code.clone());
        let mut text = self
            .t()
            .fill(Phrase::CouponGiven, &[("code", &coupon.code)]);
        if let Some(min) = minimum {
            text.push(' ');
            text.push_str(
                &self
                    .t()
                    .fill(Phrase::CouponMinimum, &[("amount", &self.money(min))]),
            );
        }
        self.say(text);
    }

    pub(super) fn coupon_entered(&mut self, code: &str) {
        let subtotal = totals(self.shop, &self.s, self.now).subtotal;
        match coupon_problem(self.shop, code, subtotal, self.now) {
            Ok(coupon) => {
                self.s.checkout.coupon = Some(coupon.code.clone());
                self.say(
                    self.t()
                        .fill(Phrase::CouponApplied, &[("code", &coupon.code)]),
                );
                self.cart();
            }
            Err(problem) => {
                let text = match problem {
                    CouponProblem::Unknown => self.t().get(Phrase::CouponUnknown).to_owned(),
                    CouponProblem::Expired => self.t().get(Phrase::CouponExpired).to_owned(),
                    CouponProblem::Minimum(min) => self
                        .t()
                        .fill(Phrase::CouponMinimum, &[("amount", &self.money(min))]),
                };
                self.say(text);
                self.coupon_prompt();
            }
        }
    }
}
