//! Every row of every table, read on a second connection, and whom each row
//! is about: the (channel, chat) it names, directly or through its order.

use std::collections::{BTreeMap, HashMap};

use rusqlite::Connection;
use rusqlite::types::Value;

/// One table: its column names and rows, in rowid/primary-key order.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Value>>,
}

impl Table {
    pub fn col(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c == name)
    }
}

/// The whole database at one moment.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    pub tables: BTreeMap<String, Table>,
}

/// A (channel, chat id) pair.
pub type ChatKey = (String, String);

pub fn take(conn: &Connection) -> Snapshot {
    let names: Vec<String> = {
        let mut stmt = conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    let mut tables = BTreeMap::new();
    for name in names {
        let mut stmt = conn.prepare(&format!("SELECT * FROM \"{name}\"")).unwrap();
        let columns: Vec<String> = stmt
            .column_names()
            .iter()
            .map(|c| (*c).to_owned())
            .collect();
        let n = columns.len();
        let mut rows: Vec<Vec<Value>> = stmt
            .query_map([], |r| (0..n).map(|i| r.get::<_, Value>(i)).collect())
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        rows.sort_by_key(|r| render(r));
        tables.insert(name, Table { columns, rows });
    }
    Snapshot { tables }
}

/// A row as one comparable string.
pub fn render(row: &[Value]) -> String {
    format!("{row:?}")
}

pub fn text(v: &Value) -> Option<&str> {
    match v {
        Value::Text(s) => Some(s),
        _ => None,
    }
}

impl Snapshot {
    fn table(&self, name: &str) -> Option<&Table> {
        self.tables.get(name)
    }

    /// order id → chat, order number → chat.
    fn order_chats(&self) -> (HashMap<i64, ChatKey>, HashMap<String, ChatKey>) {
        let mut by_id = HashMap::new();
        let mut by_number = HashMap::new();
        if let Some(t) = self.table("orders") {
            let (id, number, channel, chat) = (
                t.col("id").unwrap(),
                t.col("number").unwrap(),
                t.col("channel").unwrap(),
                t.col("chat_id").unwrap(),
            );
            for row in &t.rows {
                let key = (
                    text(&row[channel]).unwrap_or_default().to_owned(),
                    text(&row[chat]).unwrap_or_default().to_owned(),
                );
                if let Value::Integer(i) = row[id] {
                    by_id.insert(i, key.clone());
                }
                if let Some(n) = text(&row[number]) {
                    by_number.insert(n.to_owned(), key);
                }
            }
        }
        (by_id, by_number)
    }

    /// Every row of the database, with whom it is about (`None`: nobody in
    /// particular, such as stock or the figures). `inbox_keys` says whose
    /// event each inbox key was, for a schema whose inbox names no chat.
    pub fn attributed(
        &self,
        inbox_keys: &HashMap<String, ChatKey>,
    ) -> Vec<(Option<ChatKey>, &str, String)> {
        let (by_id, by_number) = self.order_chats();
        // `outbox_about` rows are part of the outbox row they annotate (an
        // owner's notice names the customer it quotes): they belong to its chat.
        let outbox_chats: HashMap<i64, ChatKey> = self
            .outbox()
            .into_iter()
            .map(|(id, (channel, chat, _))| (id, (channel, chat)))
            .collect();
        let mut out = Vec::new();
        for (name, t) in &self.tables {
            let channel = t.col("channel");
            let chat = t.col("chat_id");
            for row in &t.rows {
                let who = match (channel, chat) {
                    _ if name == "outbox_about" => match row[t.col("row_id").unwrap()] {
                        Value::Integer(i) => outbox_chats.get(&i).cloned(),
                        _ => None,
                    },
                    (Some(c), Some(h)) => Some((
                        text(&row[c]).unwrap_or_default().to_owned(),
                        text(&row[h]).unwrap_or_default().to_owned(),
                    )),
                    _ => match name.as_str() {
                        "order_items" => match row[t.col("order_id").unwrap()] {
                            Value::Integer(i) => by_id.get(&i).cloned(),
                            _ => None,
                        },
                        "feedback" => text(&row[t.col("order_number").unwrap()])
                            .and_then(|n| by_number.get(n).cloned()),
                        "inbox" => text(&row[t.col("key").unwrap()])
                            .and_then(|k| inbox_keys.get(k).cloned()),
                        _ => None,
                    },
                };
                out.push((who, name.as_str(), render(row)));
            }
        }
        out
    }

    /// The rows about one chat, sorted, as `table: row` strings.
    pub fn rows_of(&self, who: &ChatKey, inbox_keys: &HashMap<String, ChatKey>) -> Vec<String> {
        let mut rows: Vec<String> = self
            .attributed(inbox_keys)
            .into_iter()
            .filter(|(w, _, _)| w.as_ref() == Some(who))
            .map(|(_, t, r)| format!("{t}: {r}"))
            .collect();
        rows.sort();
        rows
    }

    /// Every chat some row is about.
    pub fn chats(&self, inbox_keys: &HashMap<String, ChatKey>) -> Vec<ChatKey> {
        let mut chats: Vec<ChatKey> = self
            .attributed(inbox_keys)
            .into_iter()
            .filter_map(|(w, _, _)| w)
            .collect();
        chats.sort();
        chats.dedup();
        chats
    }

    /// Outbox rows: id → (channel, chat, payload).
    pub fn outbox(&self) -> BTreeMap<i64, (String, String, String)> {
        let t = &self.tables["outbox"];
        let (id, channel, chat, payload) = (
            t.col("id").unwrap(),
            t.col("channel").unwrap(),
            t.col("chat_id").unwrap(),
            t.col("payload").unwrap(),
        );
        t.rows
            .iter()
            .filter_map(|r| match r[id] {
                Value::Integer(i) => Some((
                    i,
                    (
                        text(&r[channel])?.to_owned(),
                        text(&r[chat])?.to_owned(),
                        text(&r[payload])?.to_owned(),
                    ),
                )),
                _ => None,
            })
            .collect()
    }

    /// Orders: id → (number, chat, status, the order row and its items rendered).
    pub fn orders(&self) -> BTreeMap<i64, OrderFacts> {
        let t = &self.tables["orders"];
        let items = &self.tables["order_items"];
        let oid = items.col("order_id").unwrap();
        let c = |n: &str| t.col(n).unwrap();
        let mut out = BTreeMap::new();
        for row in &t.rows {
            let Value::Integer(id) = row[c("id")] else {
                continue;
            };
            let lines: Vec<String> = items
                .rows
                .iter()
                .filter(|r| r[oid] == Value::Integer(id))
                .map(|r| render(r))
                .collect();
            out.insert(
                id,
                OrderFacts {
                    number: text(&row[c("number")]).unwrap_or_default().to_owned(),
                    chat: (
                        text(&row[c("channel")]).unwrap_or_default().to_owned(),
                        text(&row[c("chat_id")]).unwrap_or_default().to_owned(),
                    ),
                    status: text(&row[c("status")]).unwrap_or_default().to_owned(),
                    money: format!("{:?}", (&row[c("subtotal")], &row[c("total")])),
                    lines,
                },
            );
        }
        out
    }

    /// Stock table: key → qty.
    pub fn stock(&self) -> BTreeMap<String, i64> {
        let t = &self.tables["stock"];
        let (k, q) = (t.col("key").unwrap(), t.col("qty").unwrap());
        t.rows
            .iter()
            .filter_map(|r| match (&r[k], &r[q]) {
                (Value::Text(k), Value::Integer(q)) => Some((k.clone(), *q)),
                _ => None,
            })
            .collect()
    }

    /// Units sold per stock key: order lines of orders not cancelled.
    pub fn sold(&self) -> BTreeMap<String, i64> {
        let orders = self.orders();
        let items = &self.tables["order_items"];
        let c = |n: &str| items.col(n).unwrap();
        let mut sold = BTreeMap::new();
        for r in &items.rows {
            let Value::Integer(oid) = r[c("order_id")] else {
                continue;
            };
            if orders.get(&oid).is_none_or(|o| o.status == "cancelled") {
                continue;
            }
            let product = text(&r[c("product_id")]).unwrap_or_default();
            let key = match text(&r[c("variant")]) {
                Some(v) => format!("{product}/{v}"),
                None => product.to_owned(),
            };
            if let Value::Integer(q) = r[c("qty")] {
                *sold.entry(key).or_insert(0) += q;
            }
        }
        sold
    }

    /// Tickets: number → (chat, open).
    pub fn tickets(&self) -> BTreeMap<i64, (ChatKey, bool)> {
        let t = &self.tables["tickets"];
        let c = |n: &str| t.col(n).unwrap();
        t.rows
            .iter()
            .filter_map(|r| match r[c("number")] {
                Value::Integer(n) => Some((
                    n,
                    (
                        (
                            text(&r[c("channel")])?.to_owned(),
                            text(&r[c("chat_id")])?.to_owned(),
                        ),
                        text(&r[c("status")]) == Some("open"),
                    ),
                )),
                _ => None,
            })
            .collect()
    }

    /// Whether the chat's marketing consent is granted.
    pub fn consent_granted(&self, who: &ChatKey) -> bool {
        let t = &self.tables["consents"];
        let c = |n: &str| t.col(n).unwrap();
        t.rows.iter().any(|r| {
            text(&r[c("channel")]) == Some(&who.0)
                && text(&r[c("chat_id")]) == Some(&who.1)
                && r[c("granted")] == Value::Integer(1)
        })
    }

    /// Chats whose consent is granted.
    pub fn consenting(&self) -> Vec<ChatKey> {
        let t = &self.tables["consents"];
        let c = |n: &str| t.col(n).unwrap();
        t.rows
            .iter()
            .filter(|r| r[c("granted")] == Value::Integer(1))
            .filter_map(|r| {
                Some((
                    text(&r[c("channel")])?.to_owned(),
                    text(&r[c("chat_id")])?.to_owned(),
                ))
            })
            .collect()
    }

    /// The chat's session JSON, if it has one.
    pub fn session(&self, who: &ChatKey) -> Option<String> {
        let t = &self.tables["sessions"];
        let c = |n: &str| t.col(n).unwrap();
        t.rows
            .iter()
            .find(|r| {
                text(&r[c("channel")]) == Some(&who.0) && text(&r[c("chat_id")]) == Some(&who.1)
            })
            .and_then(|r| text(&r[c("data")]).map(str::to_owned))
    }

    /// Every text cell of every table but `skip`, with its table.
    pub fn texts_except<'a>(&'a self, skip: &[&str]) -> Vec<(&'a str, &'a str)> {
        let mut out = Vec::new();
        for (name, t) in &self.tables {
            if skip.contains(&name.as_str()) {
                continue;
            }
            for row in &t.rows {
                for v in row {
                    if let Value::Text(s) = v {
                        out.push((name.as_str(), s.as_str()));
                    }
                }
            }
        }
        out
    }
}

/// What must never change about a placed order (but its status, and its chat
/// and fields when its customer is forgotten).
#[derive(Debug, Clone, PartialEq)]
pub struct OrderFacts {
    pub number: String,
    pub chat: ChatKey,
    pub status: String,
    pub money: String,
    pub lines: Vec<String>,
}
