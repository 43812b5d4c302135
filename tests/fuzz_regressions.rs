//! Inputs the fuzz targets in `fuzz/` found to crash or hang the library, inline, one test
//! per finding: each must now be an error naming the file (or a clean parse).

use std::io::Cursor;

use staydown::FrameSource;
use staydown::decode::DecodeOptions;

/// Reads a Y4M stream to its end; the error, if any.
fn y4m_error(bytes: &[u8]) -> Option<String> {
    let opts = DecodeOptions::default();
    let mut src = match FrameSource::y4m_reader(Cursor::new(bytes.to_vec()), "found.y4m", &opts) {
        Ok(s) => s,
        Err(e) => return Some(e.to_string()),
    };
    loop {
        match src.next_frame() {
            Ok(Some(_)) => {}
            Ok(None) => return None,
            Err(e) => return Some(e.to_string()),
        }
    }
}

/// fuzz `y4m`, crash-c14e06a1: a header token starting with a multibyte character panicked
/// (`str::split_at(1)` inside the character).
#[test]
fn y4m_header_token_with_a_multibyte_first_character() {
    let input = b"YUV4MPEG2 W16 H12 F4:1 \xd2\x8c=FULL\nFRAME\n";
    let err = y4m_error(input).expect("a truncated frame is an error");
    assert!(err.contains("found.y4m"), "{err}");
    // The token is ignored as an unknown tag; the stream itself is read.
    assert!(err.contains("truncated Y4M stream"), "{err}");
    // Only multibyte tokens, as in crash-e3871f23.
    let input = b"YUV4MPEG2 W9 H7 F4:1 \xd5\x81B \xc3\xa9 Cmono\n";
    assert_eq!(y4m_error(input), None);
}
