//! The chat's session as stored, and the order a checkout places.

use jiff::Timestamp;

use super::{Chat, EngineError};
use crate::conversation::{OrderDraft, Session};
use crate::shop::Shop;
use crate::store::{NewOrder, Tx};

/// The chat's session, or a new one (also when the stored one cannot be read).
pub(super) fn load_session(
    tx: &Tx<'_>,
    shop: &Shop,
    chat: Chat<'_>,
    now: Timestamp,
) -> Result<Session, EngineError> {
    load_session_fresh(tx, shop, chat, now).map(|(session, _)| session)
}

/// The chat's session, and whether it is new (a new conversation).
pub(super) fn load_session_fresh(
    tx: &Tx<'_>,
    shop: &Shop,
    chat: Chat<'_>,
    now: Timestamp,
) -> Result<(Session, bool), EngineError> {
    let stored = tx.load_session(chat.channel, chat.chat_id)?;
    let parsed = stored.as_deref().map(serde_json::from_str::<Session>);
    Ok(match parsed {
        Some(Ok(session)) => (session, false),
        Some(Err(e)) => {
            tracing::warn!(channel = %chat.channel, "unreadable session replaced: {e}");
            (
                Session::new(shop.default_language(), &session_id(now)),
                false,
            )
        }
        None => (
            Session::new(shop.default_language(), &session_id(now)),
            true,
        ),
    })
}

/// A new session's id: part of its orders' idempotency keys.
pub(super) fn session_id(now: Timestamp) -> String {
    format!("{:x}", now.as_nanosecond())
}

pub(super) fn new_order(
    shop: &Shop,
    chat: Chat<'_>,
    session: &Session,
    draft: OrderDraft,
    now: Timestamp,
) -> NewOrder {
    NewOrder {
        stars: stars_total(shop, &draft),
        idempotency_key: format!(
            "{}:{}:{}:{}",
            chat.channel, chat.chat_id, session.id, draft.checkout
        ),
        channel: chat.channel,
        chat_id: chat.chat_id.to_owned(),
        lines: draft.lines,
        subtotal: draft.totals.subtotal,
        discount: draft.totals.discount,
        delivery_price: draft.totals.delivery,
        total: draft.totals.total,
        currency: shop.currency().to_owned(),
        coupon: draft.coupon,
        delivery_id: draft.delivery_id,
        payment_id: draft.payment_id,
        fields: draft.fields,
        language: draft.language,
        created_at: now.as_second(),
    }
}

/// What a draft costs in Telegram Stars, when its payment method is Stars.
fn stars_total(shop: &Shop, draft: &OrderDraft) -> Option<u32> {
    let method = shop
        .payment(&draft.payment_id)
        .filter(|m| m.kind == crate::shop::PaymentKind::Stars)?;
    crate::conversation::stars_of(shop, &draft.lines, method, draft.totals)
}
