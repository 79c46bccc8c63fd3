//! Loading clang-built objects: the fixtures in tests/bpf/*.bpf.c are compiled here with clang and
//! the parsed `Object` is checked against what the C says, against the raw ELF (every relocation
//! read back through the `object` crate and checked at its instruction), and against bpftool when
//! it is installed. Malformed input of every kind must come back as an error, never a panic.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::process::Command;
use std::sync::{Arc, Mutex, OnceLock};

use object::{Object as _, ObjectSection as _, ObjectSymbol as _, RelocationTarget, SymbolKind};
use proptest::prelude::*;
use uxdp::bpf::btf::{self, Btf, Kind, Linkage};
use uxdp::bpf::core::CoreReloKind;
use uxdp::bpf::elf::{self, GlobalData, Object, ProgKind};
use uxdp::bpf::insn::{self, Insn};
use uxdp::bpf::loader::{self, LoadOptions, LoadedObject};
use uxdp::bpf::test_run::{test_run_xdp, TestRunOptions, XdpMd};
use uxdp::pool::PagePool;
use uxdp::Errno;

// ---------------------------------------------------------------------------------------------
// Building fixtures.

/// A scratch file under target/ (cargo's test temp dir), named for this process so parallel
/// runs do not collide; callers remove it once read.
fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("elf");
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir.join(format!("{}-{name}", std::process::id()))
}

fn read_and_remove(paths: &[&std::path::Path]) -> Vec<u8> {
    let bytes = std::fs::read(paths[paths.len() - 1]).unwrap();
    for p in paths {
        let _ = std::fs::remove_file(p);
    }
    bytes
}

fn clang(src: &std::path::Path, out: &std::path::Path) -> Result<(), String> {
    let include = format!("-I/usr/include/{}-linux-gnu", std::env::consts::ARCH);
    let result = Command::new("clang").args(["-O2", "-g", "-target", "bpf", &include, "-c"]).arg(src).arg("-o").arg(out).output();
    match result {
        Err(e) => panic!("cannot run clang ({e}): install clang and libbpf-dev to build the BPF fixtures in tests/bpf"),
        Ok(o) if o.status.success() => Ok(()),
        Ok(o) => Err(String::from_utf8_lossy(&o.stderr).into_owned()),
    }
}

/// The compiled object of tests/bpf/<name>.bpf.c, built once per test run.
fn fixture(name: &str) -> Arc<Vec<u8>> {
    static CACHE: OnceLock<Mutex<HashMap<String, Arc<Vec<u8>>>>> = OnceLock::new();
    // Held while compiling, so that parallel tests build each fixture once.
    let mut cache = CACHE.get_or_init(Default::default).lock().unwrap_or_else(|p| p.into_inner());
    if let Some(b) = cache.get(name) {
        return b.clone();
    }
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/bpf").join(format!("{name}.bpf.c"));
    let out = scratch(&format!("{name}.o"));
    clang(&src, &out).unwrap_or_else(|e| panic!("clang failed on {}:\n{e}", src.display()));
    let bytes = Arc::new(read_and_remove(&[&out]));
    cache.insert(name.to_string(), bytes.clone());
    bytes
}

/// Compiles a small inline source (for the objects that must fail to open).
fn compile_src(tag: &str, src: &str) -> Vec<u8> {
    let c = scratch(&format!("inline_{tag}.bpf.c"));
    let o = scratch(&format!("inline_{tag}.o"));
    let full = format!("#include <linux/bpf.h>\n#include <bpf/bpf_helpers.h>\n{src}\nchar LICENSE[] SEC(\"license\") = \"GPL\";\n");
    std::fs::write(&c, full).unwrap();
    clang(&c, &o).unwrap_or_else(|e| panic!("clang failed on inline source {tag}:\n{e}"));
    read_and_remove(&[&c, &o])
}

fn load(name: &str) -> Object {
    let bytes = fixture(name);
    elf::parse(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"))
}

const FIXTURES: [&str; 5] = ["maps", "globals", "kfuncs", "types", "core"];

fn map_index(obj: &Object, name: &str) -> i32 {
    obj.maps.iter().position(|m| m.name == name).unwrap_or_else(|| panic!("no map {name}")) as i32
}

fn extern_index(obj: &Object, name: &str) -> i32 {
    obj.externs.iter().position(|e| e.name == name).unwrap_or_else(|| panic!("no extern {name}")) as i32
}

/// (instruction index, map name, offset) of every global-data load in a program, in order.
fn data_refs(obj: &Object, prog: &str) -> Vec<(usize, String, i32)> {
    let p = obj.program(prog).unwrap();
    (0..p.insns.len())
        .filter(|&i| p.insns[i].is_lddw() && p.insns[i].src() == insn::PSEUDO_MAP_IDX_VALUE)
        .map(|i| (i, obj.maps[p.insns[i].imm as usize].name.clone(), p.insns[i + 1].imm))
        .collect()
}

/// Names of the maps a program loads with BPF_PSEUDO_MAP_IDX, in instruction order.
fn map_refs(obj: &Object, prog: &str) -> Vec<String> {
    let p = obj.program(prog).unwrap();
    p.insns.iter().filter(|i| i.is_lddw() && i.src() == insn::PSEUDO_MAP_IDX).map(|i| obj.maps[i.imm as usize].name.clone()).collect()
}

// ---------------------------------------------------------------------------------------------
// An independent reading of the raw object through the `object` crate: every relocation of every
// program must show up at its instruction in the form libbpf gives it.

/// A relocation's symbol: name, section name (None when undefined), value and kind.
struct RawReloc(String, Option<String>, u64, SymbolKind);

struct Raw {
    /// section index -> (name, instructions)
    code: HashMap<usize, (String, Vec<Insn>)>,
    relocs: HashMap<(usize, usize), RawReloc>,
    /// (section, start, len, name) of each function
    funcs: Vec<(usize, usize, usize, String)>,
    text: Option<usize>,
    /// CO-RE relocation records of `.BTF.ext`: (section name, instruction index, record index in
    /// the section).
    core: Vec<(String, usize, usize)>,
}

/// The CO-RE records of `.BTF.ext`, read on their own: (section name, insn_off, type_id,
/// access_str_off, kind), in file order.
fn raw_core_records(bytes: &[u8]) -> Vec<(String, u32, u32, u32, u32)> {
    let file = object::File::parse(bytes).unwrap();
    let (Some(ext), Some(btf)) = (file.section_by_name(".BTF.ext"), file.section_by_name(".BTF")) else { return Vec::new() };
    let (ext, btf) = (ext.data().unwrap(), btf.data().unwrap());
    let w = |d: &[u8], at: usize| u32::from_le_bytes(d[at..at + 4].try_into().unwrap()) as usize;
    let (hdr, str_at) = (w(btf, 4), w(btf, 16));
    let name = |off: usize| {
        let s = &btf[hdr + str_at + off..];
        String::from_utf8(s[..s.iter().position(|&b| b == 0).unwrap()].to_vec()).unwrap()
    };
    let ext_hdr = w(ext, 4);
    if ext_hdr < 32 {
        return Vec::new();
    }
    let (off, len) = (w(ext, 24), w(ext, 28));
    let table = &ext[ext_hdr + off..ext_hdr + off + len];
    let mut out = Vec::new();
    if table.is_empty() {
        return out;
    }
    let rec = w(table, 0);
    let mut pos = 4;
    while pos < table.len() {
        let (sec, n) = (name(w(table, pos)), w(table, pos + 4));
        for i in 0..n {
            let r = pos + 8 + i * rec;
            out.push((sec.clone(), w(table, r) as u32, w(table, r + 4) as u32, w(table, r + 8) as u32, w(table, r + 12) as u32));
        }
        pos += 8 + n * rec;
    }
    out
}

fn raw(bytes: &[u8]) -> Raw {
    let file = object::File::parse(bytes).unwrap();
    let mut code = HashMap::new();
    let mut text = None;
    for s in file.sections() {
        if s.kind() == object::SectionKind::Text {
            let name = s.name().unwrap().to_string();
            if name == ".text" {
                text = Some(s.index().0);
            }
            code.insert(s.index().0, (name, insn::decode(s.data().unwrap()).unwrap()));
        }
    }
    let mut relocs = HashMap::new();
    for s in file.sections() {
        if !code.contains_key(&s.index().0) {
            continue;
        }
        for (off, r) in s.relocations() {
            let RelocationTarget::Symbol(si) = r.target() else { panic!("relocation without symbol") };
            let sym = file.symbol_by_index(si).unwrap();
            let sec_name = sym.section_index().map(|i| file.section_by_index(i).unwrap().name().unwrap().to_string());
            let name = if sym.kind() == SymbolKind::Section { sec_name.clone().unwrap() } else { sym.name().unwrap().to_string() };
            relocs.insert((s.index().0, (off / 8) as usize), RawReloc(name, sec_name, sym.address(), sym.kind()));
        }
    }
    let mut funcs = Vec::new();
    for sym in file.symbols() {
        if sym.kind() == SymbolKind::Text {
            if let Some(i) = sym.section_index() {
                funcs.push((i.0, (sym.address() / 8) as usize, (sym.size() / 8) as usize, sym.name().unwrap().to_string()));
            }
        }
    }
    let mut core = Vec::new();
    let mut count: HashMap<String, usize> = HashMap::new();
    for (sec, insn_off, ..) in raw_core_records(bytes) {
        let n = count.entry(sec.clone()).or_default();
        core.push((sec, insn_off as usize / 8, *n));
        *n += 1;
    }
    Raw { code, relocs, funcs, text, core }
}

impl Raw {
    fn func(&self, sec: usize, idx: usize) -> &(usize, usize, usize, String) {
        self.funcs.iter().find(|f| f.0 == sec && f.1 <= idx && idx < f.1 + f.2).unwrap()
    }

    /// Checks the function `(sec, start, len)` copied into the program at `base`, then every
    /// function it reaches, recording in `seen` where each landed (so none lands twice).
    fn check(
        &self,
        obj: &Object,
        p: &elf::ProgramSpec,
        base: usize,
        (sec, start, len): (usize, usize, usize),
        seen: &mut HashMap<String, usize>,
    ) {
        let (prog, out) = (&p.name, &p.insns);
        let (sec_name, insns) = &self.code[&sec];
        for j in 0..len {
            let idx = start + j;
            let orig = insns[idx];
            let got = out[base + j];
            let ctx = format!("{prog}: {sec_name}[{idx}] -> out[{}]", base + j);
            // The CO-RE relocations of this instruction follow it to where it landed.
            let mut want: Vec<usize> = self.core.iter().filter(|c| &c.0 == sec_name && c.1 == idx).map(|c| c.2).collect();
            let mut got_core: Vec<usize> = p
                .core_relos
                .iter()
                .filter(|r| r.insn == base + j)
                .inspect(|r| assert_eq!((&r.section, r.sec_insn), (sec_name, idx), "{ctx}"))
                .map(|r| r.index)
                .collect();
            want.sort();
            got_core.sort();
            assert_eq!(got_core, want, "{ctx}: CO-RE relocations");
            let mut target = None;
            match self.relocs.get(&(sec, idx)) {
                None => {
                    if orig.code == insn::JMP | insn::CALL && orig.src() == insn::PSEUDO_CALL {
                        target = Some((sec, (idx as i64 + orig.imm as i64 + 1) as usize));
                    } else {
                        // Not relocated: copied verbatim (lddw second halves are checked by their first).
                        let lddw_tail = j > 0 && insns[idx - 1].is_lddw() && self.relocs.contains_key(&(sec, idx - 1));
                        if !lddw_tail {
                            assert_eq!(got, orig, "{ctx}: unrelocated instruction changed");
                        }
                    }
                }
                Some(RawReloc(name, sym_sec, value, kind)) => match sym_sec.as_deref() {
                    None => {
                        let e = extern_index(obj, name);
                        let src = if orig.is_lddw() { insn::PSEUDO_BTF_ID } else { insn::PSEUDO_KFUNC_CALL };
                        assert_eq!((got.code, got.src(), got.imm), (orig.code, src, e), "{ctx}: extern {name}");
                        if orig.is_lddw() {
                            assert_eq!(out[base + j + 1].imm, 0, "{ctx}");
                        }
                    }
                    Some(".maps") | Some("maps") => {
                        assert_eq!((got.src(), got.imm), (insn::PSEUDO_MAP_IDX, map_index(obj, name)), "{ctx}: map {name}");
                        assert_eq!(got.dst(), orig.dst(), "{ctx}");
                    }
                    Some(s) if s == ".text" && (*kind == SymbolKind::Text || *kind == SymbolKind::Section) => {
                        let t = if orig.is_lddw() {
                            assert_eq!(got.src(), insn::PSEUDO_FUNC, "{ctx}: address of {name}");
                            (*value as i64 + orig.imm as i64) / 8
                        } else {
                            assert_eq!(got.src(), insn::PSEUDO_CALL, "{ctx}: call to {name}");
                            (*value / 8) as i64 + orig.imm as i64 + 1
                        };
                        target = Some((self.text.unwrap(), t as usize));
                    }
                    Some(s) => {
                        assert!(s.starts_with(".data") || s.starts_with(".rodata") || s.starts_with(".bss"), "{ctx}: {s}");
                        assert_eq!((got.src(), got.imm), (insn::PSEUDO_MAP_IDX_VALUE, map_index(obj, s)), "{ctx}: data {name}");
                        assert_eq!(out[base + j + 1].imm as i64, *value as i64 + orig.imm as i64, "{ctx}: offset of {name}");
                    }
                },
            }
            if let Some((tsec, tidx)) = target {
                let (_, fstart, flen, fname) = self.func(tsec, tidx).clone();
                let landing = (base + j) as i64 + got.imm as i64 + 1;
                let fbase = landing - (tidx - fstart) as i64;
                assert!(fbase >= 0 && fbase as usize + flen <= out.len(), "{ctx}: {fname} lands outside the program");
                let fbase = fbase as usize;
                match seen.get(&fname) {
                    Some(&b) => assert_eq!(b, fbase, "{ctx}: {fname} appended twice"),
                    None => {
                        seen.insert(fname.clone(), fbase);
                        self.check(obj, p, fbase, (tsec, fstart, flen), seen);
                    }
                }
            }
        }
    }

    fn check_program(&self, obj: &Object, prog: &str) {
        let p = obj.program(prog).unwrap();
        let &(sec, start, len, _) = self.funcs.iter().find(|f| f.3 == prog).unwrap();
        let mut seen = HashMap::new();
        seen.insert(prog.to_string(), 0);
        self.check(obj, p, 0, (sec, start, len), &mut seen);
        let total: usize = seen.keys().map(|n| self.funcs.iter().find(|f| &f.3 == n).unwrap().2).sum();
        assert_eq!(p.insns.len(), total, "{prog}: {} instructions, its functions {seen:?} have {total}", p.insns.len());
        assert!(p.core_relos.iter().all(|r| r.insn < p.insns.len()), "{prog}: a CO-RE relocation past the end");
    }
}

#[test]
fn every_relocation_lands_in_libbpf_form() {
    for name in FIXTURES {
        let bytes = fixture(name);
        let obj = load(name);
        let raw = raw(&bytes);
        assert!(!obj.programs.is_empty(), "{name}");
        for p in &obj.programs {
            raw.check_program(&obj, &p.name);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// maps.bpf.c

#[test]
fn btf_defined_maps_match_the_c() {
    let obj = load("maps");
    let want: [(&str, u32, u32, u32, u32, u32); 17] = [
        // name, type, key, value, max_entries, flags
        ("inner_b", 2, 4, 2, 3, 0),
        ("inner_a", 2, 4, 2, 3, 0),
        ("outer", 12, 4, 4, 4, 0),
        ("jumps", 3, 4, 4, 8, 0),
        ("flows", 1, 4, 16, 1024, 1),
        ("stats", 6, 4, 8, 4, 0),
        ("counters", 2, 4, 24, 16, 0),
        // 5000 is not a power-of-2 number of pages: libbpf asks the kernel for 8192.
        ("events", 27, 0, 0, 8192, 0),
        ("lru", 9, 8, 16, 128, 0),
        ("pcpu_hash", 5, 16, 12, 64, 0),
        ("prefixes", 11, 8, 4, 100, 1),
        ("seen", 30, 0, 4, 64, 0),
        ("per_flow", 13, 8, 4, 2, 0),
        ("xsks", 17, 4, 4, 4, 0),
        ("cpus", 16, 4, 8, 2, 0),
        ("ports_hash", 25, 4, 4, 32, 0),
        ("ports", 14, 4, 8, 8, 0),
    ];
    let got: Vec<_> =
        obj.maps.iter().map(|m| (m.name.as_str(), m.map_type, m.key_size, m.value_size, m.max_entries, m.map_flags)).collect();
    assert_eq!(got, want);
    assert!(obj.maps.iter().all(|m| m.global.is_none() && m.initial.is_none()));

    let outer = obj.map("outer").unwrap();
    let inner = outer.inner.as_ref().expect("outer has an inner map definition");
    assert_eq!((inner.name.as_str(), inner.map_type, inner.key_size, inner.value_size, inner.max_entries), ("outer.inner", 2, 4, 2, 3));
    assert_eq!(outer.init_maps, vec![(1, "inner_b".to_string()), (3, "inner_a".to_string())]);
    assert!(outer.init_progs.is_empty());

    let seen = obj.map("seen").unwrap();
    assert_eq!((seen.map_extra, seen.pinning, seen.numa_node), (3, 1, 0));
    let per_flow = obj.map("per_flow").unwrap();
    let inner = per_flow.inner.as_ref().unwrap();
    assert_eq!((inner.map_type, inner.key_size, inner.value_size, inner.max_entries), (1, 2, 16, 7));
    assert!(per_flow.init_maps.is_empty());

    let jumps = obj.map("jumps").unwrap();
    assert_eq!(jumps.init_progs, vec![(0, "tail_a".to_string()), (2, "tail_a".to_string()), (5, "tail_b".to_string())]);
    assert!(jumps.inner.is_none() && jumps.init_maps.is_empty());
    assert_eq!(obj.license, "Dual MIT/GPL");
}

#[test]
fn map_loads_name_the_right_maps() {
    let obj = load("maps");
    assert_eq!(obj.programs.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(), ["tail_a", "tail_b", "entry"]);
    assert_eq!(map_refs(&obj, "tail_a"), ["flows"]);
    assert_eq!(map_refs(&obj, "tail_b"), ["stats"]);
    assert_eq!(
        map_refs(&obj, "entry"),
        ["counters", "events", "lru", "pcpu_hash", "prefixes", "outer", "seen", "per_flow", "jumps", "xsks", "cpus", "ports_hash", "ports"]
    );
    // The lookup in tail_a: `r1 = flows ll` is its fifth instruction; the second half stays 0.
    let p = obj.program("tail_a").unwrap();
    assert_eq!(p.insns[4], Insn::new(insn::LD | insn::DW | insn::IMM, 1, insn::PSEUDO_MAP_IDX, 0, map_index(&obj, "flows")));
    assert_eq!(p.insns[5], Insn::default());
    for p in &obj.programs {
        assert_eq!((p.kind, p.frags, p.autoload, p.section.as_str()), (ProgKind::Xdp, false, true, "xdp"));
        assert!(!p.insns.iter().any(|i| i.code == insn::JMP | insn::CALL && i.src() == insn::PSEUDO_CALL), "{}", p.name);
    }
}

// ---------------------------------------------------------------------------------------------
// globals.bpf.c

#[test]
fn global_data_becomes_internal_array_maps() {
    let obj = load("globals");
    let got: Vec<_> =
        obj.maps.iter().map(|m| (m.name.as_str(), m.map_type, m.key_size, m.value_size, m.max_entries, m.map_flags, m.global)).collect();
    assert_eq!(
        got,
        [
            (".data", 2, 4, 36, 1, 0, Some(GlobalData::Data)),
            (".rodata", 2, 4, 10, 1, 0x80, Some(GlobalData::Rodata)),
            (".data.custom", 2, 4, 2, 1, 0, Some(GlobalData::Data)),
            (".rodata.custom", 2, 4, 3, 1, 0x80, Some(GlobalData::Rodata)),
            (".bss", 2, 4, 36, 1, 0, Some(GlobalData::Bss)),
            (".rodata.str1.1", 2, 4, 8, 1, 0x80, Some(GlobalData::Rodata)),
        ]
    );
    assert_eq!(obj.map(".rodata.str1.1").unwrap().initial.as_deref(), Some(&b"tp hit\n\0"[..]));
    for m in &obj.maps {
        assert_eq!(m.initial.as_ref().unwrap().len(), m.value_size as usize, "{}", m.name);
    }
    assert!(obj.map(".bss").unwrap().initial.as_ref().unwrap().iter().all(|&b| b == 0));
}

/// Reads the initial value the program would see through each of its global-data loads.
fn read_global(obj: &Object, map: &str, off: i32, len: usize) -> Vec<u8> {
    let init = obj.map(map).unwrap().initial.as_ref().unwrap();
    init.get(off as usize..off as usize + len).map(<[u8]>::to_vec).unwrap_or_default()
}

#[test]
fn global_data_loads_point_at_the_initial_values() {
    let obj = load("globals");
    let refs = data_refs(&obj, "xdp_main");
    let by_map = |m: &str| refs.iter().filter(|r| r.1 == m).map(|r| r.2).collect::<Vec<_>>();
    // hits = 7 in .data; zeroed in .bss; custom = 0x1234; ro_custom = {9, 8, 7}; tag = "uxdp!"
    // and limit = 0xabcd in .rodata; counter_static = 42 through add_static's section-relative load.
    let data = by_map(".data");
    assert!(data.iter().any(|&o| read_global(&obj, ".data", o, 4) == 7u32.to_le_bytes()), "{refs:?}");
    assert!(data.iter().any(|&o| read_global(&obj, ".data", o, 4) == 42u32.to_le_bytes()), "{refs:?}");
    assert_eq!(by_map(".bss").len(), 2, "zeroed and zero_arr: {refs:?}");
    assert_eq!(by_map(".data.custom").iter().map(|&o| read_global(&obj, ".data.custom", o, 2)).collect::<Vec<_>>(), [vec![0x34, 0x12]]);
    assert_eq!(by_map(".rodata.custom").iter().map(|&o| read_global(&obj, ".rodata.custom", o, 3)).collect::<Vec<_>>(), [vec![9, 8, 7]]);
    let ro = by_map(".rodata");
    assert!(ro.iter().any(|&o| read_global(&obj, ".rodata", o, 6) == *b"uxdp!\0"), "{refs:?}");
    assert!(ro.iter().any(|&o| read_global(&obj, ".rodata", o, 4) == 0xabcdu32.to_le_bytes()), "{refs:?}");

    // `counter_static` is static: clang relocates against the .data section symbol with the
    // variable's offset in the instruction; the loader adds the two.
    let second = data_refs(&obj, "xdp_second");
    assert_eq!(second[0].1, ".data");
    assert_eq!(read_global(&obj, ".data", second[0].2, 4), 42u32.to_le_bytes());
    // big_data[2] in middle(): the load is of big_data itself (offset 8), the +16 is in the ldx.
    assert!(second.iter().any(|r| r.1 == ".data" && read_global(&obj, ".data", r.2, 24) == [1u64, 2, 3].map(u64::to_le_bytes).concat()));
    // tp_prog decrements hits and prints a literal from the mergeable string section.
    let tp: Vec<_> = data_refs(&obj, "tp_prog").iter().map(|r| (r.1.clone(), read_global(&obj, &r.1, r.2, 7))).collect();
    assert_eq!(tp[0].0, ".data");
    assert_eq!(tp[0].1[..4], 7u32.to_le_bytes());
    assert_eq!(tp[1], (".rodata.str1.1".to_string(), b"tp hit\n".to_vec()));
}

/// The function-symbol lengths of the .text functions, in instructions.
fn text_len(name: &str) -> usize {
    let bytes = fixture("globals");
    let raw = raw(&bytes);
    raw.funcs.iter().find(|f| f.3 == name).unwrap().2
}

fn call_targets(p: &elf::ProgramSpec) -> Vec<(usize, u8, usize)> {
    (0..p.insns.len())
        .filter(|&i| {
            let x = p.insns[i];
            (x.code == insn::JMP | insn::CALL && x.src() == insn::PSEUDO_CALL) || (x.is_lddw() && x.src() == insn::PSEUDO_FUNC)
        })
        .map(|i| (i, p.insns[i].src(), (i as i64 + p.insns[i].imm as i64 + 1) as usize))
        .collect()
}

#[test]
fn subprograms_are_appended_once_each_with_calls_reaimed() {
    let obj = load("globals");
    let main = obj.program("xdp_main").unwrap();
    let own = text_len_in("globals", "xdp_main");
    // Appended in the order first reached: the bpf_loop callback (an lddw of its address), then
    // add_global, then add_static which add_global calls.
    let (cb, ag, ast) = (own, own + text_len("loop_cb"), own + text_len("loop_cb") + text_len("add_global"));
    assert_eq!(main.insns.len(), ast + text_len("add_static"));
    let targets = call_targets(main);
    assert_eq!(targets.len(), 3, "{targets:?}");
    assert_eq!((targets[0].1, targets[0].2), (insn::PSEUDO_FUNC, cb), "bpf_loop callback address");
    assert_eq!(main.insns[targets[0].0 + 1].imm, 0);
    assert_eq!((targets[1].1, targets[1].2), (insn::PSEUDO_CALL, ag), "call add_global");
    assert!(targets[2].0 >= ag && targets[2].0 < ast, "the add_static call is inside the appended add_global");
    assert_eq!((targets[2].1, targets[2].2), (insn::PSEUDO_CALL, ast), "call add_static");
    // The callback is passed to helper 181 (bpf_loop) right after.
    assert!(main.insns[targets[0].0..].iter().any(|i| i.code == insn::JMP | insn::CALL && i.src() == 0 && i.imm == 181));

    // middle() calls leaf() twice: leaf is appended once and both calls land on it.
    let second = obj.program("xdp_second").unwrap();
    let t = call_targets(second);
    let mid = text_len_in("globals", "xdp_second");
    let leaf = mid + text_len("middle");
    assert_eq!(t.iter().map(|x| x.2).collect::<Vec<_>>(), [mid, leaf, leaf]);
    assert_eq!(second.insns.len(), leaf + text_len("leaf"));

    // The frags program calls middle (which calls leaf) and then add_static. libbpf walks a
    // subprogram as soon as it appends it, so leaf comes before add_static.
    let frags = obj.program("xdp_frags_prog").unwrap();
    let own = text_len_in("globals", "xdp_frags_prog");
    let (mid, leaf, st) = (own, own + text_len("middle"), own + text_len("middle") + text_len("leaf"));
    assert_eq!(frags.insns.len(), st + text_len("add_static"));
    let t = call_targets(frags);
    assert_eq!(t.iter().map(|x| x.2).collect::<Vec<_>>(), [mid, st, leaf, leaf], "{t:?}");
    assert!(t[2].0 >= mid && t[2].0 < leaf, "the leaf calls are in the appended middle");
    let tc = obj.program("tc_prog").unwrap();
    assert_eq!(tc.insns.len(), text_len_in("globals", "tc_prog") + text_len("leaf"));
    // Programs that call nothing get nothing appended.
    assert_eq!(obj.program("xdp_lazy").unwrap().insns.len(), 2);
    assert!(obj.program("add_global").is_none(), ".text functions are subprograms, not programs");
}

fn text_len_in(fixture_name: &str, func: &str) -> usize {
    let bytes = fixture(fixture_name);
    raw(&bytes).funcs.iter().find(|f| f.3 == func).unwrap().2
}

#[test]
fn sections_select_type_frags_and_autoload() {
    let obj = load("globals");
    let got: Vec<_> = obj
        .programs
        .iter()
        .map(|p| (p.name.as_str(), p.section.as_str(), p.kind, p.frags, p.autoload, p.expected_attach_type(), p.sleepable()))
        .collect();
    use ProgKind::*;
    assert_eq!(
        got,
        [
            ("xdp_main", "xdp", Xdp, false, true, 37, false),
            ("xdp_second", "xdp", Xdp, false, true, 37, false),
            ("xdp_frags_prog", "xdp.frags", Xdp, true, true, 37, false),
            ("xdp_lazy", "?xdp", Xdp, false, false, 37, false),
            ("xdp_devmap_lazy", "?xdp.frags/devmap", Xdp, true, false, 33, false),
            ("xdp_cpumap_prog", "xdp/cpumap", Xdp, false, true, 35, false),
            ("tc_prog", "tc", SchedCls, false, true, 0, false),
            ("tcx_prog", "tc/ingress", SchedCls, false, true, 46, false),
            ("tp_prog", "tp/xdp/xdp_exception", Tracepoint, false, true, 0, false),
            ("kprobe_prog", "kprobe/do_sys_open", Kprobe, false, true, 0, false),
            ("fentry_prog", "fentry/bpf_prog_test_run_xdp", Tracing, false, true, 24, false),
            ("lsm_prog", "lsm.s/bpf", Lsm, false, true, 27, true),
            ("sock_prog", "socket", SocketFilter, false, true, 0, false),
            ("unknown_prog", "custom_section", Unknown, false, true, 0, false),
        ]
    );
    assert_eq!(obj.program("tp_prog").unwrap().attach_target(), Some("xdp/xdp_exception"));
    assert_eq!(obj.program("kprobe_prog").unwrap().attach_target(), Some("do_sys_open"));
    assert_eq!(obj.program("xdp_main").unwrap().attach_target(), None);
    assert_eq!(obj.license, "GPL");
}

#[test]
fn section_table_follows_libbpf() {
    use ProgKind::*;
    let cases: &[(&str, ProgKind, bool, bool)] = &[
        ("xdp", Xdp, false, true),
        ("xdp.frags", Xdp, true, true),
        ("xdp/devmap", Xdp, false, true),
        ("xdp.frags/devmap", Xdp, true, true),
        ("xdp/cpumap", Xdp, false, true),
        ("xdp.frags/cpumap", Xdp, true, true),
        ("?xdp.frags", Xdp, true, false),
        // libbpf 1.x matches `xdp` exactly: anything after it is an unknown section.
        ("xdp/foo", Unknown, false, true),
        ("xdpfoo", Unknown, false, true),
        ("tc", SchedCls, false, true),
        ("?tc", SchedCls, false, false),
        ("tc/ingress", SchedCls, false, true),
        ("tc/egress", SchedCls, false, true),
        ("tcx/ingress", SchedCls, false, true),
        ("tcx/egress", SchedCls, false, true),
        ("classifier", SchedCls, false, true),
        ("action", SchedAct, false, true),
        ("socket", SocketFilter, false, true),
        ("kprobe/tcp_v4_connect", Kprobe, false, true),
        ("kprobe", Kprobe, false, true),
        ("kretprobe/tcp_v4_connect", Kprobe, false, true),
        ("kprobex/foo", Unknown, false, true),
        ("uprobe", Kprobe, false, true),
        ("uprobe//bin/sh:main", Kprobe, false, true),
        ("tp/net/netif_rx", Tracepoint, false, true),
        ("tracepoint/net/netif_rx", Tracepoint, false, true),
        ("raw_tp/netif_rx", RawTracepoint, false, true),
        ("raw_tracepoint/netif_rx", RawTracepoint, false, true),
        ("raw_tp.w/netif_rx", RawTracepointWritable, false, true),
        ("tp_btf/netif_rx", Tracing, false, true),
        ("fentry/do_xdp", Tracing, false, true),
        ("fexit/do_xdp", Tracing, false, true),
        ("fmod_ret/do_xdp", Tracing, false, true),
        ("struct_ops/init", StructOps, false, true),
        ("struct_ops.s/init", StructOps, false, true),
        ("struct_ops", StructOps, false, true),
        ("cgroup_skb/ingress", CgroupSkb, false, true),
        ("cgroup_skb/egress", CgroupSkb, false, true),
        ("lsm/bpf", Lsm, false, true),
        ("syscall", Syscall, false, true),
        ("perf_event", PerfEvent, false, true),
        ("freplace/x", Ext, false, true),
        (".text", Unknown, false, true),
    ];
    for &(sec, kind, frags, autoload) in cases {
        assert_eq!(elf::section_kind(sec), (kind, frags, autoload), "{sec}");
    }
    assert_eq!(ProgKind::Xdp.prog_type(), 6);
    assert_eq!(ProgKind::SchedCls.prog_type(), 3);
    assert_eq!(ProgKind::Tracing.prog_type(), 26);
    assert_eq!(ProgKind::Syscall.prog_type(), 31);
}

// ---------------------------------------------------------------------------------------------
// kfuncs.bpf.c

#[test]
fn ksym_externs_become_kfunc_calls_and_btf_id_loads() {
    let obj = load("kfuncs");
    let got: Vec<_> = obj.externs.iter().map(|e| (e.name.as_str(), e.func, e.weak)).collect();
    assert_eq!(
        got,
        [
            ("bpf_dynptr_from_xdp", true, false),
            ("bpf_dynptr_slice", true, false),
            ("bpf_prog_active", false, false),
            ("bpf_uxdp_does_not_exist", true, true),
            ("bpf_uxdp_missing_var", false, true),
        ],
        "sorted by name, as libbpf numbers them"
    );
    let btf = Btf::parse(obj.btf.as_ref().unwrap()).unwrap();
    for e in &obj.externs {
        let t = btf.type_by_id(e.btf_type_id).unwrap();
        assert_eq!(t.name, e.name);
        match t.kind {
            Kind::Func { linkage, .. } => assert!(e.func && linkage == Linkage::Extern),
            Kind::Var { linkage, .. } => assert!(!e.func && linkage == Linkage::Extern),
            ref k => panic!("{}: {k:?}", e.name),
        }
    }

    let p = obj.program("dynptr_prog").unwrap();
    let kcalls: Vec<i32> =
        p.insns.iter().filter(|i| i.code == insn::JMP | insn::CALL && i.src() == insn::PSEUDO_KFUNC_CALL).map(|i| i.imm).collect();
    assert_eq!(
        kcalls,
        [extern_index(&obj, "bpf_dynptr_from_xdp"), extern_index(&obj, "bpf_dynptr_slice"), extern_index(&obj, "bpf_uxdp_does_not_exist")]
    );
    let btf_ids: Vec<i32> = p.insns.iter().filter(|i| i.is_lddw() && i.src() == insn::PSEUDO_BTF_ID).map(|i| i.imm).collect();
    // bpf_ksym_exists(bpf_uxdp_does_not_exist) takes the kfunc's address; `&bpf_uxdp_missing_var` a weak variable's.
    assert_eq!(btf_ids, [extern_index(&obj, "bpf_uxdp_does_not_exist"), extern_index(&obj, "bpf_uxdp_missing_var")]);
    assert!(p.insns.iter().all(|i| i.code != insn::JMP | insn::CALL || i.off == 0));

    let v = obj.program("ksym_var_prog").unwrap();
    assert!(v.frags);
    let ld = v.insns.iter().position(|i| i.is_lddw()).unwrap();
    assert_eq!((v.insns[ld].src(), v.insns[ld].imm, v.insns[ld + 1].imm), (insn::PSEUDO_BTF_ID, extern_index(&obj, "bpf_prog_active"), 0));
    assert!(obj.maps.is_empty());
}

#[test]
fn describe_lists_programs_maps_kfuncs_and_license() {
    let obj = load("kfuncs");
    let d = obj.describe();
    let dyn_len = obj.program("dynptr_prog").unwrap().insns.len();
    assert!(d.contains(&format!("  dynptr_prog: section xdp, type xdp, frags no, autoload yes, {dyn_len} insns\n")), "{d}");
    assert!(d.contains("  ksym_var_prog: section xdp.frags, type xdp, frags yes, autoload yes, 7 insns\n"), "{d}");
    assert!(d.contains("kfuncs: bpf_dynptr_from_xdp, bpf_dynptr_slice, bpf_uxdp_does_not_exist (weak)\n"), "{d}");
    assert!(d.contains("ksyms: bpf_prog_active, bpf_uxdp_missing_var (weak)\n"), "{d}");
    assert!(d.ends_with("license: GPL\n"), "{d}");

    let d = load("maps").describe();
    assert!(d.contains("programs (3):\n"), "{d}");
    assert!(d.contains("  flows: hash, key 4, value 16, max_entries 1024, flags 0x1\n"), "{d}");
    assert!(d.contains("  jumps: prog_array, key 4, value 4, max_entries 8, flags 0x0, progs [0]=tail_a [2]=tail_a [5]=tail_b\n"), "{d}");
    assert!(d.contains("  outer: array_of_maps, key 4, value 4, max_entries 4, flags 0x0, inner array (key 4, value 2), maps [1]=inner_b [3]=inner_a\n"), "{d}");
    assert!(d.contains("  events: ringbuf, key 0, value 0, max_entries 8192, flags 0x0\n"), "{d}");
    assert!(d.contains("kfuncs: none\n"), "{d}");

    let d = load("globals").describe();
    assert!(d.contains("  xdp_lazy: section ?xdp, type xdp, frags no, autoload no, 2 insns\n"), "{d}");
    assert!(d.contains("  unknown_prog: section custom_section, type unspec, frags no, autoload yes, 2 insns\n"), "{d}");
    assert!(d.contains("  .rodata: array, key 4, value 10, max_entries 1, flags 0x80\n"), "{d}");
}

// ---------------------------------------------------------------------------------------------
// types.bpf.c: BTF kinds, linkage, legacy maps.

#[test]
fn btf_kinds_sizes_and_names() {
    let obj = load("types");
    let btf = Btf::parse(obj.btf.as_ref().unwrap()).unwrap();
    let id = |name: &str, kind: u8| btf.find_by_name_kind(name, kind).unwrap_or_else(|| panic!("no {name}"));
    let all = id("all", btf::KIND_STRUCT);
    assert_eq!(btf.resolve_size(all).unwrap(), 144);
    let Kind::Struct { members, .. } = &btf.type_by_id(all).unwrap().kind else { panic!() };
    let member = |n: &str| members.iter().find(|m| m.name == n).unwrap();
    assert_eq!(btf.resolve_size(member("matrix").type_id).unwrap(), 60);
    assert_eq!(btf.type_name(member("matrix").type_id), "int[3][5]");
    assert_eq!(btf.resolve_size(member("twice").type_id).unwrap(), 4);
    let (u32_id, t) = btf.skip_mods_and_typedefs(member("twice").type_id).unwrap();
    assert_eq!(t.name, "unsigned int", "through both typedefs, const, volatile and __u32");
    assert_eq!(btf.type_name(u32_id), "unsigned int");
    let (_, int) = btf.skip_mods_and_typedefs(id("cv_u32_again", btf::KIND_TYPEDEF)).unwrap();
    assert!(matches!(int.kind, Kind::Int { size: 4, encoding: 0, bits: 32, .. }), "{int:?}");
    assert_eq!(btf.type_name(id("cv_u32", btf::KIND_TYPEDEF)), "cv_u32");
    assert_eq!(btf.resolve_size(member("either").type_id).unwrap(), 8);
    assert_eq!(btf.resolve_size(member("opaque").type_id).unwrap(), 8, "pointers are 8 bytes");
    assert_eq!(btf.type_name(member("opaque").type_id), "struct opaque *");
    assert_eq!(btf.type_name(member("opaque_u").type_id), "union opaque_u *");
    assert!(btf.type_name(member("restricted").type_id).ends_with("restrict"));
    assert_eq!(btf.type_name(member("name").type_id), "char[6]");

    let bits = id("bits", btf::KIND_STRUCT);
    let Kind::Struct { members: bm, .. } = &btf.type_by_id(bits).unwrap().kind else { panic!() };
    assert_eq!((bm[1].name.as_str(), bm[1].bit_offset, bm[1].bitfield_size), ("b", 3, 13));
    assert_eq!((bm[2].bit_offset, bm[2].bitfield_size), (32, 0));

    let Kind::Enum { values, size: 4, .. } = &btf.type_by_id(id("color", btf::KIND_ENUM)).unwrap().kind else { panic!() };
    assert_eq!(
        values.iter().map(|v| (v.name.as_str(), v.value as u32)).collect::<Vec<_>>(),
        [("RED", u32::MAX), ("GREEN", 7), ("BLUE", 0x7fff_ffff)]
    );
    assert!(matches!(btf.type_by_id(id("opaque_u", btf::KIND_FWD)).unwrap().kind, Kind::Fwd { union: true }));
    assert!(matches!(btf.type_by_id(id("opaque", btf::KIND_FWD)).unwrap().kind, Kind::Fwd { union: false }));
    assert!(matches!(btf.type_by_id(id("double", btf::KIND_FLOAT)).unwrap().kind, Kind::Float { size: 8 }));
    assert!(matches!(btf.type_by_id(id("_Bool", btf::KIND_INT)).unwrap().kind, Kind::Int { encoding: btf::INT_BOOL, .. }));
    assert!(btf.find_by_name_kind("user", btf::KIND_TYPE_TAG).is_some());

    // typedef int (*varfn)(int, ...): the variadic marker is a last parameter of type 0.
    let (_, ptr) = btf.skip_mods_and_typedefs(member("fn").type_id).unwrap();
    let Kind::Ptr { target } = ptr.kind else { panic!() };
    let Kind::FuncProto { params, ret } = &btf.type_by_id(target).unwrap().kind else { panic!() };
    assert_eq!((btf.type_name(*ret).as_str(), params.len(), params[1].type_id), ("int", 2, 0));

    // Decl tags: on a struct, a member (component 13 = `name`), a variable and a function.
    let tags: HashMap<String, (u32, i32)> = btf
        .types()
        .iter()
        .filter_map(|t| match t.kind {
            Kind::DeclTag { target, component } => Some((t.name.clone(), (target, component))),
            _ => None,
        })
        .collect();
    assert_eq!(tags["packed-ish"], (bits, -1));
    assert_eq!(tags["member-tag"], (all, 13));
    assert_eq!(tags["var-tag"].0, id("everything", btf::KIND_VAR));
    assert_eq!(tags["fn-tag"].0, id("global_fn", btf::KIND_FUNC));

    assert_eq!(btf.func_linkage("global_fn"), Some(Linkage::Global));
    assert_eq!(btf.func_linkage("static_fn"), Some(Linkage::Static));
    assert_eq!(btf.func_linkage("types_prog"), Some(Linkage::Global));
    assert_eq!(btf.func_linkage("nope"), None);
    assert_eq!(btf.resolve_size(id("global_fn", btf::KIND_FUNC)).unwrap_err().errno, Errno::EINVAL);
    assert_eq!(btf.resolve_size(0).unwrap_err().errno, Errno::EINVAL, "void has no size");
    assert_eq!(btf.resolve_size(id("everything", btf::KIND_VAR)).unwrap(), 144);
    let (_, bss) = btf.datasec(".bss").unwrap();
    assert_eq!(bss.len(), 1);
    assert!(btf.datasec(".nope").is_none());
    assert!(btf.type_by_id(btf.len() as u32).is_none());

    let k = Btf::parse(load("kfuncs").btf.as_ref().unwrap()).unwrap();
    assert_eq!(k.func_linkage("bpf_dynptr_from_xdp"), Some(Linkage::Extern));
    let ksyms = k.ksyms().unwrap();
    assert_eq!(ksyms.iter().filter(|s| s.func).count(), 3);
    assert_eq!(
        ksyms.iter().filter(|s| !s.func).map(|s| s.name.as_str()).collect::<HashSet<_>>(),
        HashSet::from(["bpf_prog_active", "bpf_uxdp_missing_var"])
    );
}

#[test]
fn legacy_maps_section_and_bss_struct() {
    let obj = load("types");
    let got: Vec<_> =
        obj.maps.iter().map(|m| (m.name.as_str(), m.map_type, m.key_size, m.value_size, m.max_entries, m.map_flags)).collect();
    // 3 pages is not a power of 2: rounded up to 4 pages.
    assert_eq!(got, [("old_hash", 1, 4, 8, 10, 1), ("old_ring", 27, 0, 0, 16384, 0), (".bss", 2, 4, 144, 1, 0)]);
    assert_eq!(map_refs(&obj, "types_prog"), ["old_hash", "old_ring"]);
}

// ---------------------------------------------------------------------------------------------
// bpftool's view (libbpf's own open), where it is installed.

fn bpftool(args: &[&str]) -> Option<String> {
    let o = Command::new("bpftool").args(args).output().ok()?;
    o.status.success().then(|| String::from_utf8_lossy(&o.stdout).into_owned())
}

#[test]
fn bpftool_agrees_on_programs_maps_and_btf() {
    if bpftool(&["version"]).is_none() {
        eprintln!("bpftool not installed: skipping the cross-check");
        return;
    }
    for name in FIXTURES {
        let file = scratch(&format!("bpftool-{name}.o"));
        std::fs::write(&file, &*fixture(name)).unwrap();
        let path = file.to_str().unwrap();
        let obj = load(name);

        // The skeleton lists libbpf's programs and maps in its order (internal maps by section
        // name without the dot, dots as underscores).
        if let Some(skel) = bpftool(&["gen", "skeleton", path, "name", "fixture"]) {
            let pick = |kind: &str| -> Vec<String> {
                skel.lines()
                    .filter_map(|l| {
                        l.trim().strip_prefix(&format!("struct {kind} *")).and_then(|r| r.strip_suffix(';')).map(str::to_string)
                    })
                    .collect()
            };
            let progs: Vec<String> = obj.programs.iter().map(|p| p.name.clone()).collect();
            let maps: Vec<String> = obj.maps.iter().map(|m| m.name.trim_start_matches('.').replace('.', "_")).collect();
            assert_eq!(pick("bpf_program"), progs, "{name}: programs");
            assert_eq!(pick("bpf_map"), maps, "{name}: maps");
        }

        // `bpftool btf dump` prints `[id] KIND 'name' ...` for every type.
        let dump = bpftool(&["btf", "dump", "file", path]).unwrap();
        let btf = Btf::parse(obj.btf.as_ref().unwrap()).unwrap();
        let mut n = 0;
        for line in dump.lines().filter(|l| l.starts_with('[')) {
            let (id, rest) = line[1..].split_once("] ").unwrap();
            let id: u32 = id.parse().unwrap();
            let mut words = rest.splitn(2, ' ');
            let kind = words.next().unwrap();
            let tname = words.next().unwrap().split('\'').nth(1).unwrap();
            let t = btf.type_by_id(id).unwrap();
            assert_eq!((t.kind.name(), if t.name.is_empty() { "(anon)" } else { t.name.as_str() }), (kind, tname), "{name}: [{id}]");
            n += 1;
        }
        assert_eq!(n + 1, btf.len(), "{name}: type count");
        let _ = std::fs::remove_file(&file);
    }
}

// ---------------------------------------------------------------------------------------------
// Hand-made BTF: the kinds clang 14 does not emit and the malformed cases.

struct BtfBuilder {
    types: Vec<u8>,
    strings: Vec<u8>,
}

impl BtfBuilder {
    fn new() -> Self {
        BtfBuilder { types: Vec::new(), strings: vec![0] }
    }
    fn s(&mut self, name: &str) -> u32 {
        if name.is_empty() {
            return 0;
        }
        let off = self.strings.len() as u32;
        self.strings.extend_from_slice(name.as_bytes());
        self.strings.push(0);
        off
    }
    fn ty(&mut self, name: &str, kind: u8, vlen: u32, kflag: bool, size_or_type: u32, extra: &[u32]) -> &mut Self {
        let n = self.s(name);
        let info = vlen | (kind as u32) << 24 | (kflag as u32) << 31;
        for w in [n, info, size_or_type].iter().chain(extra) {
            self.types.extend_from_slice(&w.to_le_bytes());
        }
        self
    }
    fn bytes(&self) -> Vec<u8> {
        let mut b = Vec::new();
        b.extend_from_slice(&0xeb9fu16.to_le_bytes());
        b.extend_from_slice(&[1, 0]);
        for w in [24u32, 0, self.types.len() as u32, self.types.len() as u32, self.strings.len() as u32] {
            b.extend_from_slice(&w.to_le_bytes());
        }
        b.extend_from_slice(&self.types);
        b.extend_from_slice(&self.strings);
        b
    }
}

#[test]
fn handmade_btf_enum64_and_friends() {
    let mut b = BtfBuilder::new();
    b.ty("u64", btf::KIND_INT, 0, false, 8, &[64]); // [1]
    let (a, z) = (b.s("BIG"), b.s("NEG"));
    b.ty("e64", btf::KIND_ENUM64, 2, false, 8, &[a, 0x0000_0001, 0x8000_0000, z, 0xffff_fffe, 0xffff_ffff]); // [2]
    let m = b.s("NEG");
    b.ty("s64", btf::KIND_ENUM64, 1, true, 8, &[m, 0xffff_fffe, 0xffff_ffff]); // [3]
    b.ty("arr", btf::KIND_ARRAY, 0, false, 0, &[2, 1, 3]); // [4] e64[3]
    b.ty("f", btf::KIND_FLOAT, 0, false, 16, &[]); // [5]
    b.ty("tt", btf::KIND_TYPE_TAG, 0, false, 4, &[]); // [6]
    b.ty("", btf::KIND_CONST, 0, false, 6, &[]); // [7]
    let (x, y) = (b.s("x"), b.s("y"));
    b.ty("u", btf::KIND_UNION, 2, false, 24, &[x, 4, 0, y, 5, 0]); // [8]
    b.ty("g", btf::KIND_VAR, 0, false, 4, &[1]); // [9] global variable of type [4]
    b.ty(".data", btf::KIND_DATASEC, 1, false, 24, &[9, 0, 24]); // [10]
    let btf = Btf::parse(&b.bytes()).unwrap();
    let Kind::Enum64 { values, signed: false, size: 8 } = &btf.type_by_id(2).unwrap().kind else { panic!() };
    assert_eq!(values[0].value as u64, 0x8000_0000_0000_0001);
    assert_eq!(values[1].value as u64, u64::MAX - 1);
    let Kind::Enum64 { values, signed: true, .. } = &btf.type_by_id(3).unwrap().kind else { panic!() };
    assert_eq!(values[0].value, -2);
    assert_eq!(btf.resolve_size(4).unwrap(), 24);
    assert_eq!(btf.resolve_size(7).unwrap(), 24, "const -> type tag -> array of enum64");
    assert_eq!(btf.skip_mods_and_typedefs(7).unwrap().0, 4);
    assert_eq!(btf.resolve_size(8).unwrap(), 24);
    assert_eq!(btf.resolve_size(5).unwrap(), 16);
    assert_eq!(btf.type_name(4), "enum e64[3]");
    assert_eq!(btf.datasec(".data").unwrap().1, &[btf::VarSecinfo { type_id: 9, offset: 0, size: 24 }]);
    assert_eq!(btf.find_by_name("e64"), Some(2));
    assert_eq!(btf.resolve_size(9).unwrap(), 24);
    assert_eq!(btf.resolve_size(10).unwrap(), 24);
}

fn btf_err(bytes: &[u8]) -> String {
    let e = Btf::parse(bytes).expect_err("must not parse");
    assert_eq!(e.errno, Errno::EINVAL, "{e}");
    e.to_string()
}

#[test]
fn malformed_btf_is_einval_naming_the_fault() {
    let mut good = BtfBuilder::new();
    good.ty("int", btf::KIND_INT, 0, false, 4, &[32]);
    let ok = good.bytes();
    assert!(Btf::parse(&ok).is_ok());

    assert!(btf_err(&ok[..10]).contains("shorter than the 24-byte header"));
    let mut m = ok.clone();
    m[0] = 0;
    assert!(btf_err(&m).contains("bad magic"));
    let mut m = ok.clone();
    m[..2].copy_from_slice(&0x9febu16.to_le_bytes());
    assert!(btf_err(&m).contains("big-endian"));
    let mut m = ok.clone();
    m[2] = 2;
    assert!(btf_err(&m).contains("version"));
    // The type section claims more than there is.
    let mut m = ok.clone();
    m[12..16].copy_from_slice(&1000u32.to_le_bytes());
    assert!(btf_err(&m).contains("type section"));
    // Truncating the types mid-record.
    let mut m = ok.clone();
    m[12..16].copy_from_slice(&14u32.to_le_bytes());
    assert!(btf_err(&m).contains("runs past the type section"));
    // A name offset past the strings.
    let mut b = BtfBuilder::new();
    b.types.extend_from_slice(&[99, 0, 0, 0]);
    b.types.extend_from_slice(&(1u32 << 24).to_le_bytes());
    b.types.extend_from_slice(&4u32.to_le_bytes());
    b.types.extend_from_slice(&32u32.to_le_bytes());
    assert!(btf_err(&b.bytes()).contains("name offset 99"));
    // Strings not NUL-terminated.
    let mut m = ok.clone();
    *m.last_mut().unwrap() = b'x';
    assert!(btf_err(&m).contains("NUL"));
    // Unknown kind.
    let mut b = BtfBuilder::new();
    b.ty("x", 25, 0, false, 0, &[]);
    assert!(btf_err(&b.bytes()).contains("unknown kind 25"));
    // A reference past the last type.
    let mut b = BtfBuilder::new();
    b.ty("p", btf::KIND_PTR, 0, false, 7, &[]);
    assert!(btf_err(&b.bytes()).contains("refers to type [7]"));
    // A struct whose members run off the end.
    let mut b = BtfBuilder::new();
    b.ty("s", btf::KIND_STRUCT, 3, false, 8, &[0, 0, 0]);
    assert!(btf_err(&b.bytes()).contains("STRUCT runs past"));
    // Bad linkage.
    let mut b = BtfBuilder::new();
    b.ty("v", btf::KIND_VAR, 0, false, 0, &[9]);
    assert!(btf_err(&b.bytes()).contains("unknown linkage 9"));

    // Parses, but resolving loops or overflows fails cleanly.
    let mut b = BtfBuilder::new();
    b.ty("a", btf::KIND_TYPEDEF, 0, false, 2, &[]);
    b.ty("b", btf::KIND_TYPEDEF, 0, false, 1, &[]);
    b.ty("int", btf::KIND_INT, 0, false, 4, &[32]);
    b.ty("", btf::KIND_ARRAY, 0, false, 0, &[3, 3, 0x4000_0000]);
    b.ty("", btf::KIND_ARRAY, 0, false, 0, &[4, 3, 0x10]);
    b.ty("", btf::KIND_CONST, 0, false, 7, &[]);
    b.ty("", btf::KIND_VOLATILE, 0, false, 6, &[]);
    let btf = Btf::parse(&b.bytes()).unwrap();
    assert_eq!(btf.resolve_size(1).unwrap_err().errno, Errno::EINVAL);
    assert!(btf.skip_mods_and_typedefs(2).is_err());
    assert_eq!(btf.resolve_size(4).unwrap_err().errno, Errno::E2BIG);
    assert_eq!(btf.resolve_size(5).unwrap_err().errno, Errno::E2BIG);
    assert!(btf.type_name(6).contains("..."), "a loop prints, it does not recurse forever");
    assert_eq!(btf.resolve_size(7).unwrap_err().errno, Errno::EINVAL);
}

// ---------------------------------------------------------------------------------------------
// Objects that must not open.

fn open_err(bytes: &[u8]) -> uxdp::XdpError {
    match elf::parse(bytes) {
        Ok(o) => panic!("opened, and must not:\n{}", o.describe()),
        Err(e) => e,
    }
}

#[test]
fn bad_map_definitions_are_refused_like_libbpf() {
    let cases: &[(&str, &str, Errno, &str)] = &[
        (
            "unknown_field",
            "struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1); __type(key, int); __type(value, int); int foo; } m SEC(\".maps\");",
            Errno::EOPNOTSUPP,
            "map 'm': unknown field 'foo'",
        ),
        (
            "conflicting_key",
            "struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 1); __uint(key_size, 8); __type(key, int); __type(value, int); } m SEC(\".maps\");",
            Errno::EINVAL,
            "map 'm': conflicting key size 8 != 4",
        ),
        ("no_type", "struct { __uint(max_entries, 1); __type(key, int); __type(value, int); } m SEC(\".maps\");", Errno::EINVAL, "map type isn't specified"),
        (
            "values_on_hash",
            "struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 1); __type(key, int); __array(values, int (void *)); } m SEC(\".maps\");",
            Errno::EOPNOTSUPP,
            "needs a map-in-map or prog-array type",
        ),
        (
            "slot_past_max",
            "SEC(\"xdp\") int p(struct xdp_md *c) { return 2; }\n struct { __uint(type, BPF_MAP_TYPE_PROG_ARRAY); __uint(max_entries, 2); __uint(key_size, 4); __array(values, int (void *)); } m SEC(\".maps\") = { .values = { [3] = &p } };",
            Errno::E2BIG,
            "map 'm': .values slot 3 is past max_entries 2",
        ),
        ("static_map", "static struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1); __type(key, int); __type(value, int); } m SEC(\".maps\");\nSEC(\"xdp\") int p(struct xdp_md *c) { int k = 0; return bpf_map_lookup_elem(&m, &k) ? 1 : 2; }", Errno::EOPNOTSUPP, "map 'm': unsupported map linkage static"),
        (
            "static_prog",
            "SEC(\"xdp\") static int hidden(struct xdp_md *c) { return 2; }\nSEC(\"xdp\") int shown(struct xdp_md *c) { return hidden(c); }",
            Errno::EOPNOTSUPP,
            "program 'hidden' in section 'xdp' is static",
        ),
        (
            "plain_extern",
            "extern int not_a_ksym(void);\nSEC(\"xdp\") int p(struct xdp_md *c) { return not_a_ksym(); }",
            Errno::ENOENT,
            "extern 'not_a_ksym' is not declared in BTF's .ksyms",
        ),
    ];
    for &(tag, src, errno, msg) in cases {
        let bytes = compile_src(tag, src);
        let e = open_err(&bytes);
        assert_eq!(e.errno, errno, "{tag}: {e}");
        assert!(e.message.contains(msg), "{tag}: {e}");
        assert_eq!(e.detail.op, "bpf_object__open");
    }
}

/// The file range of a section of a real object, for targeted corruption.
fn section_range(bytes: &[u8], name: &str) -> std::ops::Range<usize> {
    let file = object::File::parse(bytes).unwrap();
    let (off, len) = file.section_by_name(name).unwrap().file_range().unwrap();
    off as usize..(off + len) as usize
}

#[test]
fn broken_headers_are_einval() {
    let good = fixture("globals").to_vec();
    let check = |bytes: &[u8], msg: &str| {
        let e = open_err(bytes);
        assert_eq!(e.errno, Errno::EINVAL, "{e}");
        assert!(e.message.contains(msg), "wanted {msg:?}: {e}");
    };
    check(&[], "shorter than an ELF64 header");
    check(&good[..63], "shorter than an ELF64 header");
    check(&[0u8; 64], "not an ELF file");
    let mut m = good.clone();
    m[4] = 1;
    check(&m, "ELFCLASS64");
    let mut m = good.clone();
    m[5] = 2;
    check(&m, "little-endian");
    let mut m = good.clone();
    m[18..20].copy_from_slice(&62u16.to_le_bytes());
    check(&m, "e_machine 62 is not EM_BPF (247)");
    let mut m = good.clone();
    m[16..18].copy_from_slice(&2u16.to_le_bytes());
    check(&m, "not ET_REL");
    // Section headers past the end of the file.
    let mut m = good.clone();
    m[40..48].copy_from_slice(&(good.len() as u64).to_le_bytes());
    check(&m, "section headers");
    // Bad BTF is an error, not silently dropped.
    let mut m = good.clone();
    let btf = section_range(&good, ".BTF");
    m[btf.start] ^= 0xff;
    check(&m, "bad magic");
    // A misaligned copy opens the same.
    let mut shifted = vec![0u8; 1];
    shifted.extend_from_slice(&good);
    assert_eq!(elf::parse(&shifted[1..]).unwrap().programs.len(), load("globals").programs.len());
}

/// Rewrites field `field` (r_offset 0, r_info 8) of relocation `n` of section `rel_sec`.
fn patch_rel(bytes: &[u8], rel_sec: &str, n: usize, field: usize, value: u64) -> Vec<u8> {
    let r = section_range(bytes, rel_sec);
    let mut m = bytes.to_vec();
    let at = r.start + 16 * n + field;
    m[at..at + 8].copy_from_slice(&value.to_le_bytes());
    m
}

#[test]
fn bad_relocations_name_the_section_and_offset() {
    let good = fixture("globals").to_vec();
    let check = |bytes: &[u8], msgs: &[&str]| {
        let e = open_err(bytes);
        assert_eq!(e.errno, Errno::EINVAL, "{e}");
        for msg in msgs {
            assert!(e.message.contains(msg), "wanted {msg:?}: {e}");
        }
    };
    // .relxdp #1 is `r1 = hits ll` at offset 0x48.
    check(&patch_rel(&good, ".relxdp", 1, 0, 0x4c), &["section 'xdp' relocation #1 at offset 76", "not an instruction"]);
    check(&patch_rel(&good, ".relxdp", 1, 0, 0x10_0000), &["offset 1048576"]);
    check(&patch_rel(&good, ".relxdp", 1, 8, (9999u64 << 32) | 1), &["symbol #9999 does not exist"]);
    check(&patch_rel(&good, ".relxdp", 1, 8, (39u64 << 32) | 3), &["unsupported relocation type 3"]);
    // Aim it at an ordinary ALU instruction (offset 0 is `r1 = 0`).
    check(&patch_rel(&good, ".relxdp", 1, 0, 0), &["relocation against 'hits' on instruction 0 with opcode 0xb7"]);
    // A call relocation pointed at a data symbol: `call add_global` (#6) now against `hits`.
    let sym_hits = {
        let file = object::File::parse(&*good).unwrap();
        file.symbols().find(|s| s.name() == Ok("hits")).unwrap().index().0 as u64
    };
    check(&patch_rel(&good, ".relxdp", 6, 8, (sym_hits << 32) | 10), &["call to 'hits', which is not in .text"]);
    // A helper call (bpf_loop, `call 181`) turned into a bpf-to-bpf call: no relocation says
    // where to, and an unrelocated call from outside .text can only aim outside .text.
    let xdp = section_range(&good, "xdp");
    let insns = insn::decode(&good[xdp.clone()]).unwrap();
    let at = insns.iter().position(|i| i.code == insn::JMP | insn::CALL && i.imm == 181).unwrap();
    let mut m = good.clone();
    m[xdp.start + 8 * at + 1] |= insn::PSEUDO_CALL << 4;
    check(&m, &["'xdp_main': instruction", "of 'xdp'", &format!("call to instruction {} outside .text", at + 182)]);
    // A call into the middle of nowhere inside .text: add_global's unrelocated call to add_static
    // aimed past the section.
    let text = section_range(&good, ".text");
    let tinsns = insn::decode(&good[text.clone()]).unwrap();
    let at = tinsns.iter().position(|i| i.code == insn::JMP | insn::CALL && i.src() == insn::PSEUDO_CALL).unwrap();
    let mut m = good.clone();
    m[text.start + 8 * at + 4..text.start + 8 * at + 8].copy_from_slice(&1000i32.to_le_bytes());
    check(&m, &["(in 'add_global')", "target 1004 is not inside a .text function"]);
    // A load of something that is neither a map nor data: the license string.
    let sym_license = {
        let file = object::File::parse(&*good).unwrap();
        file.symbols().find(|s| s.name() == Ok("_license")).unwrap().index().0 as u64
    };
    check(
        &patch_rel(&good, ".relxdp", 1, 8, (sym_license << 32) | 1),
        &["reference to '_license' in section 'license', which is neither maps nor data"],
    );
    // A map load whose symbol sits inside a map definition rather than at its start.
    let maps = fixture("maps").to_vec();
    let file = object::File::parse(&*maps).unwrap();
    let flows = file.symbols().find(|s| s.name() == Ok("flows")).unwrap();
    let relxdp = section_range(&maps, ".relxdp");
    let n = (0..(relxdp.len() / 16))
        .find(|&n| u64::from_le_bytes(maps[relxdp.start + 16 * n + 8..][..8].try_into().unwrap()) >> 32 == flows.index().0 as u64)
        .unwrap();
    // Move the LICENSE symbol into .maps, 4 bytes in, and aim flows' load at it.
    let license = file.symbols().find(|s| s.name() == Ok("LICENSE")).unwrap();
    let maps_idx = file.section_by_name(".maps").unwrap().index().0 as u16;
    let mut m = patch_rel(&maps, ".relxdp", n, 8, (license.index().0 as u64) << 32 | 1);
    let sym = section_range(&maps, ".symtab").start + 24 * license.index().0;
    m[sym + 6..sym + 8].copy_from_slice(&maps_idx.to_le_bytes());
    m[sym + 8..sym + 16].copy_from_slice(&4u64.to_le_bytes());
    check(&m, &["no map at offset 4 of '.maps' for 'LICENSE'"]);
}

// ---------------------------------------------------------------------------------------------
// CO-RE relocations (core.bpf.c, inline sources): read from .BTF.ext, named in libbpf's words,
// and applied at load against the target BTF.

/// (kind, spec) of a program's CO-RE relocations, in instruction order.
fn core_of(obj: &Object, prog: &str) -> Vec<(CoreReloKind, String)> {
    obj.program(prog).unwrap().core_relos.iter().map(|r| (r.kind, r.spec.clone())).collect()
}

/// A spec without its `<kind> [id] ` prefix.
fn bare(spec: &str) -> String {
    spec.splitn(3, ' ').nth(2).unwrap_or_default().to_string()
}

fn type_id(obj: &Object, name: &str, kind: u8) -> u32 {
    let btf = Btf::parse(obj.btf.as_ref().unwrap()).unwrap();
    btf.find_by_name_kind(name, kind).unwrap_or_else(|| panic!("no {name}"))
}

#[test]
fn core_relocations_are_read_in_libbpfs_words() {
    use CoreReloKind::*;
    let obj = load("core");
    let md = type_id(&obj, "xdp_md", btf::KIND_STRUCT);
    assert!(obj.program("md_plain").unwrap().core_relos.is_empty());
    let field = |t: u32, path: &str, raw: &str, off: u32| format!("<byte_off> [{t}] struct {path} ({raw} @ offset {off})");
    assert_eq!(
        core_of(&obj, "md_core"),
        vec![
            (FieldByteOffset, field(md, "xdp_md.data", "0:0", 0)),
            (FieldByteOffset, field(md, "xdp_md.data_end", "0:1", 4)),
            (FieldByteOffset, field(md, "xdp_md.ingress_ifindex", "0:3", 12)),
            (FieldByteOffset, field(md, "xdp_md.rx_queue_index", "0:4", 16)),
        ]
    );
    // Each relocated instruction is the load of that field, clang's local offset in it.
    let p = obj.program("md_core").unwrap();
    let offs: Vec<i16> = p.core_relos.iter().map(|r| p.insns[r.insn].off).collect();
    assert_eq!(offs, [0, 4, 12, 16]);
    assert!(p.core_relos.iter().all(|r| r.section == "xdp" && p.insns[r.insn].class() == insn::LDX));

    // A flavor matches the kernel's xdp_md by name; the subprogram's relocation comes along,
    // numbered where queue_of landed.
    let local = type_id(&obj, "xdp_md___local", btf::KIND_STRUCT);
    let f = obj.program("md_flavor").unwrap();
    let last = f.core_relos.last().unwrap();
    assert_eq!((last.section.as_str(), last.index, last.sec_insn), (".text", 0, 0));
    assert_eq!(last.insn, f.insns.len() - text_len_in("core", "queue_of"), "queue_of is appended last, its load first");
    assert_eq!(f.insns[last.insn], Insn::new(insn::LDX | insn::MEM | insn::W, 0, 1, 16, 0), "queue_of's `r0 = *(u32 *)(r1 + 16)`");
    assert_eq!(last.spec, field(local, "xdp_md___local.rx_queue_index", "0:4", 16));

    // Packet headers through anonymous unions (the __struct_group of iphdr and ipv6hdr), named
    // unions (in6_u) and arrays.
    let h = core_of(&obj, "headers");
    assert!(h.iter().all(|c| c.0 == FieldByteOffset), "{h:#?}");
    let specs: HashSet<String> = h.iter().map(|c| bare(&c.1)).collect();
    for want in [
        "ethhdr.h_proto (0:2 @ offset 12)",
        "ethhdr.h_source[5] (0:1:5 @ offset 11)",
        "iphdr.ttl (0:6 @ offset 8)",
        "iphdr.daddr (0:9:0:1 @ offset 16)",
        "iphdr.protocol (0:7 @ offset 9)",
        "ipv6hdr.daddr.in6_u.u6_addr8[15] (0:6:0:1:0:0:15 @ offset 39)",
        "ipv6hdr.hop_limit (0:5 @ offset 7)",
        "udphdr.dest (0:1 @ offset 2)",
        "tcphdr.dest (0:1 @ offset 2)",
    ] {
        assert!(specs.contains(want), "no {want} in {specs:#?}");
    }

    // The tc context's arrays and __bpf_md_ptr unions, the socket tuple's anonymous union.
    let skb = core_of(&obj, "skb_fields");
    assert!(skb.iter().all(|c| c.0 == FieldByteOffset), "{skb:#?}");
    let specs: HashSet<String> = skb.iter().map(|c| bare(&c.1)).collect();
    for want in [
        "__sk_buff.cb[3] (0:12:3 @ offset 60)",
        "__sk_buff.remote_ip6[1] (0:21:1 @ offset 104)",
        "__sk_buff.sk (0:30:0 @ offset 168)",
        "__sk_buff.tstamp_type (0:32 @ offset 180)",
        "bpf_sock_tuple.ipv4.dport (0:0:0:3 @ offset 10)",
        "bpf_sock_tuple.ipv6.daddr[2] (0:0:1:1:2 @ offset 24)",
    ] {
        assert!(specs.contains(want), "no {want} in {specs:#?}");
    }

    // What the target BTF answers.
    let foo = type_id(&obj, "foo", btf::KIND_STRUCT);
    let task = type_id(&obj, "task_struct", btf::KIND_STRUCT);
    let kstate = type_id(&obj, "kstate", btf::KIND_ENUM);
    let fake = type_id(&obj, "xdp_md___fake", btf::KIND_STRUCT);
    assert_eq!(core_of(&obj, "field_exists"), vec![(FieldExists, format!("<field_exists> [{foo}] struct foo.b (0:1 @ offset 4)"))]);
    assert_eq!(
        core_of(&obj, "task_read"),
        vec![
            (FieldByteOffset, field(task, "task_struct.parent", "0:2", 8)),
            (FieldByteOffset, field(task, "task_struct.pid", "0:1", 4)),
        ]
    );
    assert_eq!(core_of(&obj, "field_offset"), vec![(FieldByteOffset, field(task, "task_struct.pid", "0:1", 4))]);
    assert_eq!(core_of(&obj, "type_exists"), vec![(TypeExists, format!("<type_exists> [{foo}] struct foo"))]);
    assert_eq!(core_of(&obj, "enum_value"), vec![(EnumvalValue, format!("<enumval_value> [{kstate}] enum kstate::K_B = 7"))]);
    let e = obj.program("enum_value").unwrap();
    assert!(e.insns[e.core_relos[0].insn].is_lddw(), "a 64-bit enum value is an lddw");
    assert_eq!(core_of(&obj, "fake_md"), vec![(FieldByteOffset, field(fake, "xdp_md___fake.rx_queue_index", "0:2", 8))]);
    let c = obj.program("calls_has_b").unwrap();
    assert_eq!(c.core_relos.len(), 1);
    assert_eq!((c.core_relos[0].section.as_str(), c.core_relos[0].index, c.core_relos[0].kind), (".text", 1, FieldExists));
    assert_eq!((c.core_relos[0].func.as_str(), c.core_relos[0].func_insn), ("has_b", 0), "libbpf names the subprogram");
    assert_eq!(c.core_relos[0].insn, c.insns.len() - 2, "has_b is appended last: `r0 = 1; exit`");

    // describe() lists them.
    let d = obj.describe();
    assert!(d.contains(&format!("    CO-RE relo #0 (section 'xdp') at insn #0: {}\n", field(md, "xdp_md.data", "0:0", 0))), "{d}");
}

fn run_xdp(lo: &LoadedObject, prog: &str, packet: &[u8], ctx: Option<XdpMd>) -> u32 {
    let p = lo.program(prog).unwrap().prog.clone().unwrap_or_else(|| panic!("{prog} is not loaded"));
    let pool = PagePool::new(Default::default()).unwrap();
    let opts = TestRunOptions { ctx, ..Default::default() };
    test_run_xdp(&p, &pool, packet, &opts).unwrap_or_else(|e| panic!("{prog}: {e}")).retval
}

/// Ethernet + IPv4 or IPv6 + UDP or TCP, destination port `dport`, TTL/hop limit 61, the last byte
/// of the destination address 9, of the source MAC 0x55.
fn packet(v6: bool, tcp: bool, dport: u16) -> Vec<u8> {
    let mut p = vec![0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 0x55];
    p.extend_from_slice(if v6 { &[0x86, 0xdd] } else { &[0x08, 0x00] });
    let proto = if tcp { 6 } else { 17 };
    let l4_len = if tcp { 20 } else { 8 };
    if v6 {
        p.extend_from_slice(&[0x60, 0, 0, 0]);
        p.extend_from_slice(&(l4_len as u16).to_be_bytes());
        p.extend_from_slice(&[proto, 61]);
        p.extend_from_slice(&[0xfd; 16]);
        p.extend_from_slice(&[0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9]);
    } else {
        p.extend_from_slice(&[0x45, 0]);
        p.extend_from_slice(&((20 + l4_len) as u16).to_be_bytes());
        p.extend_from_slice(&[0, 0, 0, 0, 61, proto, 0, 0, 10, 0, 0, 1, 10, 0, 0, 9]);
    }
    p.extend_from_slice(&1234u16.to_be_bytes());
    p.extend_from_slice(&dport.to_be_bytes());
    p.extend_from_slice(&vec![0; l4_len - 4]);
    p.resize(p.len().max(64), 0);
    p
}

#[test]
fn accepted_core_programs_load_and_run_as_their_plain_twins() {
    // CO-RE is what is checked here: skb_fields reads `remote_ip6`, which a tc program may not
    // (the verifier refuses it), so these load without the verifier.
    let lo = loader::load_bytes(&fixture("core"), &LoadOptions { no_verify: true, ..Default::default() }).unwrap();
    let loaded: Vec<&str> = lo.programs.iter().filter(|p| p.prog.is_some()).map(|p| p.spec.name.as_str()).collect();
    assert_eq!(loaded, ["md_plain", "md_core", "md_flavor", "headers", "skb_fields"], "the refused ones are ?xdp: not autoloaded");
    for len in [64usize, 1500, 9000] {
        let data = vec![0xab; len];
        for ctx in [None, Some(XdpMd { data_end: len.min(3520) as u32, ingress_ifindex: 1, ..Default::default() })] {
            let want = run_xdp(&lo, "md_plain", &data, ctx);
            assert_eq!(want, (len.min(3520) * 1000 + 10) as u32, "{len} {ctx:?}: data_end - data, ifindex 1 (lo), queue 0");
            assert_eq!(run_xdp(&lo, "md_core", &data, ctx), want, "{len} {ctx:?}");
            assert_eq!(run_xdp(&lo, "md_flavor", &data, ctx), want, "{len} {ctx:?}");
        }
    }
    for (v6, tcp, dport) in [(false, false, 4789u16), (false, true, 443), (true, false, 53), (true, true, 22)] {
        let want = dport as u32 * 1000 + 61 + 9 + 0x55;
        assert_eq!(run_xdp(&lo, "headers", &packet(v6, tcp, dport), None), want, "v6 {v6} tcp {tcp}");
    }
    let mut arp = packet(false, false, 1);
    arp[12..14].copy_from_slice(&[0x08, 0x06]);
    assert_eq!(run_xdp(&lo, "headers", &arp, None) as i32, -4);
}

#[test]
fn core_relocations_take_the_target_btfs_values() {
    use uxdp::bpf::target::BtfSource;
    let obj = load("core");
    let run = |prog: &str| {
        let opts = LoadOptions { only: Some(prog.to_string()), ..LoadOptions::default() };
        let lo = loader::load(obj.clone(), &opts).unwrap_or_else(|e| panic!("{prog}: {e}"));
        run_xdp(&lo, prog, &[0; 64], None)
    };
    // struct foo is no kernel type: its field and itself do not exist, in a subprogram too
    assert_eq!([run("field_exists"), run("type_exists"), run("calls_has_b")], [0, 0, 0]);
    // task_struct.pid where the target BTF has it
    let t = BtfSource::Uxdp618.load().unwrap();
    let task = t.find("task_struct", btf::KIND_STRUCT).unwrap();
    let Some(btf::Kind::Struct { members, .. }) = t.btf.type_by_id(task).map(|t| &t.kind) else { panic!() };
    let pid = members.iter().find(|m| m.name == "pid").unwrap();
    assert_eq!(run("field_offset"), pid.bit_offset / 8);
    // xdp_md___fake puts rx_queue_index at 8; the kernel's is at 16, read as that
    assert_eq!(run("fake_md"), 0);
    let lo = loader::load(obj.clone(), &LoadOptions { only: Some("fake_md".into()), ..LoadOptions::default() }).unwrap();
    let f = lo.program("fake_md").unwrap().prog.clone().unwrap();
    let pc = obj.program("fake_md").unwrap().core_relos[0].insn;
    assert_eq!(f.insns[pc].off, 16);
    // enum kstate is no kernel type: the value's ld_imm64 is poisoned, and reached it is refused
    // as libbpf rewrites the verifier's refusal
    let opts = LoadOptions { only: Some("enum_value".into()), ..LoadOptions::default() };
    let e = loader::load(obj.clone(), &opts).err().unwrap();
    let kstate = type_id(&obj, "kstate", btf::KIND_ENUM);
    assert_eq!((e.errno, e.message.as_str()), (Errno::EINVAL, format!("failed to resolve CO-RE relocation <enumval_value> [{kstate}] enum kstate::K_B = 7").as_str()));
    assert!(e.log.contains(&format!("0: <invalid CO-RE relocation>\nfailed to resolve CO-RE relocation <enumval_value> [{kstate}]")), "{}", e.log);
    // Without the verifier, the poisoned call faults if reached.
    let raw = LoadOptions { only: Some("enum_value".into()), no_verify: true, ..LoadOptions::default() };
    let lo = loader::load(obj.clone(), &raw).unwrap();
    let p = lo.program("enum_value").unwrap().prog.clone().unwrap();
    let pool = PagePool::new(Default::default()).unwrap();
    let err = test_run_xdp(&p, &pool, &[0; 64], &TestRunOptions::default()).err().unwrap();
    assert!(err.message.contains("invalid func unknown#195896080"), "{err}");
    // An object whose relocations only some programs need: each loads.
    let bytes = compile_src(
        "core_autoload",
        "#include <bpf/bpf_core_read.h>\nstruct foo { int a; int b; } __attribute__((preserve_access_index));\n\
         SEC(\"xdp\") int ok(struct xdp_md *c) { return XDP_PASS; }\n\
         SEC(\"xdp\") int exists(struct xdp_md *c) { struct foo *f = (void *)(long)c->data; return bpf_core_field_exists(f->b); }",
    );
    let lo = loader::load_bytes(&bytes, &LoadOptions::default()).unwrap();
    assert_eq!((run_xdp(&lo, "ok", &[0; 64], None), run_xdp(&lo, "exists", &[0; 64], None)), (2, 0));
}

/// An inline source without linux/bpf.h: for objects declaring their own `struct xdp_md`.
fn compile_bare(tag: &str, src: &str) -> Vec<u8> {
    let c = scratch(&format!("bare_{tag}.bpf.c"));
    let o = scratch(&format!("bare_{tag}.o"));
    let full = format!(
        "#include <linux/types.h>\n#define SEC(n) __attribute__((section(n), used))\n#define PAI __attribute__((preserve_access_index))\n{src}\nchar LICENSE[] SEC(\"license\") = \"GPL\";\n"
    );
    std::fs::write(&c, full).unwrap();
    clang(&c, &o).unwrap_or_else(|e| panic!("clang failed on inline source {tag}:\n{e}"));
    read_and_remove(&[&c, &o])
}

#[test]
fn own_copies_of_kernel_structs_relocate_to_the_kernels_layout() {
    const MD: &str = "__u32 data; __u32 data_end; __u32 data_meta; __u32 ingress_ifindex; __u32 rx_queue_index; __u32 egress_ifindex;";
    const POISON: i32 = uxdp::bpf::core::POISON_HELPER;
    // (tag, source, the relocated instructions' (code, off) after the load; None: poisoned)
    let cases: Vec<(&str, String, Vec<Option<(u8, i16)>>)> = vec![
        ("copy", format!("struct xdp_md {{ {MD} }} PAI;\nSEC(\"xdp\") int p(struct xdp_md *c) {{ return c->rx_queue_index; }}"), vec![Some((0x61, 16))]),
        (
            "other_member",
            "struct xdp_md { __u32 data; __u32 mark; __u32 a, b, c, d; } PAI;\nSEC(\"xdp\") int p(struct xdp_md *c) { return c->mark; }".into(),
            vec![None],
        ),
        (
            "wide",
            "struct xdp_md { __u64 data; __u64 data_end; } PAI;\nSEC(\"xdp\") int p(struct xdp_md *c) { return c->data_end; }".into(),
            vec![Some((0x61, 4))],
        ),
        (
            "indexed_root",
            "struct xdp_md___part { __u32 data; __u32 data_end; } PAI;\nSEC(\"xdp\") int p(struct xdp_md___part *c) { return __builtin_preserve_access_index(c[1].data_end); }".into(),
            vec![Some((0x61, 28))],
        ),
        (
            "moved",
            "struct xdp_md { __u32 data_end; __u32 data; __u32 a, b, c, d; } PAI;\nSEC(\"xdp\") int p(struct xdp_md *c) { return c->data; }".into(),
            vec![Some((0x61, 0))],
        ),
        (
            "array_for_int",
            "struct udphdr { __u8 source[2]; __u16 dest; __u16 len; __u16 check; } PAI;\nSEC(\"xdp\") int p(struct udphdr *u) { return u->source[1]; }".into(),
            vec![None],
        ),
        (
            "typedef_root",
            format!("typedef struct {{ {MD} }} PAI xdp_md_t;\nSEC(\"xdp\") int p(xdp_md_t *c) {{ return c->rx_queue_index; }}"),
            vec![None],
        ),
        (
            "union_root",
            format!("union xdp_md {{ struct {{ {MD} }} s; __u32 data; }} PAI;\nSEC(\"xdp\") int p(union xdp_md *c) {{ return c->data; }}"),
            vec![None],
        ),
    ];
    for (tag, src, want) in cases {
        let bytes = compile_bare(tag, &src);
        let obj = elf::parse(&bytes).unwrap_or_else(|e| panic!("{tag}: {e}"));
        let relos = obj.program("p").unwrap().core_relos.clone();
        assert_eq!(relos.len(), want.len(), "{tag}: {relos:?}");
        // The relocations are the subject: without the verifier (some read headers through ctx).
        let lo = loader::load(obj, &LoadOptions { no_verify: true, ..Default::default() }).unwrap_or_else(|e| panic!("{tag}: {e}"));
        let p = lo.program("p").unwrap().prog.clone().unwrap();
        let got: Vec<Option<(u8, i16)>> =
            relos.iter().map(|r| p.insns[r.insn]).map(|i| (i.imm != POISON || i.code != insn::JMP | insn::CALL).then_some((i.code, i.off))).collect();
        assert_eq!(got, want, "{tag}");
    }
}

/// The shipped target BTF against the running kernel's own, when it runs the modelled release
/// (6.18.44): the root structs have the same ids, sizes and members.
#[test]
fn the_shipped_btf_is_the_modelled_kernels() {
    use uxdp::bpf::target::{BtfSource, UXDP_618_RELEASE};
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let (Ok(raw), true) = (std::fs::read("/sys/kernel/btf/vmlinux"), release.starts_with(UXDP_618_RELEASE)) else {
        eprintln!("not a {UXDP_618_RELEASE} kernel with BTF: skipping the check against the running kernel");
        return;
    };
    let host = Btf::parse(&raw).expect("the kernel's BTF parses");
    let shipped = BtfSource::Uxdp618.load().unwrap();
    for name in ["xdp_md", "__sk_buff", "xdp_buff", "sk_buff", "skb_shared_info", "net_device", "sock", "iphdr", "ipv6hdr", "tcphdr", "task_struct"] {
        let h = host.find_by_name_kind(name, btf::KIND_STRUCT).unwrap();
        let s = shipped.find(name, btf::KIND_STRUCT).unwrap();
        assert_eq!(shipped.public_id(s), h, "{name}: id");
        let members = |b: &Btf, id: u32| match &b.type_by_id(id).unwrap().kind {
            Kind::Struct { size, members } => (*size, members.iter().map(|m| (m.name.clone(), m.bit_offset, m.bitfield_size)).collect::<Vec<_>>()),
            k => panic!("{k:?}"),
        };
        assert_eq!(members(&shipped.btf, s), members(&host, h), "{name}");
    }
}

/// libbpf itself, relocating the fixture against the running kernel's BTF (`bpftool -d gen
/// min_core_btf` prints each relocation's local and target spec): uxdp's specs are libbpf's,
/// word for word, and against the same BTF uxdp matches the same target spec.
#[test]
fn libbpf_relocates_to_the_targets_uxdp_matches() {
    if bpftool(&["version"]).is_none() || !std::path::Path::new("/sys/kernel/btf/vmlinux").exists() {
        eprintln!("bpftool or /sys/kernel/btf/vmlinux missing: skipping the cross-check with libbpf");
        return;
    }
    let obj_path = scratch("libbpf-core.o");
    let out = scratch("libbpf-core.btf");
    std::fs::write(&obj_path, &*fixture("core")).unwrap();
    let o =
        Command::new("bpftool").args(["-d", "gen", "min_core_btf", "/sys/kernel/btf/vmlinux"]).arg(&out).arg(&obj_path).output().unwrap();
    let _ = std::fs::remove_file(&obj_path);
    let _ = std::fs::remove_file(&out);
    let log = String::from_utf8_lossy(&o.stderr).into_owned() + &String::from_utf8_lossy(&o.stdout);
    // (section, relo #) -> (local spec, target spec or None)
    let mut libbpf: HashMap<(String, usize), (String, Option<String>)> = HashMap::new();
    for line in log.lines() {
        let Some(rest) = line.strip_prefix("libbpf: prog '") else { continue };
        let Some((sec, rest)) = rest.split_once("': relo #") else { continue };
        let Some((n, rest)) = rest.split_once(": ") else { continue };
        let Ok(n) = n.parse::<usize>() else { continue };
        let spec_of = |s: &str| s.split_once("> ").map(|(_, spec)| spec.to_string());
        let entry = libbpf.entry((sec.to_string(), n)).or_insert((String::new(), None));
        if let Some(target) = rest.strip_prefix("matching candidate #0 ") {
            entry.1 = spec_of(target);
        } else if rest.starts_with('<') || rest.starts_with("kind <") {
            entry.0 = spec_of(rest).unwrap_or_default();
        }
    }
    if libbpf.is_empty() {
        eprintln!("bpftool printed no CO-RE relocation (a libbpf without debug output?): skipping\n{log}");
        return;
    }
    let obj = load("core");
    let host = uxdp::bpf::target::BtfSource::Host.load().unwrap();
    let local = Btf::parse(obj.btf.as_ref().unwrap()).unwrap();
    let without_kind = |spec: &str| spec.split_once("> ").map(|(_, s)| s.to_string()).unwrap_or_default();
    let mut matched = 0;
    let mut seen = HashSet::new();
    for r in obj.programs.iter().flat_map(|p| &p.core_relos) {
        if !seen.insert((r.section.clone(), r.index)) {
            continue;
        }
        let (lspec, target) = libbpf.get(&(r.section.clone(), r.index)).unwrap_or_else(|| panic!("libbpf has no {}", r.describe()));
        assert_eq!(&without_kind(&r.spec), lspec, "{}", r.describe());
        // uxdp matches the same target, against the same BTF
        let ours = uxdp::bpf::core::calc(&local, &host, r, &mut HashMap::new()).unwrap_or_else(|e| panic!("{}: {e:?}", r.describe()));
        assert_eq!(ours.target_spec.as_deref().map(without_kind), target.clone(), "{}", r.describe());
        matched += target.is_some() as usize;
    }
    assert!(matched >= 20, "{matched} matched relocations checked");
    assert_eq!(seen.len(), raw_core_records(&fixture("core")).len(), "every record is some program's");
}

/// Where core.bpf.c's `.BTF.ext` lies, and its CO-RE table's first section ('xdp'): (the section's
/// file range, the table's file offset).
fn core_table(bytes: &[u8]) -> (std::ops::Range<usize>, usize) {
    let ext = section_range(bytes, ".BTF.ext");
    let w = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
    let table = ext.start + w(ext.start + 4) + w(ext.start + 24);
    (ext, table)
}

/// The offset in `.BTF`'s string section of a NUL-terminated string.
fn btf_string(bytes: &[u8], s: &str) -> u32 {
    let btf = section_range(bytes, ".BTF");
    let w = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
    let strings = &bytes[btf.start + w(btf.start + 4) + w(btf.start + 16)..btf.end];
    let mut needle = vec![0u8];
    needle.extend_from_slice(s.as_bytes());
    needle.push(0);
    strings.windows(needle.len()).position(|w| w == needle).unwrap_or_else(|| panic!("no string {s:?} in .BTF")) as u32 + 1
}

#[test]
fn malformed_btf_ext_is_einval_naming_the_fault() {
    let good = fixture("core").to_vec();
    let (ext, table) = core_table(&good);
    let put = |m: &mut Vec<u8>, at: usize, v: u32| m[at..at + 4].copy_from_slice(&v.to_le_bytes());
    let patched = |at: usize, v: u32| {
        let mut m = good.clone();
        put(&mut m, at, v);
        m
    };
    let check = |bytes: &[u8], msgs: &[&str]| {
        let e = open_err(bytes);
        assert_eq!((e.errno, e.detail.op), (Errno::EINVAL, "bpf_object__open"), "{e}");
        for msg in msgs {
            assert!(e.message.contains(msg), "wanted {msg:?}: {e}");
        }
    };
    assert_eq!(u32::from_le_bytes(good[table + 8..table + 12].try_into().unwrap()), 20, "the 'xdp' section has 20 records");
    let rec = |n: usize, field: usize| table + 12 + 16 * n + 4 * field;
    let insns_of_xdp = section_range(&good, "xdp").len() / 8;

    // The header.
    check(&patched(ext.start, 0x1234), &[".BTF.ext: bad magic 0x1234"]);
    check(&patched(ext.start, 0x9feb), &["big-endian"]);
    let mut m = good.clone();
    m[ext.start + 2] = 2;
    check(&m, &["unsupported version 2"]);
    let mut m = good.clone();
    m[ext.start + 3] = 1;
    check(&m, &["unsupported flags 0x01"]);
    check(&patched(ext.start + 4, 10_000), &["header length 10000 outside 24..="]);
    check(&patched(ext.start + 4, 8), &["header length 8 outside"]);
    check(&patched(ext.start + 4, 26), &["not a multiple of 4"]);
    // The tables' bounds and framing.
    check(&patched(ext.start + 28, 1 << 20), &["core_relo table at", "runs past the"]);
    check(&patched(ext.start + 24, 0xffff_fff0), &["core_relo table at 4294967280+"]);
    check(&patched(ext.start + 24, 2), &["core_relo table offset 2 is not 4-byte aligned"]);
    check(&patched(table, 12), &["core_relo record size 12 (at least 16"]);
    check(&patched(table, 18), &["core_relo record size 18"]);
    check(&patched(table + 8, 0), &["core_relo section 'xdp' has 0 records"]);
    check(&patched(table + 8, u32::MAX), &["core_relo section 'xdp': 4294967295 records of 16 bytes", "run past the table"]);
    check(&patched(table + 8, 100), &["100 records of 16 bytes at byte 12 run past the table"]);
    check(&patched(table + 4, 0x7fff_ffff), &["core_relo section name offset 2147483647 is not a string of .BTF"]);
    check(&patched(table + 4, btf_string(&good, "license")), &["CO-RE relocations for section 'license', which is not a program section"]);
    check(&patched(ext.start + 8 + 4, 1 << 20), &["func_info table at"]);
    let func_table = ext.start + 32 + u32::from_le_bytes(good[ext.start + 8..ext.start + 12].try_into().unwrap()) as usize;
    check(&patched(func_table, 4), &["func_info record size 4 (at least 8"]);
    // One record: its instruction, type, access string and kind.
    let at = |n: usize, off: u32| format!(".BTF.ext: CO-RE relocation #{n} of section 'xdp' (insn_off {off})");
    check(&patched(rec(0, 0), 84), &[&at(0, 84), &format!("not an instruction of the {insns_of_xdp}-instruction section")]);
    check(&patched(rec(3, 0), 1 << 20), &[&at(3, 1 << 20), "not an instruction"]);
    check(&patched(rec(0, 1), 99_999), &["kind <byte_off>, access \"0:0\": type [99999] does not exist"]);
    check(&patched(rec(0, 2), 0x7fff_fff0), &["access string offset 2147483632 is not a string of .BTF"]);
    check(&patched(rec(0, 2), btf_string(&good, "xdp")), &["access string \"xdp\" is not colon-separated indices"]);
    check(
        &patched(rec(0, 2), btf_string(&good, "0:6:0:1:0:0:15")),
        &["kind <byte_off>, access \"0:6:0:1:0:0:15\": member index 6 past the 6 members of [", "struct xdp_md"],
    );
    check(&patched(rec(0, 3), 13), &["unknown relocation kind 13"]);
    check(&patched(rec(0, 3), 8), &["kind <type_exists>, access \"0:0\": a type relocation's access string must be \"0\", not \"0:0\""]);
    check(&patched(rec(0, 3), 11), &["kind <enumval_value>, access \"0:0\": enum value relocation on [", "a STRUCT, not an enum"]);
    // The instruction must be one libbpf patches, holding the local value.
    let xdp = section_range(&good, "xdp");
    let mut m = good.clone();
    m[xdp.start + 8 * 11 + 2] = 8; // md_core's `r3 = *(u32 *)(r1 + 4)` now reads +8
    check(&m, &[&at(1, 88), "unexpected insn #11 value: got 8, exp 4"]);
    check(&patched(rec(0, 0), 12 * 8), &["insn #12 (ALU/ALU64, code 0x1f) takes a register"]);
    check(&patched(rec(0, 0), 9 * 8), &["trying to relocate unrecognized insn #9, code 0x95"]);
    // .BTF.ext with CO-RE relocations and no .BTF to read them with.
    let shstr = section_range(&good, ".strtab");
    let mut m = good.clone();
    // clang shares the suffix: ".BTF" is the tail of ".rel.BTF".
    let name = m[shstr.clone()].windows(9).position(|w| w == b".rel.BTF\0").unwrap() + shstr.start;
    m[name + 7] = b'X';
    check(&m, &["holds CO-RE relocations, and the object has no .BTF"]);
}

// ---------------------------------------------------------------------------------------------
// Never a panic.

fn no_panic(bytes: &[u8]) {
    if let Err(e) = elf::parse(bytes) {
        assert!(matches!(e.errno, Errno::EINVAL | Errno::ENOENT | Errno::EOPNOTSUPP | Errno::E2BIG), "{e}");
        assert!(!e.message.is_empty());
    }
}

#[test]
fn every_truncation_is_an_error_not_a_panic() {
    for name in FIXTURES {
        let bytes = fixture(name);
        // Every length through the headers, then a stride through the rest.
        let lens = (0..bytes.len().min(2048)).chain((2048..bytes.len()).step_by(13));
        for len in lens {
            let r = elf::parse(&bytes[..len]);
            assert!(r.is_err(), "{name} cut to {len} bytes opened");
            no_panic(&bytes[..len]);
        }
        assert!(elf::parse(&bytes).is_ok());
    }
}

fn fixture_and_section() -> impl Strategy<Value = (usize, Option<&'static str>)> {
    (
        0..FIXTURES.len(),
        prop::sample::select(vec![
            None,
            Some(".BTF"),
            Some(".BTF.ext"),
            Some(".symtab"),
            Some(".maps"),
            Some(".relxdp"),
            Some(".text"),
            Some(".strtab"),
        ]),
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..4096)) {
        no_panic(&bytes);
    }

    #[test]
    fn random_bytes_behind_a_real_header_never_panic(tail in prop::collection::vec(any::<u8>(), 0..8192), which in 0..FIXTURES.len()) {
        let mut bytes = fixture(FIXTURES[which])[..64].to_vec();
        bytes.extend_from_slice(&tail);
        no_panic(&bytes);
    }

    #[test]
    fn bit_flips_never_panic((which, sec) in fixture_and_section(), flips in prop::collection::vec((any::<prop::sample::Index>(), 0u8..8), 1..8)) {
        let good = fixture(FIXTURES[which]);
        let range = sec
            .and_then(|s| object::File::parse(&**good).ok()?.section_by_name(s)?.file_range())
            .map(|(o, l)| o as usize..(o + l) as usize)
            .filter(|r| !r.is_empty())
            .unwrap_or(0..good.len());
        let mut bytes = good.to_vec();
        for (at, bit) in flips {
            let i = range.start + at.index(range.len());
            bytes[i] ^= 1 << bit;
        }
        no_panic(&bytes);
    }

    #[test]
    fn word_overwrites_never_panic((which, sec) in fixture_and_section(), edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u32>()), 1..4)) {
        let good = fixture(FIXTURES[which]);
        let range = sec
            .and_then(|s| object::File::parse(&**good).ok()?.section_by_name(s)?.file_range())
            .map(|(o, l)| o as usize..(o + l) as usize)
            .filter(|r| r.len() >= 4)
            .unwrap_or(0..good.len());
        let mut bytes = good.to_vec();
        for (at, v) in edits {
            let i = (range.start + at.index(range.len() - 3)) & !3;
            bytes[i..i + 4].copy_from_slice(&v.to_le_bytes());
        }
        no_panic(&bytes);
    }

    #[test]
    fn core_relo_tables_never_panic(edits in prop::collection::vec((0usize..96, any::<u32>()), 1..4), small in any::<bool>()) {
        // Word overwrites in core.bpf.c's CO-RE table (record size, section headers, records),
        // with small values half the time so that offsets and indices land near real ones.
        let good = fixture("core");
        let (ext, table) = core_table(&good);
        let mut bytes = good.to_vec();
        for (word, v) in edits {
            let at = (table + 4 * word).min(ext.end - 4);
            let v = if small { v % 64 } else { v };
            bytes[at..at + 4].copy_from_slice(&v.to_le_bytes());
        }
        no_panic(&bytes);
        if let Ok(obj) = elf::parse(&bytes) {
            for p in &obj.programs {
                for r in &p.core_relos {
                    prop_assert!(r.insn < p.insns.len());
                    let _ = r.refusal();
                }
            }
            let _ = loader::load(obj, &LoadOptions::default());
        }
    }

    #[test]
    fn random_btf_never_panics(types in prop::collection::vec(any::<u32>(), 0..64), strings in prop::collection::vec(any::<u8>(), 0..64)) {
        let mut b = BtfBuilder::new();
        for w in &types {
            b.types.extend_from_slice(&w.to_le_bytes());
        }
        b.strings.extend_from_slice(&strings);
        b.strings.push(0);
        if let Ok(btf) = Btf::parse(&b.bytes()) {
            for id in 0..btf.len() as u32 + 2 {
                let _ = btf.resolve_size(id);
                let _ = btf.skip_mods_and_typedefs(id);
                let _ = btf.type_name(id);
                let _ = btf.map_def("m", id);
            }
            let _ = btf.ksyms();
        }
    }
}

#[test]
fn kconfig_externs_get_libbpfs_map_and_the_models_values() {
    let bytes = compile_src(
        "kconfig",
        "extern unsigned int LINUX_KERNEL_VERSION __kconfig;\nextern _Bool CONFIG_BPF_SYSCALL __kconfig;\n\
         extern char CONFIG_UXDP_X[8] __kconfig __attribute__((weak));\n\
         SEC(\"xdp\") int p(struct xdp_md *c) { if (LINUX_KERNEL_VERSION < 0x050000) return *(volatile int *)(long)c->data_end;\n\
         return LINUX_KERNEL_VERSION == 0x06122c && CONFIG_BPF_SYSCALL && !CONFIG_UXDP_X[0] ? 2 : 1; }",
    );
    let obj = elf::parse(&bytes).unwrap();
    // by alignment (largest first), then size, then name; one frozen read-only map
    let layout: Vec<(&str, u32)> = obj.kconfig.iter().map(|k| (k.name.as_str(), k.data_off)).collect();
    assert_eq!(layout, [("LINUX_KERNEL_VERSION", 0), ("CONFIG_BPF_SYSCALL", 4), ("CONFIG_UXDP_X", 5)]);
    let m = &obj.maps[obj.kconfig_map.unwrap()];
    assert_eq!((m.name.as_str(), m.value_size, m.map_flags, m.global), (".kconfig", 13, elf::BPF_F_RDONLY_PROG, Some(GlobalData::Rodata)));
    // the verifier prunes the dead branch on the frozen value; the program reads the model's values
    let lo = loader::load(obj.clone(), &LoadOptions::default()).unwrap();
    assert_eq!(run_xdp(&lo, "p", &[0; 64], None), 2);
    // the user's values come first
    let opts = LoadOptions { kconfig: vec![("CONFIG_BPF_SYSCALL".into(), "n".into())], ..LoadOptions::default() };
    let lo = loader::load(obj.clone(), &opts).unwrap();
    assert_eq!(run_xdp(&lo, "p", &[0; 64], None), 1);
    let opts = LoadOptions { kconfig: vec![("CONFIG_UXDP_X".into(), "42".into())], ..LoadOptions::default() };
    let e = loader::load(obj, &opts).err().unwrap();
    assert_eq!((e.errno, e.message.as_str()), (Errno::EINVAL, "extern (kcfg) 'CONFIG_UXDP_X': value '42' implies integer type"));
    assert!(e.log.ends_with("libbpf: error parsing in-memory Kconfig line 'CONFIG_UXDP_X': -22\n"), "{}", e.log);
}
