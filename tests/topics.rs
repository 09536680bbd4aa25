//! Issue 14, item 2 on Telegram: one forum topic per customer in the owners'
//! forum group. The real `shopbot run` against the fake Bot API: topics made
//! for each customer, reused by their next ticket, closed when the ticket is
//! (by the owner or by the customer), reopened by a new one; an owner's plain
//! message in a topic answers that customer; a topic deleted by hand is made
//! again without losing or doubling a message; topics survive kill -9;
//! hostile names; `/forget` deletes the topic.

#[path = "support/bot_process.rs"]
mod bot_process;
mod fake_telegram;
#[path = "support/forum_run.rs"]
mod forum_run;
#[path = "support/process.rs"]
mod process;

use forum_run::{FORUM, OWNER, Run, T, db_path, everywhere};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_customer_gets_a_topic_reused_closed_and_reopened_and_owners_answer_in_it() {
    let run = Run::start().await;
    let ann = run.fake.customer(2001, "Ann");
    let ben = run.fake.customer(2002, "Ben");
    let first = run.open_ticket(&ann).await;
    let second = run.open_ticket(&ben).await;
    let ann_topic = run.topic_of("Ann").await;
    let ben_topic = run.topic_of("Ben").await;
    assert_ne!(ann_topic.thread, ben_topic.thread);
    run.in_topic(ann_topic.thread, &format!("🎫 Ticket #{first}"))
        .await;
    run.in_topic(ben_topic.thread, &format!("🎫 Ticket #{second}"))
        .await;

    // What the customers write goes into their own topic.
    ann.send_text("Is the castle in stock?");
    ben.send_text("Do you ship to Spain?");
    run.in_topic(ann_topic.thread, "Is the castle in stock?")
        .await;
    run.in_topic(ben_topic.thread, "Do you ship to Spain?")
        .await;
    assert_eq!(everywhere(&run.fake, "Is the castle in stock?"), 1);

    // The owner writes in Ann's topic, replying to nothing: Ann gets it, Ben not.
    let ann_before = ann.messages().last().map_or(0, |m| m.message_id);
    let ben_seen = ben.messages().len();
    run.fake
        .write_in_topic(FORUM, OWNER, ann_topic.thread, "Yes, three left!");
    ann.wait_for_text_after(ann_before, "Yes, three left!", T)
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", run.log()));
    run.in_topic(ann_topic.thread, &format!("Sent to ticket #{first}"))
        .await;
    run.settle().await;
    assert_eq!(ben.messages().len(), ben_seen, "nothing reached Ben");
    // Plain chatter in General reaches nobody.
    let general = run.owner.send_text("coffee anyone?");
    run.settle().await;
    assert!(
        run.fake
            .general_messages(FORUM)
            .iter()
            .all(|m| !m.from_bot || m.message_id < general),
        "{}",
        run.log()
    );

    // `/close` alone in Ann's topic closes Ann's ticket, then her topic.
    run.fake
        .write_in_topic(FORUM, OWNER, ann_topic.thread, "/close");
    run.in_topic(ann_topic.thread, &format!("Ticket #{first} closed"))
        .await;
    run.until("Ann's topic closed", || run.closed(ann_topic.thread))
        .await;
    assert!(!run.closed(ben_topic.thread));
    // Ben ends his own ticket: his topic closes after the notice.
    ben.press_button("Back to the shop")
        .unwrap_or_else(|e| panic!("{e}"));
    run.in_topic(ben_topic.thread, "closed by the customer")
        .await;
    run.until("Ben's topic closed", || run.closed(ben_topic.thread))
        .await;

    // Ann's next ticket: the same topic, reopened.
    let third = run.open_ticket(&ann).await;
    run.in_topic(ann_topic.thread, &format!("🎫 Ticket #{third}"))
        .await;
    assert!(!run.closed(ann_topic.thread));
    assert_eq!(run.fake.topics(FORUM).len(), 2, "{}", run.log());
    let before = ann.messages().last().map_or(0, |m| m.message_id);
    run.fake
        .write_in_topic(FORUM, OWNER, ann_topic.thread, "Welcome back, Ann");
    ann.wait_for_text_after(before, "Welcome back, Ann", T)
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", run.log()));
    run.settle().await;
    let failed: Vec<_> = run
        .fake
        .calls()
        .into_iter()
        .filter(|c| !c.ok && c.method != "getUpdates")
        .collect();
    assert!(failed.is_empty(), "{failed:#?}\n{}", run.log());
    assert_eq!(
        run.rows("SELECT count(*) FROM forum_topics"),
        2,
        "{}",
        db_path(&run).display()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_topic_deleted_or_closed_by_hand_is_made_again_and_no_message_is_lost_or_doubled() {
    let run = Run::start().await;
    let ann = run.fake.customer(2001, "Ann");
    run.open_ticket(&ann).await;
    let topic = run.topic_of("Ann").await;
    run.settle().await;
    run.fake.delete_topic_by_hand(FORUM, topic.thread);
    ann.send_text("Hello? Anyone there?");
    run.until("a new topic for Ann", || {
        run.fake
            .topics(FORUM)
            .iter()
            .any(|t| t.name == "Ann" && t.thread != topic.thread)
    })
    .await;
    let new = run
        .fake
        .topics(FORUM)
        .into_iter()
        .find(|t| t.name == "Ann")
        .expect("found");
    assert_ne!(new.thread, topic.thread);
    run.in_topic(new.thread, "Hello? Anyone there?").await;
    run.settle().await;
    assert_eq!(
        everywhere(&run.fake, "Hello? Anyone there?"),
        1,
        "{}",
        run.log()
    );
    // The owner answers in the new topic: it reaches Ann.
    let before = ann.messages().last().map_or(0, |m| m.message_id);
    run.fake
        .write_in_topic(FORUM, OWNER, new.thread, "Here, sorry!");
    ann.wait_for_text_after(before, "Here, sorry!", T)
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", run.log()));

    // The bot loses its admin rights and an owner closes the topic by hand:
    // Telegram answers TOPIC_CLOSED; the bot reopens it and sends once.
    run.settle().await;
    run.fake.set_forum_admin(FORUM, false);
    run.fake.close_topic_by_hand(FORUM, new.thread);
    ann.send_text("Still there?");
    run.in_topic(new.thread, "Still there?").await;
    run.settle().await;
    assert_eq!(everywhere(&run.fake, "Still there?"), 1, "{}", run.log());
    assert!(!run.closed(new.thread));
    assert!(
        run.fake
            .calls_to("sendMessage")
            .iter()
            .any(|c| c.error.as_deref() == Some("Bad Request: TOPIC_CLOSED")),
        "the fake refused the closed topic first"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn topics_survive_kill_9() {
    let mut run = Run::start().await;
    let ann = run.fake.customer(2001, "Ann");
    let ben = run.fake.customer(2002, "Ben");
    run.open_ticket(&ann).await;
    let topic = run.topic_of("Ann").await;
    run.settle().await;
    run.bot.kill9();
    // While the bot is down, Ann writes and Ben opens a ticket.
    ann.send_text("Written while you were away");
    run.restart().await;
    run.in_topic(topic.thread, "Written while you were away")
        .await;
    run.open_ticket(&ben).await;
    let ben_topic = run.topic_of("Ben").await;
    // The owner answers Ann from her topic after the restart.
    let before = ann.messages().last().map_or(0, |m| m.message_id);
    run.fake
        .write_in_topic(FORUM, OWNER, topic.thread, "Back now");
    ann.wait_for_text_after(before, "Back now", T)
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", run.log()));
    run.settle().await;
    // A kill -9 in the middle of Ben's traffic, then again after a restart.
    ben.send_text("one");
    run.bot.kill9();
    run.restart().await;
    ben.send_text("two");
    run.in_topic(ben_topic.thread, "two").await;
    run.in_topic(ben_topic.thread, "one").await;
    run.settle().await;
    assert_eq!(
        run.fake.topics(FORUM).len(),
        2,
        "same topics:\n{}",
        run.log()
    );
    assert_eq!(run.rows("SELECT count(*) FROM forum_topics"), 2);
    // The owner presses "Close" under Ben's notice in his topic: said there, and closed.
    let notice = run.in_topic(ben_topic.thread, "🎫 Ticket #").await;
    let (_, data) = notice
        .all_buttons()
        .find(|(label, _)| label.starts_with("Close"))
        .cloned()
        .expect("a Close button");
    run.owner
        .press(notice.message_id, &data)
        .unwrap_or_else(|e| panic!("{e}"));
    run.in_topic(ben_topic.thread, "closed. Ben is back with the bot")
        .await;
    run.until("Ben's topic closed", || run.closed(ben_topic.thread))
        .await;
    assert!(!run.closed(topic.thread), "Ann's stays open");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_customer_names_make_valid_topics_and_are_not_logged() {
    let run = Run::start().await;
    // 300 characters: right-to-left, zero-width joiners, combining marks,
    // emoji outside the BMP (two UTF-16 units each), HTML specials.
    let piece = "\u{202E}Zoë́ 👩\u{200D}👩\u{200D}👧\u{200D}👦 <b>&amp;</b> \u{200B}مرحبا ";
    let mut name: String = piece.chars().cycle().take(300).collect();
    name.push('😀');
    let hostile = run.fake.customer(2003, &name);
    let emoji = run.fake.customer(2004, "😀😀😀");
    run.open_ticket(&hostile).await;
    run.open_ticket(&emoji).await;
    run.until("two topics", || run.fake.topics(FORUM).len() == 2)
        .await;
    run.settle().await;
    for topic in run.fake.topics(FORUM) {
        let units = topic.name.encode_utf16().count();
        assert!((1..=128).contains(&units), "{units}: {:?}", topic.name);
    }
    let long = run
        .fake
        .topics(FORUM)
        .into_iter()
        .find(|t| t.name.starts_with('\u{202E}') || t.name.starts_with("Zo"))
        .unwrap_or_else(|| panic!("{}", run.log()));
    assert!(name.starts_with(long.name.trim_end()), "{:?}", long.name);
    hostile.send_text("hi from a long name");
    run.in_topic(long.thread, "hi from a long name").await;
    run.settle().await;
    let failed: Vec<_> = run
        .fake
        .calls()
        .into_iter()
        .filter(|c| !c.ok && c.method != "getUpdates")
        .collect();
    assert!(failed.is_empty(), "{failed:#?}");
    let logs: String = run
        .logs
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap_or_default())
        .collect();
    assert!(!logs.contains(&long.name), "the topic name is in the log");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forget_deletes_the_customers_topic_and_its_row() {
    let run = Run::start().await;
    let ann = run.fake.customer(2001, "Ann");
    let ben = run.fake.customer(2002, "Ben");
    run.open_ticket(&ann).await;
    run.open_ticket(&ben).await;
    let ann_topic = run.topic_of("Ann").await;
    let ben_topic = run.topic_of("Ben").await;
    ann.send_text("my address is 1 Secret Lane");
    run.in_topic(ann_topic.thread, "Secret Lane").await;
    run.settle().await;
    let sent = ann.send_text("/forget");
    ann.wait_for_messages(T, |chat| {
        chat.iter().any(|m| {
            m.from_bot
                && m.message_id > sent
                && m.all_buttons().any(|(t, _)| t.contains("Yes, erase"))
        })
    })
    .await
    .unwrap_or_else(|e| panic!("{e}\n{}", run.log()));
    ann.press_button("Yes, erase")
        .unwrap_or_else(|e| panic!("{e}"));
    run.until("Ann's topic deleted", || {
        run.fake
            .topics(FORUM)
            .iter()
            .all(|t| t.thread != ann_topic.thread)
    })
    .await;
    run.settle().await;
    assert_eq!(everywhere(&run.fake, "Secret Lane"), 0, "{}", run.log());
    assert_eq!(
        run.rows("SELECT count(*) FROM forum_topics WHERE chat_id = '2001' OR name = 'Ann'"),
        0
    );
    assert_eq!(run.rows("SELECT count(*) FROM forum_topics"), 1);
    assert!(
        run.fake
            .topics(FORUM)
            .iter()
            .any(|t| t.thread == ben_topic.thread)
    );
}

/// kill -9 after Telegram created a topic and before the bot heard of it (so
/// before it could record it): the next run makes another topic and the
/// notice lands in it once; the first stays empty. Nothing is lost or doubled.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kill_9_between_creating_a_topic_and_recording_it_loses_nothing() {
    let mut run = Run::start().await;
    let ann = run.fake.customer(2001, "Ann");
    run.fake.stall("createForumTopic");
    let number = run.open_ticket(&ann).await;
    run.until("the topic made on Telegram", || {
        run.fake.topics(FORUM).len() == 1
    })
    .await;
    let orphan = run.fake.topics(FORUM)[0].thread;
    run.bot.kill9();
    run.fake.release("createForumTopic");
    assert_eq!(run.rows("SELECT count(*) FROM forum_topics"), 0);
    run.restart().await;
    let notice = format!("🎫 Ticket #{number}");
    run.until("a second topic", || run.fake.topics(FORUM).len() == 2)
        .await;
    let topic = run
        .fake
        .topics(FORUM)
        .into_iter()
        .find(|t| t.thread != orphan)
        .expect("the second topic");
    run.in_topic(topic.thread, &notice).await;
    run.settle().await;
    assert!(run.fake.topic_messages(FORUM, orphan).is_empty());
    assert_eq!(everywhere(&run.fake, &notice), 1, "{}", run.log());
    assert_eq!(run.rows("SELECT count(*) FROM forum_topics"), 1);
    ann.send_text("after the crash");
    run.in_topic(topic.thread, "after the crash").await;
}
