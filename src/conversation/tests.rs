//! The conversation's own decisions, on the pure core: no database.

use jiff::Timestamp;

use super::*;
use crate::shop::{Shop, StockLevels};

fn shop() -> Shop {
    Shop::load(std::path::Path::new("tests/fixtures/shops/small.toml")).expect("fixture shop")
}

fn session(shop: &Shop) -> Session {
    Session::new(shop.default_language(), "s1")
}

fn now() -> Timestamp {
    Timestamp::from_second(1_700_000_000).expect("time")
}

/// Applies effects in memory: records them, answers from a fixed script.
struct Memory {
    stock: StockLevels,
    facts: FeedbackFacts,
    applied: Vec<Effect>,
}

impl Executor for Memory {
    type Error = std::convert::Infallible;

    fn stock(&self) -> &StockLevels {
        &self.stock
    }

    fn apply(&mut self, _: &Session, effect: Effect) -> Result<Option<Input>, Self::Error> {
        self.applied.push(effect.clone());
        Ok(match effect {
            Effect::CheckFeedback {
                order,
                stars,
                comment,
            } => Some(Input::FeedbackChecked {
                order,
                stars,
                comment,
                facts: self.facts,
            }),
            Effect::SaveFeedback { order, stars, .. } => Some(Input::FeedbackSaved {
                order,
                stars: stars.is_some(),
            }),
            _ => None,
        })
    }
}

fn memory(facts: FeedbackFacts) -> Memory {
    Memory {
        stock: StockLevels::default(),
        facts,
        applied: Vec::new(),
    }
}

fn stale_replies(shop: &Shop, s: &Session) -> Vec<Reply> {
    handle(shop, &StockLevels::default(), s, &Input::Stale, now()).replies
}

#[test]
fn stale_is_answered_like_an_unknown_button() {
    let shop = shop();
    let s = session(&shop);
    let stock = StockLevels::default();
    let stale = handle(&shop, &stock, &s, &Input::Stale, now());
    let unknown = handle(&shop, &stock, &s, &Input::Button(String::new()), now());
    assert_eq!(stale, unknown);
}

#[test]
fn text_during_a_ticket_is_relayed_with_its_history() {
    let shop = shop();
    let facts = Facts {
        open_ticket: Some(7),
        replies_to_owners_notice: false,
    };
    let aside = screen(
        &shop,
        &session(&shop),
        &Input::Text("hello?".into()),
        &facts,
    );
    assert_eq!(
        aside,
        Some(Aside {
            replies: Vec::new(),
            effects: vec![Effect::Relay {
                ticket: 7,
                text: "hello?".into(),
                history: true,
                attachment: None,
            }],
        })
    );
    // A command still reaches the conversation; without a ticket, text does too.
    assert_eq!(
        screen(&shop, &session(&shop), &Input::Text("/menu".into()), &facts),
        None
    );
    assert_eq!(
        screen(
            &shop,
            &session(&shop),
            &Input::Text("hello?".into()),
            &Facts::default()
        ),
        None
    );
}

#[test]
fn something_not_text_during_a_ticket_is_relayed_and_answered() {
    let shop = shop();
    let s = session(&shop);
    let facts = Facts {
        open_ticket: Some(3),
        replies_to_owners_notice: false,
    };
    let aside = screen(&shop, &s, &Input::Unsupported, &facts).expect("aside");
    assert_eq!(
        aside.effects,
        vec![Effect::Relay {
            ticket: 3,
            text: NOT_TEXT.into(),
            history: false,
            attachment: None,
        }]
    );
    let said = shop.texts(&s.lang).get(crate::shop::Phrase::TicketTextOnly);
    assert_eq!(aside.replies, vec![Reply::plain(said)]);
}

#[test]
fn owners_buttons_and_replies_to_owners_notices_are_refused() {
    let shop = shop();
    let s = session(&shop);
    let owner_only = vec![Reply::plain(
        shop.texts(&s.lang).get(crate::shop::Phrase::OwnerOnly),
    )];
    let button = Input::Button(format!("{}x:1", crate::owner::command::BUTTON_PREFIX));
    let refused = screen(&shop, &s, &button, &Facts::default()).expect("refused");
    assert_eq!(refused.replies, owner_only);
    assert!(refused.effects.is_empty());
    let reply = Facts {
        open_ticket: Some(1),
        replies_to_owners_notice: true,
    };
    let refused = screen(&shop, &s, &Input::Text("done".into()), &reply).expect("refused");
    assert_eq!(refused.replies, owner_only);
    assert!(refused.effects.is_empty());
}

#[test]
fn feedback_on_an_order_not_theirs_or_not_delivered_is_a_stale_button() {
    let shop = shop();
    let s = session(&shop);
    let rate = Input::Button(Action::Rate("A1".into(), 5).id());
    for facts in [
        FeedbackFacts {
            theirs: false,
            delivered: true,
            rated: false,
        },
        FeedbackFacts {
            theirs: true,
            delivered: false,
            rated: false,
        },
    ] {
        let mut exec = memory(facts);
        let Ok(turn) = run(&shop, &s, false, &rate, now(), &mut exec);
        assert_eq!(turn.replies, stale_replies(&shop, &s));
        assert!(
            !exec
                .applied
                .iter()
                .any(|e| matches!(e, Effect::SaveFeedback { .. }))
        );
    }
}

#[test]
fn a_comment_without_stars_is_a_stale_button() {
    let shop = shop();
    let mut s = session(&shop);
    s.step = Step::FeedbackComment { order: "A1".into() };
    let facts = FeedbackFacts {
        theirs: true,
        delivered: true,
        rated: false,
    };
    let mut exec = memory(facts);
    let Ok(turn) = run(
        &shop,
        &s,
        false,
        &Input::Text("nice".into()),
        now(),
        &mut exec,
    );
    assert_eq!(turn.replies, stale_replies(&shop, &s));
    assert_eq!(exec.applied.len(), 1);
}

#[test]
fn feedback_on_their_delivered_order_is_saved() {
    let shop = shop();
    let s = session(&shop);
    let facts = FeedbackFacts {
        theirs: true,
        delivered: true,
        rated: false,
    };
    let mut exec = memory(facts);
    let rate = Input::Button(Action::Rate("A1".into(), 4).id());
    let Ok(turn) = run(&shop, &s, false, &rate, now(), &mut exec);
    assert!(exec.applied.contains(&Effect::SaveFeedback {
        order: "A1".into(),
        stars: Some(4),
        comment: None,
    }));
    assert_eq!(
        turn.session.step,
        Step::FeedbackComment { order: "A1".into() }
    );
    assert!(turn.effects.is_empty());
}

#[test]
fn funnel_steps_are_part_of_the_turn() {
    let shop = shop();
    let s = session(&shop);
    let mut exec = memory(FeedbackFacts::default());
    let Ok(turn) = run(&shop, &s, true, &Input::Start, now(), &mut exec);
    assert_eq!(turn.steps, vec![FunnelStep::Conversation]);
    let Ok(turn) = run(&shop, &s, false, &Input::Start, now(), &mut exec);
    assert!(turn.steps.is_empty());
    let mut in_cart = s.clone();
    in_cart.step = Step::Cart;
    let mut checkout = in_cart.clone();
    checkout.step = Step::ChooseDelivery;
    assert_eq!(
        steps_taken(false, &in_cart, &checkout),
        vec![FunnelStep::CheckoutStarted]
    );
    let mut finder = s.clone();
    finder.step = Step::FinderResults;
    assert_eq!(
        steps_taken(false, &s, &finder),
        vec![FunnelStep::FinderStarted, FunnelStep::FinderCompleted]
    );
    let names: Vec<&str> = [
        FunnelStep::Conversation,
        FunnelStep::FinderStarted,
        FunnelStep::FinderCompleted,
        FunnelStep::Cart,
        FunnelStep::CheckoutStarted,
        FunnelStep::Order,
        FunnelStep::Escalation,
    ]
    .iter()
    .map(|s| s.as_str())
    .collect();
    assert_eq!(
        names,
        [
            "conversation",
            "finder_started",
            "finder_completed",
            "cart",
            "checkout_started",
            "order",
            "escalation"
        ]
    );
}

#[test]
fn media_during_a_ticket_is_relayed_with_it_and_outside_one_answered() {
    use crate::attachment::{Attachment, Media, Origin, Unfetchable};
    use crate::channel::Channel;
    let shop = shop();
    let s = session(&shop);
    let photo = Box::new(Attachment {
        media: Media::Voice,
        caption: Some("listen 🎧".into()),
        file_name: None,
        mime: Some("audio/ogg".into()),
        size: Some(9000),
        seconds: Some(4),
        origin: Origin {
            channel: Channel::Telegram,
            chat_id: "42".into(),
            message_id: "9".into(),
            file: Some("AwAD".into()),
        },
        stored: None,
        unfetchable: None,
        album: None,
    });
    let facts = Facts {
        open_ticket: Some(3),
        replies_to_owners_notice: false,
    };
    let aside = screen(&shop, &s, &Input::Media(photo.clone()), &facts).expect("aside");
    assert!(aside.replies.is_empty(), "{:?}", aside.replies);
    assert_eq!(
        aside.effects,
        vec![Effect::Relay {
            ticket: 3,
            text: "[voice note] listen 🎧".into(),
            history: true,
            attachment: Some(photo.clone()),
        }]
    );
    // Too big to fetch for the owners on another platform: the customer is told.
    let big = Box::new(Attachment {
        unfetchable: Some(Unfetchable::TooBig),
        ..(*photo).clone()
    });
    let aside = screen(&shop, &s, &Input::Media(big), &facts).expect("aside");
    let said = shop.texts(&s.lang).get(crate::shop::Phrase::MediaTooBig);
    assert_eq!(aside.replies, vec![Reply::plain(said)]);
    assert_eq!(aside.effects.len(), 1);
    // No ticket: the conversation answers it (never a silent drop).
    assert_eq!(
        screen(&shop, &s, &Input::Media(photo), &Facts::default()),
        None
    );
}

#[test]
fn media_that_could_not_be_fetched_is_said_as_such() {
    use crate::attachment::{Attachment, Media, Origin, Unfetchable};
    use crate::channel::Channel;
    let shop = shop();
    let s = session(&shop);
    let failed = Box::new(Attachment {
        media: Media::Document,
        caption: None,
        file_name: Some("invoice.pdf".into()),
        mime: None,
        size: None,
        seconds: None,
        origin: Origin {
            channel: Channel::Matrix,
            chat_id: "!r:x".into(),
            message_id: "$e".into(),
            file: None,
        },
        stored: None,
        unfetchable: Some(Unfetchable::Failed),
        album: None,
    });
    let facts = Facts {
        open_ticket: Some(1),
        replies_to_owners_notice: false,
    };
    let aside = screen(&shop, &s, &Input::Media(failed), &facts).expect("aside");
    let said = shop.texts(&s.lang).get(crate::shop::Phrase::MediaNotPassed);
    assert_eq!(aside.replies, vec![Reply::plain(said)]);
}
