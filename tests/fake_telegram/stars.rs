//! Telegram Stars in the fake: invoices in `XTR` take no provider token (and
//! one price, whole Stars), other currencies need one; `refundStarPayment`
//! gives back a successful payment of that user once.

use serde_json::{Value, json};

use super::params::Params;
use super::state::{Body, State};
use super::types::ApiError;

/// The provider token rule of `sendInvoice`: empty for Stars, required otherwise.
pub fn check_provider(currency: &str, token: Option<&str>) -> Result<(), ApiError> {
    let token = token.unwrap_or_default();
    match (currency == "XTR", token.is_empty()) {
        (true, false) | (false, true) => Err(ApiError::bad("PAYMENT_PROVIDER_INVALID")),
        _ => Ok(()),
    }
}

/// `refundStarPayment`: the user's successful payment with that charge id,
/// not refunded before.
pub fn refund(st: &mut State, p: &Params) -> Result<Value, ApiError> {
    let user = p
        .i64("user_id")
        .ok_or_else(|| ApiError::bad("USER_ID_INVALID"))?;
    let charge = p.str("telegram_payment_charge_id").unwrap_or_default();
    let paid = st.chats.get(&user).is_some_and(|chat| {
        chat.messages.iter().any(|m| {
            matches!(&m.body, Body::Paid { charge_id, currency, .. }
                if *charge_id == charge && currency == "XTR")
        })
    });
    if !paid {
        return Err(ApiError::bad("CHARGE_ID_INVALID"));
    }
    if st.refunds.iter().any(|(u, c)| *u == user && *c == charge) {
        return Err(ApiError::bad("CHARGE_ALREADY_REFUNDED"));
    }
    st.refunds.push((user, charge));
    Ok(json!(true))
}

impl super::FakeTelegram {
    /// The payments in Stars the bot gave back: (user, charge id).
    pub fn refunds(&self) -> Vec<(i64, String)> {
        self.lock().refunds.clone()
    }
}
