//! Tests of the fake Telegram server, driven by teloxide's own client.

mod fake_telegram;

use fake_telegram::FakeTelegram;

#[tokio::test]
async fn starts() {
    let tg = FakeTelegram::start().await;
    assert!(tg.api_url().starts_with("http://127.0.0.1:"));
}
