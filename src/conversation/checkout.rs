//! Checkout: delivery, the shop's fields (validated one by one), consent, payment,
//! a summary, one confirm, and the order number.

use super::cart::{coupon_problem, order_lines, totals};
use super::digital::{DIGITAL, payment_methods};
use super::{Action, Button, CheckoutDraft, Cx, Effect, Invoice, OrderDraft, Reply, Step, render};
use crate::shop::{CheckoutField, FieldKind, PaymentKind, Phrase};

/// Checks one checkout answer; the error is a phrase key.
pub fn check_field(kind: FieldKind, value: &str) -> Result<String, Phrase> {
    let value = value.trim();
    if value.chars().count() > 500 {
        return Err(Phrase::FieldTooLong);
    }
    match kind {
        FieldKind::Text => Ok(value.to_owned()),
        FieldKind::Address => {
            if value.chars().filter(|c| c.is_alphanumeric()).count() < 5 {
                Err(Phrase::FieldBadAddress)
            } else {
                Ok(value.to_owned())
            }
        }
        FieldKind::Phone => {
            let digits = value.chars().filter(char::is_ascii_digit).count();
            let allowed = value
                .chars()
                .all(|c| c.is_ascii_digit() || " +-().".contains(c));
            let plus_ok = value.rfind('+').is_none_or(|i| i == 0);
            if allowed && plus_ok && (7..=15).contains(&digits) {
                Ok(value.to_owned())
            } else {
                Err(Phrase::FieldBadPhone)
            }
        }
        FieldKind::Email => {
            let ok = value.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !domain.contains('@')
            }) && !value.chars().any(char::is_whitespace);
            if ok {
                Ok(value.to_owned())
            } else {
                Err(Phrase::FieldBadEmail)
            }
        }
    }
}

impl Cx<'_> {
    /// Whether field `index` is asked with the delivery chosen so far.
    fn field_applies(&self, field: &CheckoutField) -> bool {
        field.kind != FieldKind::Address
            || self.s.checkout.delivery.as_deref() != Some(DIGITAL)
                && self
                    .s
                    .checkout
                    .delivery
                    .as_deref()
                    .and_then(|d| self.shop.delivery(d))
                    .is_none_or(|d| d.needs_address)
    }

    pub(super) fn checkout_start(&mut self) {
        if self.s.cart.is_empty() {
            self.cart();
            return;
        }
        if !self.fit_cart_to_stock() {
            self.cart();
            return;
        }
        let coupon = self.s.checkout.coupon.take();
        self.s.checkout = CheckoutDraft {
            coupon,
            ..CheckoutDraft::default()
        };
        self.ask_delivery();
    }

    /// Lowers cart quantities to what is in stock; false (and says so) if anything changed.
    fn fit_cart_to_stock(&mut self) -> bool {
        let mut changed = Vec::new();
        let shop = self.shop;
        let stock = self.stock;
        self.s.cart.retain_mut(|item| {
            let available = shop.product(&item.product).map_or(0, |p| {
                u32::try_from(stock.available(p, item.variant.as_deref())).unwrap_or(0)
            });
            if item.qty > available {
                changed.push(item.key());
                item.qty = available;
            }
            item.qty > 0
        });
        if changed.is_empty() {
            return true;
        }
        self.say(self.t().get(Phrase::CartAdjusted));
        false
    }

    pub(super) fn ask_delivery(&mut self) {
        if self.digital_cart() {
            // Digital goods come in the chat: no delivery, no address.
            self.s.checkout.delivery = Some(DIGITAL.to_owned());
            self.next_field(0);
            return;
        }
        self.s.step = Step::ChooseDelivery;
        let lang = self.lang();
        let subtotal = totals(self.shop, &self.s, self.now).subtotal;
        let mut buttons: Vec<Button> = self
            .shop
            .file
            .delivery
            .iter()
            .map(|d| {
                let price = match d.free_from {
                    Some(free) if subtotal >= free => crate::shop::Money::ZERO,
                    _ => d.price,
                };
                let price = if price == crate::shop::Money::ZERO {
                    self.t().get(Phrase::Free).to_owned()
                } else {
                    self.money(price)
                };
                Button {
                    id: Action::Delivery(d.id.clone()).id(),
                    label: format!("{} — {price}", d.name_in(&lang)),
                }
            })
            .collect();
        buttons.push(self.button(&Action::CancelCheckout, Phrase::CancelCheckout));
        self.ask(self.t().get(Phrase::ChooseDelivery), buttons);
    }

    pub(super) fn delivery_chosen(&mut self, id: &str) {
        if self.s.step != Step::ChooseDelivery || self.shop.delivery(id).is_none() {
            self.expired();
            return;
        }
        self.s.checkout.delivery = Some(id.to_owned());
        self.next_field(0);
    }

    /// Asks the first applicable field at or after `from`, or moves on.
    fn next_field(&mut self, from: usize) {
        let fields = &self.shop.file.checkout.fields;
        match (from..fields.len()).find(|&i| self.field_applies(&fields[i])) {
            Some(i) => self.ask_field(i),
            None if self.shop.file.checkout.ask_consent => self.ask_consent(),
            None => self.ask_payment(),
        }
    }

    pub(super) fn ask_field(&mut self, index: usize) {
        let Some(field) = self.shop.file.checkout.fields.get(index) else {
            self.ask_payment();
            return;
        };
        self.s.step = Step::Field { field: index };
        let lang = self.lang();
        let prompt = match (&field.prompt, field.i18n.get(&lang)) {
            (_, Some(own)) => own.prompt.clone(),
            (Some(prompt), None) => prompt.clone(),
            (None, None) => {
                let by_id = format!("field_{}", field.id);
                if let Some(by_id) = Phrase::from_name(&by_id) {
                    self.t().get(by_id).to_owned()
                } else {
                    self.t().get(Phrase::FieldGeneric).to_owned()
                }
            }
        };
        let mut buttons = Vec::new();
        if !field.required {
            buttons.push(self.button(&Action::Skip, Phrase::Skip));
        }
        buttons.push(self.button(&Action::CancelCheckout, Phrase::CancelCheckout));
        self.ask(prompt, buttons);
    }

    pub(super) fn field_entered(&mut self, index: usize, text: &str) {
        let Some(field) = self.shop.file.checkout.fields.get(index) else {
            self.show_step();
            return;
        };
        match check_field(field.kind, text) {
            Ok(value) => {
                self.s.checkout.fields.insert(field.id.clone(), value);
                self.next_field(index + 1);
            }
            Err(problem) => {
                self.say(self.t().get(problem));
                self.ask_field(index);
            }
        }
    }

    pub(super) fn skip_field(&mut self) {
        let Step::Field { field } = self.s.step else {
            self.expired();
            return;
        };
        let optional = self
            .shop
            .file
            .checkout
            .fields
            .get(field)
            .is_some_and(|f| !f.required);
        if !optional {
            self.expired();
            return;
        }
        let id = self.shop.file.checkout.fields[field].id.clone();
        self.s.checkout.fields.remove(&id);
        self.next_field(field + 1);
    }

    pub(super) fn ask_consent(&mut self) {
        self.s.step = Step::Consent;
        let buttons = vec![
            self.button(&Action::Consent(true), Phrase::ConsentYes),
            self.button(&Action::Consent(false), Phrase::ConsentNo),
        ];
        self.ask(
            self.t()
                .fill(Phrase::ConsentQuestion, &[("shop", self.shop.name())]),
            buttons,
        );
    }

    pub(super) fn consent_given(&mut self, yes: bool) {
        if self.s.step != Step::Consent {
            self.expired();
            return;
        }
        self.s.checkout.consent = Some(yes);
        self.ask_payment();
    }

    pub(super) fn ask_payment(&mut self) {
        let lines = order_lines(self.shop, &self.s);
        let methods = payment_methods(self.shop, self.s.channel, &lines);
        if let [only] = methods.as_slice() {
            self.s.checkout.payment = Some(only.id.clone());
            self.ask_confirm();
            return;
        }
        self.s.step = Step::ChoosePayment;
        let lang = self.lang();
        let mut buttons: Vec<Button> = methods
            .iter()
            .map(|p| Button {
                id: Action::Payment(p.id.clone()).id(),
                label: p.name_in(&lang).to_owned(),
            })
            .collect();
        buttons.push(self.button(&Action::CancelCheckout, Phrase::CancelCheckout));
        self.ask(self.t().get(Phrase::ChoosePayment), buttons);
    }

    pub(super) fn payment_chosen(&mut self, id: &str) {
        if self.s.step != Step::ChoosePayment
            || !payment_methods(self.shop, self.s.channel, &order_lines(self.shop, &self.s))
                .iter()
                .any(|p| p.id == id)
        {
            self.expired();
            return;
        }
        self.s.checkout.payment = Some(id.to_owned());
        self.ask_confirm();
    }

    pub(super) fn ask_confirm(&mut self) {
        if self.s.cart.is_empty() {
            self.cart();
            return;
        }
        self.s.step = Step::Confirm;
        let subtotal = totals(self.shop, &self.s, self.now).subtotal;
        if let Some(code) = self.s.checkout.coupon.clone()
            && coupon_problem(self.shop, &code, subtotal, self.now).is_err()
        {
            self.s.checkout.coupon = None;
            self.say(self.t().fill(Phrase::CouponDropped, &[("code", &code)]));
        }
        let lines = order_lines(self.shop, &self.s);
        let totals = totals(self.shop, &self.s, self.now);
        let text = render::summary(self.shop, self.t(), &self.s, &lines, &totals);
        let buttons = vec![
            self.button(&Action::Confirm, Phrase::Confirm),
            self.button(&Action::Cart, Phrase::EditCart),
            self.button(&Action::CancelCheckout, Phrase::CancelCheckout),
        ];
        self.ask(text, buttons);
    }

    pub(super) fn confirm(&mut self) {
        if self.s.step != Step::Confirm {
            match self.s.last_order.clone() {
                Some(number) if self.s.cart.is_empty() => {
                    self.say(self.t().fill(Phrase::AlreadyPlaced, &[("number", &number)]));
                    self.menu(true);
                }
                _ => self.expired(),
            }
            return;
        }
        let (Some(delivery), Some(payment)) = (
            self.s.checkout.delivery.clone(),
            self.s.checkout.payment.clone(),
        ) else {
            self.checkout_start();
            return;
        };
        let lines = order_lines(self.shop, &self.s);
        if lines.is_empty() {
            self.cart();
            return;
        }
        self.effects.push(Effect::PlaceOrder(OrderDraft {
            checkout: self.s.checkouts,
            lines,
            totals: totals(self.shop, &self.s, self.now),
            coupon: self.s.checkout.coupon.clone(),
            delivery_id: delivery,
            payment_id: payment,
            fields: self.s.checkout.fields.clone(),
            consent: self.s.checkout.consent,
            language: self.lang(),
        }));
    }

    pub(super) fn order_placed(&mut self, number: &str) {
        let lines = order_lines(self.shop, &self.s);
        let totals = totals(self.shop, &self.s, self.now);
        let payment = self
            .s
            .checkout
            .payment
            .as_deref()
            .and_then(|p| self.shop.payment(p));
        let text = render::receipt(
            self.shop,
            self.t(),
            &self.lang(),
            number,
            &lines,
            &totals,
            payment,
        );
        self.say(text);
        let description = lines
            .iter()
            .map(|l| format!("{} × {}", l.name, l.qty))
            .collect::<Vec<_>>()
            .join(", ");
        if let Some(payment) = payment.filter(|p| p.kind == PaymentKind::Stars) {
            let invoice = self.stars_invoice(number, &lines, payment, totals, description);
            self.replies.extend(invoice);
        } else if let Some(payment) = payment.filter(|p| p.kind == PaymentKind::Telegram) {
            let invoice = Invoice {
                order: number.to_owned(),
                title: self.t().fill(
                    Phrase::InvoiceTitle,
                    &[("shop", self.shop.name()), ("number", number)],
                ),
                description,
                currency: self.shop.currency().to_owned(),
                amount: totals.total.cents(),
                payment: payment.id.clone(),
            };
            self.replies.push(Reply {
                text: self.t().fill(
                    Phrase::InvoicePrompt,
                    &[("total", &self.money(totals.total))],
                ),
                buttons: Vec::new(),
                image: None,
                invoice: Some(invoice),
                attachment: None,
                refund: None,
            });
        }
        self.s.cart.clear();
        self.s.checkout = CheckoutDraft::default();
        self.s.checkouts += 1;
        self.s.last_order = Some(number.to_owned());
        self.menu(true);
    }

    pub(super) fn order_rejected(&mut self, sold_out: &[String]) {
        let names: Vec<String> = order_lines(self.shop, &self.s)
            .into_iter()
            .filter(|l| {
                sold_out.contains(&crate::shop::stock_key(&l.product_id, l.variant.as_deref()))
            })
            .map(|l| l.name)
            .collect();
        self.say(
            self.t()
                .fill(Phrase::SoldOutMeanwhile, &[("products", &names.join(", "))]),
        );
        self.fit_cart_to_stock();
        self.cart();
    }

    pub(super) fn cancel_checkout(&mut self) {
        let coupon = self.s.checkout.coupon.take();
        self.s.checkout = CheckoutDraft {
            coupon,
            ..CheckoutDraft::default()
        };
        self.say(self.t().get(Phrase::CheckoutCancelled));
        self.cart();
    }
}

#[cfg(test)]
mod tests {
    use super::check_field;
    use crate::shop::FieldKind;

    #[test]
    fn validates_fields() {
        assert!(check_field(FieldKind::Phone, "+34 600 123 456").is_ok());
        assert!(check_field(FieldKind::Phone, "(0721) 123-456").is_ok());
        assert!(check_field(FieldKind::Phone, "call me").is_err());
        assert!(check_field(FieldKind::Phone, "12 34").is_err());
        assert!(check_field(FieldKind::Phone, "600+123456").is_err());
        assert!(check_field(FieldKind::Email, "ana@example.org").is_ok());
        assert!(check_field(FieldKind::Email, "ana@example").is_err());
        assert!(check_field(FieldKind::Email, "ana @x.org").is_err());
        assert!(check_field(FieldKind::Address, "Calle Mayor 5, Madrid").is_ok());
        assert!(check_field(FieldKind::Address, "x").is_err());
        assert!(check_field(FieldKind::Text, &"a".repeat(501)).is_err());
    }
}
