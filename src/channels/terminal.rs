//! The terminal channel: replies on stdout with numbered buttons, input from stdin.
//! Works with a terminal or with piped input, so a conversation can be scripted.
//!
//! [`opening`], [`read_input`] and [`show`] are the channel's translation on
//! their own (no engine): a test may drive another core through the very same
//! reading and rendering.

use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;

use jiff::Timestamp;

use crate::channel::Channel;
use crate::conversation::{Input, Reply};
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
    let first = opening(engine.has_session(chat)?);
    engine.run_turn(chat, Event::default(), &first, clock())?;
    deliver(engine, chat_id, out, clock())?;
    while let Some(line) = read_input(&mut input, out, interactive) {
        engine.run_turn(chat, Event::default(), &line, clock())?;
        deliver(engine, chat_id, out, clock())?;
    }
    Ok(())
}

/// The first input of a terminal conversation: [`Input::Resume`] for a chat
/// that talked to the shop before (`known`), else [`Input::Start`].
pub fn opening(known: bool) -> Input {
    if known { Input::Resume } else { Input::Start }
}

/// Reads the next line typed (prompting when `interactive`, echoing it
/// otherwise) as the customer's input; `None` at end of input or `/quit`.
pub fn read_input(
    input: &mut impl BufRead,
    out: &mut impl Write,
    interactive: bool,
) -> Option<Input> {
    if interactive {
        let _ = write!(out, "\n> ");
        let _ = out.flush();
    }
    let mut bytes = Vec::new();
    match input.read_until(b'\n', &mut bytes) {
        Ok(0) | Err(_) => return None,
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
        return None;
    }
    Some(Input::Text(line))
}

/// Prints one reply: its image (a path relative to `base`, or a URL), its
/// text, and its buttons numbered from `first_number`.
pub fn show(out: &mut impl Write, reply: &Reply, first_number: usize, base: &Path) {
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
    if let Some(attachment) = &reply.attachment {
        let _ = writeln!(out, "📎 {}", attachment.describe());
    }
    for (number, button) in (first_number..).zip(&reply.buttons) {
        let _ = writeln!(out, "  [{number}] {}", button.label);
    }
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
        show(out, &reply, first_number, &base);
        engine.mark_sent(row.id, now.as_second())?;
    }
    let _ = out.flush();
    Ok(())
}
