//! Issue 14, several people in the team, on the real binary against the fake
//! Bot API: two owners answer the same ticket at once, interleaved, in one
//! `getUpdates` batch and then in many. The customer gets every answer exactly
//! once, in the order the owners sent them, each signed with its sender's
//! name (one from `[owners] names`, one from Telegram's first name).

#[path = "support/bot_process.rs"]
mod bot_process;
mod fake_telegram;
#[path = "support/process.rs"]
mod process;

use std::path::PathBuf;
use std::time::Duration;

use bot_process::{BotProcess, copy_shop, settle};
use fake_telegram::{Customer, FakeTelegram, Seen};

const T: Duration = Duration::from_mins(1);
const MARTA: i64 = 111_111;
const LUIS: i64 = 222_222;
const NO_OWNERS: &str = "[owners]\ntelegram = []\nmatrix = []";
const ENV: [(&str, &str); 1] = [("SHOPBOT_TELEGRAM_RATE_LIMIT", "off")];

struct Run {
    fake: FakeTelegram,
    _dir: tempfile::TempDir,
    db: PathBuf,
    bot: BotProcess,
}

impl Run {
    async fn start() -> Self {
        Self::start_with("").await
    }

    /// With `extra` sections after `[owners]`.
    async fn start_with(extra: &str) -> Self {
        let fake = FakeTelegram::start().await;
        fake.set_strict(false);
        let dir = tempfile::tempdir().expect("temp dir");
        let shop = copy_shop("small", dir.path());
        let text = std::fs::read_to_string(&shop).expect("read shop");
        assert!(text.contains(NO_OWNERS));
        let owners = format!(
            "[owners]\ntelegram = [{MARTA}, {LUIS}]\nmatrix = []\nsign = true\n\
             names = {{ \"{MARTA}\" = \"Marta\" }}\n{extra}"
        );
        std::fs::write(&shop, text.replace(NO_OWNERS, &owners)).expect("write shop");
        let db = dir.path().join("shop.db");
        let bot = bot_process::start_polling(&fake, &shop, &db, &ENV).await;
        Self {
            fake,
            _dir: dir,
            db,
            bot,
        }
    }

    fn count(&self, sql: &str) -> i64 {
        let conn = rusqlite::Connection::open(&self.db).expect("open db");
        conn.query_row(sql, [], |r| r.get(0))
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    async fn wait(&self, who: &Customer, needle: &str) {
        self.wait_for(who, needle).await;
    }

    async fn wait_for(&self, who: &Customer, needle: &str) -> Seen {
        who.wait_for_text(needle, T)
            .await
            .unwrap_or_else(|e| panic!("{e}\n{}", self.bot.log_text()))
    }
}

/// The team's answers the customer got, in the order they arrived.
fn answers(who: &Customer) -> Vec<String> {
    who.bot_messages()
        .into_iter()
        .filter(|m| m.text.starts_with("💬"))
        .map(|m| m.text)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_owners_answering_one_ticket_at_once_reach_the_customer_once_each_in_order_signed() {
    const EACH: usize = 20;
    let run = Run::start().await;
    let marta = run.fake.customer(MARTA, "Marta");
    let luis = run.fake.customer(LUIS, "Luis");
    luis.set_username(Some("luis_shop"));
    for owner in [&marta, &luis] {
        owner.send_text("/help");
        run.wait(owner, "Owner commands").await;
    }
    let ana = run.fake.customer(9001, "Ana");
    ana.send_text("/start");
    run.wait(&ana, "What would you like to do?").await;
    ana.press_button("Talk to a person").expect("the button");
    run.wait(&ana, "Ticket #1").await;
    run.wait(&marta, "Ticket #1").await;
    run.wait(&luis, "Ticket #1").await;
    settle(&run.fake, &run.db).await;

    let mut expected = Vec::new();
    // One batch: both owners write while the bot cannot poll.
    run.fake.pause();
    for i in 0..EACH {
        marta.send_text(&format!("/reply 1 m{i:02}"));
        expected.push(format!("💬 Marta from Test Bricks: m{i:02}"));
        luis.send_text(&format!("/reply 1 l{i:02} \u{202e} RTL <b>&amp;"));
        expected.push(format!(
            "💬 Luis from Test Bricks: l{i:02} \u{202e} RTL <b>&amp;"
        ));
    }
    assert_eq!(run.fake.pending_count(), 2 * EACH);
    run.fake.resume();
    run.wait(&ana, &format!("l{:02}", EACH - 1)).await;

    // Many batches: the same, with the bot polling between them.
    for i in EACH..2 * EACH {
        marta.send_text(&format!("/reply 1 m{i:02}"));
        expected.push(format!("💬 Marta from Test Bricks: m{i:02}"));
        if i % 3 == 0 {
            tokio::time::sleep(Duration::from_millis(15)).await;
        }
        luis.send_text(&format!("/reply 1 l{i:02} \u{202e} RTL <b>&amp;"));
        expected.push(format!(
            "💬 Luis from Test Bricks: l{i:02} \u{202e} RTL <b>&amp;"
        ));
        if i % 2 == 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    run.wait(&ana, &format!("l{:02}", 2 * EACH - 1)).await;
    settle(&run.fake, &run.db).await;

    assert_eq!(answers(&ana), expected, "{}", run.bot.log_text());
    for (owner, n) in [(&marta, "m"), (&luis, "l")] {
        let told = owner
            .bot_messages()
            .iter()
            .filter(|m| m.text.contains("✓ Sent to ticket #1"))
            .count();
        assert_eq!(told, 2 * EACH, "{n}");
    }
    assert_eq!(
        run.count("SELECT COUNT(*) FROM history WHERE who = 'team'"),
        i64::try_from(4 * EACH).expect("small")
    );
    assert_eq!(
        run.count("SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL"),
        0
    );
}

/// The owner sells from the ticket on the real binary: a canned reply from the
/// notice's button, a product card with its photo whose "Add to cart" works
/// in the customer's chat, and a coupon that the cart then shows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_owner_sends_a_card_a_coupon_and_a_canned_reply_from_the_phone() {
    let run = Run::start_with(
        "\n[[replies]]\nid = \"shipping\"\ntext = \"We ship within 24 hours.\"\n\
         i18n.es.text = \"Enviamos en 24 horas.\"\n",
    )
    .await;
    let marta = run.fake.customer(MARTA, "Marta");
    marta.send_text("/help");
    run.wait(&marta, "Owner commands").await;
    let ana = run.fake.customer(9001, "Ana");
    ana.send_text("/start");
    run.wait(&ana, "What would you like to do?").await;
    ana.send_text("/lang es");
    run.wait(&ana, "Menú principal").await;
    ana.press_button("persona").expect("the button");
    run.wait(&marta, "Ticket #1").await;
    run.wait(&marta, "Past orders: none").await;

    // The notice's canned-reply button: the Spanish text, signed.
    marta
        .press_button("↩ shipping")
        .expect("the canned reply's button");
    run.wait(&ana, "💬 Marta de Test Bricks: Enviamos en 24 horas.")
        .await;

    // The card, with its photo; "Add to cart" works in the customer's chat.
    marta.send_text("/send 1 castle");
    run.wait(&marta, "✓ Card of Knight's Castle sent to ticket #1")
        .await;
    let card = run.wait_for(&ana, "Castillo del caballero").await;
    assert!(card.has_photo, "the card goes with its photo");
    ana.press_button("Añadir").expect("the card's button");
    run.wait(&ana, "Añadido al carrito: Castillo del caballero")
        .await;
    settle(&run.fake, &run.db).await;

    // The coupon reaches the cart.
    marta.send_text("/coupon 1 welcome10");
    run.wait(&marta, "✓ Coupon WELCOME10 given to ticket #1")
        .await;
    run.wait(&ana, "🎁 El equipo te ha regalado el cupón WELCOME10")
        .await;
    ana.press_button("Volver a la tienda")
        .expect("back to the shop");
    run.wait(&ana, "vuelves a estar con el bot").await;
    ana.send_text("/cart");
    run.wait(&ana, "WELCOME10").await;
    settle(&run.fake, &run.db).await;
    assert_eq!(
        run.count("SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL"),
        0
    );
}
