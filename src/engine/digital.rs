//! The engine's side of digital goods: the pools and files made ready when
//! the shop loads, the goods of a paid order gathered once (in the turn's
//! transaction, so a crash before the commit delivers nothing and the
//! outbox, once committed, delivers exactly once), the owners warned when a
//! pool runs low, and a refund in Stars.

use super::dispatch::TurnCx;
use super::{Chat, Engine, EngineError, owner};
use crate::attachment::{Attachment, Media, Origin};
use crate::channel::Channel;
use crate::conversation::{Goods, GoodsItem, GoodsKind, StarRefund};
use crate::shop::{DigitalFile, OwnerPhrase, Shop};
use crate::store::{OrderLine, OrderStatus, Tx};

impl Engine {
    /// Aligns the pools of codes with the shop's files, and keeps every
    /// digital file's bytes in the spool (where the channels upload them from).
    pub(super) fn prepare_digital(&mut self) -> Result<(), EngineError> {
        let Self {
            shop, store, spool, ..
        } = self;
        store.sync_pools(shop.pools())?;
        for file in shop.digital_files() {
            match std::fs::read(&file.path) {
                Ok(bytes) => {
                    if let Err(e) = spool.put(&bytes) {
                        tracing::error!(path = %file.path.display(), "cannot keep a digital file in the spool: {e}");
                    }
                }
                Err(e) => {
                    tracing::error!(path = %file.path.display(), "cannot read a digital file: {e}");
                }
            }
        }
        Ok(())
    }
}

impl Engine {
    /// The platform refused a refund of `order`: the owners are told, to make
    /// it from the platform's side.
    pub fn refund_failed(
        &mut self,
        order: &str,
        reason: &str,
        now: jiff::Timestamp,
    ) -> Result<(), EngineError> {
        let (shop, channels, cached) = (&self.shop, &self.channels, &self.stock);
        let mut fresh_stock = None;
        let notice = owner::text_notice(shop.owner_texts().fill(
            OwnerPhrase::RefundFailed,
            &[("number", order), ("reason", reason)],
        ));
        self.store.write_with(|tx| -> Result<_, EngineError> {
            let turn = TurnCx::new(tx, shop, channels, now, cached, &mut fresh_stock);
            let nobody = Chat {
                channel: Channel::Telegram,
                chat_id: "",
            };
            turn.notify(nobody, &notice)?;
            Ok(())
        })
    }
}

impl TurnCx<'_, '_> {
    /// The digital goods of `number` for the customer of `chat`: after payment
    /// once (`again` false: a second call finds them delivered and gives
    /// nothing), or again on request (only goods delivered before). `None`
    /// when it is not their paid order or has no digital goods.
    pub(super) fn goods(
        &self,
        chat: Chat<'_>,
        number: &str,
        again: bool,
        notices: &mut Vec<owner::Notice>,
    ) -> Result<Option<Box<Goods>>, EngineError> {
        let (shop, tx) = (self.shop, self.tx);
        let Some(order) = tx.order(number)? else {
            return Ok(None);
        };
        let paid = matches!(
            order.status,
            OrderStatus::Paid | OrderStatus::Shipped | OrderStatus::Delivered
        );
        if order.channel != chat.channel || order.chat_id != chat.chat_id || !paid {
            return Ok(None);
        }
        let codes = tx.codes_of(number)?;
        let mut lines: Vec<&OrderLine> = Vec::new();
        for line in &order.lines {
            let digital = shop
                .product(&line.product_id)
                .is_some_and(|p| p.digital.is_some())
                || codes.iter().any(|c| c.product == line.product_id);
            if digital && !lines.iter().any(|l| l.product_id == line.product_id) {
                lines.push(line);
            }
        }
        if lines.is_empty() {
            return Ok(None);
        }
        let all_digital = order
            .lines
            .iter()
            .all(|l| lines.iter().any(|d| d.product_id == l.product_id));
        // Again: only goods delivered before; else now, unless delivered before.
        let go = if again {
            tx.delivered_digital(number)?
        } else {
            tx.start_delivery(number, self.now.as_second())?
        };
        if !go {
            return Ok(None);
        }
        let fresh = !again;
        let mut items = Vec::new();
        for line in lines {
            let given: Vec<String> = codes
                .iter()
                .filter(|c| c.product == line.product_id)
                .map(|c| c.code.clone())
                .collect();
            let what = if !given.is_empty() {
                GoodsKind::Codes(given)
            } else if let Some(file) = shop.digital_file(&line.product_id) {
                GoodsKind::File(Box::new(attachment(file, &line.product_id)))
            } else {
                if fresh {
                    notices.push(unreadable_notice(shop, number, &line.name));
                }
                GoodsKind::Missing
            };
            items.push(GoodsItem {
                name: line.name.clone(),
                what,
            });
        }
        // An order of digital goods only is delivered once they are sent.
        if fresh && all_digital && order.status == OrderStatus::Paid {
            tx.set_order_status(number, OrderStatus::Delivered, None, self.now.as_second())?;
        }
        Ok(Some(Box::new(Goods {
            order: number.to_owned(),
            again,
            items,
        })))
    }

    /// After an order took codes: a warning for each pool it left low (once,
    /// as the pool crosses its mark) or empty.
    pub(super) fn pool_notices(
        &self,
        lines: &[OrderLine],
        notices: &mut Vec<owner::Notice>,
    ) -> Result<(), EngineError> {
        for line in lines {
            let Some(left) = self.tx.pool_left(&line.product_id)? else {
                continue;
            };
            let Some(product) = self.shop.product(&line.product_id) else {
                continue;
            };
            let Some(digital) = &product.digital else {
                continue;
            };
            let mark = i64::from(digital.warn_below.unwrap_or(DEFAULT_WARN_BELOW));
            let before = left + i64::from(line.qty);
            let file = digital.codes.as_deref().unwrap_or_default();
            let text = if left == 0 {
                self.shop.owner_texts().fill(
                    OwnerPhrase::PoolEmpty,
                    &[("product", &product.name), ("file", file)],
                )
            } else if left <= mark && before > mark {
                self.shop.owner_texts().fill(
                    OwnerPhrase::PoolLow,
                    &[
                        ("count", &left.to_string()),
                        ("product", &product.name),
                        ("file", file),
                    ],
                )
            } else {
                continue;
            };
            notices.push(owner::text_notice(text));
        }
        Ok(())
    }
}

/// When a pool's warning comes, unless `digital.warn_below` says otherwise.
pub const DEFAULT_WARN_BELOW: u32 = 5;

/// A digital file as an attachment kept in the spool (no platform message
/// behind it: every channel uploads it).
fn attachment(file: &DigitalFile, product: &str) -> Attachment {
    Attachment {
        media: Media::Document,
        caption: None,
        file_name: Some(file.name.clone()),
        mime: Some(mime_of(&file.name).to_owned()),
        size: Some(file.size),
        seconds: None,
        origin: Origin {
            channel: Channel::Terminal,
            chat_id: String::new(),
            message_id: product.to_owned(),
            file: None,
        },
        stored: Some(file.sha256.clone()),
        unfetchable: None,
        album: None,
    }
}

/// The media type of a file, by its extension.
fn mime_of(name: &str) -> &'static str {
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "pdf" => "application/pdf",
        "zip" => "application/zip",
        "epub" => "application/epub+zip",
        "txt" => "text/plain",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "svg" => "image/svg+xml",
        "mp3" => "audio/mpeg",
        "mp4" => "video/mp4",
        "stl" => "model/stl",
        _ => "application/octet-stream",
    }
}

fn unreadable_notice(shop: &Shop, number: &str, product: &str) -> owner::Notice {
    owner::text_notice(shop.owner_texts().fill(
        OwnerPhrase::GoodsUnreadable,
        &[
            ("number", number),
            ("product", product),
            ("error", "not in the shop any more"),
        ],
    ))
}

/// Refunds an order paid in Stars (`/refund`): cancels it, revokes its codes,
/// and gives what the customer's platform must do and be told.
pub(super) fn refund(
    tx: &Tx<'_>,
    number: &str,
    now: i64,
) -> crate::store::Result<Option<Refunded>> {
    let Some(order) = tx.order(number)? else {
        return Ok(None);
    };
    let (Some(stars), Some(charge)) = (order.stars, tx.payment_ref(number)?) else {
        return Ok(None);
    };
    if !tx.refund_order(number, now)? {
        return Ok(None);
    }
    Ok(Some(Refunded {
        customer: order.key(),
        refund: StarRefund {
            order: number.to_owned(),
            charge,
            stars,
        },
        revoked: tx
            .revoked_codes_of(number)?
            .into_iter()
            .map(|c| c.code)
            .collect(),
    }))
}

/// What a refund did.
pub(super) struct Refunded {
    pub customer: crate::channel::ChatKey,
    pub refund: StarRefund,
    /// Codes the customer had been given, now revoked.
    pub revoked: Vec<String>,
}
