//! Local kptrs end to end: the committed object of test/kernel/kptr_progs.bpf.c (the kernel-kptr
//! differential spec's) loaded, its programs run under test_run, and every object they allocate
//! freed again: by the programs, when a value holding kptrs is overwritten or deleted, or with the
//! map that holds them.

use uxdp::bpf::graph::alloc::live_objects;
use uxdp::bpf::loader::{load_bytes, LoadOptions};
use uxdp::bpf::test_run::{test_run_skb, SkbRunOptions};

fn kptr_object() -> Vec<u8> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../test/fixtures/kernel/objects");
    let entry = std::fs::read_dir(dir)
        .ok()
        .and_then(|d| d.flatten().find(|e| e.file_name().to_string_lossy().starts_with("kptr_progs-")))
        .expect("no committed kptr_progs object: run `npm run kernel:record -- kernel-kptr`");
    std::fs::read(entry.path()).expect("the object reads")
}

const EMPTY: i32 = 0xee;

#[test]
fn stashed_objects_are_counted_and_go_with_their_holders() {
    let bytes = kptr_object();
    let before = live_objects();
    {
        let lo = load_bytes(&bytes, &LoadOptions { nr_cpus: 4, ..LoadOptions::default() }).expect("the object loads");
        let run = |name: &str| {
            let prog = lo.program(name).and_then(|p| p.prog.clone()).expect(name);
            test_run_skb(&prog, &[0u8; 64], &SkbRunOptions::default()).expect(name).retval as i32
        };
        assert_eq!(run("stash_plain"), 0);
        assert_eq!(run("stash_plain"), 101, "the first object (a = 1) came back and was dropped");
        assert_eq!(live_objects(), before + 1);
        assert_eq!(run("stash_nested"), 0);
        assert_eq!(live_objects(), before + 3, "a holder and the object it holds");
        assert_eq!(run("counted_add"), 0);
        assert_eq!(live_objects(), before + 4, "one refcounted object, in the tree and in the map");
        assert_eq!(run("counted_peek"), 4);
        assert_eq!(run("percpu_stash"), 0);
        assert_eq!(run("percpu_bump"), 4096 + 64);
        assert_eq!(run("percpu_cpu0"), 1);
        assert_eq!(live_objects(), before + 5, "a per-CPU object is one object (of 4 copies)");
        // The tree lets go of the refcounted object: the map still holds it.
        assert_eq!(run("counted_pop_tree"), 4);
        assert_eq!(live_objects(), before + 5);
        assert_eq!(run("counted_unstash"), 4);
        assert_eq!(live_objects(), before + 4);
        // An update over the value drops every kptr it held.
        assert_eq!(run("overwrite_slot"), 0);
        assert_eq!(live_objects(), before);
        assert_eq!(run("unstash_plain"), EMPTY);
        assert_eq!(run("percpu_bump"), EMPTY);
        // A deleted hash element takes its kptr with it.
        assert_eq!(run("hash_stash"), 0);
        assert_eq!(run("hash_stash"), 1);
        assert_eq!(live_objects(), before + 1);
        assert_eq!(run("hash_delete"), 0);
        assert_eq!(live_objects(), before);
        // What the maps hold when they go.
        assert_eq!(run("stash_nested"), 0);
        assert_eq!(run("counted_add"), 0);
        assert_eq!(run("counted_add"), 102, "the earlier one's key (2: the update zeroed the counter) + 100");
        assert_eq!(run("percpu_stash"), 0);
        assert_eq!(run("hash_stash"), 0);
        assert_eq!(live_objects(), before + 6);
    }
    assert_eq!(live_objects(), before, "the maps' kptrs, lists and trees are emptied when they go");
}

#[test]
fn per_cpu_copies_are_apart() {
    let bytes = kptr_object();
    let lo = load_bytes(&bytes, &LoadOptions { nr_cpus: 2, ..LoadOptions::default() }).expect("the object loads");
    let prog = |name: &str| lo.program(name).and_then(|p| p.prog.clone()).expect(name);
    let on = |name: &str, cpu: u32| test_run_skb(&prog(name), &[0u8; 64], &SkbRunOptions { cpu, ..SkbRunOptions::default() }).expect(name).retval as i32;
    assert_eq!(on("percpu_stash", 0), 0);
    assert_eq!(on("percpu_bump", 1), 4096 + 64);
    assert_eq!(on("percpu_bump", 1), 2 * 4096 + 128);
    assert_eq!(on("percpu_cpu0", 1), 0, "CPU 0's copy was not counted");
    assert_eq!(on("percpu_bump", 0), 4096 + 64);
    assert_eq!(on("percpu_cpu0", 1), 1);
}
