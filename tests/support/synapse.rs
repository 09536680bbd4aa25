//! A real Synapse homeserver on loopback for the Matrix tests, driven through
//! `scripts/synapse`.
//!
//! `scripts/test` starts one shared homeserver for the whole run and exports
//! `SHOPBOT_TEST_SYNAPSE_URL`, `SHOPBOT_TEST_SYNAPSE_DIR` and
//! `SHOPBOT_TEST_SYNAPSE_SCRIPT`. Without them (a plain `cargo test`, or no network
//! to install Synapse) the Matrix tests skip loudly, unless
//! `SHOPBOT_REQUIRE_SYNAPSE=1`, which turns the skip into a failure.
//!
//! Include with `#[path = "support/synapse.rs"] mod synapse;`.
#![allow(dead_code)]

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

pub const URL_VAR: &str = "SHOPBOT_TEST_SYNAPSE_URL";
pub const DIR_VAR: &str = "SHOPBOT_TEST_SYNAPSE_DIR";
pub const SCRIPT_VAR: &str = "SHOPBOT_TEST_SYNAPSE_SCRIPT";
pub const REQUIRE_VAR: &str = "SHOPBOT_REQUIRE_SYNAPSE";
/// The server name of every user: ids are `@name:localhost`. (Room ids have no
/// server part: room version 12.)
pub const SERVER_NAME: &str = "localhost";

/// A running homeserver: the shared one of the test run, or a private one that
/// this test owns (and may stop and start again).
pub struct Synapse {
    url: String,
    dir: PathBuf,
    script: PathBuf,
    /// Private instances own their folder and are stopped on drop.
    private: Option<tempfile::TempDir>,
}

static USERS: AtomicU32 = AtomicU32::new(0);

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// Prints why the test is skipped, or panics if Synapse is required.
fn skip(why: &str) {
    let msg = format!(
        "\n\
         ************************************************************************\n\
         ** SKIPPED: no Synapse: run scripts/test (it installs and starts one). **\n\
         ** {why}\n\
         ************************************************************************\n"
    );
    assert!(
        env(REQUIRE_VAR).as_deref() != Some("1"),
        "{REQUIRE_VAR}=1 but {why}"
    );
    // Straight to stderr, past libtest's capture: a skip must be seen.
    let _ = std::io::stderr().write_all(msg.as_bytes());
}

fn script_output(script: &Path, args: &[&str]) -> Result<String, String> {
    let out = Command::new(script)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", script.display()))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
    } else {
        Err(format!(
            "{} {} failed ({}):\n{}{}",
            script.display(),
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

impl Synapse {
    /// The homeserver shared by the whole test run (started by `scripts/test`),
    /// or `None` (with a loud message) when there is none.
    pub fn shared() -> Option<Synapse> {
        let (Some(url), Some(dir), Some(script)) = (env(URL_VAR), env(DIR_VAR), env(SCRIPT_VAR))
        else {
            skip(&format!("{URL_VAR}, {DIR_VAR} or {SCRIPT_VAR} is not set"));
            return None;
        };
        Some(Synapse {
            url: url.trim_end_matches('/').to_owned(),
            dir: dir.into(),
            script: script.into(),
            private: None,
        })
    }

    /// A homeserver of this test alone, in a fresh temporary folder: for tests
    /// that stop and restart it. Stopped on drop. `None` (with a loud message)
    /// when the run has no Synapse installed.
    pub fn private() -> Option<Synapse> {
        let Some(script) = env(SCRIPT_VAR) else {
            skip(&format!("{SCRIPT_VAR} is not set"));
            return None;
        };
        let tmp = tempfile::Builder::new()
            .prefix("shopbot-synapse-")
            .tempdir()
            .expect("temp dir for a private Synapse");
        let dir = tmp.path().join("hs");
        let script = PathBuf::from(script);
        let url = script_output(&script, &["start", dir.to_str().expect("utf-8 temp path")])
            .unwrap_or_else(|e| panic!("private Synapse does not start: {e}"));
        Some(Synapse {
            url,
            dir,
            script,
            private: Some(tmp),
        })
    }

    /// The base URL, `http://127.0.0.1:PORT` (no trailing slash).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The homeserver's folder (config, database, logs).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn dir_arg(&self) -> &str {
        self.dir.to_str().expect("utf-8 Synapse folder")
    }

    /// Stops the homeserver (by the pid it was started with). Only for private
    /// instances: the shared one serves other tests.
    pub fn stop(&self) {
        assert!(
            self.private.is_some(),
            "only a private Synapse may be stopped"
        );
        script_output(&self.script, &["stop", self.dir_arg()])
            .unwrap_or_else(|e| panic!("Synapse does not stop: {e}"));
    }

    /// Starts a stopped private homeserver again: same folder, database and port.
    pub fn start(&self) {
        assert!(
            self.private.is_some(),
            "only a private Synapse may be started"
        );
        let url = script_output(&self.script, &["start", self.dir_arg()])
            .unwrap_or_else(|e| panic!("Synapse does not start again: {e}"));
        assert_eq!(url, self.url, "a restarted Synapse keeps its port");
    }

    /// Registers a new user whose name starts with `prefix` (unique across the
    /// run and across runs). Returns `(user_id, password)`, the id as
    /// `@name:localhost`.
    pub fn register(&self, prefix: &str) -> (String, String) {
        self.register_all(&[prefix]).pop().expect("one user")
    }

    /// Registers one user per prefix, in parallel (each registration takes
    /// ~0.6 s). Same order as `prefixes`.
    pub fn register_all(&self, prefixes: &[&str]) -> Vec<(String, String)> {
        let users: Vec<(String, String)> = prefixes.iter().map(|p| unique_user(p)).collect();
        let children: Vec<_> = users
            .iter()
            .map(|(name, password)| {
                let child = Command::new(&self.script)
                    .args(["register", self.dir_arg(), name, password])
                    .stdin(Stdio::null())
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap_or_else(|e| panic!("cannot run {}: {e}", self.script.display()));
                (name, child)
            })
            .collect();
        for (name, child) in children {
            let out = child
                .wait_with_output()
                .expect("register_new_matrix_user runs");
            assert!(
                out.status.success(),
                "registering {name} failed: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        users
            .into_iter()
            .map(|(name, password)| (format!("@{name}:{SERVER_NAME}"), password))
            .collect()
    }
}

/// A user name no other test (of this run or an earlier one on the same
/// homeserver) has: prefix, counter, pid, time; lower-case, Matrix-safe.
fn unique_user(prefix: &str) -> (String, String) {
    let n = USERS.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_nanos();
    let clean: String = prefix
        .to_lowercase()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || "._=-".contains(*c))
        .collect();
    let name = format!(
        "{clean}{n}-{}-{}",
        std::process::id(),
        nanos % 1_000_000_000
    );
    let password = format!("pw-{name}-{}", nanos % 997);
    (name, password)
}

impl Drop for Synapse {
    fn drop(&mut self) {
        if self.private.is_some() {
            // Never panic in drop: a failed stop is reported, not fatal.
            if let Err(e) = script_output(&self.script, &["stop", self.dir_arg()]) {
                eprintln!("private Synapse did not stop: {e}");
            }
        }
    }
}
