//! The kernel a load relocates against: its BTF (what CO-RE relocations and typed `__ksym`
//! variables resolve in) and its configuration (what `.kconfig` externs read).
//!
//! By default the model is Linux 6.18 x86-64 as uxdp emulates it, shipped in the crate:
//! `target/uxdp-6.18.btf` is the vmlinux BTF of a 6.18.44 kernel trimmed to the types programs
//! reach (the root set is documented in `scripts/gen-target-btf.mjs`, which generates it; types
//! outside it behind pointers are forward declarations), `target/uxdp-6.18.ids` each kept type's
//! id in the full BTF (so `bpf_core_type_id_kernel()` gives the kernel's id), and
//! `target/uxdp-6.18.config` the kernel's `CONFIG_*` lines. A load may instead take the host's
//! BTF (`/sys/kernel/btf/vmlinux`) or one the user passes.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use super::btf::Btf;
use crate::errno::{Errno, Result, XdpError};

const UXDP_618_BTF: &[u8] = include_bytes!("target/uxdp-6.18.btf");
const UXDP_618_IDS: &[u8] = include_bytes!("target/uxdp-6.18.ids");
/// The kernel configuration uxdp models: this machine's 6.18.44 `/proc/config.gz`.
pub const UXDP_618_CONFIG: &str = include_str!("target/uxdp-6.18.config");
/// The kernel release uxdp models, as `uname -r` would print it: LINUX_KERNEL_VERSION comes from it.
pub const UXDP_618_RELEASE: &str = "6.18.44";
/// A kfunc's BTF id in the kernel uxdp models (6.18.44's vmlinux): the shipped BTF keeps every
/// kfunc's FUNC under the kernel's id. The verifier log prints a kfunc call with it.
pub fn kfunc_btf_id(name: &str) -> Option<u32> {
    let target = BtfSource::Uxdp618.load().ok()?;
    target.find(name, super::btf::KIND_FUNC).map(|id| target.public_id(id))
}

/// Whether the kernel uxdp models has a struct (or a forward declaration of one) of this name:
/// a kptr whose pointee is named after none is a program-local type (`btf_parse_kptr` looks the
/// name up in vmlinux first), allocated by bpf_obj_new.
pub fn kernel_has_struct(name: &str) -> bool {
    let Ok(target) = BtfSource::Uxdp618.load() else { return false };
    target.find(name, super::btf::KIND_STRUCT).is_some() || target.find(name, super::btf::KIND_FWD).is_some()
}

/// Where the host's kernel BTF is.
pub const HOST_BTF_PATH: &str = "/sys/kernel/btf/vmlinux";

/// Which BTF a load relocates against.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum BtfSource {
    /// Linux 6.18 x86-64 as uxdp models it (shipped).
    #[default]
    Uxdp618,
    /// `/sys/kernel/btf/vmlinux` of the machine running uxdp.
    Host,
    /// A raw BTF blob (what `btf__parse_raw` reads).
    Bytes(Arc<Vec<u8>>),
    /// A file holding raw BTF.
    Path(String),
}

impl BtfSource {
    /// The name a message gives it: `uxdp-6.18`, `host`, the path, or `user BTF`.
    pub fn name(&self) -> String {
        match self {
            BtfSource::Uxdp618 => "uxdp-6.18".into(),
            BtfSource::Host => "host".into(),
            BtfSource::Bytes(_) => "user BTF".into(),
            BtfSource::Path(p) => p.clone(),
        }
    }

    /// The parsed target (shipped and host BTF parsed once per process).
    pub fn load(&self) -> Result<Arc<TargetBtf>> {
        static UXDP: OnceLock<Arc<TargetBtf>> = OnceLock::new();
        static HOST: OnceLock<Arc<TargetBtf>> = OnceLock::new();
        match self {
            BtfSource::Uxdp618 => {
                if let Some(t) = UXDP.get() {
                    return Ok(t.clone());
                }
                let ids = UXDP_618_IDS.chunks_exact(4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
                let t = Arc::new(TargetBtf::new("uxdp-6.18", Btf::parse(UXDP_618_BTF)?, Some(ids)));
                Ok(UXDP.get_or_init(|| t).clone())
            }
            BtfSource::Host => {
                if let Some(t) = HOST.get() {
                    return Ok(t.clone());
                }
                let raw = std::fs::read(HOST_BTF_PATH).map_err(|e| {
                    XdpError::new(io_errno(&e), "btf__load_vmlinux_btf", format!("failed to read the host's BTF {HOST_BTF_PATH}: {e}"))
                })?;
                let t = Arc::new(TargetBtf::new("host", parse(&raw, HOST_BTF_PATH)?, None));
                Ok(HOST.get_or_init(|| t).clone())
            }
            BtfSource::Bytes(b) => Ok(Arc::new(TargetBtf::new("user BTF", parse(b, "user BTF")?, None))),
            BtfSource::Path(p) => {
                let raw = std::fs::read(p)
                    .map_err(|e| XdpError::new(io_errno(&e), "btf__parse", format!("failed to read BTF file '{p}': {e}")))?;
                Ok(Arc::new(TargetBtf::new(p, parse(&raw, p)?, None)))
            }
        }
    }
}

/// The errno of a failed read (ENOENT, EACCES, ...; EIO for the rest).
fn io_errno(e: &std::io::Error) -> Errno {
    e.raw_os_error().and_then(|n| Errno::ALL.iter().copied().find(|x| x.retval() == -n)).unwrap_or(Errno::EIO)
}

fn parse(raw: &[u8], what: &str) -> Result<Btf> {
    Btf::parse(raw).map_err(|e| XdpError::new(e.errno, "btf__parse", format!("{what}: {}", e.message)))
}

/// A parsed target BTF, with its types indexed by essential name (CO-RE's candidate search).
#[derive(Debug)]
pub struct TargetBtf {
    pub name: String,
    pub btf: Btf,
    /// For a trimmed BTF: each type's id in the full BTF it was cut from (index = id - 1).
    ids: Option<Vec<u32>>,
    by_name: OnceLock<HashMap<String, Vec<u32>>>,
}

impl TargetBtf {
    pub fn new(name: &str, btf: Btf, ids: Option<Vec<u32>>) -> TargetBtf {
        TargetBtf { name: name.to_string(), btf, ids, by_name: OnceLock::new() }
    }

    /// The id the kernel gives type `id` (differs from `id` only in a trimmed BTF).
    pub fn public_id(&self, id: u32) -> u32 {
        match &self.ids {
            Some(ids) if id > 0 => ids.get(id as usize - 1).copied().unwrap_or(id),
            _ => id,
        }
    }

    /// The named types whose essential name (no `___flavor`) is `name`, in id order.
    pub fn by_essential_name(&self, name: &str) -> &[u32] {
        let index = self.by_name.get_or_init(|| {
            let mut m: HashMap<String, Vec<u32>> = HashMap::new();
            for (id, t) in self.btf.types().iter().enumerate().skip(1) {
                if !t.name.is_empty() {
                    m.entry(super::core::essential_name(&t.name).to_string()).or_default().push(id as u32);
                }
            }
            m
        });
        index.get(name).map_or(&[], Vec::as_slice)
    }

    /// The first type named `name` of kind `kind` (a `btf::KIND_*`), as `btf__find_by_name_kind`.
    pub fn find(&self, name: &str, kind: u8) -> Option<u32> {
        self.by_essential_name(super::core::essential_name(name))
            .iter()
            .copied()
            .find(|&id| self.btf.type_by_id(id).is_some_and(|t| t.name == name && t.kind.number() == kind))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bpf::btf::{KIND_ENUM, KIND_STRUCT};

    #[test]
    fn the_shipped_btf_holds_the_roots_with_the_kernel_ids() {
        let t = BtfSource::Uxdp618.load().unwrap();
        let sk = t.find("sk_buff", KIND_STRUCT).expect("struct sk_buff");
        assert_eq!(t.btf.resolve_size(sk).unwrap(), 224);
        assert!(t.find("xdp_md", KIND_STRUCT).is_some());
        assert!(t.find("bpf_func_id", KIND_ENUM).is_some());
        // Ids are the full BTF's: increasing, and not the trimmed positions.
        assert!(t.public_id(sk) > sk);
        assert!(UXDP_618_CONFIG.lines().any(|l| l == "CONFIG_BPF_SYSCALL=y"));
    }
}
