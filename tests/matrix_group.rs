//! Group commit on Matrix, through the real `shopbot run` on a real Synapse: the
//! events of one sync become turns that commit together. Several customers'
//! messages arrive in one sync (written while the bot was down); a kill inside
//! the group commit, then a poison message in the middle of a sync. Every
//! message is answered exactly once, in each room in the order it was written.

#[path = "support/matrix_customer.rs"]
mod matrix_customer;
#[path = "support/process.rs"]
mod process;
#[path = "support/synapse.rs"]
mod synapse;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use matrix_customer::MatrixCustomer;
use matrix_sdk::ruma::{OwnedRoomId, OwnedUserId, UserId};
use process::{BotProcess, copy_shop};
use synapse::Synapse;

const T: Duration = Duration::from_secs(90);
const OFF: (&str, &str) = ("SHOPBOT_MATRIX_RATE_LIMIT", "off");

const ORDERS: &str = "You have no orders yet";
const CART: &str = "Your cart is empty";
const APOLOGY: &str = "something went wrong on our side";

/// A copy of the small shop with a `[matrix]` table for a fresh bot account.
fn matrix_shop(syn: &Synapse) -> (tempfile::TempDir, PathBuf, PathBuf, OwnedUserId) {
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
    (dir, shop, db, UserId::parse(bot.as_str()).unwrap())
}

async fn start_bot(shop: &Path, db: &Path, env: &[(&str, &str)]) -> BotProcess {
    let bot = BotProcess::spawn(shop, db, env);
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

fn stop(mut bot: BotProcess) {
    bot.terminate();
    assert!(
        bot.wait_exit(Duration::from_secs(20))
            .is_some_and(|s| s.success()),
        "the bot did not stop cleanly\n{}",
        bot.log_text()
    );
}

struct Chat {
    customer: MatrixCustomer,
    room: OwnedRoomId,
    bot: OwnedUserId,
}

impl Chat {
    async fn open(syn: &Synapse, bot: &UserId, encrypted: bool) -> Self {
        let (user, password) = syn.register("grouped");
        let customer = MatrixCustomer::login(syn.url(), &user, &password).await;
        let room = customer.create_dm(bot, encrypted).await;
        Self {
            customer,
            room,
            bot: bot.to_owned(),
        }
    }

    /// The bot's messages that contain one of `NEEDLES`, as those needles, in
    /// timeline order.
    fn answers(&self) -> Vec<&'static str> {
        self.customer
            .messages(&self.room)
            .into_iter()
            .filter(|m| m.sender == self.bot)
            .filter_map(|m| {
                [ORDERS, CART, APOLOGY]
                    .into_iter()
                    .find(|n| m.body.contains(n))
            })
            .collect()
    }

    /// Waits until the bot's answers are at least `want` long.
    async fn wait_answers(&self, want: usize, log: &BotProcess) {
        let deadline = Instant::now() + T;
        while self.answers().len() < want {
            assert!(
                Instant::now() < deadline,
                "{}: {} of {want} answers\n{}\n--- bot log ---\n{}",
                self.room,
                self.answers().len(),
                self.customer.describe(&self.room),
                log.log_text()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    fn expect(&self, want: &[&str]) {
        assert_eq!(
            self.answers(),
            want,
            "{}\n{}",
            self.room,
            self.customer.describe(&self.room)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_of_many_customers_survives_a_kill_inside_its_group_and_a_poison_message() {
    let Some(syn) = Synapse::shared() else { return };
    let (_dir, shop, db, bot_id) = matrix_shop(&syn);
    let bot = start_bot(&shop, &db, &[OFF]).await;
    // Six customers, half of them in encrypted rooms, each served once.
    let mut chats = Vec::new();
    for i in 0..6 {
        let chat = Chat::open(&syn, &bot_id, i % 2 == 0).await;
        chat.customer.send_text(&chat.room, "/orders").await;
        chat.wait_answers(1, &bot).await;
        chats.push(chat);
    }
    stop(bot);

    // Written while the bot is down: the next start finds them in one sync.
    for chat in &chats {
        chat.customer.send_text(&chat.room, "/cart").await;
        chat.customer.send_text(&chat.room, "/orders").await;
    }
    // Killed (abort) after the fourth turn of the group, before its commit:
    // which proves the twelve turns of the sync ran as one group.
    let mut killed = BotProcess::spawn(&shop, &db, &[OFF, ("SHOPBOT_TEST_ABORT_IN_GROUP", "4")]);
    let status = killed
        .wait_exit(T)
        .expect("the bot aborts inside the group");
    assert!(!status.success(), "{}", killed.log_text());
    assert!(
        killed
            .log_text()
            .contains("aborting inside a group, before its commit"),
        "{}",
        killed.log_text()
    );
    // Nothing of the group was committed, so nothing was answered.
    tokio::time::sleep(Duration::from_secs(1)).await;
    for chat in &chats {
        chat.expect(&[ORDERS]);
    }

    let bot = start_bot(&shop, &db, &[OFF]).await;
    for chat in &chats {
        chat.wait_answers(3, &bot).await;
    }
    stop(bot);

    // A message whose turn always fails, in the middle of the next sync.
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute_batch(
            "CREATE TRIGGER poison BEFORE INSERT ON history WHEN NEW.text = 'poison' \
             BEGIN SELECT RAISE(ABORT, 'poison'); END;",
        )
        .unwrap();
    let (victim, others) = chats.split_at(3).1.split_first().unwrap();
    for chat in &chats[..3] {
        chat.customer.send_text(&chat.room, "/cart").await;
    }
    victim.customer.send_text(&victim.room, "poison").await;
    victim.customer.send_text(&victim.room, "/orders").await;
    for chat in others {
        chat.customer.send_text(&chat.room, "/cart").await;
    }
    let bot = start_bot(&shop, &db, &[OFF]).await;
    victim.wait_answers(5, &bot).await;
    for chat in chats.iter().filter(|c| c.room != victim.room) {
        chat.wait_answers(4, &bot).await;
    }
    // Late duplicates would show up now.
    tokio::time::sleep(Duration::from_secs(3)).await;
    for chat in &chats {
        if chat.room == victim.room {
            chat.expect(&[ORDERS, CART, ORDERS, APOLOGY, ORDERS]);
        } else {
            chat.expect(&[ORDERS, CART, ORDERS, CART]);
        }
    }
    assert!(!bot.log_text().contains("panicked"), "{}", bot.log_text());
}
