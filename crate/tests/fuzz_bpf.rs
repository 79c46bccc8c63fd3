//! Fuzzing the BPF engine, bounded for CI (the long runs are crate/fuzz's cargo-fuzz targets):
//!
//! * random bytes into `elf::parse` + `loader::load`;
//! * real objects (every tests/bpf, test/bpf and test/kernel program clang builds) mutated, then
//!   parsed, loaded, and every program that loads run under BPF_PROG_TEST_RUN with a small budget;
//! * random instruction streams, validated and not, linked into a `Prog` with the real helper table,
//!   real maps (tests/bpf/maps.bpf.c: hash, array, per-CPU, LRU, devmap, cpumap, xskmap, ring buffer,
//!   LPM trie, bloom filter, map-in-map, prog array) and real kfuncs (tests/bpf/kfuncs.bpf.c), run
//!   in a Machine with its stack and a Mem region, and under `test_run_xdp` on linear and
//!   multi-buffer packets.
//!
//! Nothing may panic or hang, errors come back as values, runs stop within their budget, and the
//! page pool gets every page back.

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::rc::Rc;
use std::sync::OnceLock;

use proptest::prelude::*;
use uxdp::bpf::elf;
use uxdp::bpf::helpers::helper_table;
use uxdp::bpf::insn::*;
use uxdp::bpf::loader::{self, LoadOptions, LoadedObject};
use uxdp::bpf::machine::map_handle;
use uxdp::bpf::memory::{Region, RegionKind};
use uxdp::bpf::test_run::{test_run_xdp, TestRunOptions, XdpMd};
use uxdp::bpf::{Callable, Machine, Map, Prog};
use uxdp::pool::PagePool;

const BUDGET: u64 = 4000;

// ---------------------------------------------------------------------------------------------
// Fixtures: every BPF C source of the repository that clang builds, compiled once per process.

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn compile(src: &Path) -> Result<Vec<u8>, String> {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("fuzz_bpf");
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let out = dir.join(format!("{}-{}.o", std::process::id(), src.file_name().unwrap().to_string_lossy()));
    let include = format!("-I/usr/include/{}-linux-gnu", std::env::consts::ARCH);
    let local = format!("-I{}", src.parent().unwrap().display());
    let o = Command::new("clang")
        .args(["-O2", "-g", "-target", "bpf", &include, &local, "-c"])
        .arg(src)
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap_or_else(|e| panic!("cannot run clang ({e}): install clang and libbpf-dev to build the BPF fixtures"));
    if !o.status.success() {
        return Err(String::from_utf8_lossy(&o.stderr).into_owned());
    }
    let bytes = std::fs::read(&out).map_err(|e| e.to_string())?;
    let _ = std::fs::remove_file(&out);
    Ok(bytes)
}

/// (file name, object bytes) of every `*.bpf.c` under tests/bpf, test/bpf and test/kernel that
/// compiles without extra -D flags, built once per process. At least the crate's own fixtures must.
fn objects() -> &'static [(String, Vec<u8>)] {
    static OBJECTS: OnceLock<Vec<(String, Vec<u8>)>> = OnceLock::new();
    OBJECTS.get_or_init(|| {
        let mut out = Vec::new();
        for dir in [repo().join("crate/tests/bpf"), repo().join("test/bpf"), repo().join("test/kernel")] {
            let Ok(entries) = std::fs::read_dir(&dir) else { continue };
            let mut files: Vec<PathBuf> =
                entries.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.to_string_lossy().ends_with(".bpf.c")).collect();
            files.sort();
            for f in files {
                match compile(&f) {
                    Ok(b) => out.push((f.file_name().unwrap().to_string_lossy().into_owned(), b)),
                    Err(e) => {
                        eprintln!("fuzz_bpf: {} does not build on its own, left out: {}", f.display(), e.lines().next().unwrap_or(""))
                    }
                }
            }
        }
        for need in ["maps.bpf.c", "kfuncs.bpf.c", "globals.bpf.c"] {
            assert!(out.iter().any(|(n, _)| n == need), "tests/bpf/{need} must build");
        }
        out
    })
}

/// The maps and kfuncs of every fixture that loads (tests/bpf/maps.bpf.c, kfuncs.bpf.c, the kernel
/// differential programs...), loaded once per thread: what random programs get to reference.
struct World {
    _objects: Vec<LoadedObject>,
    maps: Vec<Rc<Map>>,
    kfuncs: Vec<Callable>,
}

fn world() -> Rc<World> {
    thread_local! {
        static WORLD: RefCell<Option<Rc<World>>> = const { RefCell::new(None) };
    }
    WORLD.with(|w| {
        w.borrow_mut()
            .get_or_insert_with(|| {
                let opts = LoadOptions { nr_cpus: 2, ..LoadOptions::default() };
                let (mut objs, mut maps, mut kfuncs) = (Vec::new(), Vec::new(), Vec::new());
                for (_, bytes) in objects() {
                    let Ok(lo) = loader::load_bytes(bytes, &opts) else { continue };
                    maps.extend(lo.maps.iter().cloned());
                    for p in &lo.programs {
                        if let Some(prog) = &p.prog {
                            kfuncs.extend(prog.kfuncs.iter().cloned());
                        }
                    }
                    objs.push(lo);
                }
                assert!(maps.len() >= 4 && !kfuncs.is_empty(), "the fixtures give {} maps and {} kfuncs", maps.len(), kfuncs.len());
                Rc::new(World { _objects: objs, maps, kfuncs })
            })
            .clone()
    })
}

// ---------------------------------------------------------------------------------------------
// Random programs.

/// Helper ids the engine implements, and a few it does not.
const HELPER_IDS: &[i32] = &[
    1, 2, 3, 5, 6, 7, 8, 12, 23, 25, 28, 42, 44, 51, 54, 65, 121, 125, 130, 131, 132, 133, 134, 160, 181, 188, 189, 190, 197, 198, 199,
    200, 201, 202, 203, 208, 0, 4, 9, 255, 256, -1,
];

fn any_insn() -> impl Strategy<Value = Insn> {
    let code = prop_oneof![
        // ALU64 / ALU, immediate and register
        6 => (0u8..14, any::<bool>(), any::<bool>()).prop_map(|(op, x, wide)| (op << 4) | if x { X } else { K } | if wide { ALU64 } else { ALU }),
        // jumps
        4 => (0u8..14, any::<bool>(), any::<bool>()).prop_map(|(op, x, wide)| (op << 4) | if x { X } else { K } | if wide { JMP } else { JMP32 }),
        // loads, stores, sign-extending loads, atomics
        5 => (prop::sample::select(vec![LDX | MEM, LDX | MEMSX, ST | MEM, STX | MEM, STX | ATOMIC]), prop::sample::select(vec![B, H, W, DW]))
            .prop_map(|(c, s)| c | s),
        1 => Just(LD | DW | IMM),
        3 => Just(JMP | CALL),
        1 => Just(JMP | EXIT),
        1 => any::<u8>(),
    ];
    let off = prop_oneof![4 => -8i16..8, 3 => -512i16..64, 1 => any::<i16>()];
    let imm = prop_oneof![
        4 => -8i32..64,
        2 => prop::sample::select(HELPER_IDS.to_vec()),
        1 => prop::sample::select(vec![0x00, 0x01, 0x40, 0x41, 0x50, 0x51, 0xa0, 0xa1, 0xe1, 0xf1, 16, 32, 64]),
        1 => any::<i32>()
    ];
    (code, 0u8..16, 0u8..16, off, imm, 0u8..6).prop_map(|(code, dst, src, off, imm, bias)| {
        // Mostly real registers, r10 (the frame) and r1 (the context or memory) as bases often.
        let dst = match bias {
            0 => dst,
            1 => 10,
            _ => dst % 11,
        };
        let src = match bias {
            0 => src,
            2 => 10,
            3 => 1,
            _ => src % 11,
        };
        // Calls: helper ids as they are, kfunc and bpf-to-bpf calls by src.
        let src = if code == JMP | CALL { [0, 0, 0, PSEUDO_CALL, PSEUDO_KFUNC_CALL, src][bias as usize] } else { src };
        Insn::new(code, dst, src, off, imm)
    })
}

/// What the loader's linking does to lddw pseudo references, with the world's maps: map handles,
/// map value addresses, function addresses.
fn link(mut insns: Vec<Insn>, w: &World) -> Vec<Insn> {
    let n = insns.len();
    let mut pc = 0;
    while pc + 1 < n {
        if insns[pc].is_lddw() {
            let imm = insns[pc].imm as u32 as usize;
            let v = match insns[pc].src() {
                PSEUDO_MAP_FD | PSEUDO_MAP_IDX => Some(map_handle(&w.maps[imm % w.maps.len()])),
                PSEUDO_MAP_VALUE | PSEUDO_MAP_IDX_VALUE => {
                    let map = &w.maps[imm % w.maps.len()];
                    map.lookup(&0u32.to_le_bytes(), 0)
                        .map(|base| base + u64::from(insns[pc + 1].imm as u32) % u64::from(map.def().value_size.max(1)))
                }
                PSEUDO_FUNC => {
                    Some(uxdp::bpf::machine::func_addr((pc as i64 + 1 + i64::from(insns[pc].imm)).rem_euclid(n as i64) as usize))
                }
                _ => None,
            };
            if let Some(v) = v {
                insns[pc].imm = v as u32 as i32;
                insns[pc + 1].imm = (v >> 32) as u32 as i32;
            }
            pc += 2;
            continue;
        }
        pc += 1;
    }
    insns
}

fn prog(insns: Vec<Insn>, w: &World) -> Rc<Prog> {
    Rc::new(Prog {
        name: "fuzz".into(),
        insns,
        helpers: helper_table(None),
        kfuncs: w.kfuncs.clone(),
        maps: w.maps.clone(),
        frags: true,
        ..Prog::default()
    })
}

/// A stream, closed by an exit and validated when `validated`; None when the validator refuses it.
fn stream(insns: Vec<Insn>, lddw_src: Vec<u8>, validated: bool, w: &World) -> Option<Vec<Insn>> {
    let mut insns = insns;
    // Give some lddw pseudo sources, so that map and function references occur.
    let mut srcs = lddw_src.into_iter();
    for i in insns.iter_mut().filter(|i| i.is_lddw()) {
        let Some(src) = srcs.next() else { break };
        *i = Insn::new(i.code, i.dst(), src, i.off, i.imm);
    }
    if validated {
        insns.push(Insn::new(JMP | EXIT, 0, 0, 0, 0));
        uxdp::bpf::validate::validate(&insns).ok()?;
    }
    Some(link(insns, w))
}

fn packet(len: usize) -> Vec<u8> {
    let mut p: Vec<u8> = (0..len).map(|i| (i * 13 + 7) as u8).collect();
    if len >= 14 {
        p[12] = 8;
        p[13] = 0;
    }
    p
}

// ---------------------------------------------------------------------------------------------
// ELF mutations.

#[derive(Clone, Debug)]
enum Mutation {
    Flip(usize, u8),
    Byte(usize, u8),
    Word(usize, u32),
    Truncate(usize),
    Copy { from: usize, to: usize, len: usize },
}

fn any_mutation() -> impl Strategy<Value = Mutation> {
    let interesting =
        prop::sample::select(vec![0u32, 1, 2, 7, 8, 0x40, 0xff, 0x7fff, 0xffff, 0x7fff_ffff, 0x8000_0000, 0xffff_fff0, u32::MAX]);
    prop_oneof![
        3 => (any::<usize>(), 0u8..8).prop_map(|(p, b)| Mutation::Flip(p, b)),
        2 => (any::<usize>(), any::<u8>()).prop_map(|(p, v)| Mutation::Byte(p, v)),
        3 => (any::<usize>(), interesting).prop_map(|(p, v)| Mutation::Word(p, v)),
        1 => any::<usize>().prop_map(Mutation::Truncate),
        1 => (any::<usize>(), any::<usize>(), 1usize..64).prop_map(|(from, to, len)| Mutation::Copy { from, to, len }),
    ]
}

/// Applies the mutations; positions are taken modulo the length, and a quarter of them land in the
/// first 64 bytes (the ELF header) or the last 1 KiB (section headers, usually).
fn mutate(mut b: Vec<u8>, muts: &[Mutation]) -> Vec<u8> {
    for m in muts {
        let n = b.len();
        if n == 0 {
            break;
        }
        let at = |p: usize| match p % 4 {
            0 => (p / 4) % n.min(64),
            1 => n - 1 - (p / 4) % n.min(1024),
            _ => (p / 4) % n,
        };
        match *m {
            Mutation::Flip(p, bit) => b[at(p)] ^= 1 << bit,
            Mutation::Byte(p, v) => b[at(p)] = v,
            Mutation::Word(p, v) => {
                let i = at(p) & !3;
                if i + 4 <= n {
                    b[i..i + 4].copy_from_slice(&v.to_le_bytes());
                }
            }
            Mutation::Truncate(p) => b.truncate(at(p)),
            Mutation::Copy { from, to, len } => {
                let (f, t) = (at(from), at(to));
                let len = len.min(n - f).min(n - t);
                b.copy_within(f..f + len, t);
            }
        }
    }
    b
}

/// Parses and loads; every program that loads runs once under test_run on a 64-byte packet and a
/// multi-buffer one, with a small budget.
fn parse_load_run(bytes: &[u8]) {
    let Ok(object) = elf::parse(bytes) else { return };
    let Ok(loaded) = loader::load(object, &LoadOptions { nr_cpus: 2, ..LoadOptions::default() }) else { return };
    let pool = PagePool::default();
    for p in &loaded.programs {
        let Some(prog) = &p.prog else { continue };
        for len in [64, 5000] {
            let _ = test_run_xdp(prog, &pool, &packet(len), &TestRunOptions { budget: Some(BUDGET), ..TestRunOptions::default() });
        }
    }
    drop(loaded);
    assert_eq!(pool.stats().in_flight, 0, "test_run gave every page back");
}

// ---------------------------------------------------------------------------------------------

#[test]
fn every_fixture_loads_and_runs_unmutated() {
    // The mutation tests start from objects that load: check it, so that they mutate something
    // meaningful.
    let objs = objects();
    assert!(objs.len() >= 5, "only {} fixtures built", objs.len());
    let mut loaded = 0;
    for (name, bytes) in objs {
        let object = elf::parse(bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        if loader::load(object, &LoadOptions { nr_cpus: 2, ..LoadOptions::default() }).is_ok() {
            loaded += 1;
        }
        parse_load_run(bytes);
    }
    assert!(loaded * 2 >= objs.len(), "only {loaded} of {} fixtures load", objs.len());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_are_refused_not_panicked_on(bytes in prop::collection::vec(any::<u8>(), 0..2048), elf_header in any::<bool>()) {
        let mut bytes = bytes;
        if elf_header && bytes.len() >= 64 {
            // A plausible ELF64 little-endian BPF header, so that parsing goes further.
            bytes[..20].copy_from_slice(&[0x7f, b'E', b'L', b'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 247, 0]);
        }
        parse_load_run(&bytes);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn mutated_objects_are_refused_or_run(which in any::<prop::sample::Index>(), muts in prop::collection::vec(any_mutation(), 1..6)) {
        let objs = objects();
        let (_, bytes) = &objs[which.index(objs.len())];
        parse_load_run(&mutate(bytes.clone(), &muts));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1500, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_streams_in_a_machine_with_memory(
        insns in prop::collection::vec(any_insn(), 1..64),
        lddw_src in prop::collection::vec(prop::sample::select(vec![0u8, 1, 2, 4, 5, 6, 3, 9]), 0..4),
        validated in any::<bool>(),
        mem_len in 0usize..256,
    ) {
        let w = world();
        let Some(insns) = stream(insns, lddw_src, validated, &w) else { return Ok(()) };
        let mut mem = packet(mem_len);
        let mut m = Machine::new(prog(insns, &w));
        m.budget = BUDGET;
        let addr = mem.as_mut_ptr() as u64;
        m.mem.push(Region::of_slice(&mut mem, true, RegionKind::Mem, 0));
        let r = m.run([addr, mem_len as u64, 0, 0, 0]);
        prop_assert!(m.executed <= BUDGET, "{} instructions", m.executed);
        prop_assert_eq!(m.depth, 0);
        if let Err(e) = r {
            prop_assert!(!e.message.is_empty());
        }
        drop(m);
    }

    #[test]
    fn random_streams_under_xdp_test_run(
        insns in prop::collection::vec(any_insn(), 1..64),
        lddw_src in prop::collection::vec(prop::sample::select(vec![0u8, 1, 2, 4, 5, 6, 3, 9]), 0..4),
        validated in any::<bool>(),
        len in prop_oneof![6 => 0usize..128, 2 => Just(1500usize), 2 => 3500usize..9100, 1 => Just(73152usize), 1 => Just(73153usize)],
        meta in prop_oneof![3 => Just(None), 1 => (0u32..9, 0u32..200).prop_map(|(m, lin)| Some((m * 4, lin)))],
        repeat in 0u32..3,
    ) {
        let w = world();
        let Some(insns) = stream(insns, lddw_src, validated, &w) else { return Ok(()) };
        let p = prog(insns, &w);
        let pool = PagePool::default();
        let data = packet(len);
        let ctx = meta.map(|(m, lin)| XdpMd { data: m, data_end: (m + lin).min(len as u32), ..XdpMd::default() });
        let r = test_run_xdp(&p, &pool, &data, &TestRunOptions { ctx, repeat, budget: Some(BUDGET), ..TestRunOptions::default() });
        if let Ok(out) = &r {
            prop_assert!(out.insns <= BUDGET);
            prop_assert!(out.data_out.len() <= 73152 + 256);
        }
        if let Err(e) = &r {
            prop_assert!(!e.message.is_empty());
        }
        drop(r);
        prop_assert_eq!(pool.stats().in_flight, 0, "test_run gave every page back");
    }
}
