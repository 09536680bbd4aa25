//! Removing the kept attachment files no customer owns any more (after a
//! `/forget` or the history purge committed).

use super::Engine;

impl Engine {
    /// Removes the files in the store's spool trash. One that cannot be
    /// removed now is said and put back for the next time.
    #[allow(clippy::redundant_closure_for_method_calls)] // the method path is not general enough
    pub(super) fn empty_spool_trash(&mut self) {
        let names = match self.store.write(|tx| tx.take_spool_trash()) {
            Ok(names) => names,
            Err(e) => {
                tracing::warn!("the media spool's trash cannot be read: {e}");
                return;
            }
        };
        for name in names {
            if let Err(e) = self.spool.remove(&name) {
                tracing::warn!("a kept media file cannot be removed ({e}); tried again later");
                let back = self.store.write(|tx| tx.return_to_spool_trash(&name));
                if let Err(e) = back {
                    tracing::warn!("the media spool's trash cannot be written: {e}");
                }
            }
        }
    }
}
