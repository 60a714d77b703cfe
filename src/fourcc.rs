//! VLC's four-character codes, as in `vlc_fourcc.h` (`VLC_FOURCC(a,b,c,d)`
//! packs the bytes little-endian).

use std::fmt;

#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fourcc(pub u32);

impl Fourcc {
    pub const fn new(code: &[u8; 4]) -> Self {
        Fourcc(u32::from_le_bytes(*code))
    }
    pub const fn bytes(self) -> [u8; 4] {
        self.0.to_le_bytes()
    }
}

impl fmt::Display for Fourcc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.bytes() {
            let c = if b.is_ascii_graphic() || b == b' ' { b as char } else { '?' };
            write!(f, "{c}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Fourcc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "'{self}'")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packs_like_vlc_fourcc() {
        // VLC_FOURCC('R','V','2','4') == 'R' | 'V'<<8 | '2'<<16 | '4'<<24
        assert_eq!(Fourcc::new(b"RV24").0, 0x3432_5652);
        assert_eq!(Fourcc::new(b"s16l").to_string(), "s16l");
        assert_eq!(Fourcc(0x0000_0041).to_string(), "A???");
    }
}
