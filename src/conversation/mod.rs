//! The pure conversation core.
