//! Button ids: what pressing a button means, as a short stable string.
//!
//! Ids stay under 64 bytes (shop ids are at most 32 characters), so a channel may
//! carry them in Telegram's `callback_data`. A channel never trusts an id: the
//! conversation re-checks every action against the current step and the shop.

/// Everything a button can ask for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Menu,
    Finder,
    /// Answer to a finder question: (question id, option id).
    Answer(String, String),
    FinderBack,
    FinderRestart,
    Browse,
    /// A category page (0-based).
    Category(String, usize),
    Product(String),
    /// Add one unit: (product id, variant id).
    Add(String, Option<String>),
    Questions,
    Question(String),
    Cart,
    /// Change a cart line's quantity by one: (line key, up?).
    Inc(String),
    Dec(String),
    EmptyCart,
    Coupon,
    Checkout,
    Delivery(String),
    Payment(String),
    Skip,
    Consent(bool),
    Confirm,
    CancelCheckout,
    Orders,
    Human,
    /// The customer ends their conversation with a person.
    EndTicket,
    /// Stars (1–5) for a delivered order: (order number, stars).
    Rate(String, u8),
    /// Sends an order's digital goods again ("my orders").
    Resend(String),
    /// Confirms `/forget`: erase everything about me.
    Forget,
    Language,
    SetLanguage(String),
}

impl Action {
    /// The button id for this action.
    pub fn id(&self) -> String {
        match self {
            Self::Menu => "menu".into(),
            Self::Finder => "finder".into(),
            Self::Answer(q, o) => format!("fa:{q}:{o}"),
            Self::FinderBack => "fb".into(),
            Self::FinderRestart => "fr".into(),
            Self::Browse => "browse".into(),
            Self::Category(c, page) => format!("cat:{c}:{page}"),
            Self::Product(p) => format!("p:{p}"),
            Self::Add(p, None) => format!("add:{p}"),
            Self::Add(p, Some(v)) => format!("add:{p}:{v}"),
            Self::Questions => "faq".into(),
            Self::Question(q) => format!("faq:{q}"),
            Self::Cart => "cart".into(),
            Self::Inc(k) => format!("inc:{k}"),
            Self::Dec(k) => format!("dec:{k}"),
            Self::EmptyCart => "empty".into(),
            Self::Coupon => "coupon".into(),
            Self::Checkout => "checkout".into(),
            Self::Delivery(d) => format!("dlv:{d}"),
            Self::Payment(p) => format!("pay:{p}"),
            Self::Skip => "skip".into(),
            Self::Consent(yes) => format!("consent:{}", if *yes { "yes" } else { "no" }),
            Self::Confirm => "confirm".into(),
            Self::CancelCheckout => "cancel".into(),
            Self::Orders => "orders".into(),
            Self::Human => "human".into(),
            Self::EndTicket => "endticket".into(),
            Self::Rate(order, stars) => format!("rate:{order}:{stars}"),
            Self::Resend(order) => format!("resend:{order}"),
            Self::Forget => "forget".into(),
            Self::Language => "lang".into(),
            Self::SetLanguage(l) => format!("lang:{l}"),
        }
    }

    /// Reads a button id; `None` for anything malformed.
    pub fn parse(id: &str) -> Option<Self> {
        if id.len() > 64 {
            return None;
        }
        let mut parts = id.split(':');
        let head = parts.next()?;
        let a = parts.next().map(str::to_owned);
        let b = parts.next().map(str::to_owned);
        if parts.next().is_some() {
            return None;
        }
        let action = match (head, a, b) {
            ("menu", None, None) => Self::Menu,
            ("finder", None, None) => Self::Finder,
            ("fa", Some(q), Some(o)) => Self::Answer(q, o),
            ("fb", None, None) => Self::FinderBack,
            ("fr", None, None) => Self::FinderRestart,
            ("browse", None, None) => Self::Browse,
            ("cat", Some(c), None) => Self::Category(c, 0),
            ("cat", Some(c), Some(page)) => Self::Category(c, page.parse().ok()?),
            ("p", Some(p), None) => Self::Product(p),
            ("add", Some(p), v) => Self::Add(p, v),
            ("faq", None, None) => Self::Questions,
            ("faq", Some(q), None) => Self::Question(q),
            ("cart", None, None) => Self::Cart,
            ("inc", Some(k), None) => Self::Inc(k),
            ("dec", Some(k), None) => Self::Dec(k),
            ("empty", None, None) => Self::EmptyCart,
            ("coupon", None, None) => Self::Coupon,
            ("checkout", None, None) => Self::Checkout,
            ("dlv", Some(d), None) => Self::Delivery(d),
            ("pay", Some(p), None) => Self::Payment(p),
            ("skip", None, None) => Self::Skip,
            ("consent", Some(y), None) if y == "yes" || y == "no" => Self::Consent(y == "yes"),
            ("confirm", None, None) => Self::Confirm,
            ("cancel", None, None) => Self::CancelCheckout,
            ("orders", None, None) => Self::Orders,
            ("human", None, None) => Self::Human,
            ("endticket", None, None) => Self::EndTicket,
            ("rate", Some(order), Some(stars)) => match stars.parse() {
                Ok(n @ 1..=5) => Self::Rate(order, n),
                _ => return None,
            },
            ("resend", Some(order), None) => Self::Resend(order),
            ("forget", None, None) => Self::Forget,
            ("lang", None, None) => Self::Language,
            ("lang", Some(l), None) => Self::SetLanguage(l),
            _ => return None,
        };
        Some(action)
    }
}

#[cfg(test)]
mod tests {
    use super::Action;

    #[test]
    fn ids_round_trip() {
        let all = [
            Action::Menu,
            Action::Answer("age".into(), "4-6".into()),
            Action::Category("city".into(), 2),
            Action::Add("brick-box".into(), Some("red".into())),
            Action::Add("car".into(), None),
            Action::Inc("brick-box/red".into()),
            Action::Consent(false),
            Action::EndTicket,
            Action::Rate("1001".into(), 4),
            Action::Resend("1001".into()),
            Action::Forget,
            Action::SetLanguage("es".into()),
        ];
        for a in all {
            assert_eq!(Action::parse(&a.id()), Some(a));
        }
        assert_eq!(Action::parse("confirm:1"), None);
        assert_eq!(Action::parse(""), None);
        assert_eq!(Action::parse("cat:x:-1"), None);
    }
}
