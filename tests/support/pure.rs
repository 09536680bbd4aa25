//! The pure conversation core driven without the engine or `SQLite`: an
//! in-memory shop world (sessions, stock, orders, tickets, consent, feedback)
//! answers the conversation's effects the way the engine's executor does, and
//! a driver runs single inputs or whole terminal transcripts against
//! [`conversation::run`] and [`conversation::screen`]. Transcripts are read and
//! rendered by the terminal channel's own functions, so they match the engine's
//! terminal byte for byte.

use std::collections::{BTreeMap, HashMap};
use std::convert::Infallible;
use std::io::{IsTerminal, Write};

use jiff::Timestamp;
use shopbot::channel::Channel;
use shopbot::channels::terminal;
use shopbot::conversation::{
    self, Effect, Executor, Facts, FeedbackFacts, Input, MyData, MyOrder, OrderBrief, OrderDraft,
    Reply, Session, Turn,
};
use shopbot::engine::Engine;
use shopbot::shop::{Money, Shop, StockLevels, stock_key};
use shopbot::store::{OrderLine, OrderStatus};

use super::noon;
use shopbot::store::FORGOTTEN;

/// The channel of single turns, as the engine tests use it.
const TEST: Channel = Channel::Terminal;
/// Order numbers start after this, as in the store (`1001`, `1002`, …).
const NUMBER_BASE: usize = 1000;
/// How many orders "my orders" lists, as in the store.
const CUSTOMER_ORDERS: usize = 10;

/// One placed order, as the store keeps it.
#[derive(Debug, Clone)]
pub struct PureOrder {
    pub number: String,
    pub key: String,
    pub chat: (Channel, String),
    pub status: OrderStatus,
    pub lines: Vec<OrderLine>,
    pub discount: Money,
    pub total: Money,
    pub fields: BTreeMap<String, String>,
    pub created_at: i64,
}

/// One ticket.
#[derive(Debug, Clone)]
pub struct PureTicket {
    pub number: i64,
    pub chat: (Channel, String),
    pub question: Option<String>,
    pub open: bool,
}

/// Everything the engine would keep in the database, in memory.
#[derive(Debug, Default)]
pub struct World {
    pub stock: StockLevels,
    pub sessions: HashMap<(Channel, String), Session>,
    pub orders: Vec<PureOrder>,
    pub tickets: Vec<PureTicket>,
    pub consents: HashMap<(Channel, String), (bool, i64)>,
    /// Order number → (stars, comment).
    pub feedback: HashMap<String, (u8, Option<String>)>,
    pub unanswered: Vec<String>,
    /// Lines of conversation history kept per chat.
    pub history: HashMap<(Channel, String), i64>,
    /// Tickets ever opened (numbers are never reused).
    opened: i64,
    /// Orders ever written (numbers are never reused).
    placed: usize,
    /// Erased customers so far, for their anonymous chat ids.
    forgotten: usize,
}

/// The pure core and its in-memory world, on the fixed test clock.
pub struct Pure {
    pub shop: Shop,
    pub world: World,
    pub now: Timestamp,
}

/// The in-memory [`Executor`] of one turn of one chat.
struct Exec<'a> {
    shop: &'a Shop,
    world: &'a mut World,
    chat: (Channel, String),
    now: Timestamp,
    /// The customer asked to be forgotten: nothing more is kept.
    forgotten: bool,
}

impl Pure {
    /// A world as [`shopbot::engine::Engine::open`] starts it: the shop's
    /// configured stock, nothing else.
    pub fn new(shop: Shop) -> Self {
        let stock = StockLevels(shop.configured_stock().into_iter().collect());
        Self {
            shop,
            world: World {
                stock,
                ..World::default()
            },
            now: noon(),
        }
    }

    /// One terminal turn, printed with buttons numbered across the turn.
    fn show(&mut self, out: &mut Vec<u8>, chat: &(Channel, String), input: &Input) {
        let replies = self.run(chat, input);
        let mut first_number = 1;
        for reply in &replies {
            terminal::show(out, reply, first_number, &self.shop.base_dir);
            first_number += reply.buttons.len();
        }
    }

    /// The live stock of a stock key.
    pub fn stock_of(&self, key: &str) -> i64 {
        self.world.stock.0.get(key).copied().unwrap_or(0)
    }

    /// A customer's turn as the engine runs it for a chat without owners or
    /// flood guard: screened (relay, owner-only) or conversed.
    fn run(&mut self, chat: &(Channel, String), input: &Input) -> Vec<Reply> {
        let facts = Facts {
            open_ticket: self
                .world
                .open_ticket_of(chat)
                .map(|number| self.world.tickets[number].number),
            replies_to_owners_notice: false,
        };
        let (mut session, fresh) = match self.world.sessions.get(chat) {
            Some(session) => (session.clone(), false),
            // The engine's new session id: the clock in hex nanoseconds.
            None => (
                Session::new(
                    self.shop.default_language(),
                    &format!("{:x}", self.now.as_nanosecond()),
                ),
                true,
            ),
        };
        let mut exec = Exec {
            shop: &self.shop,
            world: &mut self.world,
            chat: chat.clone(),
            now: self.now,
            forgotten: false,
        };
        if let Some(aside) = conversation::screen(&self.shop, &session, input, &facts) {
            for effect in aside.effects {
                let Ok(_) = exec.apply(&session, effect);
            }
            return aside.replies;
        }
        session.channel = Some(chat.0);
        exec.record_input(&session, input);
        let Ok(Turn {
            session, replies, ..
        }) = conversation::run(&self.shop, &session, fresh, input, self.now, &mut exec);
        if exec.forgotten {
            return replies;
        }
        *self.world.history.entry(chat.clone()).or_default() +=
            i64::try_from(replies.len()).expect("few replies");
        self.world.sessions.insert(chat.clone(), session);
        replies
    }
}

/// What a journey needs of whatever runs it: the engine on a database, or the
/// pure core on the in-memory [`World`].
pub trait Driver {
    /// Sends one input (channel `test`) and returns the replies.
    fn turn(&mut self, chat_id: &str, input: Input) -> Vec<Reply>;

    /// Runs a scripted terminal conversation and returns what the customer saw.
    fn chat(&mut self, chat_id: &str, script: &[&str]) -> String;

    /// Presses a button by id.
    fn press(&mut self, chat_id: &str, id: &str) -> Vec<Reply> {
        self.turn(chat_id, Input::Button(id.to_owned()))
    }

    /// Types a message.
    fn say(&mut self, chat_id: &str, text: &str) -> Vec<Reply> {
        self.turn(chat_id, Input::Text(text.to_owned()))
    }

    /// [`super::to_confirm`]: from the start to the confirm step with the given
    /// cart buttons, courier delivery and cash.
    fn to_confirm(&mut self, chat_id: &str, adds: &[&str]) -> Vec<Reply> {
        self.turn(chat_id, Input::Start);
        for add in adds {
            self.press(chat_id, add);
        }
        self.press(chat_id, "checkout");
        self.press(chat_id, "dlv:courier");
        self.say(chat_id, "Ana Pop");
        self.say(chat_id, "+34 600 123 456");
        self.say(chat_id, "Calle Mayor 5, Madrid");
        self.press(chat_id, "skip");
        self.press(chat_id, "consent:no");
        self.press(chat_id, "pay:cash")
    }
}

impl Driver for Engine {
    fn turn(&mut self, chat_id: &str, input: Input) -> Vec<Reply> {
        super::turn(self, chat_id, input)
    }

    fn chat(&mut self, chat_id: &str, script: &[&str]) -> String {
        super::chat(self, chat_id, script)
    }
}

impl Driver for Pure {
    /// A customer's turn on channel `test`, as [`super::turn`] runs it.
    fn turn(&mut self, chat_id: &str, input: Input) -> Vec<Reply> {
        self.run(&(TEST, chat_id.to_owned()), &input)
    }

    /// Runs a scripted terminal conversation and returns what the customer saw,
    /// as [`super::chat`] does through the engine.
    fn chat(&mut self, chat_id: &str, script: &[&str]) -> String {
        let mut input = script.join("\n");
        input.push('\n');
        let mut input = input.as_bytes();
        let mut out = Vec::new();
        let interactive = std::io::stdin().is_terminal();
        let chat = (terminal::CHANNEL, chat_id.to_owned());
        let first = terminal::opening(self.world.sessions.contains_key(&chat));
        self.show(&mut out, &chat, &first);
        while let Some(line) = terminal::read_input(&mut input, &mut out, interactive) {
            self.show(&mut out, &chat, &line);
        }
        let _ = out.flush();
        String::from_utf8(out).expect("utf-8 output")
    }
}

/// A driver that keeps every turn it ran with its replies, so that two drivers
/// of the same journey can be compared.
pub struct Recorded<D> {
    pub driver: D,
    pub seen: Vec<(String, Input, Vec<Reply>)>,
}

impl<D> Recorded<D> {
    pub fn new(driver: D) -> Self {
        Self {
            driver,
            seen: Vec::new(),
        }
    }
}

impl<D: Driver> Driver for Recorded<D> {
    fn turn(&mut self, chat_id: &str, input: Input) -> Vec<Reply> {
        let replies = self.driver.turn(chat_id, input.clone());
        self.seen.push((chat_id.to_owned(), input, replies.clone()));
        replies
    }

    fn chat(&mut self, chat_id: &str, script: &[&str]) -> String {
        self.driver.chat(chat_id, script)
    }
}

impl World {
    /// The index of the chat's open ticket.
    fn open_ticket_of(&self, chat: &(Channel, String)) -> Option<usize> {
        self.tickets.iter().position(|t| t.open && &t.chat == chat)
    }

    /// The chat's latest orders, newest first.
    fn orders_of<'a>(&'a self, chat: &'a (Channel, String)) -> impl Iterator<Item = &'a PureOrder> {
        self.orders
            .iter()
            .rev()
            .filter(move |o| &o.chat == chat)
            .take(CUSTOMER_ORDERS)
    }
}

impl Exec<'_> {
    fn history(&mut self) {
        *self.world.history.entry(self.chat.clone()).or_default() += 1;
    }

    /// Keeps what the customer wrote or pressed, as the engine does.
    fn record_input(&mut self, session: &Session, input: &Input) {
        let kept = match input {
            Input::Text(_) | Input::OwnerAnswer(_) => true,
            Input::Button(id) => session.buttons.iter().any(|(b, _)| b == id),
            _ => false,
        };
        if kept {
            self.history();
        }
    }

    /// Places an order as the store does: idempotent by key, all or nothing.
    fn place_order(&mut self, session: &Session, draft: OrderDraft) -> Input {
        let (channel, chat_id) = &self.chat;
        let key = format!("{channel}:{chat_id}:{}:{}", session.id, draft.checkout);
        if let Some(order) = self.world.orders.iter().find(|o| o.key == key) {
            return Input::OrderPlaced {
                number: order.number.clone(),
            };
        }
        let mut stock = self.world.stock.clone();
        let mut short: Vec<String> = Vec::new();
        for line in &draft.lines {
            let key = stock_key(&line.product_id, line.variant.as_deref());
            let want = i64::from(line.qty);
            match stock.0.get_mut(&key) {
                Some(qty) if *qty >= want => *qty -= want,
                _ if !short.contains(&key) => short.push(key),
                _ => {}
            }
        }
        if !short.is_empty() {
            return Input::OrderRejected { sold_out: short };
        }
        self.world.stock = stock;
        self.world.placed += 1;
        let number = (NUMBER_BASE + self.world.placed).to_string();
        if let Some(granted) = draft.consent {
            self.world
                .consents
                .insert(self.chat.clone(), (granted, self.now.as_second()));
        }
        self.world.orders.push(PureOrder {
            number: number.clone(),
            key,
            chat: self.chat.clone(),
            status: OrderStatus::New,
            lines: draft.lines,
            discount: draft.totals.discount,
            total: draft.totals.total,
            fields: draft.fields,
            created_at: self.now.as_second(),
        });
        Input::OrderPlaced { number }
    }

    fn open_ticket(&mut self, question: Option<String>) -> Input {
        let wait = shopbot::owner::ticket_wait(self.shop, false, self.now);
        let number = if let Some(open) = self.world.open_ticket_of(&self.chat) {
            self.world.tickets[open].number
        } else {
            self.world.opened += 1;
            self.world.tickets.push(PureTicket {
                number: self.world.opened,
                chat: self.chat.clone(),
                question,
                open: true,
            });
            self.world.opened
        };
        Input::TicketOpened { number, wait }
    }

    fn my_data(&self) -> MyData {
        let (channel, chat_id) = &self.chat;
        MyData {
            chat: format!("{channel} {chat_id}"),
            consent: self.world.consents.get(&self.chat).copied(),
            orders: self
                .world
                .orders_of(&self.chat)
                .map(|o| MyOrder {
                    number: o.number.clone(),
                    status: o.status,
                    total: o.total,
                    fields: o.fields.clone().into_iter().collect(),
                })
                .collect(),
            tickets: self
                .world
                .tickets
                .iter()
                .filter(|t| t.chat == self.chat)
                .map(|t| (t.number, t.open, t.question.clone()))
                .collect(),
            history_lines: self.world.history.get(&self.chat).copied().unwrap_or(0),
            history_days: self.shop.file.shop.history_days,
        }
    }

    /// Erases the customer as the store does: their orders stay, anonymised.
    fn forget(&mut self) {
        let chat = self.chat.clone();
        let world = &mut *self.world;
        for order in world.orders.iter().filter(|o| o.chat == chat) {
            world.feedback.remove(&order.number);
        }
        world.sessions.remove(&chat);
        world.history.remove(&chat);
        world.tickets.retain(|t| t.chat != chat);
        world.consents.remove(&chat);
        world.forgotten += 1;
        let anonymous = format!("{FORGOTTEN}{:012x}", world.forgotten);
        for (id, order) in world.orders.iter_mut().enumerate() {
            if order.chat == chat {
                order.chat.1.clone_from(&anonymous);
                order.fields.clear();
                order.key = format!("forgotten:{}", id + 1);
            }
        }
        self.forgotten = true;
    }

    fn feedback_facts(&self, order: &str) -> FeedbackFacts {
        let found = self.world.orders.iter().find(|o| o.number == order);
        FeedbackFacts {
            theirs: found.is_some_and(|o| o.chat == self.chat),
            delivered: found.is_some_and(|o| o.status == OrderStatus::Delivered),
            rated: self.world.feedback.contains_key(order),
        }
    }
}

impl Executor for Exec<'_> {
    type Error = Infallible;

    fn stock(&self) -> &StockLevels {
        &self.world.stock
    }

    fn apply(&mut self, session: &Session, effect: Effect) -> Result<Option<Input>, Infallible> {
        Ok(match effect {
            Effect::PlaceOrder(draft) => Some(self.place_order(session, draft)),
            Effect::LoadOrders => Some(Input::Orders(
                self.world
                    .orders_of(&self.chat)
                    .map(|o| OrderBrief {
                        resendable: false,
                        number: o.number.clone(),
                        status: o.status,
                        total: o.total,
                        created_at: o.created_at,
                        items: o.lines.iter().map(|l| (l.name.clone(), l.qty)).collect(),
                    })
                    .collect(),
            )),
            Effect::RecordUnanswered { text } => {
                self.world.unanswered.push(text);
                None
            }
            Effect::MarkPaid { order, .. } => {
                if let Some(o) = self
                    .world
                    .orders
                    .iter_mut()
                    .find(|o| o.number == order && o.status == OrderStatus::New)
                {
                    o.status = OrderStatus::Paid;
                }
                // The model's shops sell no digital goods.
                Some(Input::PaymentRecorded { order, goods: None })
            }
            Effect::Deliver { .. } => None,
            Effect::RequestHuman { question } => Some(self.open_ticket(question)),
            Effect::MyData => Some(Input::MyData(Box::new(self.my_data()))),
            Effect::Forget => {
                self.forget();
                Some(Input::Forgotten)
            }
            Effect::WithdrawConsent => {
                self.world
                    .consents
                    .insert(self.chat.clone(), (false, self.now.as_second()));
                None
            }
            Effect::CheckFeedback {
                order,
                stars,
                comment,
            } => Some(Input::FeedbackChecked {
                facts: self.feedback_facts(&order),
                order,
                stars,
                comment,
            }),
            Effect::SaveFeedback {
                order,
                stars,
                comment,
            } => {
                match stars {
                    Some(stars) => {
                        let kept = self.world.feedback.get(&order).and_then(|f| f.1.clone());
                        self.world.feedback.insert(order.clone(), (stars, kept));
                    }
                    None => {
                        if let Some(f) = self.world.feedback.get_mut(&order) {
                            f.1 = comment;
                        }
                    }
                }
                Some(Input::FeedbackSaved {
                    stars: stars.is_some(),
                    order,
                })
            }
            Effect::Relay { history, .. } => {
                if history {
                    self.history();
                }
                None
            }
            Effect::EndTicket => {
                if let Some(open) = self.world.open_ticket_of(&self.chat) {
                    self.world.tickets[open].open = false;
                }
                Some(Input::TicketClosed)
            }
        })
    }
}
