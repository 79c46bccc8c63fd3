/// A prog array filled from `.values` holds programs that hold the prog array: dropping the loaded
/// object must still free them all (the kernel clears prog arrays when their last user reference
/// goes).
#[test]
fn dropping_a_loaded_object_frees_its_prog_array_cycle() {
    use std::process::Command;
    let dir = std::env::temp_dir().join(format!("uxdp-cycle-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let src = dir.join("cycle.bpf.c");
    std::fs::write(
        &src,
        r#"#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__array(values, int(void *));
} jt SEC(".maps");
SEC("xdp") int leaf(struct xdp_md *ctx) { return XDP_PASS; }
SEC("xdp") int entry(struct xdp_md *ctx) { bpf_tail_call(ctx, &jt, 0); return XDP_DROP; }
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__array(values, int(void *));
} jt2 SEC(".maps") = { .values = { [0] = (void *)&entry } };
char LICENSE[] SEC("license") = "GPL";
"#,
    )
    .unwrap();
    let obj = dir.join("cycle.o");
    let arch = if cfg!(target_arch = "aarch64") { "aarch64" } else { "x86_64" };
    let st = Command::new("clang")
        .args(["-O2", "-g", "-target", "bpf", &format!("-I/usr/include/{arch}-linux-gnu"), "-c"])
        .arg(&src)
        .arg("-o")
        .arg(&obj)
        .status()
        .expect("clang (installed by .ci/run) runs");
    assert!(st.success());
    let bytes = std::fs::read(&obj).unwrap();
    let loaded = uxdp::bpf::loader::load_bytes(&bytes, &Default::default()).unwrap();
    let entry = loaded.program("entry").unwrap().prog.clone().unwrap();
    loaded.map("jt").unwrap().set_prog(0, Some(entry.clone())).unwrap();
    let weak = std::rc::Rc::downgrade(&entry);
    drop(entry);
    assert!(weak.upgrade().is_some(), "the object keeps its programs while it lives");
    drop(loaded);
    assert!(weak.upgrade().is_none(), "the prog-array cycle was not broken");
    let _ = std::fs::remove_dir_all(&dir);
}
