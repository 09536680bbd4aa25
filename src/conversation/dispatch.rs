//! Where an input goes: a command, a button, typed text, or an answer from the engine.

use super::{Action, Cx, Effect, Input, Reply, Step};
use crate::shop::Phrase;

impl Cx<'_> {
    pub(super) fn dispatch(&mut self, input: &Input) {
        match input {
            Input::Start => self.start(None),
            Input::Resume => self.resume(),
            Input::Unsupported => {
                self.say(self.t().get(Phrase::Unsupported));
                self.show_step();
            }
            Input::Media(_) => {
                self.say(self.t().get(Phrase::MediaOutsideTicket));
                self.show_step();
            }
            Input::Unreadable => {
                self.say(self.t().get(Phrase::Unreadable));
                self.show_step();
            }
            Input::Button(id) => match Action::parse(id) {
                Some(action) => self.act(&action),
                None => self.expired(),
            },
            Input::Stale => self.expired(),
            Input::Text(text) => self.text(text),
            Input::OrderPlaced { number } => self.order_placed(number),
            Input::OrderRejected { sold_out } => self.order_rejected(sold_out),
            Input::Orders(orders) => self.show_orders(orders),
            Input::TicketOpened { number, wait } => self.ticket_opened(*number, wait),
            Input::TicketClosed => {
                self.say(self.t().get(Phrase::TicketClosed));
                self.menu(true);
            }
            Input::OwnerAnswer(answer) => {
                let who = match answer.signature.as_deref() {
                    Some(name) => self.t().fill(
                        Phrase::TicketSignature,
                        &[("name", name), ("shop", self.shop.name())],
                    ),
                    None => self.shop.name().to_owned(),
                };
                let mut reply = Reply::plain(self.t().fill(
                    Phrase::TicketAnswer,
                    &[("shop", &who), ("text", &answer.text)],
                ));
                reply.attachment.clone_from(&answer.attachment);
                self.replies.push(reply);
            }
            Input::OwnerShows { product, variant } => {
                self.owner_shows(product, variant.as_deref());
            }
            Input::OwnerCoupon { code } => self.coupon_given(code),
            Input::OrderStatus {
                number,
                status,
                tracking,
            } => self.order_status(number, *status, tracking.as_deref()),
            Input::MyData(data) => self.my_data(data),
            Input::Forgotten => self.say(self.t().get(Phrase::Forgotten)),
            Input::CartReminder { coupon } => self.cart_reminder(coupon.as_deref()),
            Input::FeedbackRequest { order } => self.feedback_request(order),
            Input::FeedbackChecked {
                order,
                stars,
                comment,
                facts,
            } => self.feedback_checked(order, *stars, comment.as_ref(), *facts),
            Input::FeedbackSaved { order, stars } => self.feedback_saved(order, *stars),
            Input::Marketing(text) => {
                self.say(format!(
                    "{text}\n\n{}",
                    self.t().get(Phrase::MarketingFooter)
                ));
            }
            Input::PaymentReceived { order, reference } => {
                self.effects.push(Effect::MarkPaid {
                    order: order.clone(),
                    reference: reference.clone(),
                });
            }
            Input::PaymentRecorded { order, goods } => {
                self.payment_recorded(order, goods.as_deref());
            }
            Input::Goods(goods) => self.goods(goods),
            Input::Refunded { refund } => self.refunded(refund),
        }
    }

    /// Typed text: a command, a button's number or label, a step's answer, or free text.
    pub(super) fn text(&mut self, raw: &str) {
        let text = raw.trim();
        if text.is_empty() {
            self.say(self.t().get(Phrase::EmptyMessage));
            self.show_step();
            return;
        }
        if let Some(command) = text.strip_prefix('/') {
            self.command(command);
            return;
        }
        if self.typed_start(text, false) {
            return;
        }
        if let Some(id) = self.typed_button(text) {
            match Action::parse(&id) {
                Some(action) => self.act(&action),
                None => self.expired(),
            }
            return;
        }
        match self.s.step.clone() {
            Step::Coupon => self.coupon_entered(text),
            Step::FeedbackComment { order } => self.effects.push(Effect::CheckFeedback {
                order,
                stars: None,
                comment: Some(text.to_owned()),
            }),
            Step::Field { field } => self.field_entered(field, text),
            Step::ChooseDelivery | Step::Consent | Step::ChoosePayment | Step::Confirm => {
                self.checkout_text(text);
            }
            _ if self.typed_start(text, true) => {}
            _ => self.free_text(text),
        }
    }

    /// The button a typed number ("2") or label ("my cart") stands for.
    pub(super) fn typed_button(&self, text: &str) -> Option<String> {
        if let Ok(n) = text
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<usize>()
        {
            if matches!(self.s.step, Step::Field { .. }) && n > self.s.buttons.len() {
                return None;
            }
            return n
                .checked_sub(1)
                .and_then(|i| self.s.buttons.get(i))
                .map(|(id, _)| id.clone());
        }
        let wanted = crate::shop::search::normalize(text);
        self.s
            .buttons
            .iter()
            .find(|(_, label)| crate::shop::search::normalize(label) == wanted)
            .map(|(id, _)| id.clone())
    }

    pub(super) fn command(&mut self, command: &str) {
        let mut words = command.split_whitespace();
        let name = words
            .next()
            .unwrap_or("")
            .split('@')
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        let arg = words.next();
        match (name.as_str(), arg) {
            ("start", _) => {
                let payload = command.trim_start().split_once(char::is_whitespace);
                self.start(payload.map(|(_, rest)| rest));
            }
            ("menu", _) => self.act(&Action::Menu),
            ("find" | "finder", _) => self.act(&Action::Finder),
            ("catalog" | "browse", _) => self.act(&Action::Browse),
            ("cart", _) => self.act(&Action::Cart),
            ("orders", _) => self.act(&Action::Orders),
            ("help" | "faq", _) => self.act(&Action::Questions),
            ("human" | "person", _) => self.act(&Action::Human),
            ("mydata", _) => self.effects.push(Effect::MyData),
            ("forget", _) => self.forget_ask(),
            ("stop", _) => {
                self.effects.push(Effect::WithdrawConsent);
                self.say(self.t().get(Phrase::StopDone));
                self.show_step();
            }
            (
                "tickets" | "reply" | "close" | "order" | "status" | "stock" | "reload" | "pause"
                | "resume" | "stats" | "broadcast" | "send" | "coupon" | "r" | "refund",
                _,
            ) => {
                self.say(self.t().get(Phrase::OwnerOnly));
                self.show_step();
            }
            ("lang" | "language", Some(lang)) => self.act(&Action::SetLanguage(lang.to_owned())),
            ("lang" | "language", None) => self.act(&Action::Language),
            _ => {
                self.say(self.t().get(Phrase::UnknownCommand));
                self.show_step();
            }
        }
    }

    /// Runs a button's action after checking it fits the current step.
    pub(super) fn act(&mut self, action: &Action) {
        match action {
            Action::Menu => self.menu(true),
            Action::Finder | Action::FinderRestart => self.finder_start(),
            Action::Answer(q, o) => self.finder_answer(q, o),
            Action::FinderBack => self.finder_back(),
            Action::Browse => self.categories(),
            Action::Category(id, page) => self.category(id, *page),
            Action::Product(id) => self.product(id),
            Action::Add(id, variant) => self.add_to_cart(id, variant.as_deref()),
            Action::Questions => self.questions(),
            Action::Question(id) => self.question(id),
            Action::Cart => self.cart(),
            Action::Inc(key) => self.change_qty(key, true),
            Action::Dec(key) => self.change_qty(key, false),
            Action::EmptyCart => self.empty_cart(),
            Action::Coupon => self.coupon_prompt(),
            Action::Checkout => self.checkout_start(),
            Action::Delivery(id) => self.delivery_chosen(id),
            Action::Payment(id) => self.payment_chosen(id),
            Action::Skip if matches!(self.s.step, Step::FeedbackComment { .. }) => {
                self.say(self.t().get(Phrase::FeedbackThanks));
                self.menu(true);
            }
            Action::Skip => self.skip_field(),
            Action::Consent(yes) => self.consent_given(*yes),
            Action::Confirm => self.confirm(),
            Action::CancelCheckout => self.cancel_checkout(),
            Action::Orders => {
                self.s.step = Step::Orders;
                self.effects.push(Effect::LoadOrders);
            }
            Action::Human => self.human(),
            Action::EndTicket => self.effects.push(Effect::EndTicket),
            Action::Rate(order, stars) => self.effects.push(Effect::CheckFeedback {
                order: order.clone(),
                stars: Some(*stars),
                comment: None,
            }),
            Action::Resend(order) => self.resend(order),
            Action::Forget => self.effects.push(Effect::Forget),
            Action::Language => self.language_menu(),
            Action::SetLanguage(lang) => self.set_language(lang),
        }
    }

    /// A button that no longer fits (an old message) or never existed.
    pub(super) fn expired(&mut self) {
        self.say(self.t().get(Phrase::ButtonExpired));
        self.show_step();
    }
}
