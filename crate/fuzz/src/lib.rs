//! What the fuzz targets share: the fixtures (the repository's BPF C programs, compiled once per
//! process with clang), the maps and kfuncs random programs may reference, and the two harnesses.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::rc::Rc;
use std::sync::atomic::{AtomicPtr, Ordering};

use uxdp::bpf::elf;
use uxdp::bpf::helpers::helper_table;
use uxdp::bpf::insn::*;
use uxdp::bpf::loader::{self, LoadOptions, LoadedObject};
use uxdp::bpf::machine::{func_addr, map_handle};
use uxdp::bpf::memory::{Region, RegionKind};
use uxdp::bpf::test_run::{test_run_xdp, TestRunOptions, XdpMd};
use uxdp::bpf::validate::validate;
use uxdp::bpf::{Callable, Machine, Map, Prog};
use uxdp::pool::PagePool;

pub const BUDGET: u64 = 4000;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every `*.bpf.c` of crate/tests/bpf, test/bpf and test/kernel that clang builds on its own.
pub fn fixtures() -> Vec<(String, Vec<u8>)> {
    let dir = std::env::temp_dir().join(format!("uxdp-fuzz-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temp dir");
    let include = format!("-I/usr/include/{}-linux-gnu", std::env::consts::ARCH);
    let mut out = Vec::new();
    for d in ["crate/tests/bpf", "test/bpf", "test/kernel"] {
        let d = repo().join(d);
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        let mut files: Vec<PathBuf> =
            entries.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.to_string_lossy().ends_with(".bpf.c")).collect();
        files.sort();
        for f in files {
            let name = f.file_name().unwrap().to_string_lossy().into_owned();
            let obj = dir.join(format!("{name}.o"));
            let ok = Command::new("clang")
                .args(["-O2", "-g", "-target", "bpf", &include, &format!("-I{}", d.display()), "-c"])
                .arg(&f)
                .arg("-o")
                .arg(&obj)
                .output()
                .map(|o| o.status.success())
                .unwrap_or(false);
            if ok {
                out.push((name, std::fs::read(&obj).unwrap()));
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(!out.is_empty(), "no BPF fixture compiled: clang and libbpf-dev are needed");
    out
}

/// The maps and kfuncs of every fixture that loads.
pub struct World {
    _objects: Vec<LoadedObject>,
    pub maps: Vec<Rc<Map>>,
    pub kfuncs: Vec<Callable>,
}

/// The world, built on first use and kept for the process (the fuzz targets run on one thread). It
/// is reached from a global rather than a thread-local, so that LeakSanitizer sees it.
pub fn world() -> &'static World {
    static WORLD: AtomicPtr<World> = AtomicPtr::new(std::ptr::null_mut());
    let p = WORLD.load(Ordering::Acquire);
    if !p.is_null() {
        // SAFETY: set once below from a leaked Box, never freed.
        return unsafe { &*p };
    }
    let opts = LoadOptions { nr_cpus: 2, ..LoadOptions::default() };
    let (mut objs, mut maps, mut kfuncs) = (Vec::new(), Vec::new(), Vec::new());
    for (_, bytes) in fixtures() {
        let Ok(lo) = loader::load_bytes(&bytes, &opts) else { continue };
        maps.extend(lo.maps.iter().cloned());
        for p in &lo.programs {
            if let Some(prog) = &p.prog {
                kfuncs.extend(prog.kfuncs.iter().cloned());
            }
        }
        objs.push(lo);
    }
    assert!(!maps.is_empty(), "no fixture map loaded");
    let w = Box::into_raw(Box::new(World { _objects: objs, maps, kfuncs }));
    WORLD.store(w, Ordering::Release);
    // SAFETY: just leaked.
    unsafe { &*w }
}

/// Empties the prog-array slots the loader filled from `.values`: a prog array holding a program
/// that holds the prog array (every program of an object holds all its maps) is an Rc cycle that
/// outlives the LoadedObject. The kernel clears a prog array when its last user reference goes
/// (prog_array_map_clear); the engine does not yet, so the harness does, and counts on
/// LeakSanitizer for every other leak.
pub fn release(loaded: &LoadedObject) {
    for (spec, map) in loaded.object.maps.iter().zip(&loaded.maps) {
        for (slot, _) in &spec.init_progs {
            let _ = map.set_prog(*slot, None);
        }
    }
}

pub fn packet(len: usize) -> Vec<u8> {
    let mut p: Vec<u8> = (0..len).map(|i| (i * 13 + 7) as u8).collect();
    if len >= 14 {
        p[12] = 8;
        p[13] = 0;
    }
    p
}

/// Parses and loads `data` as an object; every program that loads runs under test_run on a
/// 64-byte and a 5000-byte (multi-buffer) packet with a small budget.
pub fn parse_load_run(data: &[u8]) {
    let Ok(object) = elf::parse(data) else { return };
    let Ok(loaded) = loader::load(object, &LoadOptions { nr_cpus: 2, ..LoadOptions::default() }) else { return };
    let pool = PagePool::default();
    for p in &loaded.programs {
        let Some(prog) = &p.prog else { continue };
        for len in [64, 5000] {
            let _ = test_run_xdp(prog, &pool, &packet(len), &TestRunOptions { budget: Some(BUDGET), ..TestRunOptions::default() });
        }
    }
    release(&loaded);
    drop(loaded);
    assert_eq!(pool.stats().in_flight, 0, "test_run must give every page back");
}

/// Helper ids the engine implements, and a few it does not, for calls whose id the input picks by
/// index.
const HELPER_IDS: &[i32] = &[
    1, 2, 3, 5, 6, 7, 8, 12, 23, 25, 28, 42, 44, 51, 54, 65, 121, 125, 130, 131, 132, 133, 134, 160, 181, 188, 189, 190, 197, 198, 199,
    200, 201, 202, 203, 208, 0, 4, 9, 255,
];

/// A decoded input.
pub struct Case {
    pub validated: bool,
    /// Run in a Machine with a memory region of `len` bytes (else under XDP test_run on a packet of
    /// `len` bytes).
    pub machine: bool,
    pub len: usize,
    pub meta: Option<(u32, u32)>,
    pub repeat: u32,
    pub insns: Vec<Insn>,
}

/// Byte 0: bit 0 validated, bit 1 machine, bits 2-3 packet class (small / 1500 / multi-buffer /
/// largest and one past), bit 4 ctx_in with metadata, bits 5-6 repeat. Bytes 1-2: a length,
/// byte 3: metadata and linear length. Then 8-byte instructions; a helper call (src 0) with off 0
/// takes its id from the table above by imm's value, lddw sources 1/2/4/5/6 are linked like the
/// loader links them, to the fixtures' maps and to instructions.
pub fn decode(data: &[u8], w: &World) -> Option<Case> {
    let (head, body) = data.split_at_checked(4)?;
    let f = head[0];
    let n = u16::from_le_bytes([head[1], head[2]]) as usize;
    let len = match (f >> 2) & 3 {
        0 => n % 160,
        1 => 1500,
        2 => 3500 + n % 6000,
        _ => 73152 + n % 2,
    };
    let meta = (f & 0x10 != 0).then(|| (u32::from(head[3] & 7) * 4, u32::from(head[3] >> 3) * 8));
    let mut insns: Vec<Insn> = body.chunks_exact(8).map(|c| Insn::from_bytes(c.try_into().unwrap())).collect();
    if insns.is_empty() {
        return None;
    }
    for i in insns.iter_mut() {
        if i.code == JMP | CALL && i.src() == 0 && i.off == 0 {
            i.imm = HELPER_IDS[(i.imm as u32 as usize) % HELPER_IDS.len()];
        }
    }
    let validated = f & 1 != 0;
    if validated {
        insns.push(Insn::new(JMP | EXIT, 0, 0, 0, 0));
        validate(&insns).ok()?;
    }
    Some(Case { validated, machine: f & 2 != 0, len, meta, repeat: u32::from((f >> 5) & 3), insns: link(insns, w) })
}

/// What the loader's linking does to lddw pseudo references, with the world's maps.
pub fn link(mut insns: Vec<Insn>, w: &World) -> Vec<Insn> {
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
                PSEUDO_FUNC => Some(func_addr((pc as i64 + 1 + i64::from(insns[pc].imm)).rem_euclid(n as i64) as usize)),
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

pub fn prog(insns: Vec<Insn>, w: &World) -> Rc<Prog> {
    Rc::new(Prog { name: "fuzz".into(), insns, helpers: helper_table(None), kfuncs: w.kfuncs.clone(), maps: w.maps.clone(), frags: true, ..Prog::default() })
}

/// Runs one decoded input and checks what must hold whatever the program.
pub fn vm_run(data: &[u8]) {
    let w = world();
    let Some(case) = decode(data, w) else { return };
    let p = prog(case.insns, w);
    if case.machine {
        let mut mem = packet(case.len);
        let mut m = Machine::new(p);
        m.budget = BUDGET;
        let addr = mem.as_mut_ptr() as u64;
        m.mem.push(Region::of_slice(&mut mem, true, RegionKind::Mem, 0));
        let r = m.run([addr, case.len as u64, 0, 0, 0]);
        assert!(m.executed <= BUDGET, "{} instructions run on a budget of {BUDGET}", m.executed);
        assert_eq!(m.depth, 0, "frames left in use");
        if let Err(e) = r {
            assert!(!e.message.is_empty());
        }
        drop(m);
    } else {
        let pool = PagePool::default();
        let ctx = case.meta.map(|(m, lin)| XdpMd { data: m, data_end: (m + lin).min(case.len as u32), ..XdpMd::default() });
        let r = test_run_xdp(
            &p,
            &pool,
            &packet(case.len),
            &TestRunOptions { ctx, repeat: case.repeat, budget: Some(BUDGET), ..TestRunOptions::default() },
        );
        match &r {
            Ok(out) => assert!(out.insns <= BUDGET, "{} instructions run on a budget of {BUDGET}", out.insns),
            Err(e) => assert!(!e.message.is_empty()),
        }
        drop(r);
        assert_eq!(pool.stats().in_flight, 0, "test_run must give every page back");
    }
    let _ = case.validated;
}
