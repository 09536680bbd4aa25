//! The spool: bytes of ticket attachments fetched from one platform to be
//! uploaded to another, kept as files named by their SHA-256 in a `media`
//! folder beside the database. Written whole (a temporary file, synced, then
//! renamed), so a name in the spool always holds its complete bytes.
//!
//! Which customer a file belongs to (for `/forget` and the history purge) is
//! the store's business; the spool only keeps bytes.

use std::fs;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

use crate::channels::media::sha256;

/// Errors of the spool.
#[derive(Debug, thiserror::Error)]
pub enum SpoolError {
    #[error("media spool {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// Not a SHA-256 in hex: never a path of our own.
    #[error("not a spool name: {0:?}")]
    BadName(String),
}

/// The folder of kept attachment bytes.
#[derive(Debug, Clone)]
pub struct Spool {
    dir: PathBuf,
}

impl Spool {
    /// The spool of the database at `db`: the folder `media` beside it.
    pub fn beside(db: &Path) -> Self {
        let parent = db.parent().filter(|p| !p.as_os_str().is_empty());
        Self {
            dir: parent.unwrap_or_else(|| Path::new(".")).join("media"),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Keeps `bytes`; returns their name (SHA-256, hex). Keeping the same
    /// bytes twice keeps one file.
    pub fn put(&self, bytes: &[u8]) -> Result<String, SpoolError> {
        let name = sha256(bytes);
        let path = self.dir.join(&name);
        if path.exists() {
            return Ok(name);
        }
        let io = |source| SpoolError::Io {
            path: path.clone(),
            source,
        };
        fs::create_dir_all(&self.dir).map_err(io)?;
        let tmp = self.dir.join(format!("{name}.part"));
        let mut file = fs::File::create(&tmp).map_err(io)?;
        let written = file
            .write_all(bytes)
            .and_then(|()| file.sync_all())
            .and_then(|()| fs::rename(&tmp, &path));
        if let Err(e) = written {
            let _ = fs::remove_file(&tmp);
            return Err(io(e));
        }
        Ok(name)
    }

    /// The path of a kept file, if `name` is a spool name and the file is there.
    pub fn path(&self, name: &str) -> Result<Option<PathBuf>, SpoolError> {
        let path = self.dir.join(checked(name)?);
        Ok(path.is_file().then_some(path))
    }

    /// The bytes kept under `name`.
    pub fn read(&self, name: &str) -> Result<Vec<u8>, SpoolError> {
        let path = self.dir.join(checked(name)?);
        fs::read(&path).map_err(|source| SpoolError::Io { path, source })
    }

    /// Removes a kept file; one that is not there is fine.
    pub fn remove(&self, name: &str) -> Result<(), SpoolError> {
        let path = self.dir.join(checked(name)?);
        match fs::remove_file(&path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => {
                Err(SpoolError::Io { path, source: e })
            }
            _ => Ok(()),
        }
    }
}

fn checked(name: &str) -> Result<&str, SpoolError> {
    if name.len() == 64
        && name
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    {
        Ok(name)
    } else {
        Err(SpoolError::BadName(name.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::{Spool, SpoolError};

    #[test]
    fn keeps_bytes_by_their_hash() {
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::beside(&dir.path().join("shop.db"));
        let name = spool.put(b"a photo").unwrap();
        assert_eq!(name.len(), 64);
        assert_eq!(spool.put(b"a photo").unwrap(), name);
        assert_eq!(spool.read(&name).unwrap(), b"a photo");
        assert!(spool.path(&name).unwrap().is_some());
        spool.remove(&name).unwrap();
        spool.remove(&name).unwrap();
        assert!(spool.path(&name).unwrap().is_none());
        assert!(matches!(
            spool.read("../shop.db"),
            Err(SpoolError::BadName(_))
        ));
        assert!(matches!(
            spool.path(&"A".repeat(64)),
            Err(SpoolError::BadName(_))
        ));
    }
}
