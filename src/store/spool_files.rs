//! Which customer each kept attachment file (the spool, `crate::spool`)
//! belongs to: a row per customer and file (the same bytes from two customers
//! are one file, two rows). `/forget` and the history purge delete rows; a file
//! no row names any more goes to the trash, emptied (files removed) after the
//! commit by the engine — a trash that survives a crash is emptied next time.

use rusqlite::params;

use super::{Result, Tx};
use crate::channel::Channel;

impl Tx<'_> {
    /// Notes that the kept file `sha256` belongs to the customer of `chat_id`.
    pub fn add_spool_file(
        &self,
        sha256: &str,
        channel: Channel,
        chat_id: &str,
        at: i64,
    ) -> Result<()> {
        self.tx
            .prepare_cached(
                "INSERT INTO spool_files (channel, chat_id, sha256, created)
                 VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (channel, chat_id, sha256)
                 DO UPDATE SET created = max(created, excluded.created)",
            )?
            .execute(params![channel, chat_id, sha256, at])?;
        self.tx
            .prepare_cached("DELETE FROM spool_trash WHERE sha256 = ?1")?
            .execute([sha256])?;
        Ok(())
    }

    /// The kept files of one customer.
    pub fn spool_files_of(&self, channel: Channel, chat_id: &str) -> Result<Vec<String>> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT sha256 FROM spool_files WHERE channel = ?1 AND chat_id = ?2 ORDER BY sha256",
        )?;
        let rows = stmt.query_map(params![channel, chat_id], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Deletes one customer's rows (their `/forget`); their files go to the trash.
    pub fn forget_spool_files(&self, channel: Channel, chat_id: &str) -> Result<usize> {
        self.tx
            .prepare_cached(
                "INSERT OR IGNORE INTO spool_trash (sha256)
                 SELECT sha256 FROM spool_files WHERE channel = ?1 AND chat_id = ?2",
            )?
            .execute(params![channel, chat_id])?;
        Ok(self
            .tx
            .prepare_cached("DELETE FROM spool_files WHERE channel = ?1 AND chat_id = ?2")?
            .execute(params![channel, chat_id])?)
    }

    /// Deletes the rows noted before `before`; their files go to the trash.
    pub fn purge_spool_files(&self, before: i64) -> Result<usize> {
        self.tx
            .prepare_cached(
                "INSERT OR IGNORE INTO spool_trash (sha256)
                 SELECT sha256 FROM spool_files WHERE created < ?1",
            )?
            .execute([before])?;
        Ok(self
            .tx
            .prepare_cached("DELETE FROM spool_files WHERE created < ?1")?
            .execute([before])?)
    }

    /// The trash: each file in it, and whether a row names it again (then it
    /// is only taken out of the trash, not removed). Reads only.
    pub fn spool_trash(&self) -> Result<Vec<(String, bool)>> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT sha256, sha256 IN (SELECT sha256 FROM spool_files)
             FROM spool_trash ORDER BY sha256",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Takes files out of the trash: removed from the spool, or named again.
    pub fn out_of_spool_trash(&self, names: &[String]) -> Result<()> {
        let mut stmt = self
            .tx
            .prepare_cached("DELETE FROM spool_trash WHERE sha256 = ?1")?;
        for name in names {
            stmt.execute([name])?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::channel::Channel;
    use crate::store::Store;

    const A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const B: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

    #[test]
    #[allow(clippy::redundant_closure_for_method_calls)] // the method path is not general enough
    fn erasure_keeps_bytes_another_customer_shares_and_the_purge_takes_old_ones() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("shop.db")).unwrap();
        store
            .write(|tx| {
                tx.add_spool_file(A, Channel::Telegram, "1", 100)?;
                tx.add_spool_file(B, Channel::Telegram, "1", 100)?;
                tx.add_spool_file(A, Channel::Matrix, "@two:x", 500)?;
                tx.forget(Channel::Telegram, "1")?;
                Ok(())
            })
            .unwrap();
        // Only B is no one's now; A is the other customer's too.
        let unused = |store: &mut Store| -> Vec<String> {
            let trash = store.write(|tx| tx.spool_trash()).unwrap();
            trash
                .into_iter()
                .filter(|(_, named)| !named)
                .map(|(name, _)| name)
                .collect()
        };
        assert_eq!(unused(&mut store), [B]);
        let all: Vec<String> = store
            .write(|tx| tx.spool_trash())
            .unwrap()
            .into_iter()
            .map(|(name, _)| name)
            .collect();
        store.write(|tx| tx.out_of_spool_trash(&all)).unwrap();
        assert!(store.write(|tx| tx.spool_trash()).unwrap().is_empty());
        let of = |store: &mut Store, chat: &str| {
            store
                .write(|tx| tx.spool_files_of(Channel::Matrix, chat))
                .unwrap()
        };
        assert_eq!(of(&mut store, "@two:x"), [A]);
        assert_eq!(store.write(|tx| tx.purge_spool_files(400)).unwrap(), 0);
        assert_eq!(store.write(|tx| tx.purge_spool_files(501)).unwrap(), 1);
        assert!(of(&mut store, "@two:x").is_empty());
        // Named again before the trash was emptied: kept.
        store
            .write(|tx| tx.add_spool_file(A, Channel::Telegram, "3", 600))
            .unwrap();
        // Named again: out of the trash at once, so never removed.
        assert!(store.write(|tx| tx.spool_trash()).unwrap().is_empty());
    }
}
