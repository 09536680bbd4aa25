//! Stickers: their own event type (`m.sticker`), taken in as a customer's media.

use matrix_sdk::ruma::events::room::message::Relation;
use matrix_sdk::ruma::events::sticker::OriginalSyncStickerEvent;
use matrix_sdk::{Room, RoomState};

use super::super::{Link, attach};
use super::{Incoming, Pending, is_group};
use crate::conversation::Input;

/// A sticker as a customer's (or, replying to one of the bot's messages, an
/// owner's) media; in a room of several people only as such a reply.
pub(super) async fn from_sticker(
    link: &Link,
    ev: &OriginalSyncStickerEvent,
    room: &Room,
) -> Option<Incoming> {
    if Some(ev.sender.as_ref()) == link.client.user_id() || room.state() != RoomState::Joined {
        return None;
    }
    let reply_to = match &ev.content.relates_to {
        Some(Relation::Reply(reply)) => Some(reply.in_reply_to.event_id.to_string()),
        Some(Relation::Replacement(_)) => return None,
        _ => None,
    };
    let group = is_group(room).await;
    if group && reply_to.is_none() {
        return None;
    }
    let mut attachment = attach::of_sticker(&ev.content, room.room_id(), &ev.event_id);
    attach::fetch(link, &mut attachment).await;
    let input = Pending::Ready(Input::Media(Box::new(attachment)));
    let mut incoming = Incoming::new(room, ev.event_id.to_string(), &ev.sender, input).await;
    incoming.reply_to = reply_to;
    incoming.unaddressed = group;
    Some(incoming)
}
