//! Trust at the edges (issue 11, items 3 and 10), end to end and by property:
//!
//! - one addressing rule for every channel ("is this group message for the bot,
//!   and what remains"): no text can panic it, and what remains is the original
//!   with one name removed — tried on arbitrary Unicode, and on the running bot
//!   in a Telegram group and a Matrix room with characters whose lowercase has
//!   another length (the old rules cut inside them and the process died);
//! - a quiet log: a normal run on both channels logs no WARN and no ERROR.
//!
//! The Matrix tests need a Synapse (skipped, loudly, without one: run
//! `scripts/test`). `PROPTEST_CASES=20000 cargo test --test edges` runs longer.

#[path = "support/both.rs"]
mod both;
mod fake_telegram;
#[path = "support/matrix_customer.rs"]
mod matrix_customer;
#[path = "support/process.rs"]
mod process;
#[path = "support/synapse.rs"]
mod synapse;

use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use both::{Both, Mx, Owners, T};
use fake_telegram::FakeTelegram;
use matrix_customer::MatrixCustomer;
use proptest::prelude::*;
use shopbot::channels::addressing::{Addressed, Names, Signals, addressed};
use synapse::Synapse;

const TELEGRAM: Names<'static> = Names {
    handles: &["@shop_test_bot"],
    prefixes: &[],
};
const MATRIX: Names<'static> = Names {
    handles: &["@kiosk:localhost"],
    prefixes: &["kiosk:"],
};

/// Characters that broke byte offsets taken from a lowercased copy, and others
/// that tend to break text handling.
const DANGEROUS: &[&str] = &[
    "\u{212a}", // Kelvin sign: lowercase "k", 3 bytes → 1
    "\u{212b}", // Angstrom sign
    "\u{130}",  // İ: lowercase "i̇", 2 bytes → 3
    "\u{23a}",  // Ⱥ: lowercase 2 bytes → 3
    "\u{1e9e}", // ẞ
    "Σ", "ς", "\u{301}",  // combining acute
    "\u{202e}", // right-to-left override
    "\u{200b}", // zero-width space
    "\u{200d}", // zero-width joiner
    "\u{feff}", "שלום", "🏰", "@", ":", "/", " ", "\n",
];

/// Text made of the bot's names (in odd cases, with Kelvin signs for k), the
/// dangerous characters, and anything else.
fn hostile_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        proptest::sample::select(DANGEROUS).prop_map(str::to_owned),
        proptest::sample::select(
            &[
                "@shop_test_bot",
                "@SHOP_TEST_BOT",
                "/start@shop_test_bot",
                "/start@other",
                "@kiosk:localhost",
                "@KIOSK:LOCALHOST",
                "kiosk:",
                "kios\u{212a}:",
                "\u{212a}iosk:",
                "@kiosk",
            ][..]
        )
        .prop_map(str::to_owned),
        "\\PC{0,8}",
        ".{0,4}",
    ];
    proptest::collection::vec(piece, 0..12).prop_map(|pieces| pieces.concat())
}

/// The promise of [`Addressed`]: a range on character boundaries of the
/// original, empty, at the start, or one handle as written; the text is the
/// original without it, trimmed.
fn check(original: &str, names: &Names<'_>, a: &Addressed) -> Result<(), TestCaseError> {
    let r = a.removed.clone();
    prop_assert!(r.start <= r.end && r.end <= original.len());
    prop_assert!(original.is_char_boundary(r.start) && original.is_char_boundary(r.end));
    let joined = format!("{}{}", &original[..r.start], &original[r.end..]);
    prop_assert_eq!(a.text.as_str(), joined.trim());
    let cut = &original[r.clone()];
    prop_assert!(
        r.is_empty() || r.start == 0 || names.handles.iter().any(|h| h.eq_ignore_ascii_case(cut)),
        "removed {:?} from {:?}",
        cut,
        original
    );
    if r.start == 0 {
        prop_assert!(original.trim_end().ends_with(a.text.as_str()));
    }
    Ok(())
}

proptest! {
    #[test]
    fn the_addressing_rule_never_panics_and_removes_only_a_name(
        text in hostile_text(),
        mentioned: bool,
        reply: bool,
    ) {
        for names in [&TELEGRAM, &MATRIX] {
            if let Some(a) = addressed(&text, names, Signals { mentioned, reply }) {
                check(&text, names, &a)?;
            } else {
                // Not for us: no name anywhere, and nothing else says it is
                // (or a command to another bot).
                prop_assert!((!mentioned && !reply) || text.starts_with('/'));
            }
        }
    }

    #[test]
    fn arbitrary_unicode_never_panics_the_addressing_rule(text in "\\PC{0,300}") {
        for names in [&TELEGRAM, &MATRIX] {
            if let Some(a) = addressed(&text, names, Signals::default()) {
                check(&text, names, &a)?;
            }
        }
    }

    #[test]
    fn a_name_in_front_leaves_the_rest(rest in "\\PC{0,60}", sep in "[ :,]{0,3}") {
        let text = format!("@Shop_Test_Bot{sep} {rest}");
        let a = addressed(&text, &TELEGRAM, Signals::default()).expect("named");
        check(&text, &TELEGRAM, &a)?;
        prop_assert!(rest.trim().ends_with(a.text.as_str()));
    }
}

/// The Kelvin sign shrinks when lowercased and Ⱥ grows by as much: the old
/// Telegram rule found the mention in the lowercased copy and cut the original
/// inside the Kelvin sign — the process died, and again on every restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_telegram_group_mention_next_to_odd_unicode_is_answered_and_the_bot_lives() {
    let fake = FakeTelegram::start().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let shop = process::copy_shop("small", dir.path());
    let db = dir.path().join("shop.db");
    let api = fake.api_url();
    let mut bot = process::BotProcess::spawn(
        &shop,
        &db,
        &[
            ("SHOPBOT_TELEGRAM_TOKEN", FakeTelegram::TOKEN),
            ("TELOXIDE_API_URL", api.as_str()),
        ],
    );
    fake.wait_for_polling(T)
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", bot.log_text()));
    let group = fake.group(-100_600, "Brick fans");
    let cy = group.member(3003, "Cy");
    let dee = group.member(3004, "Dee");
    let me = FakeTelegram::BOT_USERNAME;
    let from_bot = || group.messages().into_iter().filter(|m| m.from_bot).count();
    dee.send_text("chatter among people");
    for (who, text) in [
        (&cy, format!("\u{212a} @{me} \u{23a}\u{23a}")),
        (&cy, format!("\u{130}\u{130} @{me} \u{212a}")),
        (&dee, format!("@{me} how much is shipping?")),
    ] {
        let before = from_bot();
        who.send_text(&text);
        let deadline = std::time::Instant::now() + T;
        while from_bot() == before {
            assert!(
                bot.wait_exit(Duration::from_millis(30)).is_none(),
                "the bot died on {text:?}\n{}",
                bot.log_text()
            );
            assert!(
                std::time::Instant::now() < deadline,
                "{text:?} was not answered\n{}",
                bot.log_text()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    let replies: Vec<String> = group
        .messages()
        .into_iter()
        .filter(|m| m.from_bot)
        .map(|m| m.text)
        .collect();
    assert!(
        replies.iter().any(|t| t.contains("Shipping is €4.90")),
        "{replies:#?}"
    );
    assert!(
        bot.wait_exit(Duration::from_millis(30)).is_none(),
        "{}",
        bot.log_text()
    );
}

/// A Matrix account whose name ends in "k" (the Kelvin sign lowercases to "k").
fn register_kiosk(syn: &Synapse) -> (String, String) {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_nanos();
    let name = format!("shop{}x{}k", std::process::id(), nanos % 1_000_000_000);
    let password = format!("pw-{name}");
    let script = std::env::var("SHOPBOT_TEST_SYNAPSE_SCRIPT").expect("script");
    let out = Command::new(script)
        .args([
            "register",
            syn.dir().to_str().expect("utf-8"),
            &name,
            &password,
        ])
        .stdin(Stdio::null())
        .output()
        .expect("register runs");
    assert!(out.status.success(), "{out:?}");
    (format!("@{name}:localhost"), password)
}

/// In a Matrix room of several people, "name:" with the name's last "k" written
/// as a Kelvin sign: the old rule lowercased the text, matched "name:" and cut
/// the original two bytes short, inside the Kelvin sign — the process died.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_matrix_group_message_with_a_kelvin_sign_in_the_name_keeps_the_bot_alive() {
    let Some(syn) = Synapse::shared() else { return };
    let account = register_kiosk(&syn);
    let mut both = Both::start_as(&syn, &account, &Owners::default()).await;
    let users = syn.register_all(&["cy", "dee"]);
    let cy = MatrixCustomer::login(syn.url(), &users[0].0, &users[0].1).await;
    let dee = MatrixCustomer::login(syn.url(), &users[1].0, &users[1].1).await;
    let dee_id = dee.user_id().to_owned();
    let room = cy.create_group(&[&both.bot_id, &dee_id]).await;
    dee.join(&room).await;
    cy.wait_for_join(&room, &both.bot_id, T).await.unwrap();
    cy.wait_for_join(&room, &dee_id, T).await.unwrap();
    let group = Mx {
        user: cy,
        room,
        bot: both.bot_id.clone(),
    };
    let name = both.bot_id.localpart().to_owned();
    let kelvin = format!("{}\u{212a}", &name[..name.len() - 1]);
    let after = group.mark();
    group
        .user
        .send_text(&group.room, &format!("{kelvin}: /cart"))
        .await;
    group
        .user
        .send_text(&group.room, &format!("{kelvin}:example /cart"))
        .await;
    group
        .say(
            &both,
            &format!("{name}: how much is shipping?"),
            "Shipping is €4.90",
        )
        .await;
    assert!(
        both.bot.wait_exit(Duration::from_millis(30)).is_none(),
        "{}",
        both.log()
    );
    // The Kelvin sign is not the letter k: those two were not for the bot.
    let answers = group.bot_messages_after(after);
    assert_eq!(answers.len(), 1, "{answers:#?}");
}

/// Lines of a log at level WARN or ERROR (colours stripped).
fn loud_lines(log: &str) -> Vec<String> {
    log.lines()
        .map(strip_ansi)
        .filter(|line| {
            line.split_whitespace()
                .nth(1)
                .is_some_and(|level| level == "WARN" || level == "ERROR")
        })
        .collect()
}

fn strip_ansi(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// A normal run — both channels, a customer on each, a restart — logs no WARN
/// and no ERROR: a seller reading the journal sees trouble only when there is
/// some. (matrix-sdk warned on every sync and send that there is no key backup,
/// and logged two 404s for secret storage at every start.)
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_normal_run_on_both_channels_logs_no_warnings_or_errors() {
    let Some(syn) = Synapse::shared() else { return };
    let users = syn.register_all(&["shopbot", "ana"]);
    let mut both = Both::start_as(&syn, &users[0], &Owners::default()).await;
    let tg = both.telegram(5005, "Bo");
    tg.say(&both, "/start", "What would you like to do?").await;
    tg.tap(&both, "Find a gift", "Question 1 of 3").await;
    let ana = Mx::open(&syn, &users[1], &both.bot_id).await;
    let menu = ana.say(&both, "/start", "What would you like to do?").await;
    ana.tap(&both, &menu, "Find a gift", "Question 1 of 3")
        .await;
    // A few syncs and sends more, then a restart and one more turn each.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let first = both.bot.log_text();
    both.restart().await;
    tg.say(&both, "/cart", "Your cart is empty").await;
    ana.say(&both, "/cart", "Your cart is empty").await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let log = both.log();
    // The very first start of a new device may race its own key upload in
    // matrix-sdk (a key query for the bot's own user answered before the upload
    // lands): one known warning, never again after that.
    let loud: Vec<String> = loud_lines(&first)
        .into_iter()
        .filter(|l| !l.contains("Our own device might have been deleted"))
        .chain(loud_lines(&both.bot.log_text()))
        .collect();
    assert!(loud.is_empty(), "{loud:#?}\n{log}");
    assert!(log.contains("matrix: listening"), "{log}");
}
