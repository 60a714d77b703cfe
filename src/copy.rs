//! The copy of a picture whose lines are not back to back: many rows of one
//! length, each from a strided source to a strided destination, in one call.
//!
//! Rows that are back to back on both sides are merged into one memcpy by
//! the copy plan and never come here. Padded rows used to be one memcpy
//! call each, and a 4K I420 picture has 4,320 of them: each call paid
//! memcpy's start-up (`rep movsb` from 2,112 bytes on this machine, its size
//! dispatch below that), about a fifth of the time of the whole copy. Here
//! the rows are copied with AVX2 32-byte moves in one loop, and each row's
//! tail is one last, overlapping 32-byte move.

/// `rows` rows of `len` bytes from `src` (one row every `src_stride` bytes)
/// to `dst` (one row every `dst_stride` bytes), both starting at row 0.
///
/// Panics if a row would fall outside either slice.
pub fn copy_rows(src: &[u8], src_stride: usize, dst: &mut [u8], dst_stride: usize, len: usize, rows: usize) {
    if rows == 0 || len == 0 {
        return;
    }
    let fits = |total: usize, stride: usize| {
        (rows - 1).checked_mul(stride).and_then(|last| last.checked_add(len)).is_some_and(|end| end <= total)
    };
    assert!(
        fits(src.len(), src_stride) && fits(dst.len(), dst_stride),
        "{rows} rows of {len} bytes do not fit {} bytes every {src_stride} into {} bytes every {dst_stride}",
        src.len(),
        dst.len()
    );
    #[cfg(target_arch = "x86_64")]
    if len >= 32 && std::is_x86_feature_detected!("avx2") {
        // SAFETY: every row lies inside both slices (asserted above), the
        // slices do not overlap (one is borrowed mutably), and the CPU has AVX2.
        unsafe { x86::rows_avx2(src.as_ptr(), src_stride, dst.as_mut_ptr(), dst_stride, len, rows) };
        return;
    }
    for row in 0..rows {
        dst[row * dst_stride..][..len].copy_from_slice(&src[row * src_stride..][..len]);
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::{__m256i, _mm256_loadu_si256, _mm256_storeu_si256};

    /// # Safety
    /// As [`super::copy_rows`] checks: `rows` rows of `len >= 32` bytes at
    /// the strides lie inside non-overlapping buffers; the CPU has AVX2.
    #[target_feature(enable = "avx2")]
    pub unsafe fn rows_avx2(
        src: *const u8,
        src_stride: usize,
        dst: *mut u8,
        dst_stride: usize,
        len: usize,
        rows: usize,
    ) {
        const V: usize = 32;
        for row in 0..rows {
            // SAFETY: the caller's contract; every access below is inside
            // row `row`, which holds `len >= 32` bytes on both sides.
            unsafe {
                let s = src.add(row * src_stride);
                let d = dst.add(row * dst_stride);
                // Unaligned throughout: aligning the stores measured no
                // faster here (and slower on 4K rows).
                let mut i = 0;
                while i + 4 * V <= len {
                    let a = _mm256_loadu_si256(s.add(i).cast::<__m256i>());
                    let b = _mm256_loadu_si256(s.add(i + V).cast::<__m256i>());
                    let c = _mm256_loadu_si256(s.add(i + 2 * V).cast::<__m256i>());
                    let e = _mm256_loadu_si256(s.add(i + 3 * V).cast::<__m256i>());
                    _mm256_storeu_si256(d.add(i).cast::<__m256i>(), a);
                    _mm256_storeu_si256(d.add(i + V).cast::<__m256i>(), b);
                    _mm256_storeu_si256(d.add(i + 2 * V).cast::<__m256i>(), c);
                    _mm256_storeu_si256(d.add(i + 3 * V).cast::<__m256i>(), e);
                    i += 4 * V;
                }
                while i + V <= len {
                    _mm256_storeu_si256(d.add(i).cast::<__m256i>(), _mm256_loadu_si256(s.add(i).cast::<__m256i>()));
                    i += V;
                }
                if i < len {
                    // The last 32 bytes of the row, overlapping what is done.
                    let last = len - V;
                    _mm256_storeu_si256(
                        d.add(last).cast::<__m256i>(),
                        _mm256_loadu_si256(s.add(last).cast::<__m256i>()),
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Row by row with `copy_from_slice`: what `copy_rows` must equal.
    fn reference(src: &[u8], ss: usize, dst: &mut [u8], ds: usize, len: usize, rows: usize) {
        for r in 0..rows {
            dst[r * ds..r * ds + len].copy_from_slice(&src[r * ss..r * ss + len]);
        }
    }

    #[test]
    fn every_length_and_stride_matches_row_by_row_copies() {
        let src: Vec<u8> = (0..40_000u32).map(|i| (i * 7 + i / 251) as u8).collect();
        for len in [1, 2, 31, 32, 33, 63, 64, 127, 128, 129, 200, 1920, 3840] {
            for (pad_src, pad_dst) in [(0, 0), (1, 0), (64, 0), (0, 5), (33, 17)] {
                let (ss, ds) = (len + pad_src, len + pad_dst);
                let rows = (src.len() / ss).min(9);
                // Start at odd offsets too, so no access is aligned by luck.
                for offset in [0, 1, 13] {
                    let src = &src[offset..];
                    let rows = rows.min((src.len() - len) / ss + 1);
                    let mut got = vec![0xEEu8; ds * rows + 3];
                    let mut want = got.clone();
                    copy_rows(src, ss, &mut got, ds, len, rows);
                    reference(src, ss, &mut want, ds, len, rows);
                    assert_eq!(got, want, "len {len} strides {ss}/{ds} offset {offset}");
                }
            }
        }
    }

    #[test]
    fn nothing_to_copy() {
        let mut dst = [9u8; 4];
        copy_rows(&[], 0, &mut dst, 0, 0, 5);
        copy_rows(&[1, 2], 2, &mut dst, 2, 2, 0);
        assert_eq!(dst, [9; 4]);
    }

    #[test]
    #[should_panic(expected = "do not fit")]
    fn a_row_outside_the_source_is_refused() {
        let mut dst = [0u8; 300];
        copy_rows(&[0u8; 200], 100, &mut dst, 100, 64, 3);
    }

    #[test]
    #[should_panic(expected = "do not fit")]
    fn a_row_outside_the_destination_is_refused() {
        let mut dst = [0u8; 100];
        copy_rows(&[0u8; 300], 100, &mut dst, 40, 64, 2);
    }
}
