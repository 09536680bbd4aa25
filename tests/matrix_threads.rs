//! Issue 14, item 2 on Matrix: a thread per ticket in the owners' room
//! (`[owners] matrix_room`), on a real Synapse. The ticket's notice is the
//! thread's root; the customer's messages and the closing notice go into it;
//! an owner's message in the thread (no reply, no mention) answers that
//! customer, and the bot's answer to the owner lands in the same thread; two
//! tickets, two threads. Skipped, loudly, without a Synapse: run `scripts/test`.

#[path = "support/both.rs"]
mod both;
mod fake_telegram;
#[path = "support/matrix_customer.rs"]
mod matrix_customer;
#[path = "support/process.rs"]
mod process;
#[path = "support/synapse.rs"]
mod synapse;

use std::time::{Duration, Instant};

use both::{Both, Mx, Owners, T, Tg, number_after};
use matrix_customer::{MatrixCustomer, SeenEvent};
use matrix_sdk::ruma::events::relation::Thread;
use matrix_sdk::ruma::events::room::message::{Relation, RoomMessageEventContent};
use matrix_sdk::ruma::{OwnedEventId, RoomId};
use synapse::Synapse;

/// Opens a ticket from a Telegram chat with "Talk to a person"; returns its number.
async fn tg_ticket(both: &Both, tg: &Tg) -> u64 {
    tg.say(both, "/start", "What would you like to do?").await;
    let ticket = tg.tap(both, "Talk to a person", "Ticket #").await;
    number_after(&ticket.text, "Ticket #").expect("a ticket number")
}

/// The root of the thread an event is in, if it is in one.
fn thread_of(event: &SeenEvent) -> Option<String> {
    let relation = &event.content["m.relates_to"];
    (relation["rel_type"] == "m.thread")
        .then(|| relation["event_id"].as_str().map(str::to_owned))
        .flatten()
}

/// Sends `text` in the thread of `root`, the way Element does: a thread
/// relation with the reply fallback to the thread's latest event.
async fn in_thread(
    user: &MatrixCustomer,
    room: &RoomId,
    notice: &OwnedEventId,
    latest: &OwnedEventId,
    text: &str,
) {
    let mut content = RoomMessageEventContent::text_plain(text);
    content.relates_to = Some(Relation::Thread(Thread::plain(
        notice.clone(),
        latest.clone(),
    )));
    user.room(room)
        .await
        .send(content)
        .await
        .unwrap_or_else(|e| panic!("cannot send {text:?} in a thread: {e}"));
}

/// Waits for a bot message containing `needle` in the thread of `root`.
async fn in_thread_says(both: &Both, boss: &Mx, root: &OwnedEventId, needle: &str) -> SeenEvent {
    let deadline = Instant::now() + T;
    loop {
        if let Some(m) = boss
            .bot_messages_after(0)
            .into_iter()
            .find(|m| m.body.contains(needle) && thread_of(m).as_deref() == Some(root.as_str()))
        {
            return m;
        }
        assert!(
            Instant::now() < deadline,
            "no {needle:?} in the thread of {root}\n{}\n{}",
            boss.user.describe(&boss.room),
            both.log()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn each_ticket_is_a_thread_in_the_owners_room_and_answers_in_it_reach_the_customer() {
    let Some(syn) = Synapse::shared() else { return };
    let users = syn.register_all(&["boss", "shopbot"]);
    let boss = MatrixCustomer::login(syn.url(), &users[0].0, &users[0].1).await;
    let bot_account = matrix_sdk::ruma::UserId::parse(users[1].0.as_str()).unwrap();
    let room = boss.create_group(&[&bot_account]).await;
    let both = Both::start_as(
        &syn,
        &users[1],
        &Owners {
            matrix: &[&users[0].0],
            matrix_room: Some(room.as_str()),
            ..Owners::default()
        },
    )
    .await;
    boss.wait_for_join(&room, &both.bot_id, T)
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", both.log()));
    let boss = Mx {
        user: boss,
        room: room.clone(),
        bot: both.bot_id.clone(),
    };

    // Two customers, two tickets, two notices: each the root of its thread.
    let ana = both.telegram(5005, "Ana");
    let bo = both.telegram(5006, "Bo");
    assert_eq!(tg_ticket(&both, &ana).await, 1);
    let root1 = boss.bot_says(&both, 0, "🎫 Ticket #1").await;
    assert_eq!(tg_ticket(&both, &bo).await, 2);
    let root2 = boss.bot_says(&both, 0, "🎫 Ticket #2").await;
    assert_eq!(thread_of(&root1), None, "a notice starts a thread");
    assert_eq!(thread_of(&root2), None);
    let (root1, root2) = (root1.event_id, root2.event_id);

    // What each customer writes goes into their ticket's thread.
    ana.user.send_text("Ana here: is the tower in stock?");
    bo.user.send_text("Bo here: do you gift-wrap?");
    let relay1 = in_thread_says(&both, &boss, &root1, "is the tower in stock?").await;
    in_thread_says(&both, &boss, &root2, "do you gift-wrap?").await;
    // With the reply fallback, for clients without threads.
    assert!(
        relay1.content["m.relates_to"]["m.in_reply_to"]["event_id"].is_string(),
        "{:#?}",
        relay1.content
    );

    // The owner writes in Ana's thread, replying to nothing, naming no one.
    let ana_mark = ana.mark();
    let bo_mark = bo.mark();
    in_thread(&boss.user, &room, &root1, &relay1.event_id, "Yes, two left").await;
    ana.sees_after(&both, ana_mark, "Yes, two left").await;
    in_thread_says(&both, &boss, &root1, "Sent to ticket #1").await;
    // And in Bo's thread: `/close` alone closes Bo's ticket, said in that thread.
    in_thread(&boss.user, &room, &root2, &root2, "/close").await;
    in_thread_says(&both, &boss, &root2, "Ticket #2 closed").await;
    both.settle().await;
    assert!(
        bo.bot_messages_after(bo_mark)
            .iter()
            .all(|m| !m.text.contains("Yes, two left")),
        "{}",
        bo.transcript()
    );
    assert_eq!(
        both.text("SELECT status FROM tickets WHERE number = 2")
            .as_deref(),
        Some("closed")
    );
    assert_eq!(
        both.text("SELECT status FROM tickets WHERE number = 1")
            .as_deref(),
        Some("open")
    );

    // Ana closes her own ticket: the notice goes into her thread; her next
    // ticket is a new thread.
    ana.user
        .press_button("Back to the shop")
        .unwrap_or_else(|e| panic!("{e}"));
    in_thread_says(&both, &boss, &root1, "closed by the customer").await;
    assert_eq!(tg_ticket(&both, &ana).await, 3);
    let root3 = boss.bot_says(&both, 0, "🎫 Ticket #3").await;
    assert_eq!(thread_of(&root3), None, "{:#?}", root3.content);
    ana.user.send_text("Ana again");
    in_thread_says(&both, &boss, &root3.event_id, "Ana again").await;
}
