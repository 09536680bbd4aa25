//! A model-based (state-machine) property test over the engine: six customers
//! on Telegram, Matrix, the web chat and the terminal and two owners do random things — texts
//! (any Unicode), current, stale and forged button presses, the finder, the
//! cart, checkouts, confirm bursts and redelivered events, tickets and owner
//! answers, owner commands, `/forget`, `/stop`, scheduler rounds on a moving
//! clock, restarts, and writes the database refuses — and after every step the
//! promises are checked against a simple model (see `state_machine/world.rs`):
//!
//! - no panic; a turn that fails changes nothing, and the same input succeeds after;
//! - every input is answered in its own chat (unless the flood guard may drop
//!   it, or an open ticket relays it to the owners); a redelivered event is a
//!   duplicate that changes nothing and costs no flood tokens;
//! - stock + sold = initial for every product and variant, and the live stock
//!   is the stored one; no order lost, changed or placed twice;
//! - nothing is written to a chat that did not cause it (but owners' notices and
//!   the customer an owner answers), and no other customer's rows change;
//! - after `/forget`, nothing of the customer's personal data is left anywhere;
//! - offers (a cart reminder with a coupon, `/broadcast`) reach only customers
//!   who agreed, and never after `/stop`.
//!
//! Faults are `RAISE(ABORT)` triggers installed for one step on a second
//! connection (`PRAGMA max_page_count` is per connection: set elsewhere, it
//! does not limit the engine's). 256 cases take about 20 s in a debug build;
//! `PROPTEST_CASES=5000 cargo test --release --test state_machine` for a long
//! run. While a defect is open, `SHOPBOT_SM_SKIP=offers,flood,isolation,nobody,file`
//! turns its check off to look for the next one.

mod state_machine {
    pub mod snapshot;
    pub mod world;
}

use proptest::prelude::*;
use shopbot::conversation::Input;
use state_machine::world::{ACTORS, CUSTOMERS, Checks, OWNERS, WEB, World};

/// One step of a run.
#[derive(Debug, Clone)]
pub enum Op {
    /// A customer types something.
    Say(usize, String),
    /// A customer presses a button: 0 one shown now, 1 one shown before, 2
    /// another chat's; `pick` chooses which.
    Press(usize, u8, usize),
    /// A customer presses a button by id (the shop's, or made up).
    PressId(usize, String),
    /// Cart, checkout and every answer up to the confirm step.
    Checkout(Box<Checkout>),
    /// The confirm button pressed `presses` times (maybe with a restart after
    /// the first), then the last press redelivered `again` times.
    Confirm {
        who: usize,
        presses: u8,
        again: u8,
        restart: bool,
    },
    /// The customer's last event, delivered again `times` times.
    Redeliver(usize, u8),
    /// A customer asks for a person.
    Human(usize, String),
    /// An owner types something (a command, mostly).
    OwnerSay(usize, String),
    /// An owner replies to one of the bot's messages in their chat.
    OwnerReply(usize, usize, String),
    /// An owner presses a button under a notice.
    OwnerPress(usize, usize),
    /// `/forget` and the confirmation.
    Forget(usize),
    /// The channels send what is queued.
    Deliver,
    /// Time passes (milliseconds).
    Wait(u32),
    /// The scheduler's round, this many minutes later.
    Tick(u32),
    /// The process restarts.
    Restart,
    /// A text or press meets a database that refuses one kind of write.
    Fault {
        who: usize,
        input: FaultInput,
        fault: usize,
    },
    /// A scheduler round meets one.
    FaultTick(u32, usize),
}

#[derive(Debug, Clone)]
pub enum FaultInput {
    Say(String),
    Press(String),
}

#[derive(Debug, Clone)]
pub struct Checkout {
    pub who: usize,
    pub add: &'static str,
    pub courier: bool,
    pub name: String,
    pub phone: &'static str,
    pub address: &'static str,
    pub note: Option<String>,
    pub consent: bool,
    pub pay: &'static str,
    /// Press confirm at the end.
    pub confirm: bool,
}

/// Runs a sequence; `Err` names the first broken promise.
pub fn run(names: &[String], ops: &[Op], checks: Checks) -> Result<(), String> {
    let mut world = World::new(names, checks);
    let result = run_in(&mut world, ops);
    if let Ok(path) = std::env::var("SHOPBOT_SM_LOG") {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .unwrap();
        writeln!(f, "=== case\n{}", world.log.join("\n")).unwrap();
    }
    result.map_err(|e| format!("{e}\n--- what happened:\n{}", world.log.join("\n")))
}

fn run_in(w: &mut World, ops: &[Op]) -> Result<(), String> {
    for op in ops {
        match op {
            Op::Say(who, text) | Op::OwnerSay(who, text) => {
                w.input(*who, Input::Text(text.clone()), None)?;
            }
            Op::Press(who, which, pick) => {
                if let Some((id, _)) = w.buttons(*who, *which, *pick) {
                    w.input(*who, Input::Button(id), None)?;
                }
            }
            Op::PressId(who, id) => w.input(*who, Input::Button(id.clone()), None)?,
            Op::Checkout(c) => checkout_steps(w, c)?,
            Op::Confirm {
                who,
                presses,
                again,
                restart,
            } => confirm_burst(w, *who, *presses, *again, *restart)?,
            Op::Redeliver(who, times) => {
                for _ in 0..*times {
                    w.redeliver(*who)?;
                }
            }
            Op::Human(who, question) => {
                w.input(*who, Input::Text(question.clone()), None)?;
                w.input(*who, Input::Button("human".into()), None)?;
            }
            Op::OwnerReply(who, pick, text) => {
                w.deliver();
                if let Some(message) = w.owner_message(*who, *pick) {
                    w.input(*who, Input::Text(text.clone()), Some(message))?;
                }
            }
            Op::OwnerPress(who, pick) => {
                if let Some((id, _)) = w.buttons(*who, 0, *pick) {
                    w.input(*who, Input::Button(id), None)?;
                }
            }
            Op::Forget(who) => {
                w.input(*who, Input::Text("/forget".into()), None)?;
                w.input(*who, Input::Button("forget".into()), None)?;
            }
            Op::Deliver => w.deliver(),
            Op::Wait(ms) => w.advance_ms(i64::from(*ms)),
            Op::Tick(minutes) => w.tick(i64::from(*minutes), None)?,
            Op::Restart => w.restart(),
            Op::Fault { who, input, fault } => {
                let input = match input {
                    FaultInput::Say(t) => Input::Text(t.clone()),
                    FaultInput::Press(id) => Input::Button(id.clone()),
                };
                w.faulty(*who, input, *fault)?;
            }
            Op::FaultTick(minutes, fault) => w.tick(i64::from(*minutes), Some(*fault))?,
        }
    }
    Ok(())
}

/// Cart, checkout and every answer up to confirm (pressed if asked for).
fn checkout_steps(w: &mut World, c: &Checkout) -> Result<(), String> {
    let who = c.who;
    let press = |w: &mut World, id: &str| w.input(who, Input::Button(id.to_owned()), None);
    let say = |w: &mut World, t: &str| w.input(who, Input::Text(t.to_owned()), None);
    press(w, &format!("add:{}", c.add))?;
    press(w, "checkout")?;
    press(
        w,
        if c.courier {
            "dlv:courier"
        } else {
            "dlv:pickup"
        },
    )?;
    say(w, &c.name)?;
    say(w, c.phone)?;
    if c.courier {
        say(w, c.address)?;
    }
    match &c.note {
        Some(n) => say(w, n)?,
        None => press(w, "skip")?,
    }
    press(
        w,
        if c.consent {
            "consent:yes"
        } else {
            "consent:no"
        },
    )?;
    press(w, c.pay)?;
    if c.confirm {
        press(w, "confirm")?;
    }
    Ok(())
}

/// Confirm pressed again and again, and redelivered: one order at most.
fn confirm_burst(
    w: &mut World,
    who: usize,
    presses: u8,
    again: u8,
    restart: bool,
) -> Result<(), String> {
    let orders = w.snap().orders().len();
    for i in 0..presses {
        w.input(who, Input::Button("confirm".into()), None)?;
        if i == 0 && restart {
            w.restart();
        }
    }
    for _ in 0..again {
        w.redeliver(who)?;
    }
    let placed = w.snap().orders().len() - orders;
    if placed > 1 {
        return Err(format!("a burst of confirm presses placed {placed} orders"));
    }
    Ok(())
}

// ---- generators -------------------------------------------------------------

/// Words of the shop's own texts: a customer named like a product is the
/// case that erasing by content gets wrong.
const SHOP_WORDS: [&str; 10] = [
    "Castle", "Tower", "Knight", "Wizard", "Dragon", "Truck", "Racer", "Courier", "Bricks",
    "Madrid",
];

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(SHOP_WORDS.to_vec()).prop_map(str::to_owned),
        2 => (prop::sample::select(SHOP_WORDS.to_vec()), "[A-Z][a-z]{3,6}")
            .prop_map(|(w, s)| format!("{w} {s}")),
        2 => "[A-Z][a-z]{3,7} [A-Z][a-z]{3,8}",
        1 => "\\PC{1,12}",
        1 => Just("İlkay Kelvin K".to_owned()),
    ]
}

fn customer() -> impl Strategy<Value = usize> {
    prop_oneof![5 => 0..CUSTOMERS, 1 => Just(WEB)]
}

fn owner() -> impl Strategy<Value = usize> {
    OWNERS
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(vec![
            "castle", "tower", "cheap car", "shipping", "hello", "return", "1", "2", "3", "4",
            "7", "12", "/start", "/cart", "/mydata", "/stop", "/forget", "/orders", "/human",
            "/lang es", "/lang en", "/help", "WELCOME10", "OLD5", "yes", "no",
            "/status 1001 cancelled", "/stock castle 9", "/broadcast hi all", "/reply 1 hi",
        ])
        .prop_map(str::to_owned),
        2 => "\\PC{0,40}",
        1 => prop::sample::select(vec![
            "\u{212a}astle", "İ castle İ", "\u{202e}tower\u{200b}", "🏰🏰🏰", "ß under 20",
            "castle under -5", "<b>&amp;</b>", "",
        ])
        .prop_map(str::to_owned),
    ]
}

const BUTTONS: [&str; 32] = [
    "menu",
    "finder",
    "fa:who:kid",
    "fa:who:adult",
    "fa:budget:low",
    "fa:budget:any",
    "fa:likes:castles",
    "fa:likes:vehicles",
    "fb",
    "fr",
    "browse",
    "cat:castles:0",
    "cat:cars:1",
    "p:castle",
    "p:truck",
    "add:tower",
    "add:truck:blue",
    "cart",
    "inc:castle",
    "dec:castle",
    "empty",
    "coupon",
    "checkout",
    "faq",
    "faq:shipping",
    "orders",
    "human",
    "endticket",
    "lang:es",
    "cancel",
    "rate:1001:5",
    "skip",
];

fn press_id() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(BUTTONS.to_vec()).prop_map(str::to_owned),
        1 => prop::sample::select(vec!["forget", "confirm", "o:cancelled:1001", "o:close:1"])
            .prop_map(str::to_owned),
        1 => "\\PC{0,20}",
    ]
}

fn checkout() -> impl Strategy<Value = Checkout> {
    (
        customer(),
        prop::sample::select(vec![
            "castle",
            "castle",
            "tower",
            "racer",
            "racer",
            "truck:red",
            "truck:blue",
            "dragon",
        ]),
        any::<bool>(),
        name(),
        prop::sample::select(vec![
            "+34 600 123 456",
            "600123456",
            "+40 711 222 333",
            "+34 600 123 456",
            "12",
        ]),
        prop::sample::select(vec![
            "Calle Mayor 5, Madrid",
            "Castle Street 12",
            "Str. Lungă 3, Iași",
            "Tower Road 7",
        ]),
        prop::option::of(prop_oneof![name(), Just("ring twice".to_owned())]),
        any::<bool>(),
        prop::sample::select(vec!["pay:cash", "pay:bank"]),
        prop::bool::weighted(0.7),
    )
        .prop_map(
            |(who, add, courier, name, phone, address, note, consent, pay, confirm)| Checkout {
                who,
                add,
                courier,
                name,
                phone,
                address,
                note,
                consent,
                pay,
                confirm,
            },
        )
}

fn owner_text() -> impl Strategy<Value = String> {
    let number = 1001..1007u32;
    let ticket = 1..5u32;
    let status = prop::sample::select(vec!["paid", "shipped", "delivered", "cancelled"]);
    let key = prop::sample::select(vec![
        "castle",
        "tower",
        "racer",
        "truck:red",
        "truck:blue",
        "nothing",
    ]);
    prop_oneof![
        3 => (number.clone(), status).prop_map(|(n, s)| format!("/status {n} {s}")),
        2 => (key, 0..4u32).prop_map(|(k, q)| format!("/stock {k} {q}")),
        2 => ticket.clone().prop_map(|t| format!("/close {t}")),
        3 => (ticket, prop::sample::select(vec!["Yes, tomorrow", "Castle is back", "Tower ships"]))
            .prop_map(|(t, x)| format!("/reply {t} {x}")),
        2 => prop::sample::select(vec![
            "/tickets", "/orders", "/reload", "/pause", "/resume", "/stats", "/help",
            "/broadcast Winter sale: 20% off castles!", "castle", "/order 1001",
        ])
        .prop_map(str::to_owned),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (customer(), text()).prop_map(|(w, t)| Op::Say(w, t)),
        6 => (customer(), 0..3u8, 0..1000usize).prop_map(|(w, k, p)| Op::Press(w, k, p)),
        4 => (customer(), press_id()).prop_map(|(w, id)| Op::PressId(w, id)),
        4 => checkout().prop_map(|c| Op::Checkout(Box::new(c))),
        4 => (customer(), 1..4u8, 0..16u8, prop::bool::weighted(0.2))
            .prop_map(|(who, presses, again, restart)| Op::Confirm { who, presses, again, restart }),
        1 => (customer(), 1..16u8).prop_map(|(w, n)| Op::Redeliver(w, n)),
        2 => (customer(), prop_oneof![text(), Just("do you sell spaceships".to_owned())])
            .prop_map(|(w, q)| Op::Human(w, q)),
        4 => (owner(), owner_text()).prop_map(|(w, t)| Op::OwnerSay(w, t)),
        2 => (owner(), 0..1000usize, prop_oneof![
            Just("We have it".to_owned()), Just("Castle ships Monday".to_owned()), "\\PC{1,20}"
        ])
        .prop_map(|(w, p, t)| Op::OwnerReply(w, p, t)),
        2 => (owner(), 0..1000usize).prop_map(|(w, p)| Op::OwnerPress(w, p)),
        2 => customer().prop_map(Op::Forget),
        3 => Just(Op::Deliver),
        2 => (0..120_000u32).prop_map(Op::Wait),
        2 => (1..40 * 60u32).prop_map(Op::Tick),
        1 => Just(Op::Restart),
        2 => (
            0..ACTORS.len(),
            prop_oneof![
                text().prop_map(FaultInput::Say),
                press_id().prop_map(FaultInput::Press)
            ],
            0..7usize
        )
            .prop_map(|(who, input, fault)| Op::Fault { who, input, fault }),
        1 => (1..40 * 60u32, 0..7usize).prop_map(|(m, f)| Op::FaultTick(m, f)),
    ]
}

fn names() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(name(), CUSTOMERS)
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(256),
        failure_persistence: None,
        max_shrink_iters: 4096,
        .. ProptestConfig::default()
    })]

    /// Any sequence of anything anyone does: every promise holds after every step.
    #[test]
    fn no_sequence_breaks_a_promise(names in names(), ops in prop::collection::vec(op(), 1..30)) {
        run(&names, &ops, Checks::from_env()).map_err(TestCaseError::fail)?;
    }
}

// ---- found sequences, replayed --------------------------------------------------

fn five(names: [&str; 5]) -> Vec<String> {
    names.iter().map(|n| (*n).to_owned()).collect()
}

fn replay(names: [&str; 5], ops: &[Op]) {
    if let Err(e) = run(&five(names), ops, Checks::all()) {
        panic!("{e}");
    }
}

fn checkout_as(who: usize, add: &'static str, consent: bool, confirm: bool) -> Op {
    Op::Checkout(Box::new(Checkout {
        who,
        add,
        courier: false,
        name: "Castle".into(),
        phone: "+34 600 123 456",
        address: "Calle Mayor 5, Madrid",
        note: None,
        consent,
        pay: "pay:cash",
        confirm,
    }))
}

/// Found by the property test: customer 201 is called "Tower"; when they
/// forget, customer 202's catalogue page (which lists "Wizard Tower") is deleted.
#[test]
fn forget_of_a_customer_named_like_a_product_leaves_others_messages_alone() {
    replay(
        ["Tower", "Castle", "Castle", "Castle", "Castle"],
        &[Op::PressId(1, "cat:castles:0".into()), Op::Forget(0)],
    );
}

/// Found by the property test: a cart left by a customer who said no to
/// offers gets the reminder with the coupon.
#[test]
fn a_cart_reminder_with_a_coupon_needs_consent() {
    replay(
        ["Castle", "Castle", "Castle", "Castle", "Castle"],
        &[checkout_as(0, "castle", false, false), Op::Tick(1440)],
    );
}

/// The same after `/stop`, from a customer who had agreed.
#[test]
fn a_cart_reminder_with_a_coupon_stops_after_stop() {
    replay(
        ["Castle", "Castle", "Castle", "Castle", "Castle"],
        &[
            checkout_as(0, "castle", true, true),
            Op::PressId(0, "add:racer".into()),
            Op::Say(0, "/stop".into()),
            Op::Tick(1440),
        ],
    );
}

/// Found by the property test: two confirm presses, the second redelivered
/// eleven times (all duplicates), and the next press is dropped as a flood.
#[test]
fn redelivered_events_cost_no_flood_tokens() {
    replay(
        ["Castle", "Castle", "Castle", "Castle", "Castle"],
        &[
            Op::Confirm {
                who: 2,
                presses: 2,
                again: 11,
                restart: false,
            },
            Op::PressId(2, "finder".into()),
        ],
    );
}

/// Found by the property test: after the terminal customer forgot, the
/// owner's status change of their (anonymous) order is queued to the chat
/// `forgotten-…`, which belongs to nobody, and a session is made for it.
#[test]
fn a_forgotten_customers_order_changes_tell_nobody() {
    replay(
        ["Castle", "Castle", "Castle", "Castle", "Castle"],
        &[
            checkout_as(4, "tower", false, true),
            Op::Forget(4),
            Op::OwnerSay(6, "/status 1001 paid".into()),
        ],
    );
}

/// Found by the property test (once in a few thousand cases): after /forget,
/// no row holds customer !c1's name, but page 34 of the database file still
/// does — a stale fragment of an owner's relay notice ("💬 #1 · NAME: castle")
/// in the page's unused space, partly overwritten by the next cell, which
/// `secure_delete` and the checkpoint after /forget do not clear.
#[test]
fn forget_leaves_no_trace_in_the_file() {
    replay(
        ["Castle", "Castle", "🌀 Aﬀ0අA0#¡#", "Castle", "Castle"],
        &[
            Op::OwnerSay(6, "/status 1001 paid".into()),
            Op::Human(2, "hello".into()),
            Op::Fault {
                who: 5,
                input: FaultInput::Say("İ castle İ".into()),
                fault: 0,
            },
            Op::Say(0, "0".into()),
            Op::OwnerSay(5, "/reply 2 Yes, tomorrow".into()),
            Op::Checkout(Box::new(Checkout {
                who: 4,
                add: "tower",
                courier: false,
                name: "Castle".into(),
                phone: "600123456",
                address: "Calle Mayor 5, Madrid",
                note: None,
                consent: false,
                pay: "pay:cash",
                confirm: true,
            })),
            Op::Confirm {
                who: 4,
                presses: 2,
                again: 0,
                restart: false,
            },
            Op::Deliver,
            Op::PressId(3, "fa:who:kid".into()),
            Op::Deliver,
            Op::Say(2, "castle".into()),
            Op::Say(3, "០".into()),
            Op::Forget(2),
        ],
    );
}

/// Found by the property test once the fixes were in: `/forget` deleted the
/// inbox keys of the customer's events, the confirming press's own included, so
/// that press delivered again was handled a second time (and cost the flood
/// guard a token). The keys now stay, naming nobody, until the week's purge.
#[test]
fn a_forget_press_delivered_again_is_still_a_duplicate() {
    replay(
        ["Castle", "Castle", "Castle", "Castle", "Castle"],
        &[
            Op::Forget(0),
            Op::Redeliver(0, 3),
            Op::PressId(0, "finder".into()),
        ],
    );
}

/// Found by the property test (once in a few thousand cases): a turn that failed
/// on a fault, then two checkouts at a person's pace, and the flood guard said
/// "too fast" although the customer sent only what it allows.
#[test]
fn a_failed_turn_then_two_checkouts_is_not_a_flood() {
    replay(
        ["Castle", "Castle", "Castle", "Castle", "Castle"],
        &[
            Op::Fault {
                who: 1,
                input: FaultInput::Say("castle".into()),
                fault: 0,
            },
            checkout_as(1, "castle", false, false),
            checkout_as(1, "castle", false, false),
        ],
    );
}
