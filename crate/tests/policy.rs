//! The load policy through the crate alone: programs built with the calls test/policy.spec.ts
//! hands the TypeScript policy's checkCalls are loaded by `loader::load`, and get the same
//! refusals (errno and message, and the call's pc) — and an accepted list loads, or fails only
//! where the engine does not implement a function the kernel would give.

use std::rc::Rc;

use uxdp::bpf::elf::{KsymExtern, Object, ProgKind, ProgramSpec};
use uxdp::bpf::insn::{Insn, ALU64, CALL, EXIT, JMP, K, MOV, PSEUDO_KFUNC_CALL};
use uxdp::bpf::loader::{self, LoadOptions};
use uxdp::bpf::protos::kfuncs::KF_SLEEPABLE;
use uxdp::bpf::protos::policy::{Caps, UserKfunc};
use uxdp::bpf::protos::pt;
use uxdp::bpf::Machine;
use uxdp::Errno;

#[derive(Clone)]
enum Call {
    Helper(i32),
    Kfunc(&'static str),
    Weak(&'static str),
}
use Call::*;

/// A program of `kind` making the calls at pcs 0, 1, ... (`at` moves a call to a later pc:
/// the instructions between are `r0 = 0`), then `r0 = 2; exit`.
fn object(kind: ProgKind, license: &str, calls: &[(Call, Option<usize>)]) -> Object {
    let mut slots: Vec<Option<Call>> = Vec::new();
    let mut free = calls.iter().filter(|c| c.1.is_none()).map(|c| c.0.clone());
    let last = calls.iter().filter_map(|c| c.1).max().map_or(0, |p| p + 1);
    slots.resize(last, None);
    for (c, pc) in calls {
        if let Some(pc) = pc {
            slots[*pc] = Some(c.clone());
        }
    }
    slots.extend(free.by_ref().map(Some));
    let mut externs: Vec<KsymExtern> = Vec::new();
    let mut insns = Vec::new();
    for slot in slots {
        insns.push(match slot {
            None => Insn::new(ALU64 | MOV | K, 0, 0, 0, 0),
            Some(Helper(id)) => Insn::new(JMP | CALL, 0, 0, 0, id),
            Some(Kfunc(name) | Weak(name)) => {
                let weak = matches!(slot, Some(Weak(_)));
                let i = externs.iter().position(|e| e.name == name).unwrap_or_else(|| {
                    externs.push(KsymExtern { name: name.into(), weak, func: true, btf_type_id: 0 });
                    externs.len() - 1
                });
                Insn::new(JMP | CALL, 0, PSEUDO_KFUNC_CALL, 0, i as i32)
            }
        });
    }
    insns.push(Insn::new(ALU64 | MOV | K, 0, 0, 0, 2));
    insns.push(Insn::new(JMP | EXIT, 0, 0, 0, 0));
    let spec = ProgramSpec {
        name: "p".into(),
        section: "s".into(),
        kind,
        frags: false,
        autoload: true,
        insns,
        core_relos: Vec::new(),
        raw_map_fd: None,
        funcs: Vec::new(),
        lines: Vec::new(),
    };
    Object { license: license.into(), programs: vec![spec], externs, ..Object::default() }
}

/// The programs here make bare calls (their arguments are never set up): the call policy is the
/// subject, and it decides before the verifier would walk them, so they load without it.
fn unverified() -> LoadOptions {
    LoadOptions { no_verify: true, ..Default::default() }
}

fn calls(list: &[Call]) -> Vec<(Call, Option<usize>)> {
    list.iter().map(|c| (c.clone(), None)).collect()
}

/// The refusal a load gets: (errno, message, pc).
fn refusal(kind: ProgKind, license: &str, calls: &[(Call, Option<usize>)], opts: &LoadOptions) -> Option<(Errno, String, Option<usize>)> {
    loader::load(object(kind, license, calls), opts).err().map(|e| (e.errno, e.message.clone(), e.pc))
}

fn refused(kind: ProgKind, license: &str, list: &[Call], opts: &LoadOptions) -> (Errno, String) {
    let (errno, message, _) = refusal(kind, license, &calls(list), opts).expect("refused");
    (errno, message)
}

fn message(kind: ProgKind, license: &str, list: &[Call]) -> String {
    refused(kind, license, list, &unverified()).1
}

const XDP: ProgKind = ProgKind::Xdp;
const GPL_ONLY: &str = "cannot call GPL-restricted function from non-GPL compatible program";

#[test]
fn accepts_what_an_xdp_program_may_call() {
    let ok = |license: &str, list: &[Call]| {
        let r = loader::load(object(XDP, license, &calls(list)), &unverified());
        assert!(r.is_ok(), "{license} {:?}", r.err().map(|e| e.message.clone()));
    };
    ok("GPL", &[Helper(1), Helper(44), Helper(51), Helper(130), Helper(181), Helper(189), Helper(197)]);
    ok("GPL", &[Kfunc("bpf_dynptr_from_xdp"), Kfunc("bpf_dynptr_slice"), Kfunc("bpf_xdp_pull_data")]);
    ok("MIT", &[Helper(1), Helper(44), Helper(65), Helper(189), Helper(190)]);
    // The kernel gives XDP these; the engine lacks bpf_snprintf (165): the refusal is the
    // engine's, after the policy let them through. (bpf_strncmp, 182, was the example until
    // the engine got it.)
    ok("Dual MIT/GPL", &[Helper(6), Helper(69), Helper(163), Helper(182)]);
    assert_eq!(message(XDP, "Dual MIT/GPL", &[Helper(6), Helper(165)]), "invalid func unknown#165");
    // Helper 14 is the kernel's for XDP too, and the engine's.
    let lo = loader::load(object(XDP, "GPL", &calls(&[Helper(14)])), &unverified()).unwrap();
    let prog = lo.programs[0].prog.clone().unwrap();
    assert_eq!(Machine::new(prog).run([0; 5]).unwrap(), 2);
}

#[test]
fn refuses_unknown_helper_ids_in_the_verifiers_words() {
    let (errno, msg, pc) = refusal(XDP, "GPL", &calls(&[Helper(212)]), &unverified()).unwrap();
    assert_eq!((errno, msg.as_str(), pc), (Errno::EINVAL, "invalid func unknown#212", Some(0)));
    assert_eq!(message(XDP, "GPL", &[Helper(-1)]), "invalid func unknown#-1");
    assert_eq!(message(XDP, "GPL", &[Helper(0)]), "program of this type cannot use helper bpf_unspec#0");
}

#[test]
fn refuses_helpers_the_program_type_does_not_get() {
    let r = refusal(XDP, "GPL", &[(Helper(1), None), (Helper(26), Some(7))], &unverified());
    assert_eq!(r, Some((Errno::EINVAL, "program of this type cannot use helper bpf_skb_load_bytes#26".into(), Some(7))));
    assert_eq!(message(XDP, "GPL", &[Helper(121)]), "program of this type cannot use helper bpf_xdp_output#121");
    assert_eq!(message(ProgKind::SchedCls, "GPL", &[Helper(44)]), "program of this type cannot use helper bpf_xdp_adjust_head#44");
    let no_perfmon = LoadOptions { caps: Caps { perfmon: false, ..Caps::default() }, ..unverified() };
    assert_eq!(refused(XDP, "GPL", &[Helper(6)], &no_perfmon).1, "program of this type cannot use helper bpf_trace_printk#6");
    let no_bpf = LoadOptions { caps: Caps { bpf: false, ..Caps::default() }, ..unverified() };
    assert_eq!(refused(XDP, "GPL", &[Helper(181)], &no_bpf).1, "program of this type cannot use helper bpf_loop#181");
    assert!(loader::load(object(XDP, "GPL", &calls(&[Helper(1), Helper(181)])), &no_perfmon).is_ok());
}

#[test]
fn refuses_gpl_only_helpers_to_programs_that_are_not_gpl_compatible() {
    for id in [6, 25, 69, 163, 204] {
        assert_eq!(refused(XDP, "MIT", &[Helper(id)], &unverified()), (Errno::EINVAL, GPL_ONLY.into()), "helper {id}");
    }
    assert_eq!(message(XDP, "gpl", &[Helper(6)]), GPL_ONLY);
    assert_eq!(message(XDP, "MIT", &[Helper(4)]), "program of this type cannot use helper bpf_probe_read#4");
    assert_eq!(message(ProgKind::Kprobe, "MIT", &[Helper(4)]), GPL_ONLY);
    // The policy lets perf_event's bpf_get_stackid through; the engine does not implement it.
    assert_eq!(message(ProgKind::PerfEvent, "MIT", &[Helper(27)]), "invalid func unknown#27");
    assert_eq!(message(ProgKind::Kprobe, "MIT", &[Helper(27)]), GPL_ONLY);
}

#[test]
fn refuses_sleeping_helpers_and_kfuncs_outside_sleepable_programs() {
    assert_eq!(message(XDP, "GPL", &[Helper(148)]), "helper call might sleep in a non-sleepable prog");
    let sleepy = "program must be sleepable to call sleepable kfunc bpf_copy_from_user_str";
    assert_eq!(refused(XDP, "GPL", &[Kfunc("bpf_copy_from_user_str")], &unverified()), (Errno::EACCES, sleepy.into()));
    assert_eq!(
        message(XDP, "GPL", &[Kfunc("bpf_arena_alloc_pages")]),
        "program must be sleepable to call sleepable kfunc bpf_arena_alloc_pages"
    );
    // Sleepable, the policy lets both through; the engine implements neither.
    let sleepable = LoadOptions { sleepable: true, ..unverified() };
    assert_eq!(refused(ProgKind::Syscall, "GPL", &[Helper(148)], &sleepable).1, "invalid func unknown#148");
}

#[test]
fn refuses_kfuncs_the_program_type_does_not_get() {
    let r = refusal(XDP, "GPL", &[(Kfunc("bpf_dynptr_from_skb"), Some(3))], &unverified());
    assert_eq!(r, Some((Errno::EACCES, "calling kernel function bpf_dynptr_from_skb is not allowed".into(), Some(3))));
    assert_eq!(
        message(ProgKind::SchedCls, "GPL", &[Kfunc("bpf_xdp_pull_data")]),
        "calling kernel function bpf_xdp_pull_data is not allowed"
    );
    assert_eq!(
        message(ProgKind::SocketFilter, "GPL", &[Kfunc("bpf_xdp_ct_lookup")]),
        "calling kernel function bpf_xdp_ct_lookup is not allowed"
    );
    assert_eq!(message(XDP, "GPL", &[Kfunc("bbr_init")]), "calling kernel function bbr_init is not allowed");
}

#[test]
fn refuses_kfuncs_no_btf_has_in_libbpfs_words() {
    let missing = "extern (func ksym) 'bpf_no_such_kfunc': not found in kernel or module BTFs";
    assert_eq!(refused(XDP, "GPL", &[Kfunc("bpf_no_such_kfunc")], &unverified()), (Errno::EINVAL, missing.into()));
    assert!(loader::load(object(XDP, "GPL", &calls(&[Weak("bpf_no_such_kfunc")])), &unverified()).is_ok());
    // libbpf fails the load before the kernel sees the program.
    let r = refusal(XDP, "GPL", &[(Helper(26), Some(0)), (Kfunc("bpf_no_such_kfunc"), Some(9))], &unverified());
    assert_eq!(r.unwrap().1, missing);
    assert_eq!(
        message(XDP, "GPL", &[Kfunc("bpf_dynptr_advance")]),
        "extern (func ksym) 'bpf_dynptr_advance': not found in kernel or module BTFs"
    );
    let seed = LoadOptions { seed_kfuncs: true, ..unverified() };
    assert!(loader::load(object(XDP, "GPL", &calls(&[Kfunc("bpf_dynptr_advance"), Kfunc("bpf_dynptr_iterator")])), &seed).is_ok());
}

#[test]
fn checks_kfunc_licences_and_device_binding_before_walking_the_program() {
    let r = refusal(XDP, "MIT", &[(Helper(26), Some(1)), (Kfunc("bpf_rcu_read_lock"), Some(5))], &unverified());
    assert_eq!(r, Some((Errno::EINVAL, "cannot call kernel function from non-GPL compatible program".into(), Some(5))));
    assert_eq!(message(XDP, "GPL", &[Kfunc("bpf_xdp_metadata_rx_timestamp")]), "metadata kfuncs require device-bound program");
    assert_eq!(message(ProgKind::SchedCls, "GPL", &[Kfunc("bpf_xdp_metadata_rx_hash")]), "metadata kfuncs require device-bound program");
    let bound = LoadOptions { dev_bound: true, ..unverified() };
    let list = calls(&[Kfunc("bpf_xdp_metadata_rx_timestamp"), Kfunc("bpf_xdp_metadata_rx_vlan_tag")]);
    assert!(loader::load(object(XDP, "GPL", &list), &bound).is_ok());
}

#[test]
fn reports_the_first_refusal_in_pc_order() {
    let list = [(Helper(26), Some(20)), (Helper(500), Some(12)), (Kfunc("bpf_dynptr_from_skb"), Some(4))];
    let r = refusal(XDP, "GPL", &list, &unverified());
    assert_eq!(r, Some((Errno::EACCES, "calling kernel function bpf_dynptr_from_skb is not allowed".into(), Some(4))));
    let r = refusal(XDP, "GPL", &list[..2], &unverified());
    assert_eq!(r, Some((Errno::EINVAL, "invalid func unknown#500".into(), Some(12))));
}

#[test]
fn gives_the_verifiers_late_refusals_for_helpers_whose_prototype_exists() {
    let r = refused(ProgKind::Tracepoint, "GPL", &[Helper(173)], &unverified());
    assert_eq!(r, (Errno::ENOTSUPP, "func bpf_get_func_ip#173 not supported for program type 5".into()));
    assert_eq!(message(ProgKind::Tracepoint, "MIT", &[Helper(173)]), GPL_ONLY);
    assert_eq!(message(ProgKind::Tracing, "GPL", &[Helper(147)]), "helper call is not allowed in probe");
    // Allowed in a kprobe by the kernel; not implemented by the engine.
    assert_eq!(message(ProgKind::Kprobe, "GPL", &[Helper(173)]), "invalid func unknown#173");
}

#[test]
fn applies_user_kfuncs_with_their_program_types() {
    let f: uxdp::bpf::machine::UserFn = Rc::new(|_m: &mut Machine<'_>, a: &[u64; 5]| Ok(a[0].wrapping_mul(31)));
    let user = |prog_types, flags| LoadOptions {
        user_kfuncs: vec![("my_xdp_hash".into(), f.clone())],
        kfunc_specs: vec![UserKfunc { name: "my_xdp_hash".into(), flags, prog_types, lifecycle: None }],
        ..unverified()
    };
    let list = calls(&[Kfunc("my_xdp_hash")]);
    assert!(loader::load(object(XDP, "GPL", &list), &user(Some(pt::XDP), 0)).is_ok());
    assert_eq!(message(XDP, "GPL", &[Kfunc("my_xdp_hash")]), "extern (func ksym) 'my_xdp_hash': not found in kernel or module BTFs");
    let tc = refusal(ProgKind::SchedCls, "GPL", &list, &user(Some(pt::XDP), 0)).unwrap();
    assert_eq!(tc.1, "calling kernel function my_xdp_hash is not allowed");
    let sleepy = refusal(XDP, "GPL", &list, &user(None, KF_SLEEPABLE)).unwrap();
    assert_eq!(sleepy.1, "program must be sleepable to call sleepable kfunc my_xdp_hash");
    let mit = refusal(XDP, "MIT", &list, &user(Some(pt::XDP), 0)).unwrap();
    assert_eq!(mit.1, "cannot call kernel function from non-GPL compatible program");
}

#[test]
fn an_unestablished_program_type_gets_nothing_and_unrestricted_loads_skip_the_table() {
    assert_eq!(message(ProgKind::Lsm, "GPL", &[Helper(1)]), "program of this type cannot use helper bpf_map_lookup_elem#1");
    assert_eq!(
        message(ProgKind::StructOps, "GPL", &[Kfunc("bpf_rcu_read_lock")]),
        "calling kernel function bpf_rcu_read_lock is not allowed"
    );
    assert!(loader::load(object(ProgKind::Lsm, "GPL", &[]), &unverified()).is_ok());
    let unrestricted = LoadOptions { unrestricted: true, ..unverified() };
    assert!(loader::load(object(ProgKind::Lsm, "MIT", &calls(&[Helper(6), Helper(121)])), &unrestricted).is_ok());
}
