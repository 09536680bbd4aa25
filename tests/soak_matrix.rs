//! A soak on Matrix (issue 7, QUALITY.md "kill -9 at random moments during
//! concurrent checkouts"): several real, encrypting matrix-sdk customers check out
//! at once against `shopbot run` on a real Synapse while the test `kill -9`s the
//! bot at random moments and starts it again. Afterwards: one order per confirmed
//! checkout (none lost, none doubled), stock down by exactly what was ordered,
//! `PRAGMA integrity_check` ok after every kill, every confirmation delivered, and
//! the bot still answering after the last restart.
//!
//! `SHOPBOT_SOAK_KILLS=N` (default 3) for a longer run, `SHOPBOT_SOAK_SEED=S` to
//! replay the moments of the kills. Skipped, loudly, without a Synapse: run
//! `scripts/test`.

#[path = "support/both.rs"]
mod both;
mod fake_telegram;
#[path = "support/matrix_customer.rs"]
mod matrix_customer;
#[path = "support/process.rs"]
mod process;
#[path = "support/synapse.rs"]
mod synapse;

use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use both::{Both, Mx, Owners, button_number, number_after};
use matrix_customer::{MatrixCustomer, SeenEvent};
use matrix_sdk::ruma::OwnedUserId;
use synapse::Synapse;

/// Customers checking out at once.
const CUSTOMERS: usize = 4;
/// The product everyone orders, and its stock for the soak (the small shop has 5:
/// a long run needs more).
const PRODUCT: &str = "castle";
const STOCK: i64 = 500;
/// How long a customer waits for an answer before saying it again (a person
/// would); every such repeat is a lost message and fails the test.
const PATIENCE: Duration = Duration::from_secs(30);
/// What the order confirmation says.
const PLACED: &str = "Your order number is #";

fn env_number(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

/// A small xorshift: the moments of the kills, reproducible from the seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A duration between `low` and `high` milliseconds.
    fn millis(&mut self, low: u64, high: u64) -> Duration {
        Duration::from_millis(low + self.next() % (high - low))
    }
}

/// What one customer did and saw.
#[derive(Default)]
struct Journey {
    /// Order numbers from the confirmations, one per confirmed checkout.
    confirmed: Vec<u64>,
    /// Messages the customer had to say again: no answer within [`PATIENCE`].
    repeats: Vec<String>,
    /// Why the journey stopped early, if it did.
    failure: Option<String>,
    /// The event ids of the unanswered messages.
    unanswered: Vec<String>,
}

/// One customer's side of the soak, owned by its task (no `&Both`: the bot is
/// restarted meanwhile).
struct Shopper {
    mx: Mx,
    name: String,
    journey: Journey,
}

impl Shopper {
    /// The first bot message after the first `after` of the room with `needle`.
    async fn wait(&self, after: usize, needle: &str, patience: Duration) -> Option<SeenEvent> {
        let deadline = Instant::now() + patience;
        loop {
            if let Some(m) = self
                .mx
                .bot_messages_after(after)
                .into_iter()
                .find(|m| m.body.contains(needle))
            {
                return Some(m);
            }
            if Instant::now() > deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The first bot message after the first `after` of the room with a button
    /// labelled `label`.
    async fn wait_button(&self, after: usize, label: &str) -> Option<SeenEvent> {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(m) = self
                .mx
                .bot_messages_after(after)
                .into_iter()
                .find(|m| button_number(&m.body, label).is_some())
            {
                return Some(m);
            }
            if Instant::now() > deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Types `text` and waits for the answer with `needle`; says it once more if
    /// no answer comes in time (recorded as a repeat).
    async fn say(&mut self, text: &str, needle: &str) -> Result<SeenEvent, String> {
        for attempt in 0..2 {
            let after = self.mx.mark();
            let sent = SystemTime::now();
            let event = self.mx.user.send_text(&self.mx.room, text).await;
            if let Some(m) = self.wait(after, needle, PATIENCE).await {
                return Ok(m);
            }
            self.journey.unanswered.push(event.to_string());
            self.journey.repeats.push(format!(
                "{}: {text:?} ({event}, sent at {:?}) unanswered (no {needle:?}) after {PATIENCE:?}, attempt {}",
                self.name,
                sent.duration_since(UNIX_EPOCH).unwrap_or_default(),
                attempt + 1
            ));
        }
        Err(format!(
            "{}: {text:?} never answered with {needle:?}\n{}",
            self.name,
            self.mx.user.describe(&self.mx.room)
        ))
    }

    /// Types the number of the button labelled `label` on `message`.
    async fn press(
        &mut self,
        message: &SeenEvent,
        label: &str,
        needle: &str,
    ) -> Result<SeenEvent, String> {
        let number = button_number(&message.body, label)
            .ok_or_else(|| format!("{}: no button {label:?} in {:?}", self.name, message.body))?;
        self.say(&number.to_string(), needle).await
    }

    /// One checkout of the castle, through the finder, picked up and paid in
    /// cash; returns the order number of the confirmation.
    async fn checkout(&mut self) -> Result<u64, String> {
        let menu = self.say("/start", "What would you like to do?").await?;
        let q1 = self.press(&menu, "Find a gift", "Question 1 of 3").await?;
        let q2 = self.press(&q1, "A child", "Question 2 of 3").await?;
        self.press(&q2, "Any budget", "Question 3 of 3").await?;
        let after = self.mx.mark();
        self.say("castles", "Would you like something else?")
            .await?;
        let card = self
            .wait(after, "Knight's Castle", PATIENCE)
            .await
            .ok_or_else(|| format!("{}: no castle card", self.name))?;
        let after = self.mx.mark();
        self.press(&card, "Add to cart", "Added Knight's Castle")
            .await?;
        let next = self
            .wait_button(after, "Checkout")
            .await
            .ok_or_else(|| format!("{}: no Checkout button", self.name))?;
        let delivery = self
            .press(&next, "Checkout", "How would you like to receive")
            .await?;
        self.press(&delivery, "Pick up in the shop", "What is your name?")
            .await?;
        let name = self.name.clone();
        self.say(&name, "What phone number").await?;
        self.say("600 123 456", "Any note for us").await?;
        let news = self.say("skip", "occasional news").await?;
        let pay = self
            .press(&news, "No, thanks", "How would you like to pay?")
            .await?;
        let check = self
            .press(&pay, "Cash on delivery", "Please check your order")
            .await?;
        let placed = self.press(&check, "Confirm order", PLACED).await?;
        number_after(&placed.body, PLACED)
            .ok_or_else(|| format!("{}: no number in {:?}", self.name, placed.body))
    }

    /// Checkouts until the killer is done (at least one).
    async fn run(mut self, killing: Arc<AtomicBool>) -> Self {
        loop {
            match self.checkout().await {
                Ok(number) => self.journey.confirmed.push(number),
                Err(e) => {
                    self.journey.failure = Some(e);
                    return self;
                }
            }
            if !killing.load(Ordering::SeqCst) {
                return self;
            }
        }
    }
}

fn integrity(db: &std::path::Path) -> String {
    let conn = rusqlite::Connection::open(db).expect("open db");
    conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("integrity_check")
}

/// Bot messages equal to the bot message just before them: resent after a kill.
fn duplicates(messages: &[SeenEvent], bot: &OwnedUserId) -> Vec<String> {
    let mine: Vec<&SeenEvent> = messages.iter().filter(|m| &m.sender == bot).collect();
    mine.windows(2)
        .filter(|w| w[0].body == w[1].body)
        .map(|w| w[1].body.lines().next().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[allow(clippy::too_many_lines)]
async fn concurrent_matrix_checkouts_survive_kill_9_at_random_moments() {
    let Some(syn) = Synapse::shared() else { return };
    let kills = env_number("SHOPBOT_SOAK_KILLS").unwrap_or(3);
    let seed = env_number("SHOPBOT_SOAK_SEED").unwrap_or_else(|| {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(1, |d| u64::from(d.subsec_nanos()))
    }) | 1;
    eprintln!("soak: {CUSTOMERS} customers, {kills} kills, SHOPBOT_SOAK_SEED={seed}");
    let mut rng = Rng(seed);
    let started = Instant::now();

    let mut both = Both::start(&syn, &Owners::default()).await;
    // Enough castles for every checkout of a long run: the stock follows the
    // file's figure when it changes, at the next start.
    let text = std::fs::read_to_string(&both.shop).expect("shop");
    let old = "id = \"castle\"";
    let at = text.find(old).expect("the castle in the small shop");
    let stock_at = at + text[at..].find("stock = 5").expect("the castle's stock");
    let text = format!(
        "{}stock = {STOCK}{}",
        &text[..stock_at],
        &text[stock_at + "stock = 5".len()..]
    );
    std::fs::write(&both.shop, text).expect("write shop");
    both.restart().await;
    let stock_sql = format!("SELECT qty FROM stock WHERE key = '{PRODUCT}'");
    assert_eq!(both.count(&stock_sql), STOCK, "{}", both.log());

    // The customers: logged in and in their encrypted DMs with the bot, in parallel.
    let prefixes: Vec<String> = (0..CUSTOMERS).map(|i| format!("soak{i}")).collect();
    let prefixes: Vec<&str> = prefixes.iter().map(String::as_str).collect();
    let users = syn.register_all(&prefixes);
    let opening: Vec<_> = users
        .into_iter()
        .enumerate()
        .map(|(i, (user, password))| {
            let url = syn.url().to_owned();
            let bot = both.bot_id.clone();
            tokio::spawn(async move {
                let client = MatrixCustomer::login(&url, &user, &password).await;
                Shopper {
                    mx: Mx::dm(client, &bot).await,
                    name: format!("Soak Customer {i}"),
                    journey: Journey::default(),
                }
            })
        })
        .collect();
    let mut shoppers = Vec::new();
    for task in opening {
        shoppers.push(task.await.expect("a customer opens a DM"));
    }
    let ready = started.elapsed();

    // Checkouts, all at once, while the bot is killed at random moments.
    let killing = Arc::new(AtomicBool::new(true));
    let running: Vec<_> = shoppers
        .into_iter()
        .map(|s| tokio::spawn(s.run(Arc::clone(&killing))))
        .collect();
    let mut kill_log = Vec::new();
    for k in 1..=kills {
        let pause = rng.millis(300, 4000);
        tokio::time::sleep(pause).await;
        both.bot.kill9();
        let at = started.elapsed();
        let check = integrity(&both.db);
        assert_eq!(
            check,
            "ok",
            "integrity_check after kill {k}\n{}",
            both.log()
        );
        let down = Instant::now();
        both.restart().await;
        kill_log.push(format!(
            "kill {k} at {at:.1?} (after {pause:?}), up again in {:.1?}, orders so far {}",
            down.elapsed(),
            both.count("SELECT COUNT(*) FROM orders")
        ));
    }
    killing.store(false, Ordering::SeqCst);
    let mut shoppers = Vec::new();
    for task in running {
        shoppers.push(task.await.expect("a customer's task"));
    }
    let soaked = started.elapsed();
    for line in &kill_log {
        eprintln!("soak: {line}");
    }

    let mut problems = String::new();
    for s in &shoppers {
        if let Some(e) = &s.journey.failure {
            let _ = writeln!(problems, "{e}");
        }
        for r in &s.journey.repeats {
            let _ = writeln!(problems, "lost message: {r}");
        }
        for event in &s.journey.unanswered {
            let handled = both.count(&format!(
                "SELECT COUNT(*) FROM inbox WHERE channel = 'matrix' AND key = '{event}'"
            ));
            let _ = writeln!(
                problems,
                "{}: {event} in the bot's inbox (handled): {}",
                s.name,
                handled > 0
            );
        }
        if !s.journey.repeats.is_empty() || s.journey.failure.is_some() {
            let _ = writeln!(problems, "{}", s.mx.user.describe(&s.mx.room));
        }
    }
    assert!(problems.is_empty(), "{problems}\n{}", both.log());

    // After the last restart the bot still answers: each customer's orders.
    let mut total = 0;
    for s in &mut shoppers {
        let last = *s.journey.confirmed.last().expect("a confirmed checkout");
        let orders = s
            .say("/orders", &format!("#{last}"))
            .await
            .unwrap_or_else(|e| panic!("{e}\n{}", both.log()));
        assert!(orders.encrypted, "{:?}", orders.body);
        total += s.journey.confirmed.len();
    }
    // Anything still in the outbox is sent; then a moment for late duplicates.
    both.wait_count("SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL", 0)
        .await;
    tokio::time::sleep(Duration::from_secs(3)).await;

    let total = i64::try_from(total).expect("few orders");
    assert_eq!(
        both.count("SELECT COUNT(*) FROM orders"),
        total,
        "orders in the database vs confirmed checkouts\n{}",
        both.log()
    );
    let mut duplicated = Vec::new();
    for s in &shoppers {
        let room = s.mx.room.to_string();
        let mut numbers: Vec<u64> = {
            let conn = rusqlite::Connection::open(&both.db).expect("open db");
            let mut stmt = conn
                .prepare(
                    "SELECT number FROM orders WHERE channel = 'matrix' AND chat_id = ?1 ORDER BY id",
                )
                .expect("prepare");
            stmt.query_map([&room], |r| r.get::<_, String>(0))
                .expect("orders")
                .map(|n| {
                    let n = n.expect("an order number");
                    n.trim_start_matches('#')
                        .parse()
                        .unwrap_or_else(|_| panic!("order number {n:?}"))
                })
                .collect()
        };
        let mut confirmed = s.journey.confirmed.clone();
        numbers.sort_unstable();
        confirmed.sort_unstable();
        assert_eq!(
            numbers,
            confirmed,
            "{}: orders in the database vs confirmations seen\n{}\n{}",
            s.name,
            s.mx.user.describe(&s.mx.room),
            both.log()
        );
        let room_messages = s.mx.user.messages(&s.mx.room);
        for number in &confirmed {
            let placed = room_messages
                .iter()
                .filter(|m| m.sender == s.mx.bot && m.body.contains(&format!("{PLACED}{number}")))
                .count();
            assert!(placed >= 1, "{}: confirmation of #{number} lost", s.name);
        }
        assert!(
            room_messages
                .iter()
                .filter(|m| m.sender == s.mx.bot)
                .all(|m| m.encrypted),
            "{}: a bot message in clear",
            s.name
        );
        let undecryptable = s.mx.user.undecryptable(&s.mx.room);
        assert_eq!(undecryptable, 0, "{}: undecryptable messages", s.name);
        for d in duplicates(&room_messages, &s.mx.bot) {
            duplicated.push(format!("{}: {d:?}", s.name));
        }
    }
    let sold = both.count(&format!(
        "SELECT COALESCE(SUM(i.qty), 0) FROM order_items i JOIN orders o ON o.id = i.order_id \
         WHERE i.product_id = '{PRODUCT}' AND o.status <> 'cancelled'"
    ));
    assert_eq!(sold, total, "one castle per order");
    assert_eq!(
        both.count(&stock_sql),
        STOCK - sold,
        "stock + sold = initial\n{}",
        both.log()
    );
    assert_eq!(
        both.count(
            "SELECT COUNT(*) FROM stock s WHERE s.qty + (SELECT COALESCE(SUM(i.qty), 0) \
             FROM order_items i WHERE i.product_id = s.key) <> s.configured"
        ),
        0,
        "stock + sold = configured for every product"
    );
    both.bot.kill9();
    assert_eq!(integrity(&both.db), "ok", "integrity_check at the end");

    let log = both.log();
    let errors: Vec<&str> = log
        .lines()
        // The SDK's own ERROR lines (e.g. 404 on secret storage) are noise.
        .filter(|l| (l.contains("ERROR") && l.contains("shopbot::")) || l.contains("panicked"))
        .collect();
    eprintln!(
        "soak: {total} orders from {CUSTOMERS} customers, {kills} kills; ready in {ready:.1?}, \
         checkouts done at {soaked:.1?}, all checks at {:.1?}",
        started.elapsed()
    );
    eprintln!(
        "soak: {} duplicate bot messages (resent after a kill): {duplicated:#?}",
        duplicated.len()
    );
    eprintln!(
        "soak: {} error lines in the bot's logs: {errors:#?}",
        errors.len()
    );
    assert!(errors.is_empty(), "errors in the bot's log\n{log}");
}

/// The bot with Telegram and Matrix both connected: its memory when idle (a
/// figure for the README), and the Matrix password — a sentinel — never in its
/// log or its database.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_channels_idle_memory_and_the_password_stays_secret() {
    let Some(syn) = Synapse::shared() else { return };
    let account = syn.register("shopbot");
    let both = Both::start_as(&syn, &account, &Owners::default()).await;
    tokio::time::sleep(Duration::from_secs(5)).await;
    let rss = process::rss_kib(both.bot.pid());
    #[allow(clippy::cast_precision_loss)]
    let mib = rss as f64 / 1024.0;
    println!("FIGURE RSS idle with Telegram and Matrix connected: {mib:.1} MiB");
    assert!(rss > 0 && rss < 200 * 1024, "{rss} KiB");
    let password = account.1.as_bytes();
    let mut files = vec![both.db.clone()];
    files.extend(
        std::fs::read_dir(both.dir.path())
            .expect("dir")
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "log" || e == "json")),
    );
    for file in files {
        let bytes = std::fs::read(&file).unwrap_or_default();
        assert!(
            !bytes.windows(password.len()).any(|w| w == password),
            "the Matrix password is in {}",
            file.display()
        );
    }
}
