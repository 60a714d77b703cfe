//! The copy into the application's buffer, in process, against a plain
//! memcpy of the same number of bytes. Criterion measures each one's bytes
//! per second. The ratio comes from a paired run after it: the two copies
//! alternate, and the fastest of many rounds of each is compared, because
//! on a shared VM two benchmarks measured one after the other drift apart
//! by ±10 % even when they make the very same memcpy call. `make bench`
//! prints both (`copy_<case>_gib_per_s`, `copy_<case>_vs_memcpy`).
//!
//! Packed frames are one memcpy; frames whose coded picture has padding
//! lines below are one copy per plane; padding columns make every line a
//! row of its own, copied by the row kernel (`smem_rs_plugin::copy`) in one call per plane.

use std::fmt::Write as _;
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput};
use smem_rs_plugin::ffi::es::VideoFormat;
use smem_rs_plugin::fourcc::Fourcc;
use smem_rs_plugin::smem::formats::chroma;
use smem_rs_plugin::smem::geometry::{packed_size, FramePlan};

/// (name, chroma, coded width x height, visible width x height)
type Case = (&'static str, &'static [u8; 4], (u32, u32), (u32, u32));
const CASES: &[Case] = &[
    ("rv32_1080p", b"RV32", (1920, 1080), (1920, 1080)),
    ("rv32_4k", b"RV32", (3840, 2160), (3840, 2160)),
    ("i420_1080p", b"I420", (1920, 1080), (1920, 1080)),
    ("i420_4k", b"I420", (3840, 2160), (3840, 2160)),
    ("i420_1080p_padded_lines", b"I420", (1920, 1088), (1920, 1080)),
    ("i420_1080p_padded_lines_and_columns", b"I420", (1984, 1088), (1920, 1080)),
    ("i420_4k_padded_lines_and_columns", b"I420", (3904, 2176), (3840, 2160)),
    ("rv32_4k_padded_columns", b"RV32", (3904, 2160), (3840, 2160)),
];

/// A case's block, plan and destination. One source and one destination
/// for both contenders, touched once, as VLC's block and an application's
/// reused buffer are: the two differ only in how they copy.
fn setup(name: &str, code: &[u8; 4], (w, h): (u32, u32), (vw, vh): (u32, u32)) -> (Vec<u8>, FramePlan, Vec<u8>) {
    let chroma = &chroma(Fourcc::new(code)).expect("a chroma this VLC knows");
    let format = VideoFormat::picture(chroma.fourcc, (w, h), (0, 0), (vw, vh));
    let block = vec![0x5Au8; packed_size(chroma, w, h)];
    let plan = FramePlan::new(chroma, &format, block.len());
    assert_eq!((plan.width, plan.height), (vw, vh), "{name}: unexpected plan {plan:?}");
    let dst = vec![1u8; plan.size];
    (block, plan, dst)
}

fn copy(c: &mut Criterion) {
    let mut group = c.benchmark_group("copy");
    group.sample_size(30).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    for &(name, code, coded, visible) in CASES {
        let (block, plan, mut dst) = setup(name, code, coded, visible);
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

/// Our copy and memcpy alternate for `ROUNDS` rounds; each one's fastest
/// round is its time (interference only ever adds time). Writes
/// `<case> <memcpy time / our time>` lines to `target/criterion/copy/paired.txt`.
fn paired() {
    const ROUNDS: usize = 200;
    let mut out = String::new();
    for &(name, code, coded, visible) in CASES {
        let (block, plan, mut dst) = setup(name, code, coded, visible);
        let (mut ours, mut memcpy) = (Duration::MAX, Duration::MAX);
        for _ in 0..ROUNDS {
            let start = Instant::now();
            plan.copy(black_box(&block), black_box(&mut dst));
            ours = ours.min(start.elapsed());
            let start = Instant::now();
            black_box(&mut dst[..]).copy_from_slice(black_box(&block[..plan.size]));
            memcpy = memcpy.min(start.elapsed());
        }
        let _ = writeln!(out, "{name} {:.3}", memcpy.as_secs_f64() / ours.as_secs_f64());
    }
    let dir = std::path::Path::new("target/criterion/copy");
    std::fs::create_dir_all(dir).and_then(|()| std::fs::write(dir.join("paired.txt"), &out)).expect("paired.txt");
    eprint!("paired (memcpy time / ours):\n{out}");
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    copy(&mut c);
    c.final_summary();
    paired();
}
