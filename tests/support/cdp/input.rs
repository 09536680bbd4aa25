//! Real input for a tab (mouse clicks, keys, typing) and what it shows (viewport,
//! screenshots).

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::{COMMAND_TIMEOUT, Page};

/// Where a mouse can click an element (a function of the element).
const CLICK_JS: &str = include_str!("click.js");

/// A key as `Input.dispatchKeyEvent` wants it: key, code, key code, text, modifiers.
fn key_of(name: &str) -> (&'static str, &'static str, u32, Option<&'static str>, u32) {
    match name {
        "Tab" => ("Tab", "Tab", 9, None, 0),
        "Shift+Tab" => ("Tab", "Tab", 9, None, 8),
        "Enter" => ("Enter", "Enter", 13, Some("\r"), 0),
        "Shift+Enter" => ("Enter", "Enter", 13, Some("\r"), 8),
        "Space" => (" ", "Space", 32, Some(" "), 0),
        "Escape" => ("Escape", "Escape", 27, None, 0),
        other => panic!("key {other:?} is not one the tests use"),
    }
}

impl Page {
    /// Clicks the element `element_js` evaluates to, with real mouse events at its
    /// centre, once it is visible, still and not covered by anything else.
    pub async fn click(&self, element_js: &str) {
        let js = format!("({CLICK_JS})({element_js})");
        let start = Instant::now();
        let point = loop {
            let state = self.try_eval(&js).await;
            if let Ok(point @ Value::Object(_)) = state {
                break point;
            }
            assert!(
                start.elapsed() <= COMMAND_TIMEOUT,
                "cannot click {element_js}: {state:?} after {COMMAND_TIMEOUT:?}\n{}",
                self.dump().await
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        let (x, y) = (point["x"].clone(), point["y"].clone());
        self.call(
            "Input.dispatchMouseEvent",
            json!({"type": "mouseMoved", "x": x, "y": y}),
        )
        .await;
        for kind in ["mousePressed", "mouseReleased"] {
            self.call(
                "Input.dispatchMouseEvent",
                json!({"type": kind, "x": x, "y": y, "button": "left", "buttons": 1,
                       "clickCount": 1}),
            )
            .await;
        }
    }

    /// Types `text` into the focused element, as an input method would.
    pub async fn type_text(&self, text: &str) {
        self.call("Input.insertText", json!({"text": text})).await;
    }

    /// Presses and releases a key: Tab, Shift+Tab, Enter, Shift+Enter, Space, Escape.
    pub async fn key(&self, name: &str) {
        let (key, code, vk, text, modifiers) = key_of(name);
        let mut down = json!({
            "type": if text.is_some() { "keyDown" } else { "rawKeyDown" },
            "key": key, "code": code, "windowsVirtualKeyCode": vk,
            "nativeVirtualKeyCode": vk, "modifiers": modifiers,
        });
        if let Some(text) = text {
            down["text"] = json!(text);
            down["unmodifiedText"] = json!(text);
        }
        self.call("Input.dispatchKeyEvent", down).await;
        self.call(
            "Input.dispatchKeyEvent",
            json!({"type": "keyUp", "key": key, "code": code, "windowsVirtualKeyCode": vk,
                   "nativeVirtualKeyCode": vk, "modifiers": modifiers}),
        )
        .await;
    }

    /// The viewport: CSS pixels, phone behaviour, device pixel ratio.
    pub async fn set_viewport(&self, width: u32, height: u32, mobile: bool, scale: f64) {
        self.call(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": width, "height": height, "mobile": mobile,
                   "deviceScaleFactor": scale}),
        )
        .await;
    }

    /// A PNG of the viewport, written to `path` (folders made); returns its bytes.
    pub async fn screenshot(&self, path: &Path) -> Vec<u8> {
        let shot = self
            .call("Page.captureScreenshot", json!({"format": "png"}))
            .await;
        let png = base64_decode(shot["data"].as_str().expect("screenshot data"));
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).expect("screenshot folder");
        }
        std::fs::write(path, &png).expect("write screenshot");
        png
    }
}

/// Width and height of a PNG, from its `IHDR` chunk.
pub fn png_size(png: &[u8]) -> (u32, u32) {
    assert!(
        png.len() > 24 && png.starts_with(b"\x89PNG\r\n\x1a\n") && &png[12..16] == b"IHDR",
        "not a PNG"
    );
    let word = |at: usize| u32::from_be_bytes([png[at], png[at + 1], png[at + 2], png[at + 3]]);
    (word(16), word(20))
}

/// Standard base64 (what `Page.captureScreenshot` returns).
fn base64_decode(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let sextets: Vec<u32> = (text.bytes())
        .filter_map(|c| ALPHABET.iter().position(|&a| a == c))
        .filter_map(|v| u32::try_from(v).ok())
        .collect();
    let bytes = |chunk: &[u32]| {
        let bits = (chunk.iter().zip([18, 12, 6, 0])).fold(0, |acc, (v, at)| acc | v << at);
        bits.to_be_bytes()[1..chunk.len()].to_vec()
    };
    sextets.chunks(4).flat_map(bytes).collect()
}
