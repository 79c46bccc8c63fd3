//! bpf_map_lookup_elem from compiled code (inlined for arrays and per-CPU arrays, a direct call
//! for other maps) against the interpreter: in-range and out-of-range keys, CPUs, a key outside
//! the stack (the helper's path), a spent budget (its errno; the JIT charges it at the call).
#![cfg(all(target_arch = "x86_64", target_os = "linux"))]

use std::rc::Rc;

use uxdp::bpf::helpers::helper_table;
use uxdp::bpf::insn::*;
use uxdp::bpf::machine::{map_handle, Machine, Prog, VmError};
use uxdp::bpf::maps::{Map, MapDef, MapType};

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

fn run(maps: &[Rc<Map>], insns: Vec<Insn>, cpu: u32, budget: u64, jit: bool) -> Result<u64, VmError> {
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
