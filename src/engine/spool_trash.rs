//! Removing the kept attachment files no customer owns any more (after a
//! `/forget` or the history purge committed).

use super::Engine;

impl Engine {
    /// Removes the files in the store's spool trash, then takes them out of
    /// it: a crash in between leaves them in the trash, removed next time. A
    /// file that cannot be removed now is said and stays for the next time. An
    /// empty trash writes nothing (after `/forget` the log stays empty).
    #[allow(clippy::redundant_closure_for_method_calls)] // the method path is not general enough
    pub(super) fn empty_spool_trash(&mut self) {
        let trash = match self.store.write(|tx| tx.spool_trash()) {
            Ok(trash) => trash,
            Err(e) => {
                tracing::warn!("the media spool's trash cannot be read: {e}");
                return;
            }
        };
        if trash.is_empty() {
            return;
        }
        let mut done = Vec::new();
        for (name, named_again) in trash {
            if named_again {
                done.push(name);
                continue;
            }
            match self.spool.remove(&name) {
                Ok(()) => done.push(name),
                Err(e) => {
                    tracing::warn!("a kept media file cannot be removed ({e}); tried again later");
                }
            }
        }
        if let Err(e) = self.store.write(|tx| tx.out_of_spool_trash(&done)) {
            tracing::warn!("the media spool's trash cannot be written: {e}");
        }
    }
}
