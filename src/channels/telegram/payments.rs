//! Telegram's payments as steps of an outbox row: an invoice (in Stars without
//! a provider token, else with the method's), and a refund of a payment in
//! Stars before the message that tells the customer.

use jiff::Timestamp;
use teloxide::ApiError;
use teloxide::RequestError;
use teloxide::prelude::*;
use teloxide::types::{LabeledPrice, MessageId};

use super::Link;
use super::format;
use crate::channels::blocking;
use crate::engine::Outgoing;

/// Tells the owners that Telegram refused a refund (the customer is not told
/// it was refunded).
pub(super) async fn refund_failed(link: &Link, order: &str, reason: &str) {
    let (order, reason) = (order.to_owned(), reason.to_owned());
    let told = blocking(&link.engine, move |engine| {
        engine.refund_failed(&order, &reason, Timestamp::now())
    })
    .await;
    if !matches!(told, Some(Ok(()))) {
        tracing::error!("telegram: could not tell the owners about a failed refund");
    }
}

/// An invoice: in Stars (`XTR`) without a provider token, else with the method's.
pub(super) async fn invoice(
    link: &Link,
    chat: ChatId,
    out: &Outgoing,
) -> Result<Option<MessageId>, RequestError> {
    let Some(invoice) = &out.reply.invoice else {
        return Ok(None);
    };
    // Stars (`XTR`) take no provider token; other currencies need one.
    let provider = if invoice.currency == crate::shop::stars::XTR {
        None
    } else {
        let Some(provider) = link.providers.get(&invoice.payment) else {
            return Err(RequestError::Api(ApiError::Unknown(format!(
                "no provider token for the payment method `{}`",
                invoice.payment
            ))));
        };
        Some(provider.clone())
    };
    let amount = u32::try_from(invoice.amount).unwrap_or(u32::MAX);
    let mut request = link.bot.send_invoice(
        chat,
        format::clip(&invoice.title, 32),
        format::clip(&invoice.description, 255),
        invoice.order.clone(),
        invoice.currency.clone(),
        [LabeledPrice::new(format::clip(&invoice.title, 32), amount)],
    );
    if let Some(provider) = provider {
        request = request.provider_token(provider);
    }
    request.await.map(|m| Some(m.id))
}

/// Gives back a payment in Stars; the user is the private chat's.
pub(super) async fn refund(
    link: &Link,
    chat: ChatId,
    out: &Outgoing,
) -> Result<Option<MessageId>, RequestError> {
    let Some(refund) = &out.reply.refund else {
        return Ok(None);
    };
    let user = u64::try_from(chat.0).map_err(|_| {
        RequestError::Api(ApiError::Unknown(
            "a refund to a chat that is not a user".into(),
        ))
    })?;
    link.bot
        .refund_star_payment(
            teloxide::types::UserId(user),
            teloxide::types::TelegramTransactionId(refund.charge.clone()),
        )
        .await
        .map(|_| None)
}
