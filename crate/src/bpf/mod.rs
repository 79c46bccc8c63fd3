//! The BPF engine: load clang-built objects ([`elf`], [`btf`], CO-RE relocations in [`core`]), assemble and disassemble the
//! bpf_conformance text dialect ([`asm`], [`disasm`]), decode instructions into one model with their
//! control-flow graph and semantics ([`isa`]), check instruction encodings ([`validate`]),
//! and run programs ([`vm`], [`jit`]) over typed memory ([`memory`]) with maps ([`maps`], their
//! definitions in [`mapdef`]), helpers ([`helpers`]) and kfuncs ([`kfuncs`]) as the prototype table
//! ([`protos`]) describes them: under BPF_PROG_TEST_RUN ([`test_run`]), on a device's XDP hook
//! ([`attach`]), or bare, as bpf_conformance runs a plugin ([`raw`]).

pub mod asm;
pub mod attach;
pub mod btf;
pub mod graph;
pub mod context;
pub mod context_skb;
pub mod conntrack_kfuncs;
pub mod core;
pub mod disasm;
pub mod elf;
pub mod helpers;
pub mod helpers_skb;
pub mod helpers_tc;
pub mod host_helpers;
pub mod sock_helpers;
pub mod insn;
pub mod isa;
pub mod kconfig;
pub mod jit;
pub mod kfuncs;
pub mod loader;
pub mod machine;
pub mod mapdef;
pub mod maps;
pub mod memory;
pub mod needs;
pub mod protos;
pub mod raw;
pub mod struct_ops;
pub mod target;
pub mod test_run;
pub mod validate;
pub mod verifier;
pub mod vm;

pub use insn::Insn;
pub use machine::{Callable, Machine, Prog, Trap, XdpHost};
pub use maps::Map;
