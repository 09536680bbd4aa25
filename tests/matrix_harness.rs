//! Self-tests of the Matrix test harness: the real Synapse that `scripts/test`
//! starts, and the customer's matrix-sdk client (encrypted DMs, decryption,
//! reactions, homeserver restarts). If these fail, the Matrix tests of the bot
//! cannot be trusted.

#[path = "support/matrix_customer.rs"]
mod matrix_customer;
#[path = "support/synapse.rs"]
mod synapse;

use std::time::Duration;

use matrix_customer::MatrixCustomer;
use matrix_sdk::ruma::OwnedUserId;
use synapse::Synapse;

const T: Duration = Duration::from_secs(20);

fn user_id(id: &str) -> OwnedUserId {
    OwnedUserId::try_from(id).expect("valid user id")
}

#[test]
fn registered_users_are_unique_and_lower_case() {
    let Some(hs) = Synapse::shared() else { return };
    let users = hs.register_all(&["Uniq", "uniq", "uniq"]);
    let mut ids: Vec<_> = users.iter().map(|(id, _)| id.clone()).collect();
    for id in &ids {
        assert!(
            id.starts_with("@uniq") && id.ends_with(":localhost"),
            "{id}"
        );
        assert_eq!(id, &id.to_lowercase());
    }
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 3, "three distinct users: {ids:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_encrypted_dm_carries_text_and_reactions_both_ways() {
    let Some(hs) = Synapse::shared() else { return };
    let users = hs.register_all(&["alice", "bob"]);
    let ((a_id, a_pw), (b_id, b_pw)) = (&users[0], &users[1]);
    let (a, b) = tokio::join!(
        MatrixCustomer::login(hs.url(), a_id, a_pw),
        MatrixCustomer::login(hs.url(), b_id, b_pw)
    );
    b.accept_invites(true);

    let room = a.create_dm(b.user_id(), true).await;
    // Room version 12: the id has no server part; nothing may rely on one.
    assert!(room.as_str().starts_with('!'), "{room}");
    a.wait_for_join(&room, b.user_id(), T)
        .await
        .expect("bob joins");

    let sent = a.send_text(&room, "hello from alice 🙂").await;
    let seen = b
        .wait_for(&room, "hello from alice", T)
        .await
        .expect("bob reads it");
    assert_eq!(seen.event_id, sent);
    assert_eq!(seen.sender, user_id(a_id));
    assert_eq!(seen.msgtype, "m.text");
    assert_eq!(seen.body, "hello from alice 🙂");
    assert!(seen.encrypted, "the DM is end-to-end encrypted: {seen:?}");
    assert!(!seen.is_image && seen.in_reply_to.is_none() && seen.formatted_body.is_none());
    assert_eq!(b.undecryptable(&room), 0);

    // Bob reacts; Alice sees the reaction on her message, by Bob.
    b.react(&room, &sent, "1️⃣").await;
    b.react(&room, &sent, "👍").await;
    let mine = a
        .wait_for_reactions(&room, &sent, 2, T)
        .await
        .expect("alice sees both reactions");
    assert_eq!(mine.reactions_by(b.user_id()), ["1️⃣", "👍"]);
    assert!(mine.reactions_by(a.user_id()).is_empty());

    // And the other way round, with Alice's own messages in her own list.
    let answer = b.send_text(&room, "hi alice").await;
    let got = a
        .wait_for(&room, "hi alice", T)
        .await
        .expect("alice reads bob");
    assert_eq!(got.event_id, answer);
    assert!(got.encrypted);
    let all: Vec<_> = a.messages(&room).into_iter().map(|m| m.body).collect();
    assert_eq!(all, ["hello from alice 🙂", "hi alice"], "timeline order");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_message_sent_before_the_invitee_joins_still_reaches_it() {
    let Some(hs) = Synapse::shared() else { return };
    let users = hs.register_all(&["early", "late"]);
    let ((a_id, a_pw), (b_id, b_pw)) = (&users[0], &users[1]);
    let (a, b) = tokio::join!(
        MatrixCustomer::login(hs.url(), a_id, a_pw),
        MatrixCustomer::login(hs.url(), b_id, b_pw)
    );
    let room = a.create_dm(b.user_id(), true).await;
    a.send_text(&room, "sent while you were invited").await;
    // Many messages at once: nothing may fall into a sync gap.
    for i in 0..25 {
        a.send_text(&room, &format!("burst {i}")).await;
    }
    b.accept_invites(true);
    let seen = b
        .wait_for(&room, "sent while you were invited", T)
        .await
        .expect("shared history reaches the invitee, decrypted");
    assert!(seen.encrypted);
    b.wait_for(&room, "burst 24", T)
        .await
        .expect("the whole burst");
    assert_eq!(b.messages(&room).len(), 26, "{}", b.describe(&room));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_message_whose_key_comes_late_is_decrypted_then() {
    let Some(hs) = Synapse::shared() else { return };
    let users = hs.register_all(&["sender", "twodevices"]);
    let ((a_id, a_pw), (b_id, b_pw)) = (&users[0], &users[1]);
    let (a, b) = tokio::join!(
        MatrixCustomer::login(hs.url(), a_id, a_pw),
        MatrixCustomer::login(hs.url(), b_id, b_pw)
    );
    b.accept_invites(true);
    let room = a.create_dm(b.user_id(), true).await;
    a.wait_for_join(&room, b.user_id(), T).await.expect("joins");
    a.send_text(&room, "for the first device only").await;
    b.wait_for(&room, "for the first device only", T)
        .await
        .expect("first device");

    // A second device of the same user: the message's key was never sent to it.
    let b2 = MatrixCustomer::login(hs.url(), b_id, b_pw).await;
    b2.room(&room).await;
    assert_eq!(b2.undecryptable(&room), 1, "{}", b2.describe(&room));
    assert!(b2.messages(&room).is_empty());
    let err = b2
        .wait_for(&room, "for the first device", Duration::from_millis(200))
        .await
        .expect_err("not decryptable yet");
    assert!(err.contains("1 event(s) not decrypted"), "{err}");

    // The key arrives later (exported from the first device, imported here).
    let keys = tempfile::tempdir().expect("temp dir");
    let file = keys.path().join("keys.txt");
    b.client()
        .encryption()
        .export_room_keys(file.clone(), "pass", |_| true)
        .await
        .expect("export keys");
    b2.client()
        .encryption()
        .import_room_keys(file, "pass")
        .await
        .expect("import keys");
    let late = b2
        .wait_for(&room, "for the first device only", T)
        .await
        .expect("decrypted once the key is there");
    assert!(late.encrypted);
    assert_eq!(b2.undecryptable(&room), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_unencrypted_dm_and_a_timeout_that_lists_the_room() {
    let Some(hs) = Synapse::shared() else { return };
    let users = hs.register_all(&["plain", "other"]);
    let ((a_id, a_pw), (b_id, b_pw)) = (&users[0], &users[1]);
    let (a, b) = tokio::join!(
        MatrixCustomer::login(hs.url(), a_id, a_pw),
        MatrixCustomer::login(hs.url(), b_id, b_pw)
    );
    b.accept_invites(true);
    let room = a.create_dm(b.user_id(), false).await;
    a.wait_for_join(&room, b.user_id(), T).await.expect("joins");
    a.send_text(&room, "in clear").await;
    let seen = b.wait_for(&room, "in clear", T).await.expect("arrives");
    assert!(!seen.encrypted);

    let err = b
        .wait_for(&room, "never sent", Duration::from_millis(300))
        .await
        .expect_err("nothing matches");
    assert!(
        err.contains("never sent") && err.contains("in clear"),
        "{err}"
    );
    // A customer's own messages never satisfy `wait_for`.
    assert!(
        a.wait_for(&room, "in clear", Duration::from_millis(300))
            .await
            .is_err()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_client_keeps_working_across_a_homeserver_restart() {
    let Some(hs) = Synapse::private() else { return };
    let users = hs.register_all(&["before", "after"]);
    let ((a_id, a_pw), (b_id, b_pw)) = (&users[0], &users[1]);
    let (a, b) = tokio::join!(
        MatrixCustomer::login(hs.url(), a_id, a_pw),
        MatrixCustomer::login(hs.url(), b_id, b_pw)
    );
    b.accept_invites(true);
    let room = a.create_dm(b.user_id(), true).await;
    a.wait_for_join(&room, b.user_id(), T).await.expect("joins");
    a.send_text(&room, "before the restart").await;
    b.wait_for(&room, "before the restart", T)
        .await
        .expect("before");

    let stopped = tokio::task::spawn_blocking(move || {
        hs.stop();
        hs
    });
    let hs = stopped.await.expect("stop");
    let down = http_answers(hs.url()).await;
    assert!(down.is_err(), "Synapse is down after stop");
    let hs = tokio::task::spawn_blocking(move || {
        hs.start();
        hs
    })
    .await
    .expect("start");

    // Same database: the users, the room and the devices are still there.
    let sent = a.send_text(&room, "after the restart").await;
    let seen = b
        .wait_for(&room, "after the restart", T)
        .await
        .expect("after");
    assert_eq!(seen.event_id, sent);
    assert!(seen.encrypted);
    drop(hs);
}

/// A bare HTTP GET of `/_matrix/client/versions` on plain TCP (no HTTP client
/// dependency): `Ok` if anything answered.
async fn http_answers(url: &str) -> std::io::Result<()> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = url.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await?;
    stream
        .write_all(b"GET /_matrix/client/versions HTTP/1.0\r\n\r\n")
        .await?;
    let mut buf = [0u8; 16];
    let n = stream.read(&mut buf).await?;
    if n == 0 {
        return Err(std::io::Error::other("no answer"));
    }
    Ok(())
}
