//! The host's connection tracking table, as netfilter's conntrack keeps it and as the conntrack
//! kfuncs (net/netfilter/nf_conntrack_bpf.c, nf_nat_bpf.c) see it: entries with an original and
//! a reply tuple, a zone, status bits, a timeout, a mark and NAT, found by either tuple.
//!
//! Entries are per namespace. The embedder fills the table (`HostNet::ct_add`) and reads it back
//! (`ct_list`); programs look entries up, allocate and insert new ones, and change timeouts,
//! status, marks and NAT through the kfuncs (`bpf/conntrack_kfuncs.rs`). The table's clock is a
//! jiffies counter the embedder sets (`ct_set_jiffies`); a confirmed entry's `timeout` is the
//! jiffy it expires at, an unconfirmed one's the jiffies it will live, as in `struct nf_conn`.
//!
//! Expiry is the kernel's: a confirmed entry whose timeout is not after the clock
//! (`nf_ct_is_expired`) is dead. A lookup passes over a dead entry of its tuple and reaps it
//! (`nf_ct_gc_expired`), a listing (ctnetlink's dump) shows none and reaps them all, and moving
//! the clock reaps them too (the GC worker has run by then). Until it is reaped a dead entry still
//! holds its tuples against an insert (`nf_conntrack_hash_check_insert` does not look at
//! timeouts): EEXIST.

use std::net::IpAddr;

use crate::errno::{Errno, Result, XdpError};

/// The kernel's tick rate the model's timeouts are kept in (CONFIG_HZ of the modelled config).
pub const HZ: u64 = 250;

/// `msecs_to_jiffies`: rounded up.
pub fn msecs_to_jiffies(ms: u32) -> u64 {
    (u64::from(ms) * HZ).div_ceil(1000)
}

/// `struct nf_conn` as 6.18's BTF lays it out: what a program may read, and the one field it may
/// write (`mark`). The verifier checks accesses against it; the run-time view is built to it.
pub mod layout {
    pub const SIZE: i32 = 248;
    pub const TIMEOUT: usize = 8;
    pub const ZONE: usize = 12;
    /// `tuplehash[dir].tuple`: a 16-byte list node, then the 40-byte `nf_conntrack_tuple`.
    pub const TUPLE: [usize; 2] = [32, 88];
    pub const STATUS: usize = 128;
    pub const MASTER: i32 = 160;
    pub const MARK: i32 = 168;
    pub const SECMARK: usize = 172;
    /// Pointer members other than `master`, whose targets are not modelled.
    pub const OTHER_POINTERS: &[i32] = &[16, 24, 72, 80, 136, 144, 152, 176];
}

// Status bits (`enum ip_conntrack_status`).
pub const IPS_EXPECTED: u64 = 1 << 0;
pub const IPS_SEEN_REPLY: u64 = 1 << 1;
pub const IPS_ASSURED: u64 = 1 << 2;
pub const IPS_CONFIRMED: u64 = 1 << 3;
pub const IPS_SRC_NAT: u64 = 1 << 4;
pub const IPS_DST_NAT: u64 = 1 << 5;
pub const IPS_SEQ_ADJUST: u64 = 1 << 6;
pub const IPS_SRC_NAT_DONE: u64 = 1 << 7;
pub const IPS_DST_NAT_DONE: u64 = 1 << 8;
pub const IPS_DYING: u64 = 1 << 9;
pub const IPS_FIXED_TIMEOUT: u64 = 1 << 10;
pub const IPS_TEMPLATE: u64 = 1 << 11;
pub const IPS_UNTRACKED: u64 = 1 << 12;
pub const IPS_OFFLOAD: u64 = 1 << 14;
pub const IPS_HW_OFFLOAD: u64 = 1 << 15;
/// The bits a status change leaves alone (`IPS_UNCHANGEABLE_MASK`).
pub const IPS_UNCHANGEABLE: u64 = IPS_SRC_NAT_DONE
    | IPS_DST_NAT_DONE
    | IPS_SRC_NAT
    | IPS_DST_NAT
    | IPS_EXPECTED
    | IPS_CONFIRMED
    | IPS_DYING
    | IPS_SEQ_ADJUST
    | IPS_TEMPLATE
    | IPS_UNTRACKED
    | IPS_OFFLOAD
    | IPS_HW_OFFLOAD;
const IPS_MAX_BIT: u32 = 16;

/// The zone directions (`NF_CT_ZONE_DIR_ORIG | NF_CT_ZONE_DIR_REPL`).
pub const ZONE_DIR_DEFAULT: u8 = 3;

pub const IPPROTO_TCP: u8 = 6;
pub const IPPROTO_UDP: u8 = 17;

/// One direction of a connection: addresses and ports (host order) and the L4 protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CtTuple {
    pub src: IpAddr,
    pub sport: u16,
    pub dst: IpAddr,
    pub dport: u16,
    pub proto: u8,
}

impl CtTuple {
    pub fn inverted(&self) -> CtTuple {
        CtTuple { src: self.dst, sport: self.dport, dst: self.src, dport: self.sport, proto: self.proto }
    }

    /// The 40 bytes of `struct nf_conntrack_tuple` (`dir`: the direction byte).
    pub fn to_bytes(&self, dir: u8) -> [u8; 40] {
        let mut b = [0u8; 40];
        let put = |b: &mut [u8], a: IpAddr| match a {
            IpAddr::V4(v) => b[..4].copy_from_slice(&v.octets()),
            IpAddr::V6(v) => b[..16].copy_from_slice(&v.octets()),
        };
        put(&mut b[0..16], self.src);
        b[16..18].copy_from_slice(&self.sport.to_be_bytes());
        let l3: u16 = if self.src.is_ipv4() { 2 } else { 10 };
        b[18..20].copy_from_slice(&l3.to_le_bytes());
        put(&mut b[20..36], self.dst);
        b[36..38].copy_from_slice(&self.dport.to_be_bytes());
        b[38] = self.proto;
        b[39] = dir;
        b
    }
}

/// NAT set up on an entry (`bpf_ct_set_nat_info`): which side was rewritten, to what.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CtNat {
    /// 0: source NAT, 1: destination NAT (`enum nf_nat_manip_type`).
    pub manip: u8,
    pub addr: IpAddr,
    /// None: the port is kept.
    pub port: Option<u16>,
}

/// One conntrack entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CtEntry {
    pub netns: usize,
    pub zone: u16,
    /// Which directions the zone applies to (bit 0 original, bit 1 reply).
    pub zone_dir: u8,
    pub orig: CtTuple,
    pub reply: CtTuple,
    pub status: u64,
    /// Confirmed: the jiffy it expires at; unconfirmed: how many jiffies it will live.
    pub timeout: u32,
    pub mark: u32,
    pub nat: Vec<CtNat>,
}

impl CtEntry {
    /// A new, unconfirmed entry for `orig` (the reply tuple its inverse).
    pub fn new(netns: usize, orig: CtTuple) -> CtEntry {
        CtEntry { netns, zone: 0, zone_dir: ZONE_DIR_DEFAULT, orig, reply: orig.inverted(), status: 0, timeout: 0, mark: 0, nat: Vec::new() }
    }

    pub fn confirmed(&self) -> bool {
        self.status & IPS_CONFIRMED != 0
    }

    /// `nf_ct_is_expired`: confirmed, and its timeout not after `now` (compared as the kernel's
    /// signed 32-bit jiffies difference, so the clock may wrap).
    pub fn expired(&self, now: u32) -> bool {
        self.confirmed() && (self.timeout.wrapping_sub(now) as i32) <= 0
    }

    fn zone_id(&self, dir: u8) -> u16 {
        if self.zone_dir & (1 << dir) != 0 {
            self.zone
        } else {
            0
        }
    }

    /// `__nf_ct_set_timeout`: jiffies, capped at INT_MAX; absolute once confirmed.
    pub fn set_timeout(&mut self, jiffies: u64, now: u32) {
        let t = jiffies.min(i32::MAX as u64) as u32;
        self.timeout = if self.confirmed() { now.wrapping_add(t) } else { t };
    }

    /// `nf_ct_change_status_common`: 0 or -EBUSY.
    pub fn change_status(&mut self, status: u64) -> i32 {
        let d = self.status ^ status;
        if d & (IPS_EXPECTED | IPS_CONFIRMED | IPS_DYING) != 0 {
            return -(Errno::EBUSY as i32);
        }
        if d & IPS_SEEN_REPLY != 0 && status & IPS_SEEN_REPLY == 0 {
            return -(Errno::EBUSY as i32);
        }
        if d & IPS_ASSURED != 0 && status & IPS_ASSURED == 0 {
            return -(Errno::EBUSY as i32);
        }
        let on = status & !IPS_UNCHANGEABLE;
        let off = !status & !IPS_UNCHANGEABLE;
        for bit in 0..IPS_MAX_BIT {
            let m = 1u64 << bit;
            if on & m != 0 {
                self.status |= m;
            }
            if off & m != 0 {
                self.status &= !m;
            }
        }
        0
    }

    /// `bpf_ct_set_nat_info` over `nf_nat_setup_info`: rewrites the reply tuple, marks the NAT
    /// done; a second setup of the same kind is refused (the kernel's NF_DROP, -ENOMEM).
    pub fn set_nat(&mut self, nat: CtNat) -> i32 {
        let (kind, done) = if nat.manip == 0 { (IPS_SRC_NAT, IPS_SRC_NAT_DONE) } else { (IPS_DST_NAT, IPS_DST_NAT_DONE) };
        if self.status & done != 0 || nat.addr.is_ipv4() != self.orig.src.is_ipv4() {
            return -(Errno::ENOMEM as i32);
        }
        // The reply comes back to the rewritten address: what the original direction's packets
        // carry after NAT, inverted.
        let mut after = self.reply.inverted();
        if nat.manip == 0 {
            after.src = nat.addr;
            if let Some(p) = nat.port {
                after.sport = p;
            }
        } else {
            after.dst = nat.addr;
            if let Some(p) = nat.port {
                after.dport = p;
            }
        }
        if after != self.orig {
            self.status |= kind;
        }
        self.reply = after.inverted();
        self.status |= done;
        self.nat.push(nat);
        0
    }

    /// The 248 bytes of `struct nf_conn` a program reads.
    pub fn view(&self) -> [u8; layout::SIZE as usize] {
        let mut b = [0u8; layout::SIZE as usize];
        b[layout::TIMEOUT..layout::TIMEOUT + 4].copy_from_slice(&self.timeout.to_le_bytes());
        b[layout::ZONE..layout::ZONE + 2].copy_from_slice(&self.zone.to_le_bytes());
        b[layout::ZONE + 3] = self.zone_dir;
        b[layout::TUPLE[0]..layout::TUPLE[0] + 40].copy_from_slice(&self.orig.to_bytes(0));
        b[layout::TUPLE[1]..layout::TUPLE[1] + 40].copy_from_slice(&self.reply.to_bytes(1));
        b[layout::STATUS..layout::STATUS + 8].copy_from_slice(&self.status.to_le_bytes());
        let mark = layout::MARK as usize;
        b[mark..mark + 4].copy_from_slice(&self.mark.to_le_bytes());
        b
    }
}

/// The table: confirmed entries by id.
#[derive(Clone, Debug, Default)]
pub struct Conntrack {
    pub entries: std::collections::BTreeMap<u64, CtEntry>,
    next_id: u64,
    /// The model's jiffies (`nfct_time_stamp`).
    pub jiffies: u32,
}

impl Conntrack {
    /// The live entry one of whose tuples is `t` in this namespace and zone
    /// (`nf_conntrack_find_get`), and which direction matched; dead entries of the tuple passed
    /// over are reaped.
    pub fn find(&mut self, netns: usize, zone: u16, zone_dir: u8, t: &CtTuple) -> Option<(u64, u8)> {
        let want = |dir: u8| if zone_dir & (1 << dir) != 0 { zone } else { 0 };
        let now = self.jiffies;
        let mut dead = Vec::new();
        let found = self.entries.iter().find_map(|(&id, e)| {
            if e.netns != netns {
                return None;
            }
            let dir = if e.orig == *t && e.zone_id(0) == want(0) {
                0
            } else if e.reply == *t && e.zone_id(1) == want(1) {
                1
            } else {
                return None;
            };
            if e.expired(now) {
                dead.push(id);
                return None;
            }
            Some((id, dir))
        });
        for id in dead {
            self.entries.remove(&id);
        }
        found
    }

    /// Removes every dead entry (the GC worker's pass, a ctnetlink dump's eviction): how many.
    pub fn reap(&mut self) -> usize {
        let now = self.jiffies;
        let before = self.entries.len();
        self.entries.retain(|_, e| !e.expired(now));
        before - self.entries.len()
    }

    /// Moves the clock; the entries it leaves dead are reaped.
    pub fn set_jiffies(&mut self, jiffies: u32) {
        self.jiffies = jiffies;
        self.reap();
    }

    /// `nf_conntrack_hash_check_insert`: confirms the entry unless one of its tuples is taken.
    pub fn insert(&mut self, mut e: CtEntry) -> Result<u64> {
        for (t, dir) in [(e.orig, 0u8), (e.reply, 1u8)] {
            let zone = e.zone_id(dir);
            let clash = self.entries.values().any(|o| o.netns == e.netns && ((o.orig == t && o.zone_id(0) == zone) || (o.reply == t && o.zone_id(1) == zone)));
            if clash {
                return Err(XdpError::new(Errno::EEXIST, "conntrack insert", "an entry with this tuple exists"));
            }
        }
        // The relative timeout becomes the jiffy it expires at.
        e.timeout = self.jiffies.wrapping_add(e.timeout);
        e.status |= IPS_CONFIRMED;
        self.next_id += 1;
        self.entries.insert(self.next_id, e);
        Ok(self.next_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn t(a: u8, sp: u16, b: u8, dp: u16) -> CtTuple {
        CtTuple { src: IpAddr::V4(Ipv4Addr::new(10, 0, 0, a)), sport: sp, dst: IpAddr::V4(Ipv4Addr::new(10, 0, 0, b)), dport: dp, proto: IPPROTO_TCP }
    }

    #[test]
    fn dead_entries_are_not_found_and_are_reaped() {
        let mut ct = Conntrack { jiffies: u32::MAX - 5, ..Conntrack::default() };
        let mut e = CtEntry::new(0, t(1, 1000, 2, 80));
        e.timeout = 10;
        let id = ct.insert(e).unwrap();
        // the expiry jiffy wrapped past 0
        assert_eq!(ct.entries[&id].timeout, 4);
        ct.jiffies = 3;
        assert_eq!(ct.find(0, 0, 3, &t(2, 80, 1, 1000)), Some((id, 1)));
        // at its timeout it is dead: an insert still clashes with it, a lookup reaps it
        ct.jiffies = 4;
        assert!(ct.entries[&id].expired(4));
        assert!(ct.insert(CtEntry::new(0, t(1, 1000, 2, 80))).is_err());
        assert_eq!(ct.find(0, 0, 3, &t(1, 1000, 2, 80)), None);
        assert!(ct.entries.is_empty());
        let id2 = ct.insert(CtEntry::new(0, t(1, 1000, 2, 80))).unwrap();
        // moving the clock reaps; an entry moved forward lives on
        let mut other = CtEntry::new(0, t(3, 1, 2, 80));
        other.timeout = 100;
        let id3 = ct.insert(other).unwrap();
        ct.entries.get_mut(&id2).unwrap().set_timeout(0, 4);
        ct.entries.get_mut(&id3).unwrap().set_timeout(1000, 4);
        ct.set_jiffies(50);
        assert_eq!(ct.entries.keys().copied().collect::<Vec<_>>(), vec![id3]);
        assert_eq!(ct.reap(), 0);
        ct.jiffies = 2000;
        assert_eq!(ct.reap(), 1);
    }

    #[test]
    fn found_by_either_tuple_and_duplicates_refused() {
        let mut ct = Conntrack::default();
        // a timeout of 0 would be dead at once (expiry: see the test above)
        let mut e = CtEntry::new(0, t(1, 1000, 2, 80));
        e.timeout = 100;
        let id = ct.insert(e).unwrap();
        assert_eq!(ct.find(0, 0, 3, &t(1, 1000, 2, 80)), Some((id, 0)));
        assert_eq!(ct.find(0, 0, 3, &t(2, 80, 1, 1000)), Some((id, 1)));
        assert_eq!(ct.find(1, 0, 3, &t(1, 1000, 2, 80)), None);
        assert_eq!(ct.find(0, 5, 3, &t(1, 1000, 2, 80)), None);
        assert_eq!(ct.insert(CtEntry::new(0, t(2, 80, 1, 1000))).unwrap_err().errno, Errno::EEXIST);
        assert!(ct.entries[&id].confirmed());
    }

    #[test]
    fn status_changes_as_the_kernel_allows() {
        let mut e = CtEntry::new(0, t(1, 1, 2, 2));
        assert_eq!(e.change_status(IPS_SEEN_REPLY | IPS_ASSURED), 0);
        assert_eq!(e.status, IPS_SEEN_REPLY | IPS_ASSURED);
        assert_eq!(e.change_status(IPS_ASSURED), -(Errno::EBUSY as i32), "SEEN_REPLY can only be set");
        assert_eq!(e.change_status(IPS_CONFIRMED | IPS_SEEN_REPLY | IPS_ASSURED), -(Errno::EBUSY as i32));
        assert_eq!(e.change_status(IPS_SEEN_REPLY | IPS_ASSURED | IPS_SRC_NAT), 0, "NAT bits are ignored");
        assert_eq!(e.status, IPS_SEEN_REPLY | IPS_ASSURED);
    }

    #[test]
    fn dnat_rewrites_the_reply() {
        let mut e = CtEntry::new(0, t(1, 1000, 2, 80));
        let to = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 9));
        assert_eq!(e.set_nat(CtNat { manip: 1, addr: to, port: Some(8080) }), 0);
        assert_eq!(e.reply, CtTuple { src: to, sport: 8080, dst: e.orig.src, dport: 1000, proto: IPPROTO_TCP });
        assert_eq!(e.status, IPS_DST_NAT | IPS_DST_NAT_DONE);
        assert_eq!(e.set_nat(CtNat { manip: 1, addr: to, port: None }), -(Errno::ENOMEM as i32));
    }
}
