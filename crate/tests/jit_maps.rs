//! bpf_map_lookup_elem from compiled code (inlined for arrays and per-CPU arrays, a direct call
//! for other maps) against the interpreter: in-range and out-of-range keys, CPUs, a key outside
//! the stack (the helper's path), a spent budget (its errno; the JIT charges it at the call).
#![cfg(all(target_arch = "x86_64", target_os = "linux"))]

use std::rc::Rc;

use uxdp::bpf::helpers::helper_table;
use uxdp::bpf::insn::*;
use uxdp::bpf::machine::{map_handle, Machine, Prog};
use uxdp::bpf::maps::{Map, MapDef, MapType};
use uxdp::errno::XdpError;
use uxdp::Errno;

fn i(code: u8, dst: u8, src: u8, off: i16, imm: i32) -> Insn {
    Insn::new(code, dst, src, off, imm)
}
fn lddw(dst: u8, v: u64) -> [Insn; 2] {
    [i(LD | DW | IMM, dst, 0, 0, v as u32 as i32), i(0, 0, 0, 0, (v >> 32) as u32 as i32)]
}

fn maps() -> Vec<Rc<Map>> {
    let array = Map::new("a", MapDef::new(MapType::Array, 4, 12, 5, 0), 2).unwrap();
    for k in 0..5u32 {
        let mut v = [0u8; 12];
        v[..8].copy_from_slice(&(u64::from(k) * 1000 + 7).to_le_bytes());
        array.update_user(&k.to_le_bytes(), &v, 0).unwrap();
    }
    let percpu = Map::new("p", MapDef::new(MapType::PercpuArray, 4, 8, 3, 0), 2).unwrap();
    for k in 0..3u32 {
        for cpu in 0..2u32 {
            percpu.update(&k.to_le_bytes(), &(u64::from(k) * 100 + u64::from(cpu) + 1).to_le_bytes(), 0, cpu).unwrap();
        }
    }
    let hash = Map::new("h", MapDef::new(MapType::Hash, 4, 8, 8, 0), 2).unwrap();
    let lru = Map::new("l", MapDef::new(MapType::LruHash, 4, 8, 8, 0), 2).unwrap();
    for k in [1u32, 3, 0xdead_beef] {
        hash.update_user(&k.to_le_bytes(), &(u64::from(k) ^ 0x55).to_le_bytes(), 0).unwrap();
        lru.update_user(&k.to_le_bytes(), &(u64::from(k) ^ 0x66).to_le_bytes(), 0).unwrap();
    }
    vec![Rc::new(array), Rc::new(percpu), Rc::new(hash), Rc::new(lru)]
}

/// `*(u32 *)(r10 - 4) = key; r0 = lookup(map, key)`; r0 = the value's first 8 bytes (or -1 when
/// absent) plus, from a second lookup with the key in the map's own value memory when `outside`,
/// the same again.
fn program(map: &Rc<Map>, key: u32, outside: Option<u64>) -> Vec<Insn> {
    let h = map_handle(map);
    let mut p = vec![i(ST | MEM | W, 10, 0, -4, key as i32), i(ALU64 | MOV | X, 2, 10, 0, 0), i(ALU64 | ADD | K, 2, 0, 0, -4)];
    p.extend(lddw(1, h));
    p.push(i(JMP | CALL, 0, 0, 0, 1));
    p.push(i(ALU64 | MOV | K, 6, 0, 0, -1));
    p.push(i(JMP | JEQ | K, 0, 0, 1, 0));
    p.push(i(LDX | MEM | DW, 6, 0, 0, 0));
    if let Some(addr) = outside {
        p.extend(lddw(2, addr));
        p.extend(lddw(1, h));
        p.push(i(JMP | CALL, 0, 0, 0, 1));
        p.push(i(JMP | JEQ | K, 0, 0, 2, 0));
        p.push(i(LDX | MEM | DW, 0, 0, 0, 0));
        p.push(i(ALU64 | ADD | X, 6, 0, 0, 0));
    }
    p.push(i(ALU64 | MOV | X, 0, 6, 0, 0));
    p.push(i(JMP | EXIT, 0, 0, 0, 0));
    p
}

fn run(maps: &[Rc<Map>], insns: Vec<Insn>, cpu: u32, budget: u64, jit: bool) -> Result<u64, XdpError> {
    let prog = Rc::new(Prog { name: "t".into(), insns, helpers: helper_table(None), maps: maps.to_vec(), ..Prog::default() });
    let mut m = Machine::new(prog);
    m.cpu = cpu;
    m.budget = budget;
    if jit {
        assert!(m.prog.jit.compiled(&m.prog));
        m.run_jit([0; 5])
    } else {
        m.run([0; 5])
    }
}

#[test]
fn map_lookups_compiled_match_the_interpreter() {
    let maps = maps();
    // The address of array index 3's value: a key (3003's low bytes) outside the stack.
    let outside = maps[0].jit_lookup().map(|l| match l {
        uxdp::bpf::maps::JitLookup::Array { base, stride, .. } => base + 3 * stride,
        _ => unreachable!(),
    });
    let mut checked = 0;
    for map in &maps {
        for key in [0u32, 1, 2, 3, 4, 5, 7, 0xdead_beef, u32::MAX, 0x8000_0000] {
            for cpu in [0u32, 1, 2, 64] {
                for out in [None, outside] {
                    for budget in [0u64, 1000] {
                        let want = run(&maps, program(map, key, out), cpu, budget, false);
                        let got = run(&maps, program(map, key, out), cpu, budget, true);
                        match (&want, &got) {
                            (Ok(a), Ok(b)) => assert_eq!(a, b, "map {} key {key} cpu {cpu} outside {out:?} budget {budget}", map.name()),
                            // The JIT charges the budget at calls, not per instruction (documented):
                            // a spent budget faults at the call rather than at pc 0.
                            (Err(a), Err(b)) => {
                                assert_eq!((a.errno, &a.message), (b.errno, &b.message), "map {} key {key} cpu {cpu}", map.name());
                                if budget == 0 {
                                    assert_eq!(b.pc, Some(5));
                                }
                            }
                            _ => panic!("map {} key {key} cpu {cpu} budget {budget}: {want:?} vs {got:?}", map.name()),
                        }
                        checked += 1;
                    }
                }
            }
        }
    }
    assert_eq!(checked, 4 * 10 * 4 * 2 * 2);
    // The array lookup is inlined: its value base is in the code.
    let Some(uxdp::bpf::maps::JitLookup::Array { base, .. }) = maps[0].jit_lookup() else { unreachable!() };
    let prog = Prog { insns: program(&maps[0], 1, None), helpers: helper_table(None), maps: maps.clone(), ..Prog::default() };
    let code = uxdp::bpf::jit::code_bytes(&prog).unwrap();
    assert!(code.windows(8).any(|w| w == base.to_le_bytes()));
}

/// `r0 = lookup(map, key)`, then (when found) one access of `size` bytes at `r0 + off`: a load
/// (r0 = the value read), a store of 0x1122334455667788's low bytes (r0 = 1), or an atomic add of
/// 1 (r0 = 2); -1 when absent.
fn access(map: &Rc<Map>, key: u32, off: i16, size: u8, how: u8) -> Vec<Insn> {
    let mut p = vec![i(ST | MEM | W, 10, 0, -4, key as i32), i(ALU64 | MOV | X, 2, 10, 0, 0), i(ALU64 | ADD | K, 2, 0, 0, -4)];
    p.extend(lddw(1, map_handle(map)));
    p.push(i(JMP | CALL, 0, 0, 0, 1));
    p.push(i(JMP | JNE | K, 0, 0, 2, 0));
    p.push(i(ALU64 | MOV | K, 0, 0, 0, -1));
    p.push(i(JMP | EXIT, 0, 0, 0, 0));
    match how {
        0 => p.push(i(LDX | MEM | size, 0, 0, off, 0)),
        1 => {
            p.extend(lddw(3, 0x1122_3344_5566_7788));
            p.push(i(STX | MEM | size, 0, 3, off, 0));
            p.push(i(ALU64 | MOV | K, 0, 0, 0, 1));
        }
        _ => {
            p.push(i(ALU64 | MOV | K, 3, 0, 0, 1));
            p.push(i(STX | ATOMIC | size, 0, 3, off, ADD as i32));
            p.push(i(ALU64 | MOV | K, 0, 0, 0, 2));
        }
    }
    p.push(i(JMP | EXIT, 0, 0, 0, 0));
    p
}

/// A fault message with its address made relative to `base` (each run has its own map).
fn relative(msg: &str, base: u64) -> String {
    match msg.split_once(" at 0x") {
        Some((head, tail)) => {
            let end = tail.find(|c: char| !c.is_ascii_hexdigit()).unwrap_or(tail.len());
            let addr = u64::from_str_radix(&tail[..end], 16).unwrap();
            format!("{head} at base{:+}{}", addr.wrapping_sub(base) as i64, &tail[end..])
        }
        None => msg.to_string(),
    }
}

/// Loads, stores and atomics through pointers from map lookups, compiled against interpreted:
/// inside a value, at its last bytes, across its end (into the stride's padding or the next
/// value), past the last value, before the first; a program-read-only map (stores: EACCES); a
/// frozen map (still writable by programs). Each case runs twice on one machine, so that the
/// second run goes through what the first left cached; the values must match afterwards too.
#[test]
fn map_value_accesses_compiled_match_the_interpreter() {
    let mk = |name: &str, t: MapType, flags: u32, freeze: bool| {
        let m = Map::new(name, MapDef::new(t, 4, 12, 3, flags), 2).unwrap();
        if t == MapType::Hash {
            for k in 0..3u32 {
                m.update_user(&k.to_le_bytes(), &[k as u8; 12], 0).unwrap();
            }
        }
        if freeze {
            m.freeze().unwrap();
        }
        m
    };
    let cases: Vec<(&str, MapType, u32, bool)> = vec![
        ("array", MapType::Array, 0, false),
        ("rdonly", MapType::Array, uxdp::bpf::maps::BPF_F_RDONLY_PROG, false),
        ("frozen", MapType::Array, 0, true),
        ("hash", MapType::Hash, 0, false),
    ];
    let mut checked = 0;
    // Outcomes of the compiled runs: Ok, EFAULT, EACCES, other.
    let mut seen = [0u32; 4];
    for (name, t, flags, freeze) in cases {
        for key in [0u32, 2, 3] {
            for off in [-8i16, -1, 0, 4, 8, 11, 12, 15, 16, 40, 4000] {
                for (size, n) in [(B, 1), (H, 2), (W, 4), (DW, 8)] {
                    for how in 0..3u8 {
                        if how == 2 && n < 4 {
                            continue;
                        }
                        let mut out = Vec::new();
                        for jit in [false, true] {
                            let map = Rc::new(mk(name, t, flags, freeze));
                            let prog = Rc::new(Prog {
                                name: "v".into(),
                                insns: access(&map, key, off, size, how),
                                helpers: helper_table(None),
                                maps: vec![map.clone()],
                                ..Prog::default()
                            });
                            let base = map.value_regions()[0].0;
                            let mut m = Machine::new(prog);
                            m.budget = 1000;
                            if jit {
                                assert!(m.prog.jit.compiled(&m.prog));
                            }
                            let mut rs = Vec::new();
                            for _ in 0..2 {
                                let r = if jit { m.run_jit([0; 5]) } else { m.run([0; 5]) };
                                rs.push(r.map_err(|e| (e.errno, e.pc, relative(&e.message, base))));
                                m.budget = 1000;
                            }
                            let mut vals = Vec::new();
                            for k in 0..3u32 {
                                let mut v = Vec::new();
                                vals.push(map.lookup_user(&k.to_le_bytes(), &mut v).map(|()| v).map_err(|e| e.to_string()));
                            }
                            out.push((rs, vals));
                        }
                        assert_eq!(out[0], out[1], "{name} key {key} off {off} size {n} how {how}");
                        for r in &out[1].0 {
                            match r {
                                Ok(_) => seen[0] += 1,
                                Err((Errno::EFAULT, ..)) => seen[1] += 1,
                                Err((Errno::EACCES, ..)) => seen[2] += 1,
                                Err(_) => seen[3] += 1,
                            }
                        }
                        checked += 1;
                    }
                }
            }
        }
    }
    assert_eq!(checked, 4 * 3 * 11 * (2 + 2 + 3 + 3));
    assert!(seen[0] > 0 && seen[1] > 0 && seen[2] > 0 && seen[3] == 0, "{seen:?}");
}
