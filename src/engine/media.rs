//! Uploaded images, for the adapters (which do not reach the store): what a
//! platform gave back for an image's bytes, so it is uploaded once.

use super::{Engine, EngineError};
pub use crate::store::MediaKey;

impl Engine {
    /// What the platform gave back when this image was uploaded, if it was.
    pub fn uploaded(&self, key: &MediaKey) -> Result<Option<String>, EngineError> {
        Ok(self.store.uploaded(key)?)
    }

    /// Remembers what the platform gave back for an upload.
    pub fn remember_upload(
        &mut self,
        key: &MediaKey,
        reference: &str,
        now: i64,
    ) -> Result<(), EngineError> {
        Ok(self
            .store
            .write(|tx| tx.remember_upload(key, reference, now))?)
    }

    /// Forgets an upload the platform refused (only if it is still `reference`).
    pub fn forget_upload(&mut self, key: &MediaKey, reference: &str) -> Result<bool, EngineError> {
        Ok(self.store.write(|tx| tx.forget_upload(key, reference))?)
    }
}
