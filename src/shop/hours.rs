//! Business hours. (Stub: replaced by the full implementation.)

use super::model::BusinessHours;

/// Parsed opening hours per weekday.
#[derive(Debug, Clone, Default)]
pub struct Hours;

impl Hours {
    pub fn parse(_raw: &BusinessHours) -> Result<Self, String> {
        Ok(Self)
    }
}
