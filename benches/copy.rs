//! The copy into the application's buffer, in process, against a plain
//! memcpy of the same number of bytes (criterion). `make bench` reads the
//! estimates and prints `copy_<case>_vs_memcpy` (our bytes/s over memcpy's).
//!
//! Packed frames are one memcpy; frames whose coded picture has padding
//! lines below are one copy per plane; padding columns make every line a
//! row of its own, copied by the row kernel (`ffi::copy`) in one call per plane.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use smem_rs_plugin::ffi::es::VideoFormat;
use smem_rs_plugin::fourcc::Fourcc;
use smem_rs_plugin::smem::formats::chroma;
use smem_rs_plugin::smem::geometry::{packed_size, FramePlan};

/// (name, chroma, coded width x height, visible width x height)
const CASES: &[(&str, &[u8; 4], (u32, u32), (u32, u32))] = &[
    ("rv32_1080p", b"RV32", (1920, 1080), (1920, 1080)),
    ("rv32_4k", b"RV32", (3840, 2160), (3840, 2160)),
    ("i420_1080p", b"I420", (1920, 1080), (1920, 1080)),
    ("i420_4k", b"I420", (3840, 2160), (3840, 2160)),
    ("i420_1080p_padded_lines", b"I420", (1920, 1088), (1920, 1080)),
    ("i420_1080p_padded_lines_and_columns", b"I420", (1984, 1088), (1920, 1080)),
    ("i420_4k_padded_lines_and_columns", b"I420", (3904, 2176), (3840, 2160)),
    ("rv32_4k_padded_columns", b"RV32", (3904, 2160), (3840, 2160)),
];

fn copy(c: &mut Criterion) {
    let mut group = c.benchmark_group("copy");
    group.sample_size(30).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    for &(name, code, (w, h), (vw, vh)) in CASES {
        let chroma = chroma(Fourcc::new(code)).expect("a chroma of the table");
        let format = VideoFormat::picture(chroma.fourcc, (w, h), (0, 0), (vw, vh));
        let block = vec![0x5Au8; packed_size(chroma, w, h)];
        let plan = FramePlan::new(chroma, &format, block.len());
        assert_eq!((plan.width, plan.height), (vw, vh), "{name}: unexpected plan {plan:?}");
        // One source and one destination for both, touched once, as VLC's
        // block and an application's reused buffer are: the two contenders
        // differ only in how they copy.
        let mut dst = vec![1u8; plan.size];
        group.throughput(Throughput::Bytes(plan.size as u64));
        group.bench_function(BenchmarkId::new("smem_rs", name), |b| {
            b.iter(|| plan.copy(black_box(&block), black_box(&mut dst)))
        });
        group.bench_function(BenchmarkId::new("memcpy", name), |b| {
            b.iter(|| black_box(&mut dst[..]).copy_from_slice(black_box(&block[..plan.size])))
        });
        eprintln!("{name}: {} runs for {} bytes", plan.runs().len(), plan.size);
    }
    group.finish();
}

criterion_group!(benches, copy);
criterion_main!(benches);
