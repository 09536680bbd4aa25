//! What the bot remembers about one conversation between turns.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::channel::Channel;

/// One customer's conversation: where they are, their cart and their checkout so far.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    /// Made by the engine when the conversation starts; part of order idempotency keys.
    #[serde(default)]
    pub id: String,
    /// The channel the customer uses (set by the engine): some payment methods
    /// exist on one channel only.
    #[serde(default, with = "crate::channel::word_or_empty")]
    pub channel: Option<Channel>,
    /// The customer's language.
    pub lang: String,
    pub step: Step,
    #[serde(default)]
    pub cart: Vec<CartItem>,
    /// Finder answers so far: (question id, option id), in question order.
    #[serde(default)]
    pub finder: Vec<(String, String)>,
    #[serde(default)]
    pub checkout: CheckoutDraft,
    /// Counts confirmed checkouts; part of each order's idempotency key.
    #[serde(default)]
    pub checkouts: u32,
    /// The number of the last order placed in this conversation.
    #[serde(default)]
    pub last_order: Option<String>,
    /// The buttons shown by the last turn, in order, so a typed number or label
    /// can be matched to one: (button id, label).
    #[serde(default)]
    pub buttons: Vec<(String, String)>,
    /// The last question the bot could not answer, handed on if the customer asks for a person.
    #[serde(default)]
    pub unanswered: Option<String>,
    /// Where the customer came from: the source tag of the first deep link
    /// they opened (`instagram`, `window`), never who they are. Counted in the
    /// owner's figures and kept with their orders.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

impl Session {
    pub fn new(lang: &str, id: &str) -> Self {
        Self {
            id: id.to_owned(),
            channel: None,
            lang: lang.to_owned(),
            step: Step::Menu,
            cart: Vec::new(),
            finder: Vec::new(),
            checkout: CheckoutDraft::default(),
            checkouts: 0,
            last_order: None,
            buttons: Vec::new(),
            unanswered: None,
            source: None,
        }
    }

    /// Units of everything in the cart.
    pub fn cart_units(&self) -> u32 {
        self.cart.iter().map(|i| i.qty).sum()
    }

    pub fn cart_item_mut(&mut self, product: &str, variant: Option<&str>) -> Option<&mut CartItem> {
        self.cart
            .iter_mut()
            .find(|i| i.product == product && i.variant.as_deref() == variant)
    }
}

/// Where the customer is in the conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "at", rename_all = "snake_case")]
pub enum Step {
    Menu,
    /// Answering finder question number `question`.
    Finder {
        question: usize,
    },
    FinderResults,
    Categories,
    Category {
        id: String,
        page: usize,
    },
    Product {
        id: String,
    },
    Questions,
    Cart,
    /// Typing a coupon code.
    Coupon,
    ChooseDelivery,
    /// Answering checkout field number `field`.
    Field {
        field: usize,
    },
    Consent,
    ChoosePayment,
    Confirm,
    Orders,
    Language,
    /// After rating an order: an optional comment.
    FeedbackComment {
        order: String,
    },
}

/// One line of the cart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CartItem {
    pub product: String,
    #[serde(default)]
    pub variant: Option<String>,
    pub qty: u32,
}

impl CartItem {
    /// The line's key in button ids and stock: `product` or `product/variant`.
    pub fn key(&self) -> String {
        crate::shop::stock_key(&self.product, self.variant.as_deref())
    }
}

/// The checkout answers collected so far.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckoutDraft {
    pub coupon: Option<String>,
    pub delivery: Option<String>,
    pub payment: Option<String>,
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
    pub consent: Option<bool>,
}
