//! `[web]`: the chat on the seller's own website, served by the bot itself.

use serde::Deserialize;

/// `[web]`: where the web chat listens and who may embed it. Absent: no web chat.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebSettings {
    /// The address the bot listens on, e.g. `127.0.0.1:8080` behind a reverse
    /// proxy (port 0: any free port, logged at the start).
    pub listen: String,
    /// The address customers' browsers reach the bot at, e.g.
    /// `https://chat.example.com` (the proxy's); default `http://` + `listen`.
    pub public_url: Option<String>,
    /// The sites whose pages may embed the chat (`https://www.example.com`);
    /// the bot's own `/chat` page is always allowed.
    #[serde(default)]
    pub allowed_origins: Vec<String>,
    /// The chat's title; default the shop's name.
    pub title: Option<String>,
    /// The accent colour of the launcher, header and buttons (`#RRGGBB`).
    #[serde(default = "default_colour")]
    pub colour: String,
    /// A picture for the header, a file next to `shop.toml`.
    pub avatar: Option<String>,
    /// Open chats at once, over all customers; more are refused until one closes.
    #[serde(default = "default_max_connections")]
    pub max_connections: usize,
    /// Open chats from one address at once.
    #[serde(default = "default_per_address")]
    pub max_per_address: usize,
    /// Minutes without a customer's message before a chat's connection is closed
    /// (the page reconnects when the customer comes back).
    #[serde(default = "default_idle_minutes")]
    pub idle_minutes: u32,
}

fn default_colour() -> String {
    "#1f6feb".to_owned()
}

fn default_max_connections() -> usize {
    2000
}

fn default_per_address() -> usize {
    20
}

fn default_idle_minutes() -> u32 {
    15
}

impl WebSettings {
    /// The defaults, listening on `listen`.
    pub fn at(listen: &str) -> Self {
        Self {
            listen: listen.to_owned(),
            public_url: None,
            allowed_origins: Vec::new(),
            title: None,
            colour: default_colour(),
            avatar: None,
            max_connections: default_max_connections(),
            max_per_address: default_per_address(),
            idle_minutes: default_idle_minutes(),
        }
    }
}

/// An origin as browsers send it: `scheme://host[:port]`, lower case, no
/// default port, no path. `None` for anything else.
pub fn origin_of(text: &str) -> Option<String> {
    let url = url::Url::parse(text.trim()).ok()?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return None;
    }
    Some(url.origin().ascii_serialization())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_compared_as_browsers_send_them() {
        assert_eq!(
            origin_of("https://Shop.Example.com/"),
            Some("https://shop.example.com".to_owned())
        );
        assert_eq!(
            origin_of("https://shop.example.com:443/path?q"),
            Some("https://shop.example.com".to_owned())
        );
        assert_eq!(
            origin_of("http://127.0.0.1:8080"),
            Some("http://127.0.0.1:8080".to_owned())
        );
        assert_eq!(origin_of("null"), None);
        assert_eq!(origin_of("file:///etc/passwd"), None);
        assert_eq!(origin_of("javascript:alert(1)"), None);
    }
}
