//! Routes one turn: an owner's command or answer, a flooding customer, or a
//! customer's message (screened by the conversation, then conversed).

use jiff::Timestamp;

use super::outbox::{push, queue_replies, queue_replies_about, queue_replies_in};
use super::owner;
use super::session::{load_session, load_session_fresh};
use super::{Chat, EngineError, Event, Exec, Outgoing, outgoing_of};
use crate::channel::Channel;
use crate::conversation::{self, Answer, Aside, Facts, Input, Reply, Session, Turn};
use crate::owner::Command;
use crate::shop::{Phrase, Shop, StockLevels};
use crate::store::{OutboxRow, Ratings, Tx};

/// One turn's transaction and what it needs around it.
pub(super) struct TurnCx<'t, 'c> {
    pub(super) tx: &'t Tx<'c>,
    pub(super) shop: &'t Shop,
    pub(super) channels: &'t [Channel],
    pub(super) now: Timestamp,
    pub(super) cached: &'t StockLevels,
    pub(super) fresh_stock: &'t mut Option<StockLevels>,
    /// The customer of this turn asked to be forgotten: nothing more is kept.
    pub(super) forgotten: bool,
    /// The products' ratings as this turn began, for the cards.
    pub(super) ratings: &'t Ratings,
    /// The orders whose feedback changed in this turn: their products'
    /// ratings are read again before the turn commits.
    pub(super) rated: Vec<String>,
}

impl<'t, 'c> TurnCx<'t, 'c> {
    pub(super) fn new(
        tx: &'t Tx<'c>,
        shop: &'t Shop,
        channels: &'t [Channel],
        now: Timestamp,
        cached: &'t StockLevels,
        fresh_stock: &'t mut Option<StockLevels>,
    ) -> Self {
        Self {
            tx,
            shop,
            channels,
            now,
            cached,
            fresh_stock,
            forgotten: false,
            ratings: Ratings::none(),
            rated: Vec::new(),
        }
    }

    /// The products' ratings the cards of this turn show.
    pub(super) fn with_ratings(self, ratings: &'t Ratings) -> Self {
        Self { ratings, ..self }
    }

    pub(super) fn stock(&self) -> &StockLevels {
        self.fresh_stock.as_ref().unwrap_or(self.cached)
    }

    pub(super) fn refresh_stock(&mut self) -> Result<(), EngineError> {
        *self.fresh_stock = Some(self.tx.stock_levels()?);
        Ok(())
    }

    /// Queues a notice about the customer of `about` for every owner.
    pub(super) fn notify(
        &self,
        about: Chat<'_>,
        notice: &owner::Notice,
    ) -> Result<Vec<OutboxRow>, EngineError> {
        let mut rows = Vec::new();
        for to in owner::destinations(self.tx, self.shop, self.channels)? {
            let out = Outgoing {
                reply: notice.reply.clone(),
                edit: None,
                first_number: 1,
                ticket: notice.ticket,
            };
            let about = [about.key()];
            rows.push(push(
                self.tx,
                to.channel,
                &to.chat_id,
                &out,
                self.now,
                &about,
            )?);
        }
        Ok(rows)
    }

    /// A message from an owner: a command, an answer to a ticket, or (anything
    /// else) the shop's own conversation, as a customer sees it.
    pub(super) fn owner_turn(
        &mut self,
        chat: Chat<'_>,
        event: Event<'_>,
        input: &Input,
        command: Option<Command>,
    ) -> Result<Vec<OutboxRow>, EngineError> {
        if let (true, Some(sender)) = (event.direct, event.sender) {
            self.tx
                .set_owner_room(chat.channel, sender, chat.chat_id, self.now.as_second())?;
        }
        let signature = owner::signature(self.shop, event);
        // In a customer's forum topic, `/close` alone closes that customer's ticket.
        let command = match (command, event.ticket) {
            (Some(Command::Usage("/close N")), Some(ticket)) => Some(Command::Close(ticket)),
            (command, _) => command,
        };
        let outcome = match (command, input, event.reply_to) {
            (Some(command), _, _) => owner::run(
                self.tx,
                self.shop,
                self.stock(),
                command,
                signature,
                self.now,
            )?,
            // Written in a customer's forum topic, a reply to nothing in particular.
            (None, Input::Text(_) | Input::Media(_), None)
                if event.ticket.is_some() && !event.forwarded =>
            {
                let ticket = event.ticket.unwrap_or_default();
                owner::answer(
                    self.tx,
                    self.shop,
                    ticket,
                    answer_of(input, signature),
                    self.now,
                )?
            }
            (None, Input::Text(_) | Input::Media(_), Some(reply_to)) if !event.forwarded => {
                let answer = answer_of(input, signature);
                match self.message_of(chat, reply_to)? {
                    Some(Outgoing {
                        ticket: Some(ticket),
                        ..
                    }) => owner::answer(self.tx, self.shop, ticket, answer, self.now)?,
                    // No ticket behind it, or a message of ours sent just before a
                    // crash and never noted: say so rather than guess (in a
                    // customer's topic, the topic says whose it is).
                    Some(_) | None => match event.ticket {
                        Some(ticket) => {
                            owner::answer(self.tx, self.shop, ticket, answer, self.now)?
                        }
                        None => owner::unknown_reply(self.shop),
                    },
                }
            }
            _ => return self.customer_turn(chat, event, input),
        };
        let event = Event {
            pressed: None,
            ..event
        };
        // Answers to a message in a customer's topic go into that topic.
        let mut rows = queue_replies_in(
            self.tx,
            chat,
            event,
            outcome.replies,
            self.now,
            &outcome.about,
            event.ticket,
        )?;
        if outcome.stock_changed {
            self.refresh_stock()?;
        }
        self.rated.extend(outcome.rated.iter().cloned());
        for to in outcome.customers {
            let customer = Chat {
                channel: to.customer.channel,
                chat_id: &to.customer.chat_id,
            };
            rows.extend(self.converse(customer, Event::default(), &to.input)?);
        }
        Ok(rows)
    }

    /// The message behind a platform message id of this chat, if it is ours.
    pub(super) fn message_of(
        &self,
        chat: Chat<'_>,
        message_id: &str,
    ) -> Result<Option<Outgoing>, EngineError> {
        let row = self
            .tx
            .message_row(chat.channel, chat.chat_id, message_id)?;
        Ok(row.as_ref().map(outgoing_of).transpose()?)
    }

    /// A customer's message: the engine loads what the conversation needs to
    /// know beforehand; the conversation decides whether it is relayed into an
    /// open ticket, refused as an owner's, or a turn of the conversation.
    pub(super) fn customer_turn(
        &mut self,
        chat: Chat<'_>,
        event: Event<'_>,
        input: &Input,
    ) -> Result<Vec<OutboxRow>, EngineError> {
        let replies_to_owners_notice = match (input, event.reply_to) {
            (Input::Text(_), Some(message)) => self
                .message_of(chat, message)?
                .is_some_and(|out| out.ticket.is_some()),
            _ => false,
        };
        let facts = Facts {
            open_ticket: self
                .tx
                .open_ticket_of(chat.channel, chat.chat_id)?
                .map(|t| t.number),
            replies_to_owners_notice,
        };
        let (mut session, fresh) = load_session_fresh(self.tx, self.shop, chat, self.now)?;
        if fresh
            && let Some(lang) = event.language
            && self.shop.languages().iter().any(|l| l == lang)
        {
            lang.clone_into(&mut session.lang);
        }
        match conversation::screen(self.shop, &session, input, &facts) {
            Some(aside) => self.aside(chat, event, &session, aside),
            None => self.converse_from(chat, event, input, session, fresh),
        }
    }

    /// A message answered outside the conversation: its effects (the owners'
    /// notices first), then its replies; the session stays as it was.
    pub(super) fn aside(
        &mut self,
        chat: Chat<'_>,
        event: Event<'_>,
        session: &Session,
        aside: Aside,
    ) -> Result<Vec<OutboxRow>, EngineError> {
        let mut notices = Vec::new();
        for effect in aside.effects {
            self.apply(chat, event, session, effect, &mut notices)?;
        }
        let mut rows = Vec::new();
        for notice in notices {
            rows.extend(self.notify(chat, &notice)?);
        }
        let event = Event {
            pressed: None,
            ..event
        };
        rows.extend(queue_replies(
            self.tx,
            chat,
            event,
            aside.replies,
            self.now,
        )?);
        Ok(rows)
    }

    /// One bundled phrase to this chat, in its language, outside the conversation.
    pub(super) fn say_to(
        &self,
        chat: Chat<'_>,
        event: Event<'_>,
        key: Phrase,
    ) -> Result<Vec<OutboxRow>, EngineError> {
        let session = load_session(self.tx, self.shop, chat, self.now)?;
        let text = self.shop.texts(&session.lang).get(key).to_owned();
        let event = Event {
            pressed: None,
            ..event
        };
        queue_replies(self.tx, chat, event, vec![Reply::plain(text)], self.now)
    }

    /// A flooding customer's message, ignored: maybe tell them, maybe the owners.
    pub(super) fn flooded(
        &mut self,
        chat: Chat<'_>,
        event: Event<'_>,
        tell_customer: bool,
        tell_owners: Option<u64>,
    ) -> Result<Vec<OutboxRow>, EngineError> {
        let mut rows = Vec::new();
        if tell_customer {
            rows = self.say_to(chat, event, Phrase::TooFast)?;
        }
        if let Some(ignored) = tell_owners {
            let who = customer_name(chat, event);
            rows.extend(self.notify(
                chat,
                &owner::flood_notice(self.shop, chat.channel, &who, ignored),
            )?);
        }
        Ok(rows)
    }

    /// Runs the conversation of one chat on one input: session, effects, replies.
    pub(super) fn converse(
        &mut self,
        chat: Chat<'_>,
        event: Event<'_>,
        input: &Input,
    ) -> Result<Vec<OutboxRow>, EngineError> {
        let (session, fresh) = load_session_fresh(self.tx, self.shop, chat, self.now)?;
        self.converse_from(chat, event, input, session, fresh)
    }

    /// [`Self::converse`] with the chat's session loaded (`fresh`: a new one).
    pub(super) fn converse_from(
        &mut self,
        chat: Chat<'_>,
        event: Event<'_>,
        input: &Input,
        mut session: Session,
        fresh: bool,
    ) -> Result<Vec<OutboxRow>, EngineError> {
        let (shop, tx, now) = (self.shop, self.tx, self.now);
        session.channel = Some(chat.channel);
        record_input(tx, chat, &session, input, now)?;
        let mut notices = Vec::new();
        let mut exec = Exec {
            cx: self,
            chat,
            event,
            notices: &mut notices,
        };
        let Turn {
            session,
            replies,
            steps,
            mut quotes,
            ..
        } = conversation::run(shop, &session, fresh, input, now, &mut exec)?;
        // Other customers' review comments: erasing one of them erases these
        // messages, and they are not kept in this chat's history.
        quotes.sort();
        quotes.dedup();
        quotes.retain(|q| *q != chat.key());
        if self.forgotten {
            let event = Event {
                pressed: None,
                ..event
            };
            return queue_replies(tx, chat, event, replies, now);
        }
        for step in steps {
            tx.record_event_from(
                chat.channel,
                step.as_str(),
                session.source.as_deref(),
                now.as_second(),
            )?;
        }
        tx.save_session(
            chat.channel,
            chat.chat_id,
            &serde_json::to_string(&session)?,
            now.as_second(),
        )?;
        for reply in replies.iter().filter(|_| quotes.is_empty()) {
            tx.add_history(
                chat.channel,
                chat.chat_id,
                "bot",
                &reply.text,
                now.as_second(),
            )?;
        }
        let mut rows = queue_replies_about(tx, chat, event, replies, now, &quotes)?;
        for notice in notices {
            rows.extend(self.notify(chat, &notice)?);
        }
        Ok(rows)
    }
}

/// An owner's text or media as an answer to a ticket.
fn answer_of(input: &Input, signature: Option<String>) -> Answer {
    let (text, attachment) = match input {
        Input::Media(attachment) => (
            attachment.caption.clone().unwrap_or_default(),
            Some(attachment.clone()),
        ),
        Input::Text(text) => (text.clone(), None),
        _ => (String::new(), None),
    };
    Answer {
        text,
        attachment,
        signature,
    }
}

/// How the owners see a customer: the platform's name and handle, else the chat.
pub(super) fn customer_name(chat: Chat<'_>, event: Event<'_>) -> String {
    event
        .sender_name
        .filter(|n| !n.trim().is_empty())
        .map_or_else(|| format!("chat {}", chat.chat_id), str::to_owned)
}

/// Keeps what the customer wrote or pressed, for a ticket's context.
pub(super) fn record_input(
    tx: &Tx<'_>,
    chat: Chat<'_>,
    session: &Session,
    input: &Input,
    now: Timestamp,
) -> Result<(), EngineError> {
    let (who, text) = match input {
        Input::Text(text) => ("customer", text.clone()),
        Input::Button(id) => match session.buttons.iter().find(|(b, _)| b == id) {
            Some((_, label)) => ("customer", format!("[{label}]")),
            None => return Ok(()),
        },
        Input::Media(attachment) => ("customer", attachment.describe()),
        Input::OwnerAnswer(answer) => (
            "team",
            match &answer.attachment {
                Some(attachment) => attachment.describe(),
                None => answer.text.clone(),
            },
        ),
        _ => return Ok(()),
    };
    tx.add_history(chat.channel, chat.chat_id, who, &text, now.as_second())?;
    // Bytes kept for another platform belong to this customer (for `/forget`).
    let kept = match input {
        Input::Media(attachment) => attachment.stored.as_deref(),
        Input::OwnerAnswer(answer) => answer.attachment.as_ref().and_then(|a| a.stored.as_deref()),
        _ => None,
    };
    if let Some(sha256) = kept {
        tx.add_spool_file(sha256, chat.channel, chat.chat_id, now.as_second())?;
    }
    Ok(())
}
