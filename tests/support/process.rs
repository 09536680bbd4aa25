//! The real `shopbot run` binary as a child process.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// A running bot; killed when dropped.
pub struct BotProcess {
    child: Child,
    pub log: PathBuf,
}

impl BotProcess {
    /// Starts `shopbot run` with only the environment given (no Telegram unless set).
    pub fn spawn(shop: &Path, db: &Path, env: &[(&str, &str)]) -> Self {
        let log = db.with_extension(format!(
            "{}.log",
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos())
        ));
        let file = std::fs::File::create(&log).expect("log file");
        let mut command = Command::new(env!("CARGO_BIN_EXE_shopbot"));
        command
            .args(["run", "--shop"])
            .arg(shop)
            .arg("--db")
            .arg(db)
            .env_remove("SHOPBOT_SHOP")
            .env_remove("SHOPBOT_DB")
            .env_remove("CREDENTIALS_DIRECTORY")
            .env_remove("SHOPBOT_TELEGRAM_TOKEN")
            .env_remove("SHOPBOT_MATRIX_PASSWORD")
            .env("RUST_LOG", "info,shopbot=debug")
            .stdin(Stdio::null())
            .stdout(file.try_clone().expect("log file"))
            .stderr(file);
        for (key, value) in env {
            command.env(key, value);
        }
        let child = command.spawn().expect("shopbot starts");
        Self { child, log }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGTERM, as systemd stops a service.
    pub fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -TERM failed");
    }

    /// SIGKILL: no chance to clean up.
    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Waits for the process to end; `None` if it is still running after `timeout`.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let start = Instant::now();
        while start.elapsed() < timeout {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for BotProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Copies a test shop (and its images and token files) into `dir`, so a test
/// can change it freely; returns the new `shop.toml` path.
pub fn copy_shop(name: &str, dir: &Path) -> PathBuf {
    let source = Path::new("tests/fixtures/shops");
    let target = dir.join("shop.toml");
    std::fs::copy(source.join(format!("{name}.toml")), &target).expect("copy shop");
    std::fs::create_dir_all(dir.join("images")).expect("images dir");
    for entry in std::fs::read_dir(source.join("images")).expect("images") {
        let entry = entry.expect("image");
        std::fs::copy(entry.path(), dir.join("images").join(entry.file_name()))
            .expect("copy image");
    }
    std::fs::copy(source.join("provider.token"), dir.join("provider.token")).expect("token");
    // What digital products deliver: pattern files and pools of codes.
    for folder in ["patterns", "codes"] {
        std::fs::create_dir_all(dir.join(folder)).expect("folder");
        for entry in std::fs::read_dir(source.join(folder)).expect(folder) {
            let entry = entry.expect("file");
            std::fs::copy(entry.path(), dir.join(folder).join(entry.file_name())).expect("copy");
        }
    }
    target
}

/// Outbox rows not yet sent (0 when the database does not exist yet).
pub fn unsent(db: &Path) -> i64 {
    let Ok(conn) = rusqlite::Connection::open(db) else {
        return 0;
    };
    conn.query_row(
        "SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL",
        [],
        |r| r.get(0),
    )
    .unwrap_or(0)
}

/// `VmRSS` of a process, in KiB.
pub fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}
