//! Runs one turn: load, handle, apply effects, commit, outbox.
