//! The real `shopbot run` on a real Synapse, with a real (encrypting) Matrix
//! client as the customer. Skipped, loudly, when no Synapse is available; run
//! through `scripts/test`, which starts one.

#[path = "support/matrix_customer.rs"]
mod matrix_customer;
#[path = "support/process.rs"]
mod process;
#[path = "support/synapse.rs"]
mod synapse;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use matrix_customer::{MatrixCustomer, SeenEvent};
use matrix_sdk::ruma::{OwnedRoomId, OwnedUserId, UserId};
use process::{BotProcess, copy_shop};
use synapse::Synapse;

const T: Duration = Duration::from_mins(1);

/// A copy of the small test shop with a `[matrix]` table for a fresh bot account,
/// and where its database goes.
struct Setup {
    dir: tempfile::TempDir,
    shop: PathBuf,
    db: PathBuf,
    bot_id: OwnedUserId,
}

fn matrix_shop(syn: &Synapse) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let (bot, password) = syn.register("shopbot");
    let shop = copy_shop("small", dir.path());
    std::fs::write(dir.path().join("matrix.password"), format!("{password}\n")).unwrap();
    let mut text = std::fs::read_to_string(&shop).unwrap();
    let _ = write!(
        text,
        "\n[matrix]\nhomeserver = \"{}\"\nuser = \"{bot}\"\npassword_file = \"matrix.password\"\n",
        syn.url()
    );
    std::fs::write(&shop, text).unwrap();
    let db = dir.path().join("shop.db");
    Setup {
        dir,
        shop,
        db,
        bot_id: UserId::parse(bot.as_str()).unwrap(),
    }
}

/// Starts the bot and waits until its device exists (logged in, first sync done):
/// a message encrypted before the bot had a device could never be read by it.
async fn start_bot(shop: &Path, db: &Path) -> BotProcess {
    let bot = BotProcess::spawn(shop, db, &[]);
    let deadline = Instant::now() + T;
    while !bot.log_text().contains("matrix: listening") {
        assert!(
            Instant::now() < deadline,
            "the bot did not connect\n{}",
            bot.log_text()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    bot
}

fn count(db: &Path, sql: &str) -> i64 {
    let conn = rusqlite::Connection::open(db).expect("open db");
    conn.query_row(sql, [], |r| r.get(0)).expect("query")
}

/// A customer in an encrypted direct chat with the bot.
struct Chat {
    customer: MatrixCustomer,
    room: OwnedRoomId,
    bot: OwnedUserId,
}

impl Chat {
    async fn open(syn: &Synapse, bot: &UserId, encrypted: bool) -> Self {
        let (user, password) = syn.register("customer");
        let customer = MatrixCustomer::login(syn.url(), &user, &password).await;
        let room = customer.create_dm(bot, encrypted).await;
        Self {
            customer,
            room,
            bot: bot.to_owned(),
        }
    }

    fn seen(&self) -> usize {
        self.customer.messages(&self.room).len()
    }

    /// The first bot message after the first `after` messages that contains `needle`.
    async fn bot_says(&self, after: usize, needle: &str, log: &BotProcess) -> SeenEvent {
        let bot = self.bot.clone();
        let deadline = Instant::now() + T;
        loop {
            let found = self
                .customer
                .messages(&self.room)
                .into_iter()
                .skip(after)
                .find(|m| m.sender == bot && m.body.contains(needle));
            if let Some(m) = found {
                return m;
            }
            assert!(
                Instant::now() < deadline,
                "no bot message with {needle:?}\n{}\n--- bot log ---\n{}",
                self.customer.describe(&self.room),
                log.log_text()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Types `text`, then waits for the bot's answer containing `needle`.
    async fn say(&self, text: &str, needle: &str, log: &BotProcess) -> SeenEvent {
        let before = self.seen();
        self.customer.send_text(&self.room, text).await;
        self.bot_says(before, needle, log).await
    }

    /// Taps reaction shortcut `number` on `message` (after the bot put it there).
    async fn react(
        &self,
        message: &SeenEvent,
        number: usize,
        needle: &str,
        log: &BotProcess,
    ) -> SeenEvent {
        let key = if number == 10 {
            "🔟".to_owned()
        } else {
            format!("{number}\u{fe0f}\u{20e3}")
        };
        let deadline = Instant::now() + T;
        while !self
            .customer
            .messages(&self.room)
            .iter()
            .any(|m| m.event_id == message.event_id && m.reactions_by(&self.bot).contains(&key))
        {
            assert!(
                Instant::now() < deadline,
                "the bot never offered {key}\n{}",
                log.log_text()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let before = self.seen();
        self.customer
            .react(&self.room, &message.event_id, &key)
            .await;
        self.bot_says(before, needle, log).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_encrypted_dm_from_invite_to_order_and_on_after_a_restart() {
    let Some(syn) = Synapse::shared() else { return };
    let Setup {
        dir,
        shop,
        db,
        bot_id,
    } = matrix_shop(&syn);
    let mut bot = start_bot(&shop, &db).await;
    let ana = Chat::open(&syn, &bot_id, true).await;
    // Written before the bot accepted the invite: still answered, once.
    ana.customer.send_text(&ana.room, "/start").await;
    let welcome = ana.bot_says(0, "Welcome to Test Bricks", &bot).await;
    assert!(
        welcome.encrypted,
        "the bot answered in clear in an encrypted room"
    );
    assert_eq!(welcome.msgtype, "m.notice");
    let menu = ana.bot_says(0, "What would you like to do?", &bot).await;
    let html = menu.formatted_body.clone().unwrap_or_default();
    assert!(
        html.contains("<ol start=\"1\"><li>🎁 Find a gift</li>"),
        "{html}"
    );
    assert!(menu.body.contains("1. 🎁 Find a gift"), "{}", menu.body);
    // By reaction, by typed number, by typed label.
    let q1 = ana.react(&menu, 1, "Question 1 of 3", &bot).await;
    assert!(q1.body.contains("1. A child"));
    let q2 = ana.say("1", "Question 2 of 3", &bot).await;
    ana.react(&q2, 3, "Question 3 of 3", &bot).await;
    let before = ana.seen();
    ana.customer.send_text(&ana.room, "castles").await;
    ana.bot_says(before, "Would you like something else?", &bot)
        .await;
    let card = ana.bot_says(before, "Knight's Castle", &bot).await;
    assert!(card.is_image, "the product card is not an image: {card:?}");
    // Buttons are numbered across the turn: the tower's "Add to cart" is 3.
    let tower = ana.bot_says(before, "Wizard Tower", &bot).await;
    assert!(tower.body.contains("3. Add to cart"), "{}", tower.body);
    ana.say("3", "Added Wizard Tower", &bot).await;
    let delivery = ana.say("2", "How would you like to receive", &bot).await;
    ana.react(&delivery, 2, "What is your name?", &bot).await;
    ana.say("Ana Pop", "What phone number", &bot).await;
    ana.say("600 123 456", "Any note for us", &bot).await;
    ana.say("skip", "occasional news", &bot).await;
    let pay = ana.say("2", "How would you like to pay?", &bot).await;
    assert!(
        !pay.body.contains("Pay in Telegram"),
        "Telegram Payments offered on Matrix"
    );
    ana.say("1", "Please check your order", &bot).await;
    ana.say("1", "Your order number is #1001", &bot).await;
    let room = ana.room.to_string();
    assert_eq!(
        count(
            &db,
            &format!("SELECT COUNT(*) FROM orders WHERE channel = 'matrix' AND chat_id = '{room}'")
        ),
        1
    );

    // A restart: same device, same keys, same encrypted room.
    bot.kill9();
    let bot = start_bot(&shop, &db).await;
    let orders = ana.say("/orders", "#1001", &bot).await;
    assert!(orders.encrypted);
    // Every customer message was answered once; the bot never answered itself.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let all = ana.customer.messages(&ana.room);
    let welcomes = all
        .iter()
        .filter(|m| m.body.contains("Welcome to Test Bricks"))
        .count();
    let placed = all
        .iter()
        .filter(|m| m.body.contains("Your order number is"))
        .count();
    let confused = all
        .iter()
        .filter(|m| m.body.contains("not sure I understood"))
        .count();
    assert_eq!(
        (welcomes, placed, confused),
        (1, 1, 0),
        "{}",
        ana.customer.describe(&ana.room)
    );
    assert!(
        !bot.log_text().contains(
            &std::fs::read_to_string(dir.path().join("matrix.password"))
                .unwrap()
                .trim()
                .to_owned()
        )
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_crypto_store_stops_the_start_with_what_to_do() {
    let Some(syn) = Synapse::shared() else { return };
    let Setup {
        dir,
        shop,
        db,
        bot_id,
    } = matrix_shop(&syn);
    let mut bot = start_bot(&shop, &db).await;
    let ana = Chat::open(&syn, &bot_id, true).await;
    ana.customer.send_text(&ana.room, "/cart").await;
    ana.bot_says(0, "Your cart is empty", &bot).await;
    bot.terminate();
    assert!(
        bot.wait_exit(Duration::from_secs(15))
            .is_some_and(|s| s.success()),
        "{}",
        bot.log_text()
    );
    std::fs::remove_dir_all(dir.path().join("matrix-store")).unwrap();
    let mut again = BotProcess::spawn(&shop, &db, &[]);
    let status = again
        .wait_exit(Duration::from_secs(30))
        .expect("refuses to start");
    assert!(!status.success());
    let log = again.log_text();
    assert!(
        log.contains("crypto store") && log.contains("matrix-session.json"),
        "{log}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bot_recovers_after_the_homeserver_restarts() {
    let Some(syn) = Synapse::private() else {
        return;
    };
    let Setup {
        dir: _dir,
        shop,
        db,
        bot_id,
    } = matrix_shop(&syn);
    let bot = start_bot(&shop, &db).await;
    let ana = Chat::open(&syn, &bot_id, true).await;
    ana.customer.send_text(&ana.room, "/start").await;
    ana.bot_says(0, "What would you like to do?", &bot).await;
    syn.stop();
    tokio::time::sleep(Duration::from_secs(3)).await;
    syn.start();
    ana.say("/cart", "Your cart is empty", &bot).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_the_bot_cannot_decrypt_is_answered_not_dropped() {
    let Some(syn) = Synapse::shared() else { return };
    let Setup {
        dir: _dir,
        shop,
        db,
        bot_id,
    } = matrix_shop(&syn);
    // The bot has no device yet: nobody can encrypt for it.
    let bo = Chat::open(&syn, &bot_id, true).await;
    bo.customer
        .send_text(&bo.room, "do you have castles?")
        .await;
    let bot = start_bot(&shop, &db).await;
    bo.bot_says(0, "I couldn't read your last message", &bot)
        .await;
    // Written again, now that the bot is here: answered.
    bo.say("/cart", "Your cart is empty", &bot).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn homeserver_rate_limits_delay_replies_but_lose_and_reorder_nothing() {
    let Some(syn) = Synapse::private() else {
        return;
    };
    // Registration first (it is limited too), then real message limits for everyone.
    let Setup {
        dir: _dir,
        shop,
        db,
        bot_id,
    } = matrix_shop(&syn);
    let (user, password) = syn.register("customer");
    syn.stop();
    std::fs::write(
        syn.dir().join("extra.yaml"),
        "rc_message:\n  per_second: 1\n  burst_count: 2\n",
    )
    .unwrap();
    syn.start();
    let bot = start_bot(&shop, &db).await;
    let customer = MatrixCustomer::login(syn.url(), &user, &password).await;
    let room = customer.create_dm(&bot_id, true).await;
    let ana = Chat {
        customer,
        room,
        bot: bot_id.clone(),
    };
    let started = Instant::now();
    ana.customer.send_text(&ana.room, "/start").await;
    let menu = ana.bot_says(0, "What would you like to do?", &bot).await;
    ana.react(&menu, 2, "Which category", &bot).await;
    ana.say("1", "Tap a product", &bot).await;
    // Some 20 events (replies and reaction shortcuts) at one a second after a
    // burst of two: the homeserver held the bot back (matrix-sdk and shopbot
    // retry after `retry_after_ms`)…
    let took = started.elapsed();
    assert!(
        took > Duration::from_secs(8),
        "the limit never applied: {took:?}"
    );
    // …and every reply still arrived once, in the order the bot wrote them.
    let bot_texts: Vec<String> = ana
        .customer
        .messages(&ana.room)
        .into_iter()
        .filter(|m| m.sender == bot_id)
        .map(|m| m.body.lines().next().unwrap_or("").to_owned())
        .collect();
    let expected = [
        "Hello! Welcome to Test Bricks",
        "What would you like to do?",
        "Which category",
        "Castles — page 1",
    ];
    assert_eq!(bot_texts.len(), expected.len(), "{bot_texts:#?}");
    for (got, want) in bot_texts.iter().zip(expected) {
        assert!(got.starts_with(want), "{bot_texts:#?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_a_room_of_several_people_the_bot_answers_only_when_addressed() {
    let Some(syn) = Synapse::shared() else { return };
    let Setup {
        dir: _dir,
        shop,
        db,
        bot_id,
    } = matrix_shop(&syn);
    let bot = start_bot(&shop, &db).await;
    let (a, a_pw) = syn.register("cy");
    let (b, b_pw) = syn.register("dee");
    let cy = MatrixCustomer::login(syn.url(), &a, &a_pw).await;
    let dee = MatrixCustomer::login(syn.url(), &b, &b_pw).await;
    let dee_id = dee.user_id().to_owned();
    let room = cy.create_group(&[&bot_id, &dee_id]).await;
    dee.join(&room).await;
    cy.wait_for_join(&room, &bot_id, T).await.unwrap();
    cy.wait_for_join(&room, &dee_id, T).await.unwrap();
    let group = Chat {
        customer: cy,
        room,
        bot: bot_id.clone(),
    };
    group
        .customer
        .send_text(&group.room, "hello everyone, nice castles")
        .await;
    group.customer.send_text(&group.room, "2").await;
    group
        .say(
            &format!("{bot_id} how much is shipping?"),
            "Shipping is €4.90",
            &bot,
        )
        .await;
    group
        .say(
            &format!("{}: /cart", bot_id.localpart()),
            "Your cart is empty",
            &bot,
        )
        .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let from_bot: Vec<String> = group
        .customer
        .messages(&group.room)
        .into_iter()
        .filter(|m| m.sender == bot_id)
        .map(|m| m.body)
        .collect();
    assert_eq!(
        from_bot.len(),
        2,
        "answered what was not for it: {from_bot:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invites_from_outside_the_allow_list_are_refused() {
    let Some(syn) = Synapse::shared() else { return };
    let Setup {
        dir: _dir,
        shop,
        db,
        bot_id,
    } = matrix_shop(&syn);
    let text = std::fs::read_to_string(&shop).unwrap();
    std::fs::write(
        &shop,
        format!("{text}allow = [\"@nobody:elsewhere.example\"]\n"),
    )
    .unwrap();
    let bot = start_bot(&shop, &db).await;
    let eve = Chat::open(&syn, &bot_id, false).await;
    eve.customer.send_text(&eve.room, "/start").await;
    let deadline = Instant::now() + T;
    while !bot.log_text().contains("invite refused") {
        assert!(
            Instant::now() < deadline,
            "the invite was not refused\n{}",
            bot.log_text()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(
        eve.customer
            .messages(&eve.room)
            .iter()
            .all(|m| m.sender != bot_id),
        "the bot answered a refused room"
    );
    assert_eq!(count(&db, "SELECT COUNT(*) FROM sessions"), 0);
}
