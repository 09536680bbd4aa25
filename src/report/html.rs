//! The figures as one HTML page with SVG charts drawn here: no JavaScript, no
//! network needed to view it.

use crate::shop::Shop;
use crate::store::Stats;

/// Errors of rendering the report.
#[derive(Debug, thiserror::Error)]
#[error("cannot render the report: {0}")]
pub struct ReportError(String);

/// The report page.
pub fn html(shop: &Shop, stats: &Stats) -> Result<String, ReportError> {
    let _ = (shop, stats);
    Err(ReportError("not built yet".to_owned()))
}
