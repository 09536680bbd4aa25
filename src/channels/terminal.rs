//! The terminal channel: replies on stdout with numbered buttons, input from stdin.
//! Works with a terminal or with piped input, so a conversation can be scripted.

use std::io::{BufRead, IsTerminal, Write};

use jiff::Timestamp;

use crate::channel::Channel;
use crate::conversation::Input;
use crate::engine::{Chat, Engine, EngineError, Event, Outgoing, outgoing_of};

/// This adapter's channel.
pub const CHANNEL: Channel = Channel::Terminal;

/// Talks to the shop until end of input or `/quit`; `clock` tells the time
/// (`Timestamp::now` outside tests).
pub fn run(
    engine: &mut Engine,
    chat_id: &str,
    mut input: impl BufRead,
    out: &mut impl Write,
    clock: &dyn Fn() -> Timestamp,
) -> Result<(), EngineError> {
    let chat = Chat {
        channel: CHANNEL,
        chat_id,
    };
    let interactive = std::io::stdin().is_terminal();
    // Anything queued but not shown before a crash is shown first.
    deliver(engine, chat_id, out, clock())?;
    let first = if engine.has_session(chat)? {
        Input::Resume
    } else {
        Input::Start
    };
    engine.run_turn(chat, Event::default(), &first, clock())?;
    deliver(engine, chat_id, out, clock())?;
    loop {
        if interactive {
            let _ = write!(out, "\n> ");
            let _ = out.flush();
        }
        let mut bytes = Vec::new();
        match input.read_until(b'\n', &mut bytes) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        // Bytes that are not UTF-8 become U+FFFD instead of ending the chat.
        let line = String::from_utf8_lossy(&bytes)
            .trim_end_matches(['\n', '\r'])
            .to_owned();
        if !interactive {
            let _ = writeln!(out, "> {line}");
        }
        if matches!(line.trim(), "/quit" | "/exit") {
            break;
        }
        engine.run_turn(chat, Event::default(), &Input::Text(line), clock())?;
        deliver(engine, chat_id, out, clock())?;
    }
    Ok(())
}

/// Prints this chat's queued replies, buttons numbered as the engine numbered
/// them across the turn, and marks them sent.
fn deliver(
    engine: &mut Engine,
    chat_id: &str,
    out: &mut impl Write,
    now: Timestamp,
) -> Result<(), EngineError> {
    let rows = engine.pending_outbox_of(CHANNEL, chat_id, 1000)?;
    let base = engine.shop().base_dir.clone();
    for row in &rows {
        let Outgoing {
            reply,
            first_number,
            ..
        } = outgoing_of(row)?;
        let _ = writeln!(out);
        if let Some(image) = &reply.image {
            let shown = if image.contains("://") {
                image.clone()
            } else {
                base.join(image).display().to_string()
            };
            let _ = writeln!(out, "🖼  {shown}");
        }
        let _ = writeln!(out, "{}", reply.text);
        for (number, button) in (first_number..).zip(&reply.buttons) {
            let _ = writeln!(out, "  [{number}] {}", button.label);
        }
        engine.mark_sent(row.id, now.as_second())?;
    }
    let _ = out.flush();
    Ok(())
}
