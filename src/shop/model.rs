//! The `shop.toml` schema: what a seller writes, as typed values.
//!
//! Every table denies unknown keys, so a typo is reported instead of ignored.
//! Cross-key rules (ids that must exist, prices that must not be negative, …)
//! live in [`super::validate`], which runs after deserialisation.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::money::Money;

mod digital;
mod reviews;
mod team;
mod web;
pub use digital::Digital;
pub use reviews::{MAX_SHOWN_COMMENTS, Reviews};
pub use team::{CannedReply, Owners, ReplyText};
pub use web::{WebSettings, origin_of};

/// The whole file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShopFile {
    pub shop: ShopInfo,
    #[serde(default)]
    pub categories: Vec<Category>,
    #[serde(default)]
    pub products: Vec<Product>,
    #[serde(default)]
    pub finder: Vec<FinderQuestion>,
    #[serde(default)]
    pub questions: Vec<CommonQuestion>,
    #[serde(default)]
    pub checkout: Checkout,
    #[serde(default)]
    pub delivery: Vec<Delivery>,
    #[serde(default)]
    pub payment: Vec<Payment>,
    #[serde(default)]
    pub coupons: Vec<Coupon>,
    /// `[[replies]]`: canned answers the team sends with `/r N id`.
    #[serde(default)]
    pub replies: Vec<CannedReply>,
    #[serde(default)]
    pub owners: Owners,
    #[serde(default)]
    pub hours: BusinessHours,
    /// Per-language phrase overrides: `[texts.en] welcome = "…"`.
    #[serde(default)]
    pub texts: BTreeMap<String, BTreeMap<String, String>>,
    /// Per-language overrides of the owners' phrases: `[owner_texts.es] paused = "…"`.
    #[serde(default)]
    pub owner_texts: BTreeMap<String, BTreeMap<String, String>>,
    /// `[telegram]`: where the bot token is (the token itself never goes in this file).
    #[serde(default)]
    pub telegram: TelegramSettings,
    /// `[matrix]`: the bot's Matrix account, when the shop is on Matrix.
    pub matrix: Option<MatrixSettings>,
    /// `[web]`: the chat on the seller's website, when the shop has one.
    pub web: Option<WebSettings>,
    #[serde(default)]
    pub followups: Followups,
    /// `[reviews]`: ratings and comments on product cards.
    #[serde(default)]
    pub reviews: Reviews,
}

/// `[matrix]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MatrixSettings {
    /// The homeserver's address, e.g. `https://matrix.example.org`.
    pub homeserver: String,
    /// The bot's user id, e.g. `@shop:example.org`.
    pub user: String,
    /// A file holding the bot account's password, relative to `shop.toml`
    /// (`SHOPBOT_MATRIX_PASSWORD` in the environment takes precedence).
    pub password_file: Option<String>,
    /// Accept invites only from these servers (`example.org`) or users
    /// (`@ana:example.org`); empty: from anyone.
    #[serde(default)]
    pub allow: Vec<String>,
}

/// `[telegram]`
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TelegramSettings {
    /// A file holding the bot token from `@BotFather`, relative to `shop.toml`
    /// (`SHOPBOT_TELEGRAM_TOKEN` in the environment takes precedence).
    pub token_file: Option<String>,
    /// The bot's username (`BrickyardBot`), for the deep links `shopbot link`
    /// prints; without it, `shopbot link` asks Telegram with the token.
    pub username: Option<String>,
}

/// `[shop]`: who the shop is.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShopInfo {
    pub name: String,
    /// ISO 4217 code, e.g. `EUR`.
    pub currency: String,
    /// The default language of customer-facing texts (`en`, `es`, `ro`).
    #[serde(default = "default_language")]
    pub language: String,
    /// Languages a customer may switch to; the default language is always offered.
    #[serde(default)]
    pub languages: Vec<String>,
    /// IANA time zone, e.g. `Europe/Madrid`.
    #[serde(default = "default_time_zone")]
    pub time_zone: String,
    /// Products shown per page when browsing a category.
    #[serde(default = "default_page_size")]
    pub page_size: usize,
    /// Products suggested at the end of the finder.
    #[serde(default = "default_suggestions")]
    pub suggestions: usize,
    /// Days the conversation history (context for tickets) is kept.
    #[serde(default = "default_history_days")]
    pub history_days: u32,
}

fn default_history_days() -> u32 {
    30
}

/// `[followups]`: messages sent later, each off unless set.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Followups {
    /// Remind a customer of a cart left for this many hours (one reminder per cart).
    pub cart_reminder_hours: Option<u32>,
    /// A coupon code offered in the reminder.
    pub cart_reminder_coupon: Option<String>,
    /// Ask for feedback (1–5 stars, then a comment) this many hours after delivery.
    pub feedback_after_hours: Option<u32>,
    /// A follow-up found more than this many hours late (the bot was down) is dropped.
    #[serde(default = "default_late_limit")]
    pub late_limit_hours: u32,
}

impl Default for Followups {
    fn default() -> Self {
        Self {
            cart_reminder_hours: None,
            cart_reminder_coupon: None,
            feedback_after_hours: None,
            late_limit_hours: default_late_limit(),
        }
    }
}

fn default_late_limit() -> u32 {
    48
}

fn default_language() -> String {
    "en".to_owned()
}
fn default_time_zone() -> String {
    "UTC".to_owned()
}
fn default_page_size() -> usize {
    5
}
fn default_suggestions() -> usize {
    3
}

/// `[[categories]]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Category {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub i18n: BTreeMap<String, NameText>,
}

/// A translated name.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NameText {
    pub name: String,
}

/// `[[products]]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Product {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub price: Money,
    /// Units in stock; required unless the product has variants (then each variant has its own).
    pub stock: Option<i64>,
    pub category: String,
    #[serde(default)]
    pub tags: Vec<String>,
    /// Numeric attributes: a number (`pieces = 540`) or an inclusive range (`age = [6, 12]`).
    #[serde(default)]
    pub attributes: BTreeMap<String, AttributeValue>,
    #[serde(default)]
    pub variants: Vec<Variant>,
    /// A path relative to `shop.toml`, or an `https://` URL.
    pub image: Option<String>,
    /// The price in Telegram Stars (whole Stars) for `kind = "stars"` payment;
    /// default: the price converted with that method's `stars_rate`.
    pub stars: Option<u32>,
    /// `[products.digital]`: a file or a code delivered in the chat after payment;
    /// such a product needs no delivery and no address.
    pub digital: Option<Digital>,
    #[serde(default)]
    pub i18n: BTreeMap<String, ProductText>,
}

/// A translated product name and description.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProductText {
    pub name: Option<String>,
    pub description: Option<String>,
}

/// A numeric attribute: one number, or an inclusive `[low, high]` range.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum AttributeValue {
    Number(f64),
    Range([f64; 2]),
}

impl AttributeValue {
    /// The inclusive range this value covers.
    pub fn bounds(self) -> (f64, f64) {
        match self {
            Self::Number(n) => (n, n),
            Self::Range([lo, hi]) => (lo, hi),
        }
    }
}

/// `[[products.variants]]`: a size or colour with its own stock.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Variant {
    pub id: String,
    pub name: String,
    pub stock: i64,
    /// Overrides the product's price when set.
    pub price: Option<Money>,
    #[serde(default)]
    pub i18n: BTreeMap<String, NameText>,
}

/// `[[finder]]`: one question of the guided finder.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FinderQuestion {
    pub id: String,
    pub question: String,
    pub options: Vec<FinderOption>,
    #[serde(default)]
    pub i18n: BTreeMap<String, QuestionText>,
}

/// A translated finder question.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuestionText {
    pub question: String,
}

/// `[[finder.options]]`: one answer button and the products it keeps.
///
/// An option keeps a product when every filter it sets holds: any of `tags`,
/// the attribute range overlapping `[min, max]`, the price within
/// `[price_min, price_max]`. `any = true` keeps every product.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FinderOption {
    pub id: String,
    pub label: String,
    #[serde(default)]
    pub any: bool,
    #[serde(default)]
    pub tags: Vec<String>,
    pub attribute: Option<String>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub price_min: Option<Money>,
    pub price_max: Option<Money>,
    #[serde(default)]
    pub i18n: BTreeMap<String, LabelText>,
}

/// A translated button label.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabelText {
    pub label: String,
}

/// `[[questions]]`: a common question with its phrasings and one answer.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommonQuestion {
    pub id: String,
    /// Shown on the "common questions" menu.
    pub title: String,
    /// Phrasings or keywords, in any language.
    pub ask: Vec<String>,
    pub answer: String,
    #[serde(default)]
    pub i18n: BTreeMap<String, AnswerText>,
}

/// A translated common question.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnswerText {
    pub title: Option<String>,
    #[serde(default)]
    pub ask: Vec<String>,
    pub answer: Option<String>,
}

/// `[checkout]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checkout {
    #[serde(default = "default_fields")]
    pub fields: Vec<CheckoutField>,
    /// Ask for marketing consent at checkout (used by follow-ups).
    #[serde(default)]
    pub ask_consent: bool,
}

impl Default for Checkout {
    fn default() -> Self {
        Self {
            fields: default_fields(),
            ask_consent: false,
        }
    }
}

fn default_fields() -> Vec<CheckoutField> {
    [
        ("name", FieldKind::Text, true),
        ("phone", FieldKind::Phone, true),
        ("address", FieldKind::Address, true),
        ("note", FieldKind::Text, false),
    ]
    .into_iter()
    .map(|(id, kind, required)| CheckoutField {
        id: id.to_owned(),
        kind,
        prompt: None,
        required,
        i18n: BTreeMap::new(),
    })
    .collect()
}

/// `[[checkout.fields]]`: one thing the shop asks at checkout.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckoutField {
    pub id: String,
    #[serde(default)]
    pub kind: FieldKind,
    /// The question; defaults to the bundled phrase `field_<id>` or `field_<kind>`.
    pub prompt: Option<String>,
    #[serde(default = "yes")]
    pub required: bool,
    #[serde(default)]
    pub i18n: BTreeMap<String, PromptText>,
}

fn yes() -> bool {
    true
}

/// How a checkout answer is validated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    #[default]
    Text,
    Phone,
    Email,
    /// Free text, asked only when the chosen delivery needs an address.
    Address,
}

/// A translated prompt.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PromptText {
    pub prompt: String,
}

/// `[[delivery]]`: a delivery option and its price.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Delivery {
    pub id: String,
    pub name: String,
    pub price: Money,
    /// Free when the goods total reaches this amount.
    pub free_from: Option<Money>,
    #[serde(default = "yes")]
    pub needs_address: bool,
    #[serde(default)]
    pub i18n: BTreeMap<String, NameText>,
}

/// `[[payment]]`: a payment method and what the customer must do.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Payment {
    pub id: String,
    pub kind: PaymentKind,
    pub name: String,
    #[serde(default)]
    pub instructions: String,
    /// For `kind = "telegram"`: file holding the payment provider token.
    pub provider_token_file: Option<String>,
    /// For `kind = "stars"`: Stars per one unit of the shop's currency, for
    /// products without their own `stars` price (rounded up to whole Stars).
    pub stars_rate: Option<f64>,
    #[serde(default)]
    pub i18n: BTreeMap<String, PaymentText>,
}

/// The kinds of payment a shop may accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentKind {
    Cash,
    BankTransfer,
    Telegram,
    /// Telegram Stars (currency `XTR`): paid inside Telegram, no provider token.
    Stars,
}

/// A translated payment method.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaymentText {
    pub name: Option<String>,
    pub instructions: Option<String>,
}

/// `[[coupons]]`: a code worth a percentage or a fixed amount.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Coupon {
    pub code: String,
    pub percent: Option<u32>,
    pub amount: Option<Money>,
    /// The goods total needed to use it.
    pub min_total: Option<Money>,
    /// Last day it is valid (in the shop's time zone), e.g. `2027-12-31`.
    pub expires: Option<toml::value::Datetime>,
}

/// `[hours]`: opening hours per weekday, e.g. `mon = "09:00-13:00, 15:00-19:00"`;
/// a missing day, or `"closed"`, is closed. No `[hours]` at all means always open.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BusinessHours {
    pub mon: Option<String>,
    pub tue: Option<String>,
    pub wed: Option<String>,
    pub thu: Option<String>,
    pub fri: Option<String>,
    pub sat: Option<String>,
    pub sun: Option<String>,
}
