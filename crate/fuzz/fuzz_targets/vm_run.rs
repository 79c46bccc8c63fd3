//! Any bytes as a configuration and an instruction stream (see `uxdp_fuzz::decode`): run in a
//! Machine with a memory region, or under XDP test_run, with the real helpers, the fixtures' maps and
//! kfuncs. No input may panic or hang; runs stop within their budget and give every page back.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    uxdp_fuzz::vm_run(data);
});
