//! Money as whole cents, never floats.

use std::fmt;
use std::iter::Sum;
use std::ops::{Add, AddAssign, Sub};

use rusqlite::types::{FromSql, FromSqlResult, ToSql, ToSqlOutput, ValueRef};
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};

/// An amount in cents (hundredths of the shop's currency).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize)]
#[serde(transparent)]
pub struct Money(i64);

impl Money {
    pub const ZERO: Self = Self(0);

    /// An amount of `cents` hundredths of the currency.
    pub const fn from_cents(cents: i64) -> Self {
        Self(cents)
    }

    pub fn cents(self) -> i64 {
        self.0
    }

    /// `amount` times `qty`, saturating instead of overflowing.
    #[must_use]
    pub fn times(self, qty: u32) -> Self {
        Self(self.0.saturating_mul(i64::from(qty)))
    }

    /// `percent`% of this amount, rounded half up to the cent.
    #[must_use]
    pub fn percent(self, percent: u32) -> Self {
        Self((self.0.saturating_mul(i64::from(percent)) + 50) / 100)
    }

    /// Parses `12`, `12.5`, `12.50` (a dot or a comma as decimal mark).
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim().replace(',', ".");
        let (whole, frac) = text.split_once('.').unwrap_or((&text, ""));
        if whole.is_empty() || frac.len() > 2 || !whole.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        if !frac.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let whole: i64 = whole.parse().ok()?;
        let frac: i64 = match frac.len() {
            0 => 0,
            1 => frac.parse::<i64>().ok()? * 10,
            _ => frac.parse().ok()?,
        };
        whole.checked_mul(100)?.checked_add(frac).map(Self)
    }

    /// Formats with the currency in English style: `€49.99`, or `49.99 CHF` for
    /// currencies without a common symbol.
    pub fn display(self, currency: &str) -> String {
        self.format(currency, "{symbol}{amount}", ".")
    }

    /// The bare amount with two decimals and its sign: `-0.50`, `1234.05`.
    pub fn decimal(self, decimal_mark: &str) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        format!("{sign}{}{decimal_mark}{:02}", abs / 100, abs % 100)
    }

    /// Formats with a language's pattern (`{symbol}{amount}` or `{amount} {symbol}`)
    /// and decimal mark; currencies without a common symbol always read `49.99 CHF`.
    pub fn format(self, currency: &str, pattern: &str, decimal_mark: &str) -> String {
        let amount = self.decimal(decimal_mark);
        let symbol = match currency {
            "EUR" => "€",
            "USD" => "$",
            "GBP" => "£",
            "RON" => "lei",
            _ => return format!("{amount} {currency}"),
        };
        pattern
            .replace("{symbol}", symbol)
            .replace("{amount}", &amount)
    }
}

/// Sums and differences saturate instead of overflowing, like [`Money::times`].
impl Add for Money {
    type Output = Self;
    fn add(self, other: Self) -> Self {
        Self(self.0.saturating_add(other.0))
    }
}

impl AddAssign for Money {
    fn add_assign(&mut self, other: Self) {
        *self = *self + other;
    }
}

impl Sub for Money {
    type Output = Self;
    fn sub(self, other: Self) -> Self {
        Self(self.0.saturating_sub(other.0))
    }
}

impl Sum for Money {
    fn sum<I: Iterator<Item = Self>>(iter: I) -> Self {
        iter.fold(Self::ZERO, Add::add)
    }
}

/// Stored as whole cents (an INTEGER column).
impl ToSql for Money {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::from(self.0))
    }
}

impl FromSql for Money {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        i64::column_result(value).map(Self)
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MoneyVisitor;
        impl Visitor<'_> for MoneyVisitor {
            type Value = Money;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an amount such as 12 or 12.50")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Money, E> {
                v.checked_mul(100)
                    .map(Money)
                    .ok_or_else(|| E::custom("amount too large"))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Money, E> {
                i64::try_from(v)
                    .map_err(|_| E::custom("amount too large"))
                    .and_then(|v| self.visit_i64(v))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Money, E> {
                let cents = (v * 100.0).round();
                if !cents.is_finite() || cents.abs() > 1e15 {
                    return Err(E::custom("amount too large"));
                }
                if ((v * 100.0) - cents).abs() > 1e-6 {
                    return Err(E::custom(
                        "an amount has at most two decimals, such as 12.50",
                    ));
                }
                #[allow(clippy::cast_possible_truncation)]
                Ok(Money(cents as i64))
            }
        }
        deserializer.deserialize_any(MoneyVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::Money;

    #[test]
    fn parses_and_displays() {
        assert_eq!(Money::parse("12"), Some(Money::from_cents(1200)));
        assert_eq!(Money::parse("12,5"), Some(Money::from_cents(1250)));
        assert_eq!(Money::parse("0.05"), Some(Money::from_cents(5)));
        assert_eq!(Money::parse("1.234"), None);
        assert_eq!(Money::parse("-1"), None);
        assert_eq!(Money::from_cents(4999).display("EUR"), "€49.99");
        assert_eq!(Money::from_cents(-500).display("CHF"), "-5.00 CHF");
        assert_eq!(
            Money::from_cents(4999).format("EUR", "{amount} {symbol}", ","),
            "49,99 €"
        );
        assert_eq!(
            Money::from_cents(500).format("RON", "{amount} {symbol}", ","),
            "5,00 lei"
        );
        assert_eq!(Money::from_cents(1999).percent(10), Money::from_cents(200));
    }

    #[test]
    fn a_negative_amount_under_one_keeps_its_sign() {
        // The CSV export printed -50 cents as "0.50".
        assert_eq!(Money::from_cents(-50).decimal("."), "-0.50");
        assert_eq!(Money::from_cents(-5).display("EUR"), "€-0.05");
        assert_eq!(Money::from_cents(123_405).decimal(","), "1234,05");
        assert_eq!(
            Money::from_cents(i64::MIN).decimal("."),
            "-92233720368547758.08"
        );
    }

    #[test]
    fn arithmetic_saturates_and_sums() {
        let max = Money::from_cents(i64::MAX);
        assert_eq!(max + Money::from_cents(1), max);
        assert_eq!(
            Money::from_cents(i64::MIN) - Money::from_cents(1),
            Money::from_cents(i64::MIN)
        );
        assert_eq!(
            Money::from_cents(500) - Money::from_cents(550),
            Money::from_cents(-50)
        );
        let total: Money = [1, 2, 3].into_iter().map(Money::from_cents).sum();
        assert_eq!(total, Money::from_cents(6));
        let mut running = Money::ZERO;
        running += max;
        running += max;
        assert_eq!(running, max);
    }
}
