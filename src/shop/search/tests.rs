//! Unit tests of the search module as a whole.
