//! [`OrderStatus`]: where an order is on its way, and the one rule for moving it.
//!
//! The only place the status words are written: the database column, JSON, CSV
//! and the owner's messages all use [`OrderStatus::as_str`] (the migration's
//! `CHECK` constraint lists the same words and must not change).

use std::fmt;
use std::str::FromStr;

use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};
use serde::{Deserialize, Serialize};

/// Where an order is: placed, then paid, shipped and delivered, or cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OrderStatus {
    New,
    Paid,
    Shipped,
    Delivered,
    Cancelled,
}

impl OrderStatus {
    /// Every status, in the order an order goes through them.
    pub const ALL: [Self; 5] = [
        Self::New,
        Self::Paid,
        Self::Shipped,
        Self::Delivered,
        Self::Cancelled,
    ];

    /// The statuses the owner can set (all but `new`), in the same order.
    pub const SETTABLE: [Self; 4] = [Self::Paid, Self::Shipped, Self::Delivered, Self::Cancelled];

    /// The word stored in the database and shown to the owner.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::Paid => "paid",
            Self::Shipped => "shipped",
            Self::Delivered => "delivered",
            Self::Cancelled => "cancelled",
        }
    }

    /// Reads a status as the owner may write it: any case, and the usual
    /// variants (`canceled`, `cancel`, `ship`, `sent`).
    pub fn from_word(word: &str) -> Option<Self> {
        let word = word.to_ascii_lowercase();
        match word.as_str() {
            "canceled" | "cancel" => Some(Self::Cancelled),
            "ship" | "sent" => Some(Self::Shipped),
            other => other.parse().ok(),
        }
    }

    /// Delivered and cancelled orders cannot change any more.
    pub const fn is_final(self) -> bool {
        matches!(self, Self::Delivered | Self::Cancelled)
    }

    /// Whether an order that is `self` may be moved to `next`: the one transition
    /// rule. A final order stays as it is, and moving to the same status is no move.
    pub fn can_become(self, next: Self) -> bool {
        !self.is_final() && self != next
    }

    /// Whether a confirmed payment may mark it paid: only a new order can.
    pub const fn awaits_payment(self) -> bool {
        matches!(self, Self::New)
    }

    /// Whether its goods are back in stock (a cancelled order's are).
    pub const fn returns_stock(self) -> bool {
        matches!(self, Self::Cancelled)
    }
}

impl fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `pad`, so that widths such as `{:<9}` apply.
        f.pad(self.as_str())
    }
}

/// Compares with the stored word (`status == "new"`).
impl PartialEq<str> for OrderStatus {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for OrderStatus {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// A word that is not an order status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown order status {0:?} (one of new, paid, shipped, delivered, cancelled)")]
pub struct UnknownStatus(pub String);

impl FromStr for OrderStatus {
    type Err = UnknownStatus;

    /// Exactly the stored word (lower-case); see [`OrderStatus::from_word`] for
    /// the owner's spellings.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|status| status.as_str() == s)
            .ok_or_else(|| UnknownStatus(s.to_owned()))
    }
}

impl ToSql for OrderStatus {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::from(self.as_str()))
    }
}

impl FromSql for OrderStatus {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        value
            .as_str()?
            .parse()
            .map_err(|e| FromSqlError::Other(Box::new(e)))
    }
}

#[cfg(test)]
mod tests {
    use super::OrderStatus;

    #[test]
    fn words_round_trip() {
        for status in OrderStatus::ALL {
            assert_eq!(status.as_str().parse(), Ok(status));
            assert_eq!(status.to_string(), status.as_str());
            assert_eq!(
                serde_json::to_string(&status).unwrap(),
                format!("\"{}\"", status.as_str())
            );
        }
        assert_eq!(format!("{:<9}|", OrderStatus::Paid), "paid     |");
        assert!("Paid".parse::<OrderStatus>().is_err());
        assert_eq!(OrderStatus::New, "new");
        assert_eq!(
            OrderStatus::from_word("Canceled"),
            Some(OrderStatus::Cancelled)
        );
        assert_eq!(OrderStatus::from_word("SENT"), Some(OrderStatus::Shipped));
        assert_eq!(OrderStatus::from_word("lost"), None);
    }

    #[test]
    fn final_statuses_do_not_move() {
        use OrderStatus::{Cancelled, Delivered, New, Paid, Shipped};
        assert!(New.can_become(Paid));
        assert!(Shipped.can_become(Paid));
        assert!(!Paid.can_become(Paid));
        assert!(!Delivered.can_become(Cancelled));
        assert!(!Cancelled.can_become(Paid));
    }

    #[test]
    fn sql_round_trip() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        for status in OrderStatus::ALL {
            let back: OrderStatus = conn
                .query_row("SELECT ?1", [status], |row| row.get(0))
                .unwrap();
            assert_eq!(back, status);
        }
        let bad = conn.query_row("SELECT 'lost'", [], |row| row.get::<_, OrderStatus>(0));
        assert!(bad.is_err());
    }
}
