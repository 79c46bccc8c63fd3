//! BPF-allocated objects end to end: the committed object of test/kernel/graph_progs.bpf.c (the
//! kernel-graph differential spec's) loaded, its programs run under test_run, and every object
//! they allocate freed again: by the programs, or with the map that holds them.

use uxdp::bpf::graph::alloc::live_objects;
use uxdp::bpf::loader::{load_bytes, LoadOptions};
use uxdp::bpf::test_run::{test_run_skb, SkbRunOptions};

fn graph_object() -> Option<Vec<u8>> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../test/fixtures/kernel/objects");
    let entry = std::fs::read_dir(dir).ok()?.flatten().find(|e| e.file_name().to_string_lossy().starts_with("graph_progs-"))?;
    std::fs::read(entry.path()).ok()
}

#[test]
fn objects_left_in_a_map_go_with_it() {
    let Some(bytes) = graph_object() else {
        panic!("no committed graph_progs object: run `npm run kernel:record -- kernel-graph`");
    };
    let before = live_objects();
    {
        let lo = load_bytes(&bytes, &LoadOptions::default()).expect("the object loads");
        let run = |name: &str| {
            let prog = lo.program(name).and_then(|p| p.prog.clone()).expect(name);
            test_run_skb(&prog, &[0u8; 64], &SkbRunOptions::default()).expect(name).retval as i32
        };
        assert_eq!(run("list_push"), 1);
        assert_eq!(run("list_push"), 2);
        assert_eq!(run("list_push"), 3);
        assert_eq!(run("tree_add"), 6, "key (4 * 7) % 11");
        assert_eq!(live_objects(), before + 4);
        assert_eq!(run("list_peek"), 2003, "front 2, back 3");
        assert_eq!(run("list_pop_front"), 2);
        assert_eq!(live_objects(), before + 3);
        // A list inside an object: what it still holds is freed with it.
        assert_eq!(run("nested_list"), 12);
        assert_eq!(live_objects(), before + 3);
        // A node already in a list: -EINVAL, and the second reference dropped.
        assert_eq!(run("refcount_double_push"), -22);
        assert_eq!(live_objects(), before + 4);
    }
    assert_eq!(live_objects(), before, "the map's lists and trees are emptied when it goes");
}
