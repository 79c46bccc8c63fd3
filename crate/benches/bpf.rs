//! The BPF interpreter against the rbpf crate's interpreter (0.3, `EbpfVmMbuff`), on the same
//! instruction bytes: ns per executed instruction.
//!
//! Programs (assembled once with uxdp's assembler; both VMs get exactly those bytes):
//! * `alu`: a 16-bit ones'-complement sum and an FNV-style hash over a 1500-byte buffer, 4 bytes a
//!   round (one load, eleven ALU ops and a compare-and-branch per round);
//! * `parse`: a parser over eleven 128-byte frames in the same buffer (Ethernet, VLAN, ARP, IPv4
//!   with options and fragments, IPv6, TCP/UDP/ICMP, port classes): loads and many data-dependent
//!   branches, verdict counters in registers;
//! * `helper-calls`: 500 calls of a helper taking five arguments, in a loop. rbpf 0.3 has helper
//!   calls but no bpf-to-bpf calls (`call local`), so the bpf-to-bpf variant (`local-calls`) is
//!   measured for uxdp alone and shown for information;
//! * `empty`: `mov r0, 0; exit`, the fixed cost of one run in each VM.
//!
//! Both VMs get r1 = a 16-byte context holding the data's start and end addresses (rbpf's "mbuff":
//! rbpf sets only r1), and the buffer as readable memory. uxdp runs in one Machine reused across
//! runs (`reset` + `run`, as test_run does); rbpf allocates its stack per run, as its API does.
//! Before timing, both must return the same r0; the executed-instruction count is uxdp's
//! `Machine::executed` of one run (the programs have no data- or VM-dependent control flow beyond
//! what both VMs agree on, as the equal r0 and the fixed loop bounds show).

mod common;

use std::hint::black_box;
use std::rc::Rc;
use std::time::SystemTime;

use common::{config, median_ns, verdict, Table};
use criterion::Criterion;
use uxdp::bpf::asm::assemble;
use uxdp::bpf::insn::{encode, Insn};
use uxdp::bpf::machine::DEFAULT_BUDGET;
use uxdp::bpf::memory::{Region, RegionKind};
use uxdp::bpf::{Callable, Machine, Prog, Trap};

const HELPER_ID: u32 = 6;
const DATA_LEN: usize = 1500;
const RECORD: usize = 128;

/// The prologue every program starts with: r1 = data, r2 = data_end - data, from the context.
const PROLOGUE: &str = "
    ldxdw %r2, [%r1+8]
    ldxdw %r1, [%r1+0]
    sub %r2, %r1
";

const ALU: &str = "
    mov %r0, 0
    mov %r4, 0
    mov %r5, 0x1c9dc5
    and %r2, -4
loop:
    mov %r3, %r1
    add %r3, %r4
    ldxw %r6, [%r3+0]
    mov %r7, %r6
    and %r7, 0xffff
    rsh %r6, 16
    add %r0, %r6
    add %r0, %r7
    xor %r5, %r6
    mul %r5, 0x01000193
    xor %r5, %r7
    mul %r5, 0x01000193
    add %r4, 4
    jlt %r4, %r2, loop
    mov %r6, %r0
    rsh %r6, 16
    and %r0, 0xffff
    add %r0, %r6
    mov %r6, %r0
    rsh %r6, 16
    add %r0, %r6
    and %r0, 0xffff
    lsh %r5, 16
    xor %r0, %r5
    exit
";

/// Counters: r0 = a verdict hash, r8 = packed per-class counts.
const PARSE: &str = "
    mov %r0, 0
    mov %r4, 0
    mov %r8, 0
next:
    mov %r3, %r4
    add %r3, 128
    jgt %r3, %r2, done
    mov %r3, %r1
    add %r3, %r4
    add %r4, 128
    ldxh %r5, [%r3+12]
    be16 %r5
    jeq %r5, 0x8100, vlan
l3:
    jeq %r5, 0x0800, ipv4
    jeq %r5, 0x86dd, ipv6
    jeq %r5, 0x0806, arp
    add %r8, 1
    ja next
vlan:
    ldxh %r5, [%r3+16]
    be16 %r5
    ldxh %r6, [%r3+14]
    be16 %r6
    and %r6, 0xfff
    jeq %r6, 0, untagged
    add %r0, %r6
untagged:
    add %r3, 4
    ja l3
arp:
    ldxh %r6, [%r3+20]
    be16 %r6
    jne %r6, 1, arp_reply
    add %r8, 0x10
    ja next
arp_reply:
    add %r8, 0x100
    ja next
ipv4:
    ldxb %r6, [%r3+14]
    mov %r7, %r6
    rsh %r7, 4
    jne %r7, 4, bad
    and %r6, 0xf
    jlt %r6, 5, bad
    lsh %r6, 2
    ldxh %r9, [%r3+20]
    be16 %r9
    and %r9, 0x3fff
    jne %r9, 0, frag
    ldxb %r7, [%r3+23]
    ldxw %r9, [%r3+30]
    xor %r0, %r9
    add %r6, 14
    add %r6, %r3
    ja l4
ipv6:
    ldxb %r7, [%r3+14]
    rsh %r7, 4
    jne %r7, 6, bad
    ldxb %r7, [%r3+20]
    ldxw %r9, [%r3+50]
    xor %r0, %r9
    mov %r6, %r3
    add %r6, 54
l4:
    jeq %r7, 6, tcp
    jeq %r7, 17, udp
    jeq %r7, 1, icmp
    jeq %r7, 58, icmp
    add %r8, 0x1000
    ja next
tcp:
    ldxh %r9, [%r6+2]
    be16 %r9
    ldxb %r7, [%r6+13]
    jset %r7, 0x04, rst
    jset %r7, 0x02, syn
    jeq %r9, 80, web
    jeq %r9, 443, web
    jlt %r9, 1024, low
    add %r0, 1
    ja next
syn:
    add %r8, 0x10000
    jgt %r9, 1023, next
low:
    add %r8, 0x100000
    ja next
web:
    add %r8, 0x1000000
    ja next
rst:
    add %r8, 0x10000000
    ja next
udp:
    ldxh %r9, [%r6+2]
    be16 %r9
    jeq %r9, 53, dns
    jeq %r9, 4789, vxlan
    ldxh %r7, [%r6+4]
    be16 %r7
    add %r0, %r7
    ja next
dns:
    ldxh %r7, [%r6+10]
    be16 %r7
    jset %r7, 0x8000, dns_reply
    lsh %r0, 1
    ja next
dns_reply:
    rsh %r0, 1
    ja next
vxlan:
    ldxw %r7, [%r6+12]
    xor %r0, %r7
    ja next
icmp:
    ldxb %r7, [%r6+0]
    jeq %r7, 8, echo
    add %r0, 3
    ja next
echo:
    add %r0, 5
    ja next
frag:
    add %r8, 0x1000
    ja next
bad:
    add %r8, 0x2000
    ja next
done:
    lsh %r8, 8
    xor %r0, %r8
    exit
";

const HELPER_CALLS: &str = "
    mov %r6, 0
    mov %r7, 0
loop:
    mov %r1, %r6
    mov %r2, %r7
    mov %r3, 3
    mov %r4, 4
    mov %r5, 5
    call 6
    xor %r7, %r0
    add %r6, 1
    jlt %r6, 500, loop
    mov %r0, %r7
    exit
";

const LOCAL_CALLS: &str = "
    mov %r6, 0
    mov %r7, 0
loop:
    mov %r1, %r6
    mov %r2, %r7
    mov %r3, 3
    mov %r4, 4
    mov %r5, 5
    call local mix
    xor %r7, %r0
    add %r6, 1
    jlt %r6, 500, loop
    mov %r0, %r7
    exit
mix:
    lddw %r0, 0x9e3779b97f4a7c15
    mul %r0, %r1
    mov %r1, %r2
    lsh %r1, 5
    rsh %r2, 59
    or %r1, %r2
    xor %r0, %r1
    add %r0, %r3
    add %r0, %r4
    add %r0, %r5
    exit
";

const EMPTY: &str = "
    mov %r0, 0
    exit
";

/// The helper both VMs call (and `mix` computes in BPF).
#[inline(always)]
fn mix(a: u64, b: u64, c: u64, d: u64, e: u64) -> u64 {
    (a.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ b.rotate_left(5)).wrapping_add(c).wrapping_add(d).wrapping_add(e)
}

fn uxdp_mix(_: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    Ok(mix(a[0], a[1], a[2], a[3], a[4]))
}

fn rbpf_mix(a: u64, b: u64, c: u64, d: u64, e: u64) -> u64 {
    mix(a, b, c, d, e)
}

/// The 1500 bytes: eleven 128-byte frames of different kinds, then a tail of pattern bytes.
fn data() -> Vec<u8> {
    let mut d: Vec<u8> = (0..DATA_LEN).map(|i| (i * 7 + i / 251) as u8).collect();
    type Fill<'a> = &'a dyn Fn(&mut [u8]);
    let frames: [Fill; 11] = [
        &|f| ipv4(f, 6, 80, 0x10, None),
        &|f| ipv4(f, 17, 53, 0, None),
        &|f| ipv4(f, 6, 22, 0x02, Some(100)),
        &|f| ipv6(f, 6, 443, 0x18),
        &|f| ipv6(f, 17, 4789, 0),
        &|f| ipv4(f, 1, 0, 0, None),
        &|f| {
            ether(f, 0x0806);
            f[20..22].copy_from_slice(&1u16.to_be_bytes());
        },
        &|f| ipv4(f, 6, 8080, 0x04, Some(7)),
        &|f| ipv4(f, 17, 9999, 0, Some(0)),
        &|f| ether(f, 0x88cc),
        &|f| {
            ipv4(f, 6, 1000, 0x10, None);
            f[20] = 0x20; // more fragments
        },
    ];
    for (i, make) in frames.iter().enumerate() {
        make(&mut d[i * RECORD..(i + 1) * RECORD]);
    }
    d
}

fn ether(f: &mut [u8], ethertype: u16) {
    f[..12].copy_from_slice(&[2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2]);
    f[12..14].copy_from_slice(&ethertype.to_be_bytes());
}

/// An IPv4 frame (behind a VLAN tag when `vlan` is given); proto 1 makes an ICMP echo request.
fn ipv4(f: &mut [u8], proto: u8, dport: u16, flags: u8, vlan: Option<u16>) {
    let at = match vlan {
        Some(id) => {
            ether(f, 0x8100);
            f[14..16].copy_from_slice(&id.to_be_bytes());
            f[16..18].copy_from_slice(&0x0800u16.to_be_bytes());
            4
        }
        None => {
            ether(f, 0x0800);
            0
        }
    };
    let ip = &mut f[14 + at..];
    ip[0] = 0x45;
    ip[6] = 0;
    ip[7] = 0;
    ip[9] = proto;
    let l4 = &mut ip[20..];
    if proto == 1 {
        l4[0] = 8;
    } else {
        l4[2..4].copy_from_slice(&dport.to_be_bytes());
        l4[13] = flags;
    }
}

fn ipv6(f: &mut [u8], next: u8, dport: u16, flags: u8) {
    ether(f, 0x86dd);
    f[14] = 0x60;
    f[20] = next;
    f[54 + 2..54 + 4].copy_from_slice(&dport.to_be_bytes());
    f[54 + 13] = flags;
}

/// One program ready for both VMs.
struct Case {
    name: &'static str,
    bytes: Vec<u8>,
    prog: Rc<Prog>,
    /// Whether rbpf can run it.
    rbpf: bool,
}

fn case(name: &'static str, body: &str, rbpf: bool) -> Case {
    let insns: Vec<Insn> = assemble(&format!("{PROLOGUE}{body}")).unwrap_or_else(|e| panic!("{name}: {e}"));
    let mut helpers = vec![None; 256];
    helpers[HELPER_ID as usize] = Some(Callable::Native(uxdp_mix));
    let bytes = encode(&insns);
    let prog = Rc::new(Prog { name: name.into(), insns, helpers: Rc::new(helpers), ..Prog::default() });
    Case { name, bytes, prog, rbpf }
}

/// A uxdp machine over the context and the data, reused for every run.
struct UxdpRun<'m> {
    m: Machine<'m>,
    ctx: u64,
}

impl UxdpRun<'_> {
    fn new(prog: &Rc<Prog>, ctx: &mut [u8; 16], data: &mut [u8]) -> Self {
        let mut m = Machine::new(prog.clone());
        m.mem.push(Region::of_slice(data, false, RegionKind::Mem, 0));
        m.mem.push(Region::of_slice(ctx, false, RegionKind::Mem, 1));
        UxdpRun { m, ctx: ctx.as_ptr() as u64 }
    }

    #[inline(always)]
    fn run(&mut self) -> u64 {
        self.m.reset(DEFAULT_BUDGET);
        self.m.run([self.ctx, 0, 0, 0, 0]).expect("the program runs")
    }

    /// The same through the JIT (its non-counting code, as test_run's repeat loop runs it).
    #[inline(always)]
    fn run_jit(&mut self) -> u64 {
        self.m.reset(DEFAULT_BUDGET);
        self.m.run_jit([self.ctx, 0, 0, 0, 0]).expect("the program runs")
    }
}

fn bench_vms(c: &mut Criterion, cases: &[Case], counts: &mut Vec<(&'static str, u64)>) {
    let mut data = data();
    let mut ctx = [0u8; 16];
    ctx[..8].copy_from_slice(&(data.as_ptr() as u64).to_le_bytes());
    ctx[8..].copy_from_slice(&(data.as_ptr() as u64 + data.len() as u64).to_le_bytes());
    let mut g = c.benchmark_group("bpf-vm");
    for case in cases {
        // Agreement first: same r0, and the instruction count of one run.
        let (r0, executed) = {
            let mut u = UxdpRun::new(&case.prog, &mut ctx, &mut data);
            let r0 = u.run();
            (r0, u.m.executed)
        };
        counts.push((case.name, executed));
        let mut vm = None;
        if case.rbpf {
            let mut v = rbpf::EbpfVmMbuff::new(Some(&case.bytes)).unwrap_or_else(|e| panic!("rbpf refuses {}: {e}", case.name));
            v.register_helper(HELPER_ID, rbpf_mix).expect("rbpf takes the helper");
            let theirs = v.execute_program(&data, &ctx).unwrap_or_else(|e| panic!("rbpf fails {}: {e}", case.name));
            assert_eq!(r0, theirs, "{}: uxdp and rbpf disagree on r0", case.name);
            vm = Some(v);
        }
        println!("{}: r0 {r0:#x}, {executed} instructions per run", case.name);

        let mut u = UxdpRun::new(&case.prog, &mut ctx, &mut data);
        g.bench_function(format!("{}/uxdp", case.name), |b| b.iter(|| black_box(u.run())));
        drop(u);
        let mut u = UxdpRun::new(&case.prog, &mut ctx, &mut data);
        assert!(case.prog.jit.compiled(&case.prog) || case.name == "local-calls", "{}: the JIT refuses it", case.name);
        assert_eq!(u.run_jit(), r0, "{}: JIT and interpreter disagree", case.name);
        u.m.count_executed = false;
        g.bench_function(format!("{}/uxdp-jit", case.name), |b| b.iter(|| black_box(u.run_jit())));
        drop(u);
        if let Some(v) = &vm {
            g.bench_function(format!("{}/rbpf", case.name), |b| {
                b.iter(|| black_box(v.execute_program(black_box(&data), black_box(&ctx)).unwrap()))
            });
        }
    }
    g.finish();
}

fn summary(since: SystemTime, counts: &[(&'static str, u64)]) {
    let mut t = Table::new(30, 9, 20);
    for &(name, n) in counts {
        let per = |v: Option<f64>| v.map(|ns| ns / n as f64);
        let ours = median_ns("bpf-vm", &format!("{name}/uxdp"), since);
        let jit = median_ns("bpf-vm", &format!("{name}/uxdp-jit"), since);
        let theirs = median_ns("bpf-vm", &format!("{name}/rbpf"), since);
        if name == "empty" {
            t.row("empty program, ns per run", ours, "rbpf, per run", theirs, |ns, b| {
                (format!("{:.2}×", ns / b), "(info: fixed cost of a run)".into())
            });
            t.row("empty program, JIT, ns per run", jit, "rbpf, per run", theirs, |ns, b| {
                (format!("{:.2}×", ns / b), "(info: fixed cost of a compiled run)".into())
            });
            continue;
        }
        if name != "local-calls" {
            t.row(&format!("{name}, JIT ns/insn"), per(jit), "rbpf 0.3 interpreter", per(theirs), |ns, b| {
                (format!("{:.2}×", ns / b), format!("(info: {:.1}× rbpf's speed)", b / ns))
            });
        }
        if name == "local-calls" {
            t.note(&format!("{name}, ns/insn ({n} insns)"), per(ours), "(info: bpf-to-bpf calls; rbpf 0.3 has none)".into());
            t.note(&format!("{name}, ns per run"), ours, String::new());
            continue;
        }
        t.row(&format!("{name}, ns/insn ({n} insns)"), per(ours), "rbpf 0.3 interpreter", per(theirs), |ns, b| {
            (format!("{:.2}×", ns / b), format!("{} (faster than rbpf: {:.2}× its speed)", verdict(ns < b), b / ns))
        });
        t.note(&format!("{name}, ns per run"), ours, format!("rbpf: {}", theirs.map(|v| format!("{v:.0} ns")).unwrap_or_default()));
    }
    t.print("criterion medians; ns/insn = ns per run ÷ instructions executed per run; ratio = uxdp ÷ rbpf (lower is better)");
}

fn main() {
    let started = SystemTime::now();
    let cases = [
        case("alu", ALU, true),
        case("parse", PARSE, true),
        case("helper-calls", HELPER_CALLS, true),
        case("local-calls", LOCAL_CALLS, false),
        case("empty", EMPTY, true),
    ];
    let mut c = config();
    let mut counts = Vec::new();
    bench_vms(&mut c, &cases, &mut counts);
    c.final_summary();
    summary(started, &counts);
}
