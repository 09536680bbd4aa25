//! QR codes of a link, for a flyer or a shop window: SVG (drawn by the `qrcode`
//! crate) and PNG (written here from the same module matrix, black on white,
//! with the standard quiet zone of four modules).

use qrcode::render::{Renderer, svg};
use qrcode::{Color, EcLevel, QrCode};

/// The light margin around the code, in modules (what scanners expect).
pub const QUIET_ZONE: usize = 4;
/// Pixels per module in the PNG: a 33-module code is 410 pixels wide, sharp
/// when printed at 3–4 cm.
pub const SCALE: usize = 10;

/// Errors of drawing a QR code.
#[derive(Debug, thiserror::Error)]
pub enum QrError {
    #[error("the link does not fit in a QR code: {0}")]
    Encode(#[from] qrcode::types::QrError),
    #[error("cannot write the PNG: {0}")]
    Png(#[from] png::EncodingError),
}

/// A link's QR code: its modules, dark or light, row by row (no quiet zone).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Qr {
    width: usize,
    dark: Vec<bool>,
}

impl Qr {
    /// The code of `text`, with error correction level M (15 % of the code
    /// may be damaged or dirty and it still reads).
    pub fn new(text: &str) -> Result<Self, QrError> {
        let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)?;
        let dark = code
            .to_colors()
            .into_iter()
            .map(|c| c == Color::Dark)
            .collect();
        Ok(Self {
            width: code.width(),
            dark,
        })
    }

    /// Modules per side, without the quiet zone.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Whether the module at column `x`, row `y` is dark (outside: light).
    pub fn is_dark(&self, x: usize, y: usize) -> bool {
        x < self.width && y < self.width && self.dark[y * self.width + x]
    }

    /// Pixels per side of [`Self::png`].
    pub fn png_side(&self) -> usize {
        (self.width + 2 * QUIET_ZONE) * SCALE
    }

    /// The code as an SVG document, quiet zone included, [`SCALE`] units per module.
    pub fn svg(&self) -> String {
        let module = u32::try_from(SCALE).unwrap_or(10);
        let quiet = u32::try_from(QUIET_ZONE).unwrap_or(4);
        let colors: Vec<Color> = self
            .dark
            .iter()
            .map(|&d| if d { Color::Dark } else { Color::Light })
            .collect();
        Renderer::<svg::Color<'_>>::new(&colors, self.width, quiet)
            .quiet_zone(true)
            .module_dimensions(module, module)
            .dark_color(svg::Color("#000000"))
            .light_color(svg::Color("#ffffff"))
            .build()
    }

    /// The code as a PNG: 8-bit greyscale, black modules on white, quiet zone included.
    pub fn png(&self) -> Result<Vec<u8>, QrError> {
        let side = self.png_side();
        let mut pixels = vec![255u8; side * side];
        for y in 0..self.width {
            for x in 0..self.width {
                if !self.is_dark(x, y) {
                    continue;
                }
                for row in 0..SCALE {
                    let start = ((y + QUIET_ZONE) * SCALE + row) * side + (x + QUIET_ZONE) * SCALE;
                    pixels[start..start + SCALE].fill(0);
                }
            }
        }
        let side = u32::try_from(side).unwrap_or(u32::MAX);
        let mut out = Vec::new();
        let mut encoder = png::Encoder::new(&mut out, side, side);
        encoder.set_color(png::ColorType::Grayscale);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header()?;
        writer.write_image_data(&pixels)?;
        writer.finish()?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::{QUIET_ZONE, Qr, SCALE};

    /// The PNG shows exactly the code's modules: each module's centre pixel
    /// is black where the module is dark, and the quiet zone is white.
    #[test]
    fn png_pixels_are_the_modules() {
        let qr =
            Qr::new("https://t.me/BrickyardBot?start=p-castle-dragon-tower_s-instagram").unwrap();
        let png = qr.png().unwrap();
        let decoder = png::Decoder::new(std::io::Cursor::new(png));
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        let side = qr.png_side();
        assert_eq!((info.width as usize, info.height as usize), (side, side));
        assert_eq!(side, (qr.width() + 8) * SCALE);
        for my in 0..qr.width() + 2 * QUIET_ZONE {
            for mx in 0..qr.width() + 2 * QUIET_ZONE {
                let pixel = buf[(my * SCALE + SCALE / 2) * side + mx * SCALE + SCALE / 2];
                let dark = mx >= QUIET_ZONE
                    && my >= QUIET_ZONE
                    && qr.is_dark(mx - QUIET_ZONE, my - QUIET_ZONE);
                assert_eq!(pixel, if dark { 0 } else { 255 }, "module ({mx}, {my})");
            }
        }
        // The three finder patterns: dark corners of the code.
        let w = qr.width();
        assert!(qr.is_dark(0, 0) && qr.is_dark(w - 1, 0) && qr.is_dark(0, w - 1));
    }

    #[test]
    fn svg_is_a_document_of_the_same_size() {
        let qr = Qr::new("https://matrix.to/#/@shop:example.org").unwrap();
        let svg = qr.svg();
        let side = qr.png_side();
        assert!(svg.starts_with("<?xml"), "{svg}");
        assert!(
            svg.contains(&format!("width=\"{side}\" height=\"{side}\"")),
            "{svg}"
        );
        assert!(svg.trim_end().ends_with("</svg>"));
    }
}
