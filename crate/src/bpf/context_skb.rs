//! The skb context as tc (SCHED_CLS / SCHED_ACT) and socket-filter programs see it: `struct
//! __sk_buff` loads and stores converted to the `sk_buff`'s fields (the verifier's
//! `bpf_convert_ctx_access`), the packet region from `skb->data` to the end of the linear part,
//! LD_ABS / LD_IND (`bpf_skb_load_helper_*`), and `__sk_buff` as test_run's ctx_in / ctx_out.
//!
//! One model: [`SkbContext`] holds the skb and the fields the kernel keeps beside it (mark,
//! priority, the qdisc control block, timestamps, GSO numbers, the test socket's addresses); the
//! interpreter reaches it through [`Machine::skb`] wherever it reaches the XDP context otherwise.

use super::context::CTX_ADDR;
use super::machine::Machine;
use super::memory::{Region, RegionKind};
use crate::errno::{Errno, Result, XdpError};
use crate::frame::{Skb, SkbHeader};

/// `sizeof(struct __sk_buff)`.
pub const SK_BUFF_SIZE: usize = 192;

/// `struct __sk_buff` field offsets (uapi).
pub mod off {
    pub const LEN: u32 = 0;
    pub const PKT_TYPE: u32 = 4;
    pub const MARK: u32 = 8;
    pub const QUEUE_MAPPING: u32 = 12;
    pub const PROTOCOL: u32 = 16;
    pub const VLAN_PRESENT: u32 = 20;
    pub const VLAN_TCI: u32 = 24;
    pub const VLAN_PROTO: u32 = 28;
    pub const PRIORITY: u32 = 32;
    pub const INGRESS_IFINDEX: u32 = 36;
    pub const IFINDEX: u32 = 40;
    pub const TC_INDEX: u32 = 44;
    pub const CB: u32 = 48;
    pub const HASH: u32 = 68;
    pub const TC_CLASSID: u32 = 72;
    pub const DATA: u32 = 76;
    pub const DATA_END: u32 = 80;
    pub const NAPI_ID: u32 = 84;
    pub const FAMILY: u32 = 88;
    pub const REMOTE_IP4: u32 = 92;
    pub const LOCAL_IP4: u32 = 96;
    pub const REMOTE_IP6: u32 = 100;
    pub const LOCAL_IP6: u32 = 116;
    pub const REMOTE_PORT: u32 = 132;
    pub const LOCAL_PORT: u32 = 136;
    pub const DATA_META: u32 = 140;
    pub const FLOW_KEYS: u32 = 144;
    pub const TSTAMP: u32 = 152;
    pub const WIRE_LEN: u32 = 160;
    pub const GSO_SEGS: u32 = 164;
    pub const SK: u32 = 168;
    pub const GSO_SIZE: u32 = 176;
    pub const TSTAMP_TYPE: u32 = 180;
    pub const HWTSTAMP: u32 = 184;
}

/// `GSO_LEGACY_MAX_SIZE`, the largest wire_len test_run accepts.
const GSO_LEGACY_MAX_SIZE: u32 = 65536;
/// `GSO_MAX_SEGS`.
const GSO_MAX_SEGS: u32 = 65535;
/// `NO_QUEUE_MAPPING`: a store of it (or more) to queue_mapping is ignored.
const NO_QUEUE_MAPPING: u64 = 0xffff;
const AF_INET: u16 = 2;
const AF_INET6: u16 = 10;

/// Which program type runs on the skb: where `skb->data` stands (tc: the MAC header; socket
/// filters: the network header) and which fields the program may write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SkbProgKind {
    Tc,
    SocketFilter,
}

/// `struct __sk_buff` as bytes: test_run's ctx_in and ctx_out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SkBuff(pub [u8; SK_BUFF_SIZE]);

impl Default for SkBuff {
    fn default() -> SkBuff {
        SkBuff([0; SK_BUFF_SIZE])
    }
}

impl SkBuff {
    /// ctx_in as `bpf_ctx_init` takes it: shorter is zero-filled, longer must be zero past
    /// `struct __sk_buff` (E2BIG otherwise).
    pub fn from_bytes(b: &[u8]) -> Result<SkBuff> {
        if b.len() > SK_BUFF_SIZE && b[SK_BUFF_SIZE..].iter().any(|&x| x != 0) {
            return Err(XdpError::new(
                Errno::E2BIG,
                "bpf_prog_test_run",
                "ctx_in is larger than struct __sk_buff and the rest is not zero",
            ));
        }
        let mut s = SkBuff::default();
        let n = b.len().min(SK_BUFF_SIZE);
        s.0[..n].copy_from_slice(&b[..n]);
        Ok(s)
    }

    pub fn u32_at(&self, at: u32) -> u32 {
        u32::from_le_bytes(self.0[at as usize..at as usize + 4].try_into().unwrap())
    }

    pub fn u64_at(&self, at: u32) -> u64 {
        u64::from_le_bytes(self.0[at as usize..at as usize + 8].try_into().unwrap())
    }

    fn set_u32(&mut self, at: u32, v: u32) {
        self.0[at as usize..at as usize + 4].copy_from_slice(&v.to_le_bytes());
    }

    fn set_u64(&mut self, at: u32, v: u64) {
        self.0[at as usize..at as usize + 8].copy_from_slice(&v.to_le_bytes());
    }

    /// `convert___skb_to_skb`'s check: only mark, priority, ingress_ifindex, ifindex, cb, tstamp,
    /// wire_len, gso_segs, gso_size and hwtstamp may be set (EINVAL names the first other field).
    fn check_fields(&self) -> Result<()> {
        const ALLOWED: [(u32, u32); 9] = [
            (off::MARK, 4),
            (off::PRIORITY, 12), // priority, ingress_ifindex, ifindex
            (off::CB, 20),
            (off::TSTAMP, 8),
            (off::WIRE_LEN, 4),
            (off::GSO_SEGS, 4),
            (off::GSO_SIZE, 4),
            (off::HWTSTAMP, 8),
            (0, 0),
        ];
        for (i, &b) in self.0.iter().enumerate() {
            let i = i as u32;
            if b != 0 && !ALLOWED.iter().any(|&(s, n)| i >= s && i < s + n) {
                return Err(XdpError::new(
                    Errno::EINVAL,
                    "bpf_prog_test_run",
                    format!("ctx_in: __sk_buff byte {i} is set; test_run takes only mark, priority, ingress_ifindex, ifindex, cb, tstamp, wire_len, gso_segs, gso_size and hwtstamp"),
                )
                .offset(i64::from(i)));
            }
        }
        Ok(())
    }
}

/// An skb a program runs on, with the `sk_buff` fields beside the packet that `__sk_buff`
/// exposes, and what bpf_redirect asked for.
pub struct SkbContext {
    pub skb: Skb,
    pub kind: SkbProgKind,
    pub mark: u32,
    pub priority: u32,
    /// `skb->skb_iif`.
    pub ingress_ifindex: u32,
    /// `skb->dev->ifindex`.
    pub ifindex: u32,
    pub queue_mapping: u16,
    pub tc_index: u16,
    /// `qdisc_skb_cb`: its data (cb[0..5]), tc_classid and pkt_len (wire_len).
    pub cb: [u8; 20],
    pub tc_classid: u16,
    pub wire_len: u32,
    pub tstamp: u64,
    /// `skb->tstamp_type` (`BPF_SKB_CLOCK_*`), as bpf_skb_set_tstamp sets it.
    pub tstamp_type: u8,
    pub gso_segs: u16,
    pub gso_size: u16,
    pub hwtstamp: u64,
    /// The test socket test_run attaches (`sk_family` and addresses from the packet's IP header).
    pub sk_family: u16,
    pub sk_daddr: [u8; 4],
    pub sk_rcv_saddr: [u8; 4],
    pub sk_v6_daddr: [u8; 16],
    pub sk_v6_rcv_saddr: [u8; 16],
    /// `bpf_redirect`'s target (ifindex, flags), read after TC_ACT_REDIRECT.
    pub redirect: Option<(u32, u64)>,
    /// `skb->sw_hash` / `l4_hash`: set by bpf_set_hash.
    pub sw_hash: bool,
    /// The test socket's cookie, once bpf_get_socket_cookie asked for it.
    pub socket_cookie: Option<u64>,
    /// `skb->encapsulation`: set by bpf_skb_adjust_room's encapsulation (a second one is EALREADY).
    pub encapsulation: bool,
    /// test_run's socket (`skb->sk`), once [`SkbContext::fill_test_socket`] made it.
    pub test_sock: Option<super::sock_helpers::TestSocket>,
    /// `skb->l4_hash`: the hash bpf_get_hash_recalc computed covers the ports.
    pub l4_hash: bool,
    /// `ip_summed == CHECKSUM_UNNECESSARY` and its `csum_level` (None: CHECKSUM_NONE), as
    /// bpf_csum_level moves them.
    pub csum_unnecessary: Option<u8>,
    /// The metadata dst's tunnel info, once bpf_skb_set_tunnel_key attached one.
    pub tunnel: Option<super::helpers_tc::TunnelInfo>,
}

impl SkbContext {
    /// The context around `skb` with every other field zero (ifindex: the skb's device).
    pub fn new(skb: Skb, kind: SkbProgKind) -> SkbContext {
        let ifindex = skb.ifindex();
        SkbContext {
            skb,
            kind,
            mark: 0,
            priority: 0,
            ingress_ifindex: 0,
            ifindex,
            queue_mapping: 0,
            tc_index: 0,
            cb: [0; 20],
            tc_classid: 0,
            wire_len: 0,
            tstamp: 0,
            tstamp_type: 0,
            gso_segs: 0,
            gso_size: 0,
            hwtstamp: 0,
            sk_family: 0,
            sk_daddr: [0; 4],
            sk_rcv_saddr: [0; 4],
            sk_v6_daddr: [0; 16],
            sk_v6_rcv_saddr: [0; 16],
            redirect: None,
            sw_hash: false,
            socket_cookie: None,
            encapsulation: false,
            test_sock: None,
            l4_hash: false,
            csum_unnecessary: None,
            tunnel: None,
        }
    }

    /// `convert___skb_to_skb`: ctx_in's fields onto the skb (after the field check); wire_len 0
    /// means `skb->len`, otherwise it must lie in `[skb->len, GSO_LEGACY_MAX_SIZE]`; gso_segs at
    /// most GSO_MAX_SEGS (EINVAL).
    pub fn apply_ctx_in(&mut self, c: &SkBuff) -> Result<()> {
        const OP: &str = "bpf_prog_test_run";
        c.check_fields()?;
        self.mark = c.u32_at(off::MARK);
        self.priority = c.u32_at(off::PRIORITY);
        self.ingress_ifindex = c.u32_at(off::INGRESS_IFINDEX);
        self.tstamp = c.u64_at(off::TSTAMP);
        self.cb.copy_from_slice(&c.0[off::CB as usize..off::CB as usize + 20]);
        let wire_len = c.u32_at(off::WIRE_LEN);
        let len = self.skb.len();
        if wire_len == 0 {
            self.wire_len = len;
        } else if wire_len < len || wire_len > GSO_LEGACY_MAX_SIZE {
            return Err(XdpError::new(Errno::EINVAL, OP, format!("ctx_in: wire_len {wire_len} is outside [{len}, {GSO_LEGACY_MAX_SIZE}]")));
        } else {
            self.wire_len = wire_len;
        }
        let gso_segs = c.u32_at(off::GSO_SEGS);
        if gso_segs > GSO_MAX_SEGS {
            return Err(XdpError::new(Errno::EINVAL, OP, format!("ctx_in: gso_segs {gso_segs} is above GSO_MAX_SEGS ({GSO_MAX_SEGS})")));
        }
        self.gso_segs = gso_segs as u16;
        // skb_shared_info.gso_size is an unsigned short.
        self.gso_size = c.u32_at(off::GSO_SIZE) as u16;
        self.hwtstamp = c.u64_at(off::HWTSTAMP);
        Ok(())
    }

    /// `convert_skb_to___skb`: the fields test_run copies back into ctx_out (the rest of
    /// ctx_out is ctx_in as given).
    pub fn ctx_out(&self, c: &SkBuff) -> SkBuff {
        let mut o = *c;
        o.set_u32(off::MARK, self.mark);
        o.set_u32(off::PRIORITY, self.priority);
        o.set_u32(off::INGRESS_IFINDEX, self.ingress_ifindex);
        o.set_u32(off::IFINDEX, self.ifindex);
        o.set_u64(off::TSTAMP, self.tstamp);
        o.0[off::CB as usize..off::CB as usize + 20].copy_from_slice(&self.cb);
        o.set_u32(off::WIRE_LEN, self.wire_len);
        o.set_u32(off::GSO_SEGS, u32::from(self.gso_segs));
        o.set_u64(off::HWTSTAMP, self.hwtstamp);
        o
    }

    /// The test socket's family and addresses, as test_run fills them from the packet: IPv4
    /// needs a whole IPv4 header after the Ethernet header, IPv6 a whole IPv6 header (EINVAL).
    pub fn fill_test_socket(&mut self) -> Result<()> {
        const ETH_P_IP: u16 = 0x0800;
        const ETH_P_IPV6: u16 = 0x86dd;
        let net = |len: u32| self.skb.header_bytes(SkbHeader::Network, 0, len).map(<[u8]>::to_vec);
        match self.skb.protocol() {
            ETH_P_IP => {
                let h = net(20).ok_or_else(|| short_ip("IPv4", 20))?;
                self.sk_family = AF_INET;
                self.sk_rcv_saddr.copy_from_slice(&h[12..16]);
                self.sk_daddr.copy_from_slice(&h[16..20]);
            }
            ETH_P_IPV6 => {
                let h = net(40).ok_or_else(|| short_ip("IPv6", 40))?;
                self.sk_family = AF_INET6;
                self.sk_v6_rcv_saddr.copy_from_slice(&h[8..24]);
                self.sk_v6_daddr.copy_from_slice(&h[24..40]);
            }
            _ => {}
        }
        self.test_sock = Some(super::sock_helpers::TestSocket::new(self.sk_family, self.sk_rcv_saddr, self.sk_daddr, self.sk_v6_rcv_saddr, self.sk_v6_daddr));
        Ok(())
    }

    /// The linear bytes from `skb->data`: what direct packet access reaches.
    fn packet_region(&mut self) -> Region {
        let linear = self.skb.linear_mut();
        Region::of_slice(linear, true, RegionKind::Packet, 0)
    }

    /// A field's value as the converted load gives it, by the field's offset; None for an offset
    /// that starts no field.
    fn field(&mut self, at: u32) -> Option<(u64, u32)> {
        let s = &mut self.skb;
        let data = s.linear_mut().as_mut_ptr() as u64;
        let headlen = u64::from(s.headlen());
        let cb = |i: usize| u64::from(u32::from_le_bytes(self.cb[i * 4..i * 4 + 4].try_into().unwrap()));
        let vlan = self.skb.vlan();
        let ip6 = |a: &[u8; 16], i: usize| u64::from(u32::from_le_bytes(a[i * 4..i * 4 + 4].try_into().unwrap()));
        Some(match at {
            off::LEN => (u64::from(self.skb.len()), 4),
            off::PKT_TYPE => (u64::from(self.skb.pkt_type() & 7), 4),
            off::MARK => (u64::from(self.mark), 4),
            off::QUEUE_MAPPING => (u64::from(self.queue_mapping), 4),
            // __be16 fields read as they lie in memory.
            off::PROTOCOL => (u64::from(self.skb.protocol().swap_bytes()), 4),
            off::VLAN_PRESENT => (u64::from(vlan.is_some()), 4),
            off::VLAN_TCI => (u64::from(vlan.map_or(0, |v| v.1)), 4),
            off::VLAN_PROTO => (u64::from(vlan.map_or(0, |v| v.0).swap_bytes()), 4),
            off::PRIORITY => (u64::from(self.priority), 4),
            off::INGRESS_IFINDEX => (u64::from(self.ingress_ifindex), 4),
            off::IFINDEX => (u64::from(self.ifindex), 4),
            off::TC_INDEX => (u64::from(self.tc_index), 4),
            a if (off::CB..off::CB + 20).contains(&a) && (a - off::CB) % 4 == 0 => (cb(((a - off::CB) / 4) as usize), 4),
            off::HASH => (u64::from(self.skb.hash()), 4),
            off::TC_CLASSID => (u64::from(self.tc_classid), 4),
            off::DATA | off::DATA_META => (data, 4),
            off::DATA_END => (data + headlen, 4),
            off::NAPI_ID => (0, 4),
            off::FAMILY => (u64::from(self.sk_family), 4),
            off::REMOTE_IP4 => (u64::from(u32::from_le_bytes(self.sk_daddr)), 4),
            off::LOCAL_IP4 => (u64::from(u32::from_le_bytes(self.sk_rcv_saddr)), 4),
            a if (off::REMOTE_IP6..off::REMOTE_IP6 + 16).contains(&a) && a % 4 == 0 => {
                (ip6(&self.sk_v6_daddr, ((a - off::REMOTE_IP6) / 4) as usize), 4)
            }
            a if (off::LOCAL_IP6..off::LOCAL_IP6 + 16).contains(&a) && a % 4 == 0 => {
                (ip6(&self.sk_v6_rcv_saddr, ((a - off::LOCAL_IP6) / 4) as usize), 4)
            }
            // The test socket is unconnected and unbound: no ports.
            off::REMOTE_PORT | off::LOCAL_PORT => (0, 4),
            off::FLOW_KEYS => (0, 8),
            off::TSTAMP => (self.tstamp, 8),
            off::WIRE_LEN => (u64::from(self.wire_len), 4),
            off::GSO_SEGS => (u64::from(self.gso_segs), 4),
            // test_run's socket, as a `struct bpf_sock` (NULL where no test socket was made).
            off::SK => (self.test_sock.as_ref().map_or(0, |t| t.addr()), 8),
            off::GSO_SIZE => (u64::from(self.gso_size), 4),
            off::TSTAMP_TYPE => (u64::from(self.tstamp_type), 4),
            off::HWTSTAMP => (self.hwtstamp, 8),
            _ => return None,
        })
    }

    /// An 8-byte access inside cb[] (`bpf_skb_is_valid_access` lets one through there, aligned):
    /// its index into the cb bytes.
    fn wide_cb(at: u32, size: u64) -> Option<usize> {
        (size == 8 && at >= off::CB && at + 8 <= off::CB + 20).then(|| (at - off::CB) as usize)
    }

    /// The field holding byte `at`: its start.
    fn field_start(at: u32) -> u32 {
        match at {
            off::FLOW_KEYS..off::TSTAMP => off::FLOW_KEYS,
            off::TSTAMP..off::WIRE_LEN => off::TSTAMP,
            off::SK..off::GSO_SIZE => off::SK,
            off::HWTSTAMP.. => off::HWTSTAMP,
            _ => at & !3,
        }
    }

    /// A converted load of `size` bytes at offset `at` (a narrow load takes its bytes of the
    /// field's value, as the kernel's shift-and-mask rewrite does; data, data_end and data_meta
    /// give the whole pointer).
    pub fn load(&mut self, at: u32, size: u64) -> Option<u64> {
        if let Some(i) = Self::wide_cb(at, size) {
            // cb[] is plain memory to the rewrite: an aligned 8-byte load reads two entries.
            return Some(u64::from_le_bytes(self.cb[i..i + 8].try_into().unwrap()));
        }
        let start = Self::field_start(at);
        let (v, width) = self.field(start)?;
        if matches!(start, off::DATA | off::DATA_END | off::DATA_META) {
            return (at == start && size == 4).then_some(v);
        }
        let shift = (at - start) * 8;
        if u64::from(at - start) + size > u64::from(width.max(4)) {
            return None;
        }
        // The kernel converts a narrow load as a load of the whole field and shifts and masks
        // only when the load is narrower than what the conversion really read (its target
        // size): a byte of pkt_type (1 byte), or a half of protocol or gso_size (2 bytes), at
        // any offset is the whole value.
        if size < u64::from(width.max(4)) && size >= u64::from(Self::target_size(start)) {
            return Some(v);
        }
        let mask = if size >= 8 { u64::MAX } else { (1u64 << (size * 8)) - 1 };
        Some((v >> shift) & mask)
    }

    /// The bytes `bpf_convert_ctx_access` really loads for a field (its `target_size`), where
    /// fewer than the field's 4: pkt_type a byte, the 16-bit skb and socket fields two.
    fn target_size(start: u32) -> u32 {
        match start {
            off::PKT_TYPE => 1,
            off::PROTOCOL | off::VLAN_PROTO | off::QUEUE_MAPPING | off::VLAN_TCI | off::TC_CLASSID | off::TC_INDEX | off::FAMILY
            | off::REMOTE_PORT | off::LOCAL_PORT | off::GSO_SEGS | off::GSO_SIZE => 2,
            _ => 4,
        }
    }

    /// A converted store of the low `size` bytes of `v` at offset `at`: mark, priority, cb,
    /// tc_index, tc_classid, queue_mapping (a value of NO_QUEUE_MAPPING or more is ignored) and
    /// tstamp take it. False for a field that cannot be written.
    pub fn store(&mut self, at: u32, size: u64, v: u64) -> bool {
        if let Some(i) = Self::wide_cb(at, size) {
            self.cb[i..i + 8].copy_from_slice(&v.to_le_bytes());
            return true;
        }
        let start = Self::field_start(at);
        let shift = (at - start) * 8;
        let mask = if size >= 8 { u64::MAX } else { (1u64 << (size * 8)) - 1 };
        let merge = |old: u64| (old & !(mask << shift)) | ((v & mask) << shift);
        match start {
            off::MARK => self.mark = merge(u64::from(self.mark)) as u32,
            off::PRIORITY => self.priority = merge(u64::from(self.priority)) as u32,
            off::TC_INDEX => self.tc_index = merge(u64::from(self.tc_index)) as u16,
            off::TC_CLASSID => self.tc_classid = merge(u64::from(self.tc_classid)) as u16,
            off::QUEUE_MAPPING => {
                let nv = merge(u64::from(self.queue_mapping));
                if nv < NO_QUEUE_MAPPING {
                    self.queue_mapping = nv as u16;
                }
            }
            off::TSTAMP => self.tstamp = merge(self.tstamp),
            a if (off::CB..off::CB + 20).contains(&a) => {
                let i = (a - off::CB) as usize;
                let old = u64::from(u32::from_le_bytes(self.cb[i..i + 4].try_into().unwrap()));
                self.cb[i..i + 4].copy_from_slice(&(merge(old) as u32).to_le_bytes());
            }
            _ => return false,
        }
        true
    }

    /// `bpf_skb_load_helper_{8,16,32}`: `size` bytes big-endian at `offset` from `skb->data`
    /// (a negative offset counts from the network header above SKF_NET_OFF, from the MAC header
    /// above SKF_LL_OFF); None where the kernel's helper fails (the program then returns 0).
    pub fn load_abs(&self, offset: i32, size: u32) -> Option<u64> {
        const SKF_NET_OFF: i32 = -0x100000;
        const SKF_LL_OFF: i32 = -0x200000;
        let mut buf = [0u8; 4];
        let b = &mut buf[..size as usize];
        if offset >= 0 {
            self.skb.copy_bits(offset as u32, b).ok()?;
        } else {
            let (which, rel) = if offset >= SKF_NET_OFF {
                (SkbHeader::Network, offset - SKF_NET_OFF)
            } else if offset >= SKF_LL_OFF {
                (SkbHeader::Mac, offset - SKF_LL_OFF)
            } else {
                return None;
            };
            b.copy_from_slice(self.skb.header_bytes(which, i64::from(rel), size)?);
        }
        Some(b.iter().fold(0u64, |v, &x| (v << 8) | u64::from(x)))
    }
}

fn short_ip(what: &str, need: u32) -> XdpError {
    XdpError::new(
        Errno::EINVAL,
        "bpf_prog_test_run",
        format!("the packet's EtherType says {what} but fewer than {need} bytes follow the Ethernet header"),
    )
}

impl Machine<'_> {
    /// Gives the machine an skb context: r1's address and its region (the size of `struct
    /// __sk_buff`) unless `registered`.
    pub fn set_skb_ctx(&mut self, registered: bool) {
        self.ctx = CTX_ADDR;
        if !registered {
            self.mem.push(Region::new(CTX_ADDR, SK_BUFF_SIZE as u64, false, RegionKind::Ctx, 0));
        }
    }

    /// The skb behind the context pointer a helper was given.
    pub(crate) fn skb_ctx(&mut self, ctx: u64) -> std::result::Result<&mut SkbContext, super::machine::Trap> {
        if ctx != self.ctx || self.ctx == 0 {
            return Err(super::helpers::fault(Errno::EACCES, format!("{ctx:#x} is not the program's context")));
        }
        self.skb.as_deref_mut().ok_or_else(|| super::helpers::fault(Errno::EINVAL, "the program does not run on an skb"))
    }

    /// A converted `__sk_buff` load (see [`SkbContext::load`]).
    pub(crate) fn skb_ctx_load(&mut self, addr: u64, size: u64) -> Result<u64> {
        let at = addr.wrapping_sub(self.ctx);
        let invalid = || XdpError::run(Errno::EACCES, format!("invalid bpf_context access off={at} size={size}")).access(addr, size);
        let Some(s) = self.skb.as_deref_mut() else { return Err(invalid()) };
        if at >= SK_BUFF_SIZE as u64 {
            return Err(invalid());
        }
        s.load(at as u32, size).ok_or_else(invalid)
    }

    /// A converted `__sk_buff` store (see [`SkbContext::store`]).
    pub(crate) fn skb_ctx_store(&mut self, addr: u64, size: u64, v: u64) -> Result<()> {
        let at = addr.wrapping_sub(self.ctx);
        let invalid = || XdpError::run(Errno::EACCES, format!("invalid bpf_context access off={at} size={size}")).access(addr, size);
        let Some(s) = self.skb.as_deref_mut() else { return Err(invalid()) };
        if at >= SK_BUFF_SIZE as u64 || !s.store(at as u32, size, v) {
            return Err(invalid());
        }
        Ok(())
    }

    /// Re-registers the skb's packet region after its data moved (a packet-changing helper),
    /// dropping slices handed out before, as the verifier invalidates packet pointers.
    pub(crate) fn refresh_skb_packet(&mut self) {
        let Some(s) = self.skb.as_deref_mut() else { return };
        let linear = s.packet_region();
        self.ctx_shadow = None;
        self.mem.replace_packet(linear, None);
    }

    /// LD_ABS / LD_IND as the kernel rewrites them (`bpf_gen_ld_abs`): r0 is the loaded value,
    /// or None when the load helper failed and the program returns 0. Outside an skb program
    /// it faults.
    pub(crate) fn ld_abs(&mut self, offset: i32, size: u32) -> Result<Option<u64>> {
        let Some(s) = self.skb.as_deref() else {
            return Err(XdpError::run(Errno::EINVAL, "legacy packet access (BPF_LD_[ABS|IND]) needs an skb program"));
        };
        Ok(s.load_abs(offset, size))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::NetDev;

    fn ipv4_packet() -> Vec<u8> {
        let mut p = vec![0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x08, 0x00];
        p.extend([0x45, 0, 0, 40, 0, 1, 0, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
        p.extend(0..20u8);
        p
    }

    fn ctx(kind: SkbProgKind) -> SkbContext {
        let dev = NetDev { ifindex: 1, dev_addr: [0; 6] };
        let mut skb = Skb::for_test_run(&ipv4_packet(), &dev);
        if kind == SkbProgKind::Tc {
            skb.push(14);
        }
        let mut c = SkbContext::new(skb, kind);
        c.fill_test_socket().unwrap();
        c
    }

    #[test]
    fn loads_convert_as_the_kernel_does() {
        let mut c = ctx(SkbProgKind::Tc);
        assert_eq!(c.load(off::LEN, 4), Some(54));
        assert_eq!(c.load(off::PROTOCOL, 4), Some(0x0008));
        assert_eq!(c.load(off::PROTOCOL, 1), Some(0x08));
        assert_eq!(c.load(off::PKT_TYPE, 4), Some(3));
        assert_eq!(c.load(off::IFINDEX, 4), Some(1));
        assert_eq!(c.load(off::FAMILY, 4), Some(2));
        assert_eq!(c.load(off::LOCAL_IP4, 4), Some(u64::from(u32::from_le_bytes([10, 0, 0, 1]))));
        let data = c.load(off::DATA, 4).unwrap();
        assert_eq!(c.load(off::DATA_END, 4), Some(data + 54));
        assert_eq!(c.load(off::DATA + 1, 1), None);
        let sf = ctx(SkbProgKind::SocketFilter);
        assert_eq!(sf.skb.len(), 40);
    }

    #[test]
    fn stores_reach_the_writable_fields() {
        let mut c = ctx(SkbProgKind::Tc);
        assert!(c.store(off::CB + 5, 1, 0xab));
        assert_eq!(c.load(off::CB + 4, 4), Some(0xab00));
        assert!(c.store(off::QUEUE_MAPPING, 2, 7));
        assert!(c.store(off::QUEUE_MAPPING, 2, 0xffff));
        assert_eq!(c.load(off::QUEUE_MAPPING, 4), Some(7));
        assert!(c.store(off::TSTAMP, 8, u64::MAX - 1));
        assert_eq!(c.load(off::TSTAMP, 8), Some(u64::MAX - 1));
        assert!(!c.store(off::LEN, 4, 1));
    }

    #[test]
    fn ld_abs_counts_from_data_and_fails_out_of_bounds() {
        let tc = ctx(SkbProgKind::Tc);
        assert_eq!(tc.load_abs(12, 2), Some(0x0800));
        assert_eq!(tc.load_abs(53, 1), Some(19));
        assert_eq!(tc.load_abs(53, 2), None);
        assert_eq!(tc.load_abs(-0x100000, 1), Some(0x45));
        assert_eq!(tc.load_abs(-0x200000 + 12, 2), Some(0x0800));
        assert_eq!(tc.load_abs(-0x200001, 1), None);
        let sf = ctx(SkbProgKind::SocketFilter);
        assert_eq!(sf.load_abs(0, 1), Some(0x45));
        assert_eq!(sf.load_abs(2, 2), Some(40));
        assert_eq!(sf.load_abs(16, 4), Some(0x0a00_0002));
        assert_eq!(sf.load_abs(40, 1), None);
    }

    #[test]
    fn ctx_in_is_checked_as_test_run_checks_it() {
        let mut c = ctx(SkbProgKind::Tc);
        let mut s = SkBuff::default();
        s.set_u32(off::LEN, 1);
        assert_eq!(c.apply_ctx_in(&s).unwrap_err().errno, Errno::EINVAL);
        let mut s = SkBuff::default();
        s.set_u32(off::WIRE_LEN, 53);
        assert_eq!(c.apply_ctx_in(&s).unwrap_err().errno, Errno::EINVAL);
        s.set_u32(off::WIRE_LEN, 65536);
        c.apply_ctx_in(&s).unwrap();
        s.set_u32(off::GSO_SEGS, 65536);
        assert_eq!(c.apply_ctx_in(&s).unwrap_err().errno, Errno::EINVAL);
        let mut big = vec![0u8; 200];
        big[196] = 1;
        assert_eq!(SkBuff::from_bytes(&big).unwrap_err().errno, Errno::E2BIG);
    }
}
