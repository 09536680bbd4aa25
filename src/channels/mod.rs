//! Channel adapters: platform events in, outbox messages out. They translate and
//! nothing else: the conversation decides, the engine commits.

pub mod telegram;
pub mod terminal;
