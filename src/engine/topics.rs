//! What the channel adapters read and keep about forum topics (Telegram) and
//! ticket threads (Matrix); see [`crate::store::Topic`].

use super::{Chat, Engine, EngineError};
use crate::channel::{Channel, ChatKey};
use crate::store::{TicketTopic, Topic};

impl Engine {
    /// Ticket `ticket`'s customer and their topic in the owners' chat `owners`.
    pub fn ticket_topic(
        &self,
        owners: &str,
        ticket: i64,
    ) -> Result<Option<TicketTopic>, EngineError> {
        Ok(self.store.ticket_topic(owners, ticket)?)
    }

    /// The customer's topic in the owners' chat `owners`, if any.
    pub fn topic(&self, owners: &str, customer: &ChatKey) -> Result<Option<Topic>, EngineError> {
        Ok(self.store.topic(owners, customer)?)
    }

    /// The ticket an owner's message in topic `thread` answers, if the topic is known.
    pub fn topic_ticket(&self, owners: &str, thread: i32) -> Result<Option<i64>, EngineError> {
        Ok(self.store.topic_ticket(owners, thread)?)
    }

    /// Open topics of customers without an open ticket (to close).
    pub fn topics_to_close(&self, owners: &str) -> Result<Vec<i32>, EngineError> {
        Ok(self.store.topics_to_close(owners)?)
    }

    /// Topics of forgotten customers (to delete).
    pub fn doomed_topics(&self, owners: &str) -> Result<Vec<i32>, EngineError> {
        Ok(self.store.doomed_topics(owners)?)
    }

    /// Records a topic just created for the customer, before anything is sent into it.
    pub fn save_topic(
        &mut self,
        owners: &str,
        customer: &ChatKey,
        thread: i32,
        name: &str,
        now: i64,
    ) -> Result<(), EngineError> {
        Ok(self
            .store
            .write(|tx| tx.save_topic(owners, customer, thread, name, now))?)
    }

    /// Notes a topic closed or reopened.
    pub fn set_topic_closed(
        &mut self,
        owners: &str,
        thread: i32,
        closed: bool,
    ) -> Result<(), EngineError> {
        Ok(self
            .store
            .write(|tx| tx.set_topic_closed(owners, thread, closed))?)
    }

    /// Forgets a topic that is gone on the platform.
    pub fn drop_topic(&mut self, owners: &str, thread: i32) -> Result<(), EngineError> {
        Ok(self.store.write(|tx| tx.drop_topic(owners, thread))?)
    }

    /// The ticket a message of ours in this chat was about, if any.
    pub fn ticket_of_message(
        &self,
        chat: Chat<'_>,
        message_id: &str,
    ) -> Result<Option<i64>, EngineError> {
        Ok(self.message(chat, message_id)?.and_then(|out| out.ticket))
    }

    /// The platform id of the first message sent to `chat` about `ticket`
    /// (its notice): the root of the ticket's thread.
    pub fn thread_root(
        &self,
        channel: Channel,
        chat_id: &str,
        ticket: i64,
    ) -> Result<Option<String>, EngineError> {
        Ok(self.store.thread_root(channel, chat_id, ticket)?)
    }
}
