//! The engine on a database file, the actors around it, and a simple model of
//! what must hold after every step. Every check returns `Err(why)`.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};

use jiff::{SignedDuration, Timestamp};
use rusqlite::Connection;
use shopbot::channel::Channel;
use shopbot::conversation::Input;
use shopbot::engine::{Chat, Engine, Event, TurnResult, outgoing_of};
use shopbot::shop::Shop;
use shopbot::store::OutboxRow;

use super::snapshot::{self, ChatKey, OrderFacts, Snapshot};

pub const OWNER_TG: &str = "111";
pub const OWNER_MX: &str = "@boss:example.org";
pub const OWNER_MX_ROOM: &str = "!boss:example.org";
pub const COUPON: &str = "WELCOME10";
/// The answer to a confirmed /forget, in each language.
const FORGOTTEN: [&str; 3] = [
    "your data has been erased",
    "tus datos se han borrado",
    "datele tale au fost șterse",
];

/// Someone who talks to the bot.
#[derive(Debug, Clone, Copy)]
pub struct Actor {
    pub channel: &'static str,
    pub chat: &'static str,
    /// The platform user id; `None` on the terminal.
    pub sender: Option<&'static str>,
    pub owner: bool,
}

/// Five customers (two on Telegram, two on Matrix, one on the terminal) and two owners.
pub const ACTORS: [Actor; 8] = [
    Actor {
        channel: "telegram",
        chat: "201",
        sender: Some("201"),
        owner: false,
    },
    Actor {
        channel: "telegram",
        chat: "202",
        sender: Some("202"),
        owner: false,
    },
    Actor {
        channel: "matrix",
        chat: "!c1:example.org",
        sender: Some("@c1:example.org"),
        owner: false,
    },
    Actor {
        channel: "matrix",
        chat: "!c2:example.org",
        sender: Some("@c2:example.org"),
        owner: false,
    },
    Actor {
        channel: "terminal",
        chat: "local",
        sender: None,
        owner: false,
    },
    Actor {
        channel: "telegram",
        chat: OWNER_TG,
        sender: Some(OWNER_TG),
        owner: true,
    },
    Actor {
        channel: "matrix",
        chat: OWNER_MX_ROOM,
        sender: Some(OWNER_MX),
        owner: true,
    },
    // A web chat customer: the conversation is the digest of their token.
    Actor {
        channel: "web",
        chat: "3fa9c2d41b7e8f6a0c5d9e2b7a1f4c8d",
        sender: Some("3fa9c2d41b7e8f6a0c5d9e2b7a1f4c8d"),
        owner: false,
    },
];
/// The customers are `0..CUSTOMERS` and [`WEB`]; the owners come between
/// (their places are those of the replayed sequences found before the web).
pub const CUSTOMERS: usize = 5;
pub const OWNERS: std::ops::Range<usize> = CUSTOMERS..CUSTOMERS + 2;
pub const WEB: usize = 7;

fn key_of(a: &Actor) -> ChatKey {
    (a.channel.to_owned(), a.chat.to_owned())
}

/// The small test shop: two owners, low stock, follow-ups with a coupon, consent asked.
pub fn shop_text() -> String {
    let small = std::fs::read_to_string("tests/fixtures/shops/small.toml").unwrap();
    let text = small
        .replace("stock = 5\n", "stock = 2\n")
        .replace("stock = 10\n", "stock = 3\n")
        .replace(
            "[owners]\ntelegram = []\nmatrix = []",
            &format!(
                "[followups]\ncart_reminder_hours = 24\ncart_reminder_coupon = \"{COUPON}\"\n\
                 feedback_after_hours = 2\nlate_limit_hours = 48\n\n\
                 [owners]\ntelegram = [{OWNER_TG}]\nmatrix = [\"{OWNER_MX}\"]"
            ),
        );
    assert!(text.contains("[followups]") && text.contains("stock = 3\n"));
    text
}

/// The words the public can see anyway: shop file and every phrase.
fn public_corpus() -> String {
    let mut all = shop_text();
    for lang in ["en", "es", "ro"] {
        all.push_str(&std::fs::read_to_string(format!("locales/{lang}.toml")).unwrap());
    }
    all.to_lowercase()
}

/// Which checks run: all, but for exploring one defect while another is open
/// (`SHOPBOT_SM_SKIP=offers,flood,isolation,nobody,file`).
#[derive(Debug, Clone, Default)]
pub struct Checks {
    skip: Vec<String>,
}

impl Checks {
    pub fn all() -> Self {
        Self::default()
    }

    pub fn from_env() -> Self {
        let skip = std::env::var("SHOPBOT_SM_SKIP").unwrap_or_default();
        Self {
            skip: skip.split(',').map(|s| s.trim().to_owned()).collect(),
        }
    }

    /// Offers only to the consenting.
    fn offers(&self) -> bool {
        !self.skip.iter().any(|s| s == "offers")
    }

    /// Duplicates cost no flood tokens.
    fn flood(&self) -> bool {
        !self.skip.iter().any(|s| s == "flood")
    }

    /// No other customer's rows change.
    fn isolation(&self) -> bool {
        !self.skip.iter().any(|s| s == "isolation")
    }

    /// After /forget, not even the database file's bytes hold the customer's data.
    fn file(&self) -> bool {
        !self.skip.iter().any(|s| s == "file")
    }

    /// Nothing is written to a chat no actor has (a forgotten customer's anonymous one).
    fn nobody(&self) -> bool {
        !self.skip.iter().any(|s| s == "nobody")
    }
}

/// The flood guard's bucket, as the model keeps it (burst 12, one a second).
#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at_ms: i64,
}

/// What kind of turn: the model's expectations differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Customer,
    Owner,
}

/// What one turn did, for the checks.
struct Done<'a> {
    who: usize,
    kind: Kind,
    me: ChatKey,
    input: &'a Input,
    reply_to: Option<&'a str>,
    before: Snapshot,
    after: Snapshot,
    new_rows: BTreeMap<i64, (String, String, String)>,
    forgot: bool,
}

impl Done<'_> {
    /// Payloads queued to one chat.
    fn to(&self, c: &ChatKey) -> Vec<&str> {
        self.new_rows
            .values()
            .filter(|(ch, id, _)| ch == &c.0 && id == &c.1)
            .map(|(_, _, p)| p.as_str())
            .collect()
    }

    fn broadcast(&self) -> bool {
        self.kind == Kind::Owner
            && matches!(self.input, Input::Text(t) if t.trim_start().starts_with("/broadcast"))
    }
}

/// A message of the bot to an owner: the customer whose turn wrote it, if any.
#[derive(Debug, Clone)]
struct Notice {
    about: Option<usize>,
}

pub struct World {
    _dir: tempfile::TempDir,
    db: PathBuf,
    engine: Option<Engine>,
    shop_path: PathBuf,
    observer: Connection,
    checks: Checks,
    now: Timestamp,
    names: Vec<String>,
    corpus: String,
    counter: u64,
    // The model.
    flood: HashMap<usize, Bucket>,
    /// Committed event keys: key → (actor, when).
    seen: HashMap<String, (usize, Timestamp)>,
    /// Keys whose fate is unknown (the customer was forgotten since).
    uncertain: HashSet<String>,
    /// Whose event each key was (for attributing inbox rows).
    key_chat: HashMap<String, ChatKey>,
    /// The last event of each actor: (key, input), for redelivery.
    last_event: HashMap<usize, (Option<String>, Input, Option<String>)>,
    /// Buttons of the latest messages to each actor: (id, outbox row).
    current: HashMap<usize, Vec<(String, i64)>>,
    /// Every button each actor was ever shown.
    shown: HashMap<usize, Vec<String>>,
    /// Rows to owners: row → notice.
    notices: HashMap<i64, Notice>,
    /// Rows to owners that belong to a ticket.
    ticket_rows: HashSet<i64>,
    /// Platform message ids of delivered rows: row → (chat, message id).
    delivered: Vec<(i64, usize, String)>,
    base_stock: std::collections::BTreeMap<String, i64>,
    /// May this customer get offers: they granted consent in their own turn
    /// and did not /stop or /forget since.
    offer_ok: Vec<bool>,
    /// Everything each actor typed (and their name), for telling personal data apart.
    typed: Vec<Vec<String>>,
    pub log: Vec<String>,
}

type Check = Result<(), String>;

macro_rules! ensure {
    ($cond:expr, $($arg:tt)*) => {
        if !$cond {
            return Err(format!($($arg)*));
        }
    };
}

fn tmp_root() -> tempfile::TempDir {
    // A RAM disk when there is one: the same SQLite file semantics, faster fsync.
    let shm = Path::new("/dev/shm");
    if shm.is_dir()
        && let Ok(dir) = tempfile::tempdir_in(shm)
    {
        return dir;
    }
    tempfile::tempdir().unwrap()
}

impl World {
    pub fn new(names: &[String], checks: Checks) -> Self {
        let dir = tmp_root();
        let shop_path = dir.path().join("shop.toml");
        std::fs::write(&shop_path, shop_text()).unwrap();
        let db = dir.path().join("shop.db");
        let engine = open(&shop_path, &db);
        let observer = Connection::open(&db).unwrap();
        let mut typed = vec![Vec::new(); ACTORS.len()];
        for (i, n) in names.iter().enumerate() {
            typed[i].push(n.clone());
        }
        let mut world = Self {
            _dir: dir,
            db,
            engine: Some(engine),
            shop_path,
            observer,
            checks,
            now: "2026-11-25T12:00:00Z".parse().unwrap(),
            names: names.to_vec(),
            corpus: public_corpus(),
            counter: 0,
            flood: HashMap::new(),
            seen: HashMap::new(),
            uncertain: HashSet::new(),
            key_chat: HashMap::new(),
            last_event: HashMap::new(),
            current: HashMap::new(),
            shown: HashMap::new(),
            notices: HashMap::new(),
            delivered: Vec::new(),
            ticket_rows: HashSet::new(),
            base_stock: std::collections::BTreeMap::new(),
            offer_ok: vec![false; ACTORS.len()],
            typed,
            log: Vec::new(),
        };
        world.base_stock = world.snap().stock();
        world
    }

    fn engine(&mut self) -> &mut Engine {
        self.engine.as_mut().expect("engine open")
    }

    pub fn snap(&self) -> Snapshot {
        snapshot::take(&self.observer)
    }

    pub fn advance_ms(&mut self, ms: i64) {
        self.now += SignedDuration::from_millis(ms);
    }

    fn name(&self, who: usize) -> Option<&str> {
        match ACTORS[who] {
            Actor { sender: None, .. } => None,
            Actor { owner: true, .. } => Some("Boss (@boss)"),
            _ => self.names.get(who).map(String::as_str),
        }
    }

    fn fresh_key(&mut self, who: usize, press: bool) -> Option<String> {
        self.counter += 1;
        let a = ACTORS[who];
        let key = match (a.channel, press) {
            ("terminal", _) => return None,
            ("telegram", false) => format!("m:{}:{}", a.chat, self.counter),
            ("telegram", true) => format!("c:{}", self.counter),
            _ => format!("$ev{}", self.counter),
        };
        self.key_chat.insert(key.clone(), key_of(&a));
        Some(key)
    }

    // ---- the model's buttons -------------------------------------------------

    /// The buttons an actor sees now (`current`), ever saw, or another's.
    pub fn buttons(&self, who: usize, which: u8, pick: usize) -> Option<(String, Option<String>)> {
        let with_msg = |row: i64| {
            self.delivered
                .iter()
                .find(|(r, _, _)| *r == row)
                .map(|(_, _, m)| m.clone())
        };
        match which {
            0 => {
                let now = self.current.get(&who)?;
                let (id, row) = now.get(pick % now.len().max(1))?;
                Some((id.clone(), with_msg(*row)))
            }
            1 => {
                let old = self.shown.get(&who)?;
                old.get(pick % old.len().max(1))
                    .map(|id| (id.clone(), None))
            }
            _ => {
                let others: Vec<&String> = self
                    .shown
                    .iter()
                    .filter(|(w, _)| **w != who)
                    .flat_map(|(_, ids)| ids)
                    .collect();
                others
                    .get(pick % others.len().max(1))
                    .map(|id| ((*id).clone(), None))
            }
        }
    }

    /// A delivered message to owner `who`, for a platform reply.
    pub fn owner_message(&self, who: usize, pick: usize) -> Option<String> {
        let mine: Vec<&(i64, usize, String)> = self
            .delivered
            .iter()
            .filter(|(_, c, _)| *c == who)
            .collect();
        // Mostly notices that belong to a ticket.
        let tickets: Vec<&&(i64, usize, String)> = mine
            .iter()
            .filter(|(row, _, _)| self.ticket_rows.contains(row))
            .collect();
        if !pick.is_multiple_of(3) && !tickets.is_empty() {
            return Some(tickets[pick % tickets.len()].2.clone());
        }
        mine.get(pick % mine.len().max(1))
            .map(|(_, _, m)| m.clone())
    }

    // ---- steps --------------------------------------------------------------

    /// One input from an actor with a new event key.
    pub fn input(&mut self, who: usize, input: Input, reply_to: Option<String>) -> Check {
        let press = matches!(input, Input::Button(_));
        let key = self.fresh_key(who, press);
        self.advance_ms(250);
        let pressed = match &input {
            Input::Button(id) => self
                .current
                .get(&who)
                .and_then(|b| b.iter().find(|(b, _)| b == id))
                .and_then(|(_, row)| {
                    self.delivered
                        .iter()
                        .find(|(r, _, _)| r == row)
                        .map(|(_, _, m)| m.clone())
                }),
            _ => None,
        };
        if let Input::Text(t) = &input {
            self.typed[who].push(t.clone());
        }
        let result = self.turn(
            who,
            key.as_deref(),
            &input,
            pressed.as_deref(),
            reply_to.as_deref(),
            None,
        );
        self.last_event.insert(who, (key, input, reply_to));
        result
    }

    /// The last event of an actor again, with the same key.
    pub fn redeliver(&mut self, who: usize) -> Check {
        let Some((Some(key), input, reply_to)) = self.last_event.get(&who).cloned() else {
            return Ok(());
        };
        self.advance_ms(1);
        self.turn(who, Some(&key), &input, None, reply_to.as_deref(), None)
    }

    /// An input whose turn meets a database that refuses one kind of write;
    /// then the same input again, once the fault is gone.
    pub fn faulty(&mut self, who: usize, input: Input, fault: usize) -> Check {
        let press = matches!(input, Input::Button(_));
        let key = self.fresh_key(who, press);
        self.advance_ms(250);
        if let Input::Text(t) = &input {
            self.typed[who].push(t.clone());
        }
        self.turn(who, key.as_deref(), &input, None, None, Some(fault))?;
        self.advance_ms(250);
        let result = self.turn(who, key.as_deref(), &input, None, None, None);
        self.last_event.insert(who, (key, input, None));
        result
    }

    pub fn restart(&mut self) {
        self.log.push("restart".into());
        self.engine = None;
        self.engine = Some(open(&self.shop_path, &self.db));
        self.flood.clear();
    }

    /// The channel adapters send everything queued, each row as one platform message.
    pub fn deliver(&mut self) {
        let pending: Vec<(i64, String, String)> = {
            let mut stmt = self
                .observer
                .prepare(
                    "SELECT id, channel, chat_id FROM outbox WHERE sent_at IS NULL ORDER BY id",
                )
                .unwrap();
            stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap()
        };
        let now = self.now.as_second();
        for (row, channel, chat) in pending {
            self.counter += 1;
            let message = format!("{}", 5000 + self.counter);
            self.engine()
                .store_mut()
                .mark_sent_as(
                    row,
                    now,
                    channel.parse().expect("a channel"),
                    &chat,
                    std::slice::from_ref(&message),
                )
                .unwrap();
            if let Some(who) = ACTORS
                .iter()
                .position(|a| a.channel == channel && a.chat == chat)
            {
                self.delivered.push((row, who, message));
            }
        }
    }

    /// The scheduler's round at a later time (possibly with a fault).
    pub fn tick(&mut self, minutes: i64, fault: Option<usize>) -> Check {
        self.advance_ms(minutes * 60_000);
        let before = self.snap();
        let stock_before = self.engine().stock().clone();
        if let Some(f) = fault {
            self.install_fault(f);
            let now = self.now;
            let result = self.engine().tick(now);
            self.remove_faults();
            self.log
                .push(format!("tick +{minutes}min with fault {f}: {result:?}"));
            // Each follow-up is its own transaction: a fault fails those it hits
            // (tried again at the next round) and leaves the others, which are
            // judged below like any round's.
            if result.is_err() {
                ensure!(
                    self.engine().stock() == &stock_before,
                    "a failed round changed live stock"
                );
            }
        } else {
            let now = self.now;
            let result = self.engine().tick(now);
            self.log.push(format!("tick +{minutes}min: {result:?}"));
            result.map_err(|e| format!("the scheduler failed: {e}"))?;
        }
        let after = self.snap();
        let new_rows = new_outbox(&before, &after);
        for (row, (channel, chat, payload)) in &new_rows {
            let Some(who) = actor_of(channel, chat) else {
                ensure!(
                    !self.checks.nobody(),
                    "the scheduler wrote to {channel} {chat}, who is nobody here: {payload}"
                );
                continue;
            };
            if self.checks.offers() && !ACTORS[who].owner && payload.contains(COUPON) {
                ensure!(
                    self.offer_ok[who],
                    "a cart reminder with coupon {COUPON} went to {channel} {chat}, who did not \
                     agree to offers or sent /stop: {payload}"
                );
            }
            self.note_row(*row, who, channel, chat, payload, None);
        }
        // Rows about chats no actor owns (a forgotten customer's orders) stay as they were.
        let chats_before = before.chats(&self.key_chat);
        for chat in after.chats(&self.key_chat) {
            if self.checks.nobody() && actor_of(&chat.0, &chat.1).is_none() {
                ensure!(
                    chats_before.contains(&chat)
                        && before.rows_of(&chat, &self.key_chat)
                            == after.rows_of(&chat, &self.key_chat),
                    "the scheduler wrote about {chat:?}, a chat nobody owns any more"
                );
            }
        }
        self.common_checks(&before, &after, None)
    }

    fn install_fault(&self, fault: usize) {
        const FAULTS: [&str; 7] = [
            "BEFORE INSERT ON outbox",
            "BEFORE INSERT ON sessions",
            "BEFORE UPDATE ON sessions",
            "BEFORE INSERT ON orders",
            "BEFORE INSERT ON inbox",
            "BEFORE INSERT ON history",
            "BEFORE UPDATE ON stock",
        ];
        let on = FAULTS[fault % FAULTS.len()];
        self.observer
            .execute_batch(&format!(
                "CREATE TRIGGER sm_fault {on} BEGIN SELECT RAISE(ABORT, 'injected fault'); END;"
            ))
            .unwrap();
        if on.contains("sessions") {
            // Both kinds of session write, so the fault hits whatever the turn does.
            let other = if on.contains("INSERT") {
                "UPDATE"
            } else {
                "INSERT"
            };
            self.observer
                .execute_batch(&format!(
                    "CREATE TRIGGER sm_fault2 BEFORE {other} ON sessions BEGIN \
                     SELECT RAISE(ABORT, 'injected fault'); END;"
                ))
                .unwrap();
        }
    }

    fn remove_faults(&self) {
        self.observer
            .execute_batch("DROP TRIGGER IF EXISTS sm_fault; DROP TRIGGER IF EXISTS sm_fault2;")
            .unwrap();
    }

    /// Runs one turn and checks everything the model knows.
    fn turn(
        &mut self,
        who: usize,
        key: Option<&str>,
        input: &Input,
        pressed: Option<&str>,
        reply_to: Option<&str>,
        fault: Option<usize>,
    ) -> Check {
        let actor = ACTORS[who];
        let kind = if actor.owner {
            Kind::Owner
        } else {
            Kind::Customer
        };
        let me = key_of(&actor);
        let before = self.snap();
        let stock_before = self.engine().stock().clone();
        let expect_duplicate = key.is_some_and(|k| {
            !self.uncertain.contains(k)
                && self.seen.get(k).is_some_and(|(_, at)| {
                    self.now.duration_since(*at) < SignedDuration::from_hours(24)
                })
        });
        let maybe_duplicate = key.is_some_and(|k| self.seen.contains_key(k));
        // The flood guard as it should be: platform customers' texts and
        // presses; a duplicate costs nothing; a failed turn gives its token back.
        let guarded = kind == Kind::Customer
            && actor.channel != "terminal"
            && matches!(input, Input::Text(_) | Input::Button(_));
        let bucket_before = self.flood.get(&who).copied();
        let passes = !guarded || maybe_duplicate || self.flood_take(who);
        let result = self.call(who, key, input, pressed, reply_to, fault);
        let after = self.snap();
        let rows = match result {
            Err(e) => {
                self.flood_give_back(who, bucket_before);
                ensure!(fault.is_some(), "a turn failed without a fault: {e}");
                ensure!(after == before, "a failed turn changed the database ({e})");
                ensure!(
                    self.engine().stock() == &stock_before,
                    "a failed turn changed the live stock"
                );
                return Ok(());
            }
            Ok(TurnResult::Duplicate) => {
                ensure!(
                    maybe_duplicate,
                    "a new event (key {key:?}) was taken for a duplicate: its input was never handled"
                );
                ensure!(after == before, "a duplicate event changed the database");
                return Ok(());
            }
            Ok(TurnResult::Replies(rows)) => {
                ensure!(
                    !expect_duplicate,
                    "an event seen before (key {key:?}) was handled again"
                );
                rows
            }
        };
        if let Some(k) = key {
            self.seen.insert(k.to_owned(), (who, self.now));
            self.uncertain.remove(k);
        }
        let new_rows = new_outbox(&before, &after);
        let forgot = kind == Kind::Customer
            && ((before.session(&me).is_some() && after.session(&me).is_none())
                || new_rows.values().any(|(c, h, p)| {
                    (c, h) == (&me.0, &me.1) && FORGOTTEN.iter().any(|f| p.contains(f))
                }));
        let d = Done {
            who,
            kind,
            me: me.clone(),
            input,
            reply_to,
            before,
            after,
            new_rows,
            forgot,
        };
        // With the flood check off (exploring), a guarded input may be dropped.
        Self::check_replies(&d, &rows, guarded && (!passes || !self.checks.flood()))?;
        let targets = self.targets(&d);
        self.note_rows(&d, &targets)?;
        let forgotten_values = if forgot {
            self.personal_values(who, &d.before)
        } else {
            Vec::new()
        };
        if self.checks.isolation() {
            self.check_isolation(&d, &targets)?;
        }
        Self::check_orders(&d, &targets)?;
        let (before, after) = (&d.before, &d.after);
        // Consent and /stop, for the offers.
        if kind == Kind::Customer {
            let stop = matches!(input, Input::Text(t) if t.trim() == "/stop");
            self.offer_ok[who] = !stop && !forgot && after.consent_granted(&me);
            if stop {
                ensure!(
                    !after.consent_granted(&me),
                    "/stop left consent granted for {me:?}"
                );
            }
        }
        if forgot {
            self.forgotten(who, before, after, &forgotten_values)?;
        }
        self.common_checks(before, after, (kind == Kind::Owner).then_some(input))
    }

    /// The engine's turn, with a fault installed for it if asked; logged.
    fn call(
        &mut self,
        who: usize,
        key: Option<&str>,
        input: &Input,
        pressed: Option<&str>,
        reply_to: Option<&str>,
        fault: Option<usize>,
    ) -> Result<TurnResult, shopbot::engine::EngineError> {
        let actor = ACTORS[who];
        let name = self.name(who).map(str::to_owned);
        let event = Event {
            key,
            pressed,
            sender: actor.sender,
            sender_name: name.as_deref(),
            reply_to,
            forwarded: false,
            direct: true,
            ticket: None,
            language: None,
        };
        let chat = Chat {
            channel: actor.channel.parse().expect("a channel"),
            chat_id: actor.chat,
        };
        if let Some(f) = fault {
            self.install_fault(f);
        }
        let now = self.now;
        let result = self.engine().run_turn(chat, event, input, now);
        if fault.is_some() {
            self.remove_faults();
        }
        self.log.push(format!(
            "{} {} {input:?} key={key:?} reply_to={reply_to:?}{} → {}",
            actor.channel,
            actor.chat,
            fault.map(|f| format!(" FAULT {f}")).unwrap_or_default(),
            match &result {
                Ok(TurnResult::Duplicate) => "duplicate".to_owned(),
                Ok(TurnResult::Replies(rows)) => format!("{} row(s)", rows.len()),
                Err(e) => format!("error: {e}"),
            }
        ));
        result
    }

    /// The rows returned are the rows queued, and the input is answered in its
    /// chat, unless the flood guard may drop it or an open ticket relays it.
    fn check_replies(d: &Done<'_>, rows: &[OutboxRow], may_drop: bool) -> Check {
        let actor = ACTORS[d.who];
        let input = d.input;
        for r in rows {
            ensure!(
                d.new_rows.contains_key(&r.id),
                "turn returned outbox row {} that is not in the database",
                r.id
            );
            outgoing_of(r).map_err(|e| format!("an outbox row does not decode: {e}"))?;
        }
        ensure!(
            rows.len() == d.new_rows.len(),
            "the turn queued {} rows but returned {}",
            d.new_rows.len(),
            rows.len()
        );
        let mine = d.to(&d.me);
        let open_ticket = d
            .before
            .tickets()
            .values()
            .any(|(c, open)| *open && c == &d.me);
        let relayed = open_ticket
            && matches!(input, Input::Text(t) if !t.trim_start().starts_with('/'))
            && d.new_rows.values().any(|(c, h, _)| is_owner_chat(c, h));
        if !may_drop {
            ensure!(
                !mine.is_empty() || relayed,
                "no reply to {} {} for {input:?}",
                actor.channel,
                actor.chat
            );
            ensure!(
                !mine
                    .iter()
                    .any(|p| p.contains("too fast") || p.contains("demasiado rápido")),
                "{} {} was told it writes too fast, but it sent only what the guard allows \
                 (redelivered events must not count)",
                actor.channel,
                actor.chat
            );
        }
        Ok(())
    }

    /// The chats a turn may write to and change: its own, and for an owner
    /// the customers of the tickets and orders it names, or the consenting (broadcast).
    fn targets(&self, d: &Done<'_>) -> BTreeSet<ChatKey> {
        let (who, kind, me, input, before) = (d.who, d.kind, &d.me, d.input, &d.before);
        let mut targets: BTreeSet<ChatKey> = BTreeSet::new();
        targets.insert(me.clone());
        let broadcast = d.broadcast();
        if kind == Kind::Owner {
            let text = match input {
                Input::Text(t) | Input::Button(t) => t.clone(),
                _ => String::new(),
            };
            let numbers = numbers_in(&text);
            for (n, (c, _)) in before.tickets() {
                if numbers.contains(&n) {
                    targets.insert(c);
                }
            }
            for o in before.orders().values() {
                if numbers.iter().any(|n| n.to_string() == o.number) {
                    targets.insert(o.chat.clone());
                }
            }
            if let Some(reply) = d.reply_to {
                // A reply to a notice: the notice's ticket's customer.
                let row = self
                    .delivered
                    .iter()
                    .find(|(_, c, m)| *c == who && m == reply)
                    .map(|(r, _, _)| *r);
                if let Some((_, _, payload)) = row.and_then(|r| before.outbox().get(&r).cloned())
                    && let Ok(out) = serde_json::from_str::<shopbot::engine::Outgoing>(&payload)
                    && let Some(t) = out.ticket
                    && let Some((c, _)) = before.tickets().get(&t)
                {
                    targets.insert(c.clone());
                }
            }
            if broadcast {
                targets.extend(before.consenting());
            }
        }
        targets
    }

    /// Every message queued goes to an actor the turn may write to; broadcasts only to the consenting.
    fn note_rows(&mut self, d: &Done<'_>, targets: &BTreeSet<ChatKey>) -> Check {
        let (who, kind, input) = (d.who, d.kind, d.input);
        let actor = ACTORS[who];
        let broadcast = d.broadcast();
        for (row, (channel, chat, payload)) in &d.new_rows {
            let to = (channel.clone(), chat.clone());
            let Some(to_who) = actor_of(channel, chat) else {
                ensure!(
                    !self.checks.nobody(),
                    "a reply went to {channel} {chat}, who is nobody here: {payload}"
                );
                continue;
            };
            ensure!(
                targets.contains(&to) || ACTORS[to_who].owner,
                "{} {}'s {input:?} queued a message to {channel} {chat}: {payload}",
                actor.channel,
                actor.chat
            );
            if self.checks.offers() && kind == Kind::Owner && broadcast && !ACTORS[to_who].owner {
                ensure!(
                    self.offer_ok[to_who],
                    "a broadcast reached {channel} {chat}, who did not agree to offers or sent /stop"
                );
            }
            let about = (kind == Kind::Customer).then_some(who);
            self.note_row(*row, to_who, channel, chat, payload, about);
        }
        Ok(())
    }

    /// Nobody else's rows change; owners' chats only gain rows (but on /forget).
    fn check_isolation(&self, d: &Done<'_>, targets: &BTreeSet<ChatKey>) -> Check {
        let (who, input, before, after, forgot) = (d.who, d.input, &d.before, &d.after, d.forgot);
        let actor = ACTORS[who];
        {
            for (i, a) in ACTORS.iter().enumerate() {
                let k = key_of(a);
                if targets.contains(&k) {
                    continue;
                }
                let rows_before = before.rows_of(&k, &self.key_chat);
                let rows_after = after.rows_of(&k, &self.key_chat);
                if a.owner {
                    for r in &rows_before {
                        if rows_after.contains(r) {
                            continue;
                        }
                        let row_id = outbox_id_of(r);
                        let about = row_id
                            .and_then(|id| self.notices.get(&id))
                            .and_then(|n| n.about);
                        ensure!(
                            forgot && (about == Some(who) || about.is_none()),
                            "{} {}'s {input:?} removed or changed a row of owner chat {} {} \
                             (about customer {about:?}): {r}",
                            actor.channel,
                            actor.chat,
                            a.channel,
                            a.chat
                        );
                    }
                } else if i != who {
                    ensure!(
                        rows_before == rows_after,
                        "{} {}'s {input:?} changed the rows of {} {}:\nbefore {:#?}\nafter {:#?}",
                        actor.channel,
                        actor.chat,
                        a.channel,
                        a.chat,
                        diff(&rows_before, &rows_after),
                        diff(&rows_after, &rows_before)
                    );
                }
            }
        }
        Ok(())
    }

    /// Orders: never lost, never twice, only by the customer's own turn.
    fn check_orders(d: &Done<'_>, targets: &BTreeSet<ChatKey>) -> Check {
        let (kind, me, before, after, forgot) = (d.kind, &d.me, &d.before, &d.after, d.forgot);
        let mine = d.to(me);
        let (ob, oa) = (before.orders(), after.orders());
        for (id, o) in &ob {
            let Some(n) = oa.get(id) else {
                return Err(format!("order #{} disappeared", o.number));
            };
            ensure!(
                n.number == o.number && n.lines == o.lines && n.money == o.money,
                "order #{} changed: {o:?} → {n:?}",
                o.number
            );
            ensure!(
                n.chat == o.chat || (forgot && &o.chat == me),
                "order #{} moved to another chat",
                o.number
            );
            ensure!(
                n.status == o.status || (kind == Kind::Owner && targets.contains(&o.chat)),
                "order #{} changed status in a turn not about it",
                o.number
            );
        }
        let placed: Vec<&OrderFacts> = oa
            .iter()
            .filter(|(id, _)| !ob.contains_key(id))
            .map(|(_, o)| o)
            .collect();
        ensure!(placed.len() <= 1, "one turn placed {} orders", placed.len());
        for o in &placed {
            ensure!(
                &o.chat == me,
                "an order for {:?} was placed by {me:?}'s turn",
                o.chat
            );
            ensure!(
                mine.iter().any(|p| p.contains(&format!("#{}", o.number))),
                "order #{} was placed but the customer was not told its number",
                o.number
            );
            ensure!(
                d.to(&("telegram".into(), OWNER_TG.into()))
                    .iter()
                    .any(|p| p.contains(&format!("New order #{}", o.number))),
                "order #{} was placed but the owner was not told",
                o.number
            );
        }
        Ok(())
    }

    /// Every rule that holds after any step: stock adds up, the live stock is the stored one.
    fn common_checks(
        &mut self,
        before: &Snapshot,
        after: &Snapshot,
        owner_input: Option<&Input>,
    ) -> Check {
        let stock = after.stock();
        let sold = after.sold();
        let restock =
            matches!(owner_input, Some(Input::Text(t)) if t.trim_start().starts_with("/stock"));
        if restock {
            let old = before.stock();
            for (k, q) in &stock {
                if old.get(k) != Some(q) {
                    self.base_stock
                        .insert(k.clone(), q + sold.get(k).copied().unwrap_or(0));
                }
            }
        }
        for (k, q) in &stock {
            let base = self.base_stock.get(k).copied().unwrap_or(*q);
            let s = sold.get(k).copied().unwrap_or(0);
            ensure!(
                q + s == base,
                "stock of {k}: {q} in stock + {s} sold ≠ {base} to begin with"
            );
        }
        let live = self.engine().stock().0.clone();
        for (k, q) in &stock {
            ensure!(
                live.get(k) == Some(q),
                "live stock of {k} is {:?}, the database says {q}",
                live.get(k)
            );
        }
        Ok(())
    }

    /// After A's /forget: nothing of A's personal data anywhere in the database.
    fn forgotten(
        &mut self,
        who: usize,
        before: &Snapshot,
        after: &Snapshot,
        values: &[String],
    ) -> Check {
        let me = key_of(&ACTORS[who]);
        for k in self.seen.keys() {
            if self.key_chat.get(k) == Some(&me) {
                self.uncertain.insert(k.clone());
            }
        }
        self.current.remove(&who);
        ensure!(
            after.rows_of(&me, &self.key_chat).is_empty()
                || after
                    .rows_of(&me, &self.key_chat)
                    .iter()
                    .all(|r| r.starts_with("outbox:")
                        || r.starts_with("inbox:")
                        || r.starts_with("platform_messages:")),
            "rows about {me:?} remain after /forget: {:#?}",
            after.rows_of(&me, &self.key_chat)
        );
        // Their questions the bot did not understand go too (they name their asker).
        for v in values {
            for (table, cell) in after.texts_except(&[]) {
                ensure!(
                    !cell.contains(v.as_str()),
                    "after /forget of {me:?}, {v:?} is still in table {table}: {cell}"
                );
            }
            if self.checks.file() {
                for suffix in ["", "-wal"] {
                    let path = PathBuf::from(format!("{}{suffix}", self.db.display()));
                    if let Ok(bytes) = std::fs::read(&path)
                        && let Some(at) = bytes.windows(v.len()).position(|w| w == v.as_bytes())
                    {
                        let around =
                            &bytes[at.saturating_sub(120)..(at + v.len() + 120).min(bytes.len())];
                        return Err(format!(
                            "after /forget of {me:?}, {v:?} is still in the file {} at byte {at} \
                             (page {} of 4096 bytes), amid: {:?}",
                            path.display(),
                            at / 4096 + 1,
                            String::from_utf8_lossy(around)
                        ));
                    }
                }
            }
        }
        let _ = before;
        Ok(())
    }

    /// A's personal values (checkout answers, their name) that nobody else
    /// wrote and the shop does not show anyway: those must all go.
    fn personal_values(&self, who: usize, before: &Snapshot) -> Vec<String> {
        let me = key_of(&ACTORS[who]);
        let mut values: Vec<String> = Vec::new();
        if let Some(name) = self.name(who) {
            values.push(name.to_owned());
        }
        if let Some(data) = before.session(&me)
            && let Ok(json) = serde_json::from_str::<serde_json::Value>(&data)
            && let Some(fields) = json.pointer("/checkout/fields").and_then(|f| f.as_object())
        {
            values.extend(
                fields
                    .values()
                    .filter_map(|v| v.as_str().map(str::to_owned)),
            );
        }
        let t = &before.tables["orders"];
        let (c, h, f) = (
            t.col("channel").unwrap(),
            t.col("chat_id").unwrap(),
            t.col("fields").unwrap(),
        );
        for r in &t.rows {
            if snapshot::text(&r[c]) == Some(&me.0)
                && snapshot::text(&r[h]) == Some(&me.1)
                && let Some(fields) = snapshot::text(&r[f])
                && let Ok(serde_json::Value::Object(map)) = serde_json::from_str(fields)
            {
                values.extend(map.values().filter_map(|v| v.as_str().map(str::to_owned)));
            }
        }
        values.sort();
        values.dedup();
        values
            .into_iter()
            .map(|v| v.trim().to_owned())
            .filter(|v| v.chars().count() >= 3)
            .filter(|v| !self.corpus.contains(&v.to_lowercase()))
            .filter(|v| {
                self.typed
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| *i != who)
                    .all(|(_, texts)| texts.iter().all(|t| !t.contains(v.as_str())))
            })
            .collect()
    }

    fn note_row(
        &mut self,
        row: i64,
        to: usize,
        _channel: &str,
        _chat: &str,
        payload: &str,
        about: Option<usize>,
    ) {
        if ACTORS[to].owner {
            self.notices.insert(row, Notice { about });
        }
        if let Ok(out) = serde_json::from_str::<shopbot::engine::Outgoing>(payload) {
            if out.ticket.is_some() {
                self.ticket_rows.insert(row);
            }
            let ids: Vec<(String, i64)> = out
                .reply
                .buttons
                .iter()
                .map(|b| (b.id.clone(), row))
                .collect();
            if !ids.is_empty() {
                self.shown
                    .entry(to)
                    .or_default()
                    .extend(ids.iter().map(|(id, _)| id.clone()));
                self.current.insert(to, ids);
            }
        }
    }

    /// A failed turn's token comes back: the bucket as it was before it.
    fn flood_give_back(&mut self, who: usize, before: Option<Bucket>) {
        match before {
            Some(bucket) => self.flood.insert(who, bucket),
            None => self.flood.remove(&who),
        };
    }

    fn flood_take(&mut self, who: usize) -> bool {
        let now_ms = self.now.as_millisecond();
        let b = self.flood.entry(who).or_insert(Bucket {
            tokens: 12.0,
            at_ms: now_ms,
        });
        #[allow(clippy::cast_precision_loss)]
        let elapsed = (now_ms - b.at_ms).max(0) as f64 / 1000.0;
        b.tokens = (b.tokens + elapsed).min(12.0);
        b.at_ms = b.at_ms.max(now_ms);
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

fn open(shop_path: &Path, db: &Path) -> Engine {
    let shop = Shop::load(shop_path).expect("the test shop loads");
    let mut engine = Engine::open(shop, db).expect("engine opens");
    engine.set_channels(&[Channel::Telegram, Channel::Matrix, Channel::Web]);
    engine
}

fn actor_of(channel: &str, chat: &str) -> Option<usize> {
    ACTORS
        .iter()
        .position(|a| a.channel == channel && a.chat == chat)
}

fn is_owner_chat(channel: &str, chat: &str) -> bool {
    actor_of(channel, chat).is_some_and(|i| ACTORS[i].owner)
}

fn new_outbox(
    before: &Snapshot,
    after: &Snapshot,
) -> std::collections::BTreeMap<i64, (String, String, String)> {
    let old = before.outbox();
    after
        .outbox()
        .into_iter()
        .filter(|(id, _)| !old.contains_key(id))
        .collect()
}

/// The outbox id of a rendered `outbox: [Integer(id), …]` row.
fn outbox_id_of(rendered: &str) -> Option<i64> {
    let rest = rendered.strip_prefix("outbox: [Integer(")?;
    rest.split(')').next()?.parse().ok()
}

fn numbers_in(text: &str) -> Vec<i64> {
    text.split(|c: char| !c.is_ascii_digit())
        .filter_map(|w| w.parse().ok())
        .collect()
}

fn diff<'a>(a: &'a [String], b: &[String]) -> Vec<&'a String> {
    a.iter().filter(|r| !b.contains(r)).collect()
}
