//! BPF-allocated objects (`bpf_obj_new`) and the graph structures built of them: linked lists
//! (`bpf_list_head` / `bpf_list_node`) and red-black trees (`bpf_rb_root` / `bpf_rb_node`), with
//! `bpf_refcount`. This module reads their layout from a program's BTF as the kernel's
//! `btf_parse_fields` does: the special fields of a type, and for each list head or tree root the
//! type it holds and where that type's node is (the `contains:TYPE:FIELD` declaration tag).
//! Global data sections are described by their DATASEC's variables. The verifier
//! (`verifier/graph.rs`) checks programs against these records; [`alloc`] runs them.

pub mod alloc;
pub mod kernel_obj;
pub mod kfuncs;

use super::btf::{Btf, Kind};
use super::verifier::{FieldKind, SpecialField};

pub const LIST_HEAD: FieldKind = FieldKind::Other("bpf_list_head");
pub const LIST_NODE: FieldKind = FieldKind::Other("bpf_list_node");
pub const RB_ROOT: FieldKind = FieldKind::Other("bpf_rb_root");
pub const RB_NODE: FieldKind = FieldKind::Other("bpf_rb_node");
pub const REFCOUNT: FieldKind = FieldKind::Other("bpf_refcount");

/// A list head or tree root: where it is, and what it holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GraphRoot {
    pub off: u32,
    pub kind: FieldKind,
    /// The contained struct's id in the program's BTF, its name, and its node's offset.
    pub value_type: u32,
    pub value_name: String,
    pub node_off: u32,
}

/// The special fields of one allocation's type (a local struct, a map value, a global section).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Record {
    pub name: String,
    pub size: u32,
    pub fields: Vec<SpecialField>,
    pub roots: Vec<GraphRoot>,
}

impl Record {
    /// A local struct's record (what `bpf_obj_new` of it allocates); None when `id` is no struct.
    pub fn of_struct(btf: &Btf, id: u32) -> Option<Record> {
        let t = btf.type_by_id(id)?;
        let Kind::Struct { size, .. } = t.kind else { return None };
        let mut roots = Vec::new();
        collect_roots(btf, id, 0, 0, &mut roots);
        Some(Record { name: t.name.clone(), size, fields: btf.special_fields(id), roots })
    }

    /// A global data section's record: its variables `(VAR id, offset in the section)`.
    pub fn of_vars(btf: &Btf, vars: &[(u32, u32)], size: u32) -> Record {
        let mut rec = Record { name: String::new(), size, ..Record::default() };
        for &(var, off) in vars {
            let Some(Kind::Var { target, .. }) = btf.type_by_id(var).map(|t| &t.kind) else { continue };
            let type_id = *target;
            let tag = contains_tag(btf, var, -1);
            walk_member(btf, type_id, off, tag.as_deref(), 0, &mut rec.fields, &mut rec.roots);
        }
        rec.fields.sort_by_key(|f| f.off);
        rec
    }

    pub fn field_at(&self, off: u32, kind: FieldKind) -> Option<&SpecialField> {
        self.fields.iter().find(|f| f.off == off && f.kind == kind)
    }

    pub fn field(&self, kind: FieldKind) -> Option<&SpecialField> {
        self.fields.iter().find(|f| f.kind == kind)
    }

    pub fn root_at(&self, off: u32) -> Option<&GraphRoot> {
        self.roots.iter().find(|r| r.off == off)
    }

    /// The bpf_spin_lock's offset, or -1 (the kernel's `spin_lock_off` when there is none).
    pub fn lock_off(&self) -> i64 {
        self.field(FieldKind::SpinLock).map_or(-1, |f| i64::from(f.off))
    }

    pub fn has_refcount(&self) -> bool {
        self.field(REFCOUNT).is_some()
    }
}

/// Whether the kernel takes this BTF as far as graph types go (`btf_parse_struct_metas` at
/// BTF load): every `contains:` tag names a struct of the BTF and a member of it, and no struct
/// holds both a list node and a tree node without a bpf_refcount. When it does not, libbpf
/// loads the object without BTF: no map has a BTF value type, and bpf_obj_new has no local
/// types.
pub fn kernel_accepts(btf: &Btf) -> bool {
    for (id, t) in btf.types().iter().enumerate() {
        match &t.kind {
            Kind::DeclTag { .. } if t.name.starts_with("contains:") => {
                if resolve_contains(btf, &t.name["contains:".len()..]).is_none() {
                    return false;
                }
            }
            Kind::Struct { .. } => {
                let fields = btf.special_fields(id as u32);
                let has = |k: FieldKind| fields.iter().any(|f| f.kind == k);
                if has(LIST_NODE) && has(RB_NODE) && !has(REFCOUNT) {
                    return false;
                }
            }
            _ => {}
        }
    }
    true
}

/// The `contains:TYPE:FIELD` tag on a struct member (component = its index) or a variable (-1).
fn contains_tag(btf: &Btf, target: u32, component: i32) -> Option<String> {
    btf.types().iter().find_map(|t| match t.kind {
        Kind::DeclTag { target: tt, component: c } if tt == target && c == component && t.name.starts_with("contains:") => {
            Some(t.name["contains:".len()..].to_string())
        }
        _ => None,
    })
}

/// Resolves `TYPE:FIELD` to (struct id, name, member offset).
fn resolve_contains(btf: &Btf, tag: &str) -> Option<(u32, String, u32)> {
    let (ty, field) = tag.split_once(':')?;
    let id = btf.find_by_name_kind(ty, super::btf::KIND_STRUCT)?;
    let Kind::Struct { members, .. } = &btf.type_by_id(id)?.kind else { return None };
    let m = members.iter().find(|m| m.name == field)?;
    Some((id, ty.to_string(), m.bit_offset / 8))
}

fn collect_roots(btf: &Btf, id: u32, base: u32, depth: u32, out: &mut Vec<GraphRoot>) {
    let Some(t) = btf.type_by_id(id) else { return };
    let Kind::Struct { members, .. } = &t.kind else { return };
    if depth > 8 {
        return;
    }
    for (i, m) in members.iter().enumerate() {
        if m.bit_offset % 8 != 0 {
            continue;
        }
        let tag = contains_tag(btf, id, i as i32);
        let mut ignored = Vec::new();
        walk_member(btf, m.type_id, base + m.bit_offset / 8, tag.as_deref(), depth + 1, &mut ignored, out);
    }
}

/// One member or variable: its special fields (pushed to `fields` for variables) and roots.
fn walk_member(
    btf: &Btf,
    type_id: u32,
    off: u32,
    tag: Option<&str>,
    depth: u32,
    fields: &mut Vec<SpecialField>,
    roots: &mut Vec<GraphRoot>,
) {
    let (mut elem, mut count) = (type_id, 1u32);
    if let Ok((_, t)) = btf.skip_mods_and_typedefs(type_id) {
        if let Kind::Array { elem: e, nelems, .. } = t.kind {
            elem = e;
            count = nelems.min(64);
        }
    }
    let Ok((sid, st)) = btf.skip_mods_and_typedefs(elem) else { return };
    let Kind::Struct { size, .. } = st.kind else { return };
    let special = match st.name.as_str() {
        "bpf_spin_lock" => Some(FieldKind::SpinLock),
        "bpf_timer" => Some(FieldKind::Timer),
        "bpf_wq" => Some(FieldKind::Wq),
        "bpf_list_head" => Some(LIST_HEAD),
        "bpf_list_node" => Some(LIST_NODE),
        "bpf_rb_root" => Some(RB_ROOT),
        "bpf_rb_node" => Some(RB_NODE),
        "bpf_refcount" => Some(REFCOUNT),
        _ => None,
    };
    for i in 0..count {
        let at = off + i * size;
        match special {
            Some(kind) => {
                fields.push(SpecialField { off: at, size, kind, kptr_type: 0 });
                if matches!(kind, FieldKind::Other("bpf_list_head" | "bpf_rb_root")) {
                    if let Some((value_type, value_name, node_off)) = tag.and_then(|t| resolve_contains(btf, t)) {
                        roots.push(GraphRoot { off: at, kind, value_type, value_name, node_off });
                    }
                }
            }
            None => {
                if depth == 0 {
                    // A variable of struct type: its fields as a map value's.
                    fields.extend(btf.special_fields(sid).into_iter().map(|f| SpecialField { off: f.off + at, ..f }));
                }
                collect_roots(btf, sid, at, depth + 1, roots);
            }
        }
    }
}
