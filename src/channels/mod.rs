//! Channel adapters: platform events in, outbox messages out.
