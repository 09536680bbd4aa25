//! Who is connected: the open pages of each conversation (a customer may have
//! several tabs), and the caps on open connections, overall and per address.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::mpsc;

/// Frames waiting for one page before it counts as too slow and is dropped
/// (it reconnects and catches up from the database).
const QUEUE: usize = 64;

/// A frame for the pages: the bot message's id (0 for other frames) and its JSON.
#[derive(Debug, Clone)]
pub struct Frame {
    pub id: i64,
    pub json: Arc<str>,
}

struct Member {
    id: u64,
    tx: mpsc::Sender<Frame>,
}

#[derive(Default)]
struct Inner {
    chats: HashMap<String, Vec<Member>>,
    addresses: HashMap<IpAddr, usize>,
    open: usize,
    next: u64,
}

/// The connected pages.
pub struct Hub {
    inner: Mutex<Inner>,
    max_open: usize,
    max_per_address: usize,
}

/// Why a connection was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Full {
    /// The server holds as many connections as it may.
    Server,
    /// This address holds as many as it may.
    Address,
}

/// An admitted connection: counted until dropped.
pub struct Admitted {
    hub: Arc<Hub>,
    address: IpAddr,
}

/// A page joined to its conversation: receives its frames until dropped.
pub struct Joined {
    hub: Arc<Hub>,
    chat: String,
    pub id: u64,
    pub rx: mpsc::Receiver<Frame>,
}

impl Hub {
    pub fn new(max_open: usize, max_per_address: usize) -> Arc<Self> {
        Arc::new(Self {
            inner: Mutex::default(),
            max_open,
            max_per_address,
        })
    }

    fn inner(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Counts one more connection from `address`, if the caps allow it.
    pub fn admit(self: &Arc<Self>, address: IpAddr) -> Result<Admitted, Full> {
        let mut inner = self.inner();
        if inner.open >= self.max_open {
            return Err(Full::Server);
        }
        let from_here = inner.addresses.entry(address).or_default();
        if *from_here >= self.max_per_address {
            return Err(Full::Address);
        }
        *from_here += 1;
        inner.open += 1;
        Ok(Admitted {
            hub: Arc::clone(self),
            address,
        })
    }

    /// Open connections now.
    #[cfg(test)]
    pub fn open(&self) -> usize {
        self.inner().open
    }

    /// Adds a page to conversation `chat`.
    pub fn join(self: &Arc<Self>, chat: &str) -> Joined {
        let (tx, rx) = mpsc::channel(QUEUE);
        let mut inner = self.inner();
        inner.next += 1;
        let id = inner.next;
        inner
            .chats
            .entry(chat.to_owned())
            .or_default()
            .push(Member { id, tx });
        Joined {
            hub: Arc::clone(self),
            chat: chat.to_owned(),
            id,
            rx,
        }
    }

    /// Gives `frame` to every page of `chat` but `except`. A page whose queue
    /// is full is dropped from the conversation: its connection closes and the
    /// page catches up when it reconnects.
    pub fn publish(&self, chat: &str, frame: &Frame, except: Option<u64>) {
        let mut inner = self.inner();
        let Some(members) = inner.chats.get_mut(chat) else {
            return;
        };
        members.retain(|m| Some(m.id) == except || m.tx.try_send(frame.clone()).is_ok());
        if members.is_empty() {
            inner.chats.remove(chat);
        }
    }

    /// Whether some page of `chat` is open.
    #[cfg(test)]
    pub fn is_open(&self, chat: &str) -> bool {
        self.inner().chats.contains_key(chat)
    }
}

impl Drop for Admitted {
    fn drop(&mut self) {
        let mut inner = self.hub.inner();
        inner.open = inner.open.saturating_sub(1);
        if let Some(n) = inner.addresses.get_mut(&self.address) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                inner.addresses.remove(&self.address);
            }
        }
    }
}

impl Drop for Joined {
    fn drop(&mut self) {
        let mut inner = self.hub.inner();
        if let Some(members) = inner.chats.get_mut(&self.chat) {
            members.retain(|m| m.id != self.id);
            if members.is_empty() {
                inner.chats.remove(&self.chat);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(id: i64) -> Frame {
        Frame {
            id,
            json: Arc::from(format!("{{\"id\":{id}}}")),
        }
    }

    #[test]
    fn caps_count_open_connections_and_free_them_when_dropped() {
        let hub = Hub::new(3, 2);
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        let first = hub.admit(a).unwrap();
        let _second = hub.admit(a).unwrap();
        assert_eq!(hub.admit(a).err(), Some(Full::Address));
        let _third = hub.admit(b).unwrap();
        assert_eq!(hub.admit(b).err(), Some(Full::Server));
        drop(first);
        assert_eq!(hub.open(), 2);
        assert!(hub.admit(a).is_ok());
    }

    #[test]
    fn every_page_of_a_conversation_gets_its_frames_and_no_one_else() {
        let hub = Hub::new(10, 10);
        let mut tab1 = hub.join("c1");
        let mut tab2 = hub.join("c1");
        let mut other = hub.join("c2");
        hub.publish("c1", &frame(5), None);
        hub.publish("c1", &frame(0), Some(tab1.id));
        assert_eq!(tab1.rx.try_recv().unwrap().id, 5);
        assert!(tab1.rx.try_recv().is_err(), "not its own echo");
        assert_eq!(tab2.rx.try_recv().unwrap().id, 5);
        assert_eq!(tab2.rx.try_recv().unwrap().id, 0);
        assert!(other.rx.try_recv().is_err());
        drop(tab2);
        drop(tab1);
        assert!(!hub.is_open("c1"));
    }

    #[test]
    fn a_page_that_does_not_keep_up_is_dropped() {
        let hub = Hub::new(10, 10);
        let mut slow = hub.join("c1");
        for id in 1..=i64::try_from(QUEUE).unwrap() + 1 {
            hub.publish("c1", &frame(id), None);
        }
        assert!(!hub.is_open("c1"));
        let mut got = 0;
        while slow.rx.try_recv().is_ok() {
            got += 1;
        }
        assert_eq!(got, QUEUE);
    }
}
