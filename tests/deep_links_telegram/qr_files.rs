//! `shopbot link` writes one QR code per channel as SVG and PNG: the PNG is a
//! real PNG of the announced size whose modules are the link's QR code (read
//! back pixel by pixel), the SVG a well-formed document of the same code.

use std::path::Path;

use qrcode::{Color, EcLevel, QrCode};

use super::{MATRIX, link, shop_with};

const QUIET: usize = 4;
const SCALE: usize = 10;

/// The PNG's greyscale pixels and side, after checking its signature.
fn read_png(path: &Path) -> (Vec<u8>, usize) {
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "{}", path.display());
    let mut reader = png::Decoder::new(std::io::Cursor::new(bytes))
        .read_info()
        .unwrap();
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut pixels).unwrap();
    assert_eq!(info.width, info.height);
    assert_eq!(info.color_type, png::ColorType::Grayscale);
    (pixels, info.width as usize)
}

/// Reads the modules back from the PNG: the centre pixel of each cell.
fn modules(pixels: &[u8], side: usize) -> Vec<bool> {
    let cells = side / SCALE;
    let mut dark = Vec::new();
    for y in 0..cells {
        for x in 0..cells {
            let p = pixels[(y * SCALE + SCALE / 2) * side + x * SCALE + SCALE / 2];
            assert!(p == 0 || p == 255, "pure black and white only");
            dark.push(p == 0);
        }
    }
    dark
}

/// The modules `text` must give, quiet zone included.
fn expected(text: &str) -> (Vec<bool>, usize) {
    let code = QrCode::with_error_correction_level(text, EcLevel::M).unwrap();
    let width = code.width();
    let colors = code.to_colors();
    let cells = width + 2 * QUIET;
    let mut dark = vec![false; cells * cells];
    for y in 0..width {
        for x in 0..width {
            dark[(y + QUIET) * cells + x + QUIET] = colors[y * width + x] == Color::Dark;
        }
    }
    (dark, cells)
}

/// Tags open and close in order; the root is one `<svg>`.
fn assert_well_formed(svg: &str) {
    let body = svg.trim();
    assert!(body.starts_with("<?xml"), "{body}");
    let mut open: Vec<String> = Vec::new();
    let mut roots = 0;
    let mut rest = &body[body.find("?>").unwrap() + 2..];
    while let Some(start) = rest.find('<') {
        let end = rest[start..].find('>').unwrap() + start;
        let tag = &rest[start + 1..end];
        rest = &rest[end + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(open.pop().as_deref(), Some(name.trim()), "{body}");
        } else if !tag.ends_with('/') {
            let name = tag.split_whitespace().next().unwrap().to_owned();
            if open.is_empty() {
                roots += 1;
                assert_eq!(name, "svg");
            }
            open.push(name);
        } else if open.is_empty() {
            roots += 1;
        }
    }
    assert!(open.is_empty(), "unclosed {open:?}");
    assert_eq!(roots, 1);
    assert!(rest.trim().is_empty());
}

#[test]
fn the_qr_codes_are_the_links() {
    let dir = tempfile::tempdir().unwrap();
    shop_with(
        dir.path(),
        &format!("[telegram]\nusername = \"TestBricksBot\"\n\n{MATRIX}"),
    );
    let out = link(
        dir.path(),
        &["p-castle", "--source", "window", "--out", "flyer"],
        &[],
    );
    let printed = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{printed}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let telegram = "https://t.me/TestBricksBot?start=p-castle_s-window";
    let matrix = "https://matrix.to/#/@shop:example.org";
    let side = expected(telegram).1 * SCALE;
    let stem = "flyer/qr-p-castle_s-window";
    assert_eq!(
        printed,
        format!(
            "Link to the product `castle` (Knight's Castle), source `window`\n\
             Payload: p-castle_s-window (17 of 64 characters)\n\
             \n\
             Telegram: {telegram}\n          \
             QR code: {stem}-telegram.svg and {stem}-telegram.png ({side}×{side} px)\n\
             \n\
             Matrix:   {matrix}\n          \
             then send: start p-castle_s-window  (print it next to the code: Matrix links cannot carry it)\n          \
             QR code: {stem}-matrix.svg and {stem}-matrix.png ({m}×{m} px)\n",
            m = (expected(matrix).1) * SCALE,
        )
    );
    for (channel, url) in [("telegram", telegram), ("matrix", matrix)] {
        let png = dir.path().join(format!("{stem}-{channel}.png"));
        let (pixels, side) = read_png(&png);
        let (want, cells) = expected(url);
        assert_eq!(side, cells * SCALE, "{channel}");
        assert_eq!(
            modules(&pixels, side),
            want,
            "{channel}: the PNG shows the link's code"
        );
        let svg =
            std::fs::read_to_string(dir.path().join(format!("{stem}-{channel}.svg"))).unwrap();
        assert_well_formed(&svg);
        assert!(
            svg.contains(&format!("width=\"{side}\" height=\"{side}\"")),
            "{channel}: {svg}"
        );
    }
    // Running it again overwrites the files with the same bytes.
    let before = std::fs::read(dir.path().join(format!("{stem}-telegram.png"))).unwrap();
    let again = link(
        dir.path(),
        &["p-castle", "--source", "window", "--out", "flyer"],
        &[],
    );
    assert!(again.status.success());
    let after = std::fs::read(dir.path().join(format!("{stem}-telegram.png"))).unwrap();
    assert_eq!(before, after);
}
