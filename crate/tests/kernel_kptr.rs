//! Kernel-typed kptrs end to end: the committed object of test/kernel/tchelp.bpf.c (the
//! kernel-tchelp differential spec's) loaded, its `tc_cgroup` program run under test_run, and
//! every reference it takes on the root cgroup released again: by the program, by the
//! `struct cgroup __kptr` field's destructor when the value is overwritten, or with the map.

use uxdp::bpf::context_skb::SkBuff;
use uxdp::bpf::graph::kernel_obj::held_references;
use uxdp::bpf::loader::{load_bytes, LoadOptions};
use uxdp::bpf::test_run::{test_run_skb, SkbRunOptions};

fn tchelp_object() -> Vec<u8> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../test/fixtures/kernel/objects");
    let entry = std::fs::read_dir(dir)
        .ok()
        .and_then(|d| d.flatten().find(|e| e.file_name().to_string_lossy().starts_with("tchelp-")))
        .expect("no committed tchelp object: run `npm run kernel:record -- kernel-tchelp`");
    std::fs::read(entry.path()).expect("the object reads")
}

/// An IPv4 UDP frame.
fn frame() -> Vec<u8> {
    let mut f = vec![0u8; 54];
    f[12] = 0x08;
    f[14] = 0x45;
    f[17] = 40;
    f[23] = 17;
    f
}

#[test]
fn stashed_cgroup_references_are_released_by_the_fields_destructor() {
    let bytes = tchelp_object();
    let before = held_references();
    {
        let lo = load_bytes(&bytes, &LoadOptions::default()).expect("the object loads");
        let prog = lo.program("tc_cgroup").and_then(|p| p.prog.clone()).expect("tc_cgroup");
        let out = lo.map("out").expect("out").clone();
        let stashes = lo.map("stashes").expect("stashes").clone();
        let run = |id: u32, slot: u32, mode: u32| -> Vec<u64> {
            let mut ctx = SkBuff::default();
            for (i, v) in [id, slot, mode].into_iter().enumerate() {
                ctx.0[48 + 4 * i..52 + 4 * i].copy_from_slice(&v.to_le_bytes());
            }
            let r = test_run_skb(&prog, &frame(), &SkbRunOptions { ctx: Some(ctx), ..SkbRunOptions::default() }).expect("runs");
            assert_eq!(r.retval, 0);
            let mut v = Vec::new();
            out.lookup_user(&0u32.to_le_bytes(), &mut v).expect("out[0]");
            v.chunks(8).map(|c| u64::from_le_bytes(c.try_into().unwrap())).collect()
        };
        assert_eq!(run(1, 0, 1)[..6], [1, 0, 0x7fff_ffff, 0x7fff_ffff, 0, 0]);
        assert_eq!(held_references(), before + 1, "the stashed reference");
        assert_eq!(run(1, 0, 1)[5], 1, "the old one came back and was released");
        assert_eq!(held_references(), before + 1);
        run(1, 1, 1);
        run(1, 2, 1);
        assert_eq!(held_references(), before + 3);
        // an update over a value releases what its kptr held
        stashes.update(&1u32.to_le_bytes(), &[0u8; 16], 0, 0).expect("update");
        assert_eq!(held_references(), before + 2);
        assert_eq!(run(0, 1, 2)[6], 0, "slot 1 is empty");
        assert_eq!(run(0, 0, 2)[6..8], [1, 0x7fff_ffff], "slot 0 taken out, released by the program");
        assert_eq!(held_references(), before + 1);
    }
    assert_eq!(held_references(), before, "the map's going released slot 2's");
}
