//! Any bytes as a BPF object: `elf::parse`, `loader::load`, then every program that loads runs under
//! BPF_PROG_TEST_RUN (64-byte and multi-buffer packets, small budget). No input may panic, hang or
//! leak pages.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    uxdp_fuzz::parse_load_run(data);
});
