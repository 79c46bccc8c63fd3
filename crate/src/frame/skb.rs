//! An `sk_buff` built around an `xdp_frame`'s memory, the way cpumap and drivers' XDP_PASS paths
//! build it: no copy, the head page becomes the skb head, the frags array in the shared info is
//! kept in place and only its header is rewritten.
//!
//! The skb's bytes are reachable the ways BPF reaches them: `skb_header_pointer` and
//! `skb_copy_bits` reads, and `__bpf_skb_store_bytes` writes, which first make the written range
//! linear (`skb_ensure_writable` → `__pskb_pull_tail`, reallocating the head with
//! `pskb_expand_head` when its tailroom is short, as the kernel does).

use std::sync::atomic::{AtomicU64, Ordering};

use super::layout::*;
use super::shinfo::{shift_frags_down, FragDesc, Shinfo, ShinfoMut};
use super::xdp_frame::XdpFrame;
use crate::errno::{Errno, Result, XdpError};
use crate::pool::Page;

/// `skb->pkt_type` values set by `eth_type_trans`.
pub const PACKET_HOST: u8 = 0;
pub const PACKET_BROADCAST: u8 = 1;
pub const PACKET_MULTICAST: u8 = 2;
pub const PACKET_OTHERHOST: u8 = 3;

/// `__bpf_skb_store_bytes` flags.
pub const BPF_F_RECOMPUTE_CSUM: u64 = 1 << 0;
pub const BPF_F_INVALIDATE_HASH: u64 = 1 << 1;

/// `ETH_P_802_3_MIN`: below it the EtherType field is an 802.3 length.
const ETH_P_802_3_MIN: u16 = 0x0600;
const ETH_P_802_3: u16 = 0x0001;
const ETH_P_802_2: u16 = 0x0004;

/// Synthetic addresses for heads reallocated with kmalloc, away from the page pools' range.
static NEXT_HEAP_ADDR: AtomicU64 = AtomicU64::new(0xffff_8881_0000_0000);

/// The receiving device as `eth_type_trans` needs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NetDev {
    pub ifindex: u32,
    pub dev_addr: [u8; 6],
}

/// The skb head: first the xdp_frame's page, later perhaps a kmalloc'd buffer from
/// `pskb_expand_head`.
enum Head {
    Page(Page),
    Heap { buf: KmallocBuf, addr: u64 },
}

/// A zeroed head as kmalloc gives it: `ksize` bytes aligned as the slab aligns them (a
/// power-of-two bucket at its own size, capped at a page), so the low bits of `skb->data` that a
/// program can see (a packet pointer stored into the packet) are the kernel's.
struct KmallocBuf {
    ptr: std::ptr::NonNull<u8>,
    layout: std::alloc::Layout,
}

impl KmallocBuf {
    fn zeroed(size: u32) -> KmallocBuf {
        let size = size.max(1) as usize;
        let align = (1usize << size.trailing_zeros()).min(4096);
        let layout = std::alloc::Layout::from_size_align(size, align).expect("kmalloc layout");
        // SAFETY: the layout's size is non-zero.
        let raw = unsafe { std::alloc::alloc_zeroed(layout) };
        let ptr = std::ptr::NonNull::new(raw).unwrap_or_else(|| std::alloc::handle_alloc_error(layout));
        KmallocBuf { ptr, layout }
    }
}

// SAFETY: the buffer is owned by its one KmallocBuf, like a Box<[u8]>.
unsafe impl Send for KmallocBuf {}
unsafe impl Sync for KmallocBuf {}

impl std::ops::Deref for KmallocBuf {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        // SAFETY: `ptr` holds `layout.size()` initialised bytes owned by self.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.layout.size()) }
    }
}

impl std::ops::DerefMut for KmallocBuf {
    fn deref_mut(&mut self) -> &mut [u8] {
        // SAFETY: as for deref, and &mut self is unique.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.layout.size()) }
    }
}

impl Drop for KmallocBuf {
    fn drop(&mut self) {
        // SAFETY: allocated in `zeroed` with this layout.
        unsafe { std::alloc::dealloc(self.ptr.as_ptr(), self.layout) }
    }
}

impl Head {
    #[inline]
    fn bytes(&self) -> &[u8] {
        match self {
            Head::Page(p) => p.bytes(),
            Head::Heap { buf, .. } => buf,
        }
    }

    #[inline]
    fn bytes_mut(&mut self) -> &mut [u8] {
        match self {
            Head::Page(p) => p.bytes_mut(),
            Head::Heap { buf, .. } => buf,
        }
    }

    fn addr(&self) -> u64 {
        match self {
            Head::Page(p) => p.addr(),
            Head::Heap { addr, .. } => *addr,
        }
    }
}

/// The size a kmalloc of `size` bytes really gets (`ksize`): the slab buckets up to 8 KiB, whole
/// pages (power-of-two orders) above.
fn kmalloc_size(size: u32) -> u32 {
    const BUCKETS: [u32; 13] = [8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096, 8192];
    BUCKETS.iter().copied().find(|&b| b >= size).unwrap_or_else(|| size.next_power_of_two())
}

pub struct Skb {
    frags: Vec<Page>,
    head: Head,
    /// `skb->head` in the head buffer.
    head_off: u32,
    /// `skb->data`, `skb->tail` and the mac header, as offsets in the head buffer.
    data: u32,
    tail: u32,
    mac_header: u32,
    /// `skb->network_header`, as an offset in the head buffer.
    network_header: u32,
    /// `skb_end_offset`: where the shared info starts, relative to `head`.
    end: u32,
    len: u32,
    data_len: u32,
    truesize: u32,
    pfmemalloc: bool,
    protocol: u16,
    pkt_type: u8,
    ifindex: u32,
    max_frags: u8,
    cloned: bool,
    hash: u32,
    ip_summed: u8,
    vlan: Option<(u16, u16)>,
}

/// `skb->ip_summed` values.
pub const CHECKSUM_NONE: u8 = 0;
pub const CHECKSUM_UNNECESSARY: u8 = 1;

impl std::fmt::Debug for Skb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Skb")
            .field("len", &self.len)
            .field("data_len", &self.data_len)
            .field("nr_frags", &self.nr_frags())
            .field("protocol", &format_args!("{:#06x}", self.protocol))
            .finish()
    }
}

/// What `build_skb_around` + `skb_reserve` + `skb_put` + `skb_metadata_set` +
/// `xdp_update_skb_shared_info` need to know about the memory an skb is built around.
struct Around {
    head: Page,
    frags: Vec<Page>,
    hard_start: u32,
    /// `skb->data` and the linear length, in the head page.
    data: u32,
    len: u32,
    frame_sz: u32,
    max_frags: u8,
    metasize: u32,
    /// `nr_frags` and `xdp_frags_size` when the memory has frags.
    frags_info: Option<(u8, u32)>,
    pfmemalloc: bool,
}

impl Skb {
    /// The skb built around `a`'s memory, frags carried over in place (truesize `nr_frags ×
    /// frame_sz`), before `eth_type_trans`.
    fn around(a: Around, dev: &NetDev) -> Skb {
        let Around { mut head, frags, hard_start, data, len, frame_sz, max_frags, metasize, frags_info, pfmemalloc } = a;
        let end = frame_sz - shinfo_tailroom(max_frags);
        let mut truesize = skb_truesize(end, max_frags);
        let mut sinfo = ShinfoMut::at(head.bytes_mut(), hard_start + end);
        sinfo.reset_for_skb();
        if metasize > 0 {
            sinfo.set_meta_len(metasize as u8);
        }
        let (mut skb_len, mut data_len) = (len, 0);
        if let Some((nr_frags, frags_size)) = frags_info {
            sinfo.set_nr_frags(nr_frags);
            sinfo.clear_destructor_arg();
            skb_len += frags_size;
            data_len += frags_size;
            truesize += u32::from(nr_frags) * frame_sz;
        }
        Skb {
            frags,
            head: Head::Page(head),
            head_off: hard_start,
            data,
            tail: data + len,
            mac_header: data,
            network_header: data,
            end,
            len: skb_len,
            data_len,
            truesize,
            pfmemalloc,
            protocol: 0,
            pkt_type: PACKET_HOST,
            ifindex: dev.ifindex,
            max_frags,
            cloned: false,
            hash: 0,
            ip_summed: CHECKSUM_NONE,
            vlan: None,
        }
    }
}

impl XdpFrame {
    /// `__xdp_build_skb_from_frame`: builds the skb around the frame's memory, records the
    /// metadata length, carries the frags over with `xdp_update_skb_shared_info` (truesize
    /// `nr_frags × frame_sz`), and runs `eth_type_trans` for `dev`. EINVAL when the linear part
    /// cannot hold an Ethernet header.
    #[allow(clippy::result_large_err)]
    pub fn into_skb(self, dev: NetDev) -> std::result::Result<Skb, (XdpError, XdpFrame)> {
        if self.len() < ETH_HLEN {
            let err = XdpError::new(Errno::EINVAL, "__xdp_build_skb_from_frame", "the linear part is shorter than an Ethernet header")
                .len(u64::from(self.len()))
                .limit(u64::from(ETH_HLEN));
            return Err((err, self));
        }
        let (len, metasize, frame_sz, flags, headroom) = (self.len(), self.metasize(), self.frame_sz(), self.flags(), self.headroom());
        let frags_info = (flags & XDP_FLAGS_HAS_FRAGS != 0).then(|| (self.nr_frags(), self.frags_size()));
        let pfmemalloc = flags & XDP_FLAGS_FRAGS_PF_MEMALLOC != 0;
        let XdpFrame { head, frags, hard_start, max_frags } = self;
        // skb_reserve(sizeof(*xdpf) + headroom)
        let data = hard_start + XDP_FRAME_SIZE + headroom;
        let a = Around { head, frags, hard_start, data, len, frame_sz, max_frags, metasize, frags_info, pfmemalloc };
        let mut skb = Skb::around(a, &dev);
        skb.eth_type_trans(&dev);
        Ok(skb)
    }
}

impl super::XdpBuff {
    /// A driver's XDP_PASS path (`build_skb(data_hard_start, frame_sz)`, `skb_reserve`,
    /// `skb_put`, `skb_metadata_set`, `xdp_update_skb_shared_info` with a truesize of
    /// `nr_frags × frame_sz`, `eth_type_trans`): the skb is built around the buffer's own memory.
    /// Returns it with `skb->len` as it was before `eth_type_trans` pulled the Ethernet header.
    pub fn build_skb(self, dev: NetDev) -> (Skb, u32) {
        let (metasize, pfmemalloc) = (self.meta_len(), self.flags & XDP_FLAGS_FRAGS_PF_MEMALLOC != 0);
        let frags_info = self.has_frags().then(|| (self.nr_frags(), self.frags_size()));
        let super::XdpBuff { head, frags, hard_start, data, data_end, frame_sz, max_frags, .. } = self;
        let a = Around { head, frags, hard_start, data, len: data_end - data, frame_sz, max_frags, metasize, frags_info, pfmemalloc };
        let mut skb = Skb::around(a, &dev);
        let len_before = skb.len;
        if skb.data_end_linear() >= ETH_HLEN {
            skb.eth_type_trans(&dev);
        }
        (skb, len_before)
    }
}

impl Skb {
    fn eth_type_trans(&mut self, dev: &NetDev) {
        self.eth_type_trans_on(dev, [0xff; 6]);
    }

    /// `eth_type_trans` for a device whose broadcast address is `broadcast` (all ones on
    /// Ethernet devices; all zeroes on the loopback device).
    fn eth_type_trans_on(&mut self, dev: &NetDev, broadcast: [u8; 6]) {
        let hdr = &self.head.bytes()[self.data as usize..(self.data + ETH_HLEN) as usize];
        let dest: [u8; 6] = hdr[..6].try_into().expect("6 bytes");
        let proto = u16::from_be_bytes([hdr[12], hdr[13]]);
        self.mac_header = self.data;
        self.data += ETH_HLEN;
        self.len -= ETH_HLEN;
        if dest == dev.dev_addr {
            // PACKET_HOST, as built
        } else if dest[0] & 1 != 0 {
            self.pkt_type = if dest == broadcast { PACKET_BROADCAST } else { PACKET_MULTICAST };
        } else {
            self.pkt_type = PACKET_OTHERHOST;
        }
        self.protocol = if proto >= ETH_P_802_3_MIN {
            proto
        } else {
            // Raw 802.3 (Novell) frames start their payload with 0xFFFF; anything else is 802.2 LLC.
            let mut first = [0u8; 2];
            let raw = self.copy_bits(0, &mut first).is_ok() && first == [0xff, 0xff];
            if raw {
                ETH_P_802_3
            } else {
                ETH_P_802_2
            }
        };
    }

    /// Linear bytes from `data`.
    fn data_end_linear(&self) -> u32 {
        self.tail - self.data
    }

    /// `skb->ip_summed`.
    pub fn ip_summed(&self) -> u8 {
        self.ip_summed
    }

    pub fn set_ip_summed(&mut self, v: u8) {
        self.ip_summed = v;
    }

    /// The hardware-accelerated VLAN tag (`__vlan_hwaccel_put_tag`): protocol and TCI.
    pub fn vlan(&self) -> Option<(u16, u16)> {
        self.vlan
    }

    pub fn set_vlan(&mut self, vlan: Option<(u16, u16)>) {
        self.vlan = vlan;
    }

    fn shinfo(&self) -> Shinfo<'_> {
        Shinfo::at(self.head.bytes(), self.head_off + self.end)
    }

    fn shinfo_mut(&mut self) -> ShinfoMut<'_> {
        let base = self.head_off + self.end;
        ShinfoMut::at(self.head.bytes_mut(), base)
    }

    /// `skb->len`: bytes from `data` to the end of the last frag.
    pub fn len(&self) -> u32 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// `skb->data_len`: bytes in frags.
    pub fn data_len(&self) -> u32 {
        self.data_len
    }

    /// `skb_headlen`.
    pub fn headlen(&self) -> u32 {
        self.len - self.data_len
    }

    /// `skb_tailroom`: room after the linear data before the shared info.
    pub fn tailroom(&self) -> u32 {
        self.head_off + self.end - self.tail
    }

    pub fn truesize(&self) -> u32 {
        self.truesize
    }

    pub fn pfmemalloc(&self) -> bool {
        self.pfmemalloc
    }

    /// `skb->protocol` as a host-order value (0x0800 for IPv4).
    pub fn protocol(&self) -> u16 {
        self.protocol
    }

    pub fn pkt_type(&self) -> u8 {
        self.pkt_type
    }

    pub fn ifindex(&self) -> u32 {
        self.ifindex
    }

    /// `skb->hash` (cleared by a store with `BPF_F_INVALIDATE_HASH`).
    pub fn hash(&self) -> u32 {
        self.hash
    }

    pub fn set_hash(&mut self, hash: u32) {
        self.hash = hash;
    }

    /// `skb_cloned`: the data is shared with a clone, so writing it needs a private copy first.
    pub fn is_cloned(&self) -> bool {
        self.cloned
    }

    /// Marks the skb as sharing its data with a clone (as `skb_clone` leaves it).
    pub fn set_cloned(&mut self, cloned: bool) {
        self.cloned = cloned;
    }

    /// Whether the head was reallocated (kmalloc'd) rather than still the frame's page.
    pub fn head_reallocated(&self) -> bool {
        matches!(self.head, Head::Heap { .. })
    }

    pub fn head_addr(&self) -> u64 {
        self.head.addr()
    }

    /// `skb_metadata_len`, from `skb_shared_info.meta_len`.
    pub fn meta_len(&self) -> u8 {
        self.shinfo().meta_len()
    }

    pub fn meta(&self) -> &[u8] {
        let mac = self.mac_header as usize;
        &self.head.bytes()[mac - usize::from(self.meta_len())..mac]
    }

    pub fn meta_mut(&mut self) -> &mut [u8] {
        let (mac, len) = (self.mac_header as usize, usize::from(self.meta_len()));
        &mut self.head.bytes_mut()[mac - len..mac]
    }

    pub fn nr_frags(&self) -> u8 {
        self.shinfo().nr_frags()
    }

    pub fn frags(&self) -> Vec<FragDesc> {
        (0..usize::from(self.nr_frags())).map(|i| self.shinfo().frag(i)).collect()
    }

    /// The raw `skb_shared_info` bytes (header and frags array).
    pub fn shared_info(&self) -> &[u8] {
        let base = (self.head_off + self.end) as usize;
        &self.head.bytes()[base..base + shinfo_size(self.max_frags) as usize]
    }

    /// The Ethernet header `eth_type_trans` pulled.
    pub fn mac_header(&self) -> &[u8] {
        &self.head.bytes()[self.mac_header as usize..(self.mac_header + ETH_HLEN) as usize]
    }

    /// The linear bytes from `data` to `tail`.
    pub fn linear(&self) -> &[u8] {
        &self.head.bytes()[self.data as usize..self.tail as usize]
    }

    pub fn linear_mut(&mut self) -> &mut [u8] {
        let (start, end) = (self.data as usize, self.tail as usize);
        &mut self.head.bytes_mut()[start..end]
    }

    /// Bytes from `data` to the end of the last frag (what the stack sees after the pull).
    pub fn to_vec(&self) -> Vec<u8> {
        let mut out = vec![0u8; self.len as usize];
        self.copy_bits(0, &mut out).expect("the whole skb is in range");
        out
    }

    /// The frame as it was on the wire: Ethernet header plus `to_vec()`.
    pub fn frame_bytes(&self) -> Vec<u8> {
        let mut out = self.mac_header().to_vec();
        out.extend(self.to_vec());
        out
    }

    /// `skb_copy_bits`: `buf.len()` bytes from `offset` (relative to `data`) across the head and the
    /// frags. EFAULT when the range runs past `skb->len`.
    pub fn copy_bits(&self, offset: u32, buf: &mut [u8]) -> Result<()> {
        if u64::from(offset) + buf.len() as u64 > u64::from(self.len) {
            return Err(XdpError::new(Errno::EFAULT, "skb_copy_bits", "range runs past the end of the skb")
                .offset(i64::from(offset))
                .len(buf.len() as u64)
                .limit(u64::from(self.len)));
        }
        let mut pos = offset as usize;
        let mut done = 0;
        let linear = self.linear();
        if pos < linear.len() {
            let n = (linear.len() - pos).min(buf.len());
            buf[..n].copy_from_slice(&linear[pos..pos + n]);
            done = n;
            pos = 0;
        } else {
            pos -= linear.len();
        }
        let sinfo = self.shinfo();
        for (i, page) in self.frags.iter().enumerate().take(usize::from(sinfo.nr_frags())) {
            if done == buf.len() {
                break;
            }
            let (off, len) = (sinfo.frag_offset(i) as usize, sinfo.frag_len(i) as usize);
            if pos >= len {
                pos -= len;
                continue;
            }
            let n = (len - pos).min(buf.len() - done);
            buf[done..done + n].copy_from_slice(&page.bytes()[off + pos..off + pos + n]);
            done += n;
            pos = 0;
        }
        Ok(())
    }

    /// `skb_header_pointer`: the linear bytes themselves when `[offset, offset + len)` is in the
    /// head, else a copy into `buffer` (None past the end).
    pub fn header_pointer<'a>(&'a self, offset: u32, len: u32, buffer: &'a mut [u8]) -> Option<&'a [u8]> {
        let headlen = self.headlen();
        if u64::from(offset) + u64::from(len) <= u64::from(headlen) {
            return Some(&self.linear()[offset as usize..(offset + len) as usize]);
        }
        let buf = &mut buffer[..len as usize];
        self.copy_bits(offset, buf).ok()?;
        Some(buf)
    }

    /// `skb_pointer_if_linear`: the bytes when they are in the head, else None.
    ///
    /// The kernel's test, `skb_headlen(skb) - offset >= len`, is unsigned and wraps for an offset
    /// past the linear part, handing out memory beyond the packet data. uxdp answers None there,
    /// the function's evident intent.
    pub fn pointer_if_linear(&mut self, offset: u32, len: u32) -> Option<&mut [u8]> {
        if u64::from(offset) + u64::from(len) > u64::from(self.headlen()) {
            return None;
        }
        Some(&mut self.linear_mut()[offset as usize..(offset + len) as usize])
    }

    /// `__bpf_skb_load_bytes`: EFAULT (and a zeroed buffer) for an offset above INT_MAX or a range
    /// past the end.
    pub fn load_bytes(&self, offset: u32, buf: &mut [u8]) -> Result<()> {
        let r = if offset > i32::MAX as u32 {
            Err(XdpError::new(Errno::EFAULT, "bpf_skb_load_bytes", "offset above INT_MAX").offset(i64::from(offset)))
        } else {
            self.copy_bits(offset, buf)
        };
        if let Err(mut e) = r {
            buf.fill(0);
            e.detail.op = "bpf_skb_load_bytes";
            return Err(e);
        }
        Ok(())
    }

    /// `__bpf_skb_store_bytes`: makes `[0, offset + len)` linear and private
    /// (`skb_ensure_writable`), then copies. EINVAL for unknown flags, EFAULT for an offset above
    /// INT_MAX or a range the skb cannot make writable (past its end).
    pub fn store_bytes(&mut self, offset: u32, from: &[u8], flags: u64) -> Result<()> {
        const OP: &str = "bpf_skb_store_bytes";
        if flags & !(BPF_F_RECOMPUTE_CSUM | BPF_F_INVALIDATE_HASH) != 0 {
            return Err(XdpError::new(Errno::EINVAL, OP, "flags has bits other than BPF_F_RECOMPUTE_CSUM and BPF_F_INVALIDATE_HASH"));
        }
        if offset > i32::MAX as u32 {
            return Err(XdpError::new(Errno::EFAULT, OP, "offset above INT_MAX").offset(i64::from(offset)));
        }
        let write_len = u64::from(offset) + from.len() as u64;
        if write_len > u64::from(u32::MAX) || self.ensure_writable(write_len as u32).is_err() {
            return Err(XdpError::new(Errno::EFAULT, OP, "the range cannot be made writable (past the end of the skb)")
                .offset(i64::from(offset))
                .len(from.len() as u64)
                .limit(u64::from(self.len)));
        }
        let start = offset as usize;
        self.linear_mut()[start..start + from.len()].copy_from_slice(from);
        // The XDP-built skb carries no checksum state (CHECKSUM_NONE), so BPF_F_RECOMPUTE_CSUM has
        // nothing to update.
        if flags & BPF_F_INVALIDATE_HASH != 0 {
            self.hash = 0;
        }
        Ok(())
    }

    /// `skb_ensure_writable`: `pskb_may_pull(write_len)`, then a private head for a cloned skb.
    pub fn ensure_writable(&mut self, write_len: u32) -> Result<()> {
        self.may_pull(write_len)?;
        if self.cloned {
            self.expand_head(0)?;
        }
        Ok(())
    }

    /// `pskb_may_pull`: make the first `len` bytes linear. ENOMEM past the end of the skb.
    pub fn may_pull(&mut self, len: u32) -> Result<()> {
        let headlen = self.headlen();
        if len <= headlen {
            return Ok(());
        }
        if len > self.len {
            return Err(XdpError::new(Errno::ENOMEM, "pskb_may_pull", "cannot pull past the end of the skb")
                .len(u64::from(len))
                .limit(u64::from(self.len)));
        }
        self.pull_tail(len - headlen)
    }

    /// `__pskb_pull_tail`: move `delta` bytes from the front of the frags to the end of the head,
    /// growing the head first when its tailroom is short; frags emptied this way are released.
    fn pull_tail(&mut self, delta: u32) -> Result<()> {
        let eat = i64::from(self.tail) + i64::from(delta) - i64::from(self.head_off + self.end);
        if eat > 0 || self.cloned {
            self.expand_head(if eat > 0 { eat as u32 + 128 } else { 0 })?;
        }
        let (from, to) = (self.headlen(), self.tail as usize);
        let mut pulled = vec![0u8; delta as usize];
        self.copy_bits(from, &mut pulled)?;
        self.head.bytes_mut()[to..to + delta as usize].copy_from_slice(&pulled);
        // Eat `delta` bytes off the front of the frags.
        let nr = usize::from(self.nr_frags());
        let mut eat = delta;
        let mut freed = 0;
        for i in 0..nr {
            let frag = self.shinfo().frag(i);
            if frag.len <= eat {
                eat -= frag.len;
                freed += 1;
            } else {
                if eat > 0 {
                    self.shinfo_mut().set_frag(i, FragDesc { offset: frag.offset + eat, len: frag.len - eat, ..frag });
                }
                break;
            }
        }
        if freed > 0 {
            let base = self.head_off + self.end;
            shift_frags_down(self.head.bytes_mut(), base, freed, 0, nr - freed);
            self.frags.drain(..freed);
            self.shinfo_mut().set_nr_frags((nr - freed) as u8);
        }
        self.tail += delta;
        self.data_len -= delta;
        Ok(())
    }

    /// `pskb_expand_head(skb, 0, ntail)`.
    fn expand_head(&mut self, ntail: u32) -> Result<()> {
        self.expand_head_by(0, ntail)
    }

    /// `pskb_expand_head(skb, nhead, ntail)`: a new kmalloc'd head, as large as kmalloc really
    /// gives, `nhead` more bytes of headroom, with the head (headroom and linear data) and the
    /// shared info header and frags copied over; the old head goes back (its page to its pool).
    /// The skb is no longer cloned.
    fn expand_head_by(&mut self, nhead: u32, ntail: u32) -> Result<()> {
        let old_end = self.end;
        let wanted = nhead + old_end + ntail + shinfo_tailroom(self.max_frags);
        let alloc = kmalloc_size(skb_data_align(wanted));
        let new_end = alloc - shinfo_tailroom(self.max_frags);
        let mut buf = KmallocBuf::zeroed(alloc);
        let old = self.head.bytes();
        let h = self.head_off as usize;
        let used = (self.tail - self.head_off) as usize;
        buf[nhead as usize..nhead as usize + used].copy_from_slice(&old[h..self.tail as usize]);
        let nr = usize::from(self.nr_frags());
        let shinfo_used = shinfo::FRAGS + nr * shinfo::FRAG_SIZE;
        let (old_base, new_base) = ((self.head_off + old_end) as usize, new_end as usize);
        buf[new_base..new_base + shinfo_used].copy_from_slice(&old[old_base..old_base + shinfo_used]);
        let shift = |x: u32| x - self.head_off + nhead;
        (self.data, self.tail, self.mac_header, self.network_header) =
            (shift(self.data), shift(self.tail), shift(self.mac_header), shift(self.network_header));
        self.head_off = 0;
        self.end = new_end;
        self.truesize += new_end - old_end;
        let addr = NEXT_HEAP_ADDR.fetch_add(u64::from(alloc.next_power_of_two()), Ordering::Relaxed);
        self.head = Head::Heap { buf, addr };
        self.cloned = false;
        Ok(())
    }

    /// `bpf_skb_meta_pointer`: offset `offset` into the metadata area.
    pub fn meta_pointer(&mut self, offset: u32, len: u32) -> Option<&mut [u8]> {
        let meta = self.meta_mut();
        let (start, end) = (offset as usize, offset as usize + len as usize);
        (end <= meta.len()).then(move || &mut meta[start..end])
    }

    /// `__bpf_skb_meta_store_bytes`: EINVAL for any flag; the skb is made private first.
    pub fn meta_store_bytes(&mut self, offset: u32, from: &[u8], flags: u64) -> Result<()> {
        const OP: &str = "bpf_skb_meta_store_bytes";
        if flags != 0 {
            return Err(XdpError::new(Errno::EINVAL, OP, "flags must be 0"));
        }
        self.ensure_writable(0).map_err(|mut e| {
            e.detail.op = OP;
            e
        })?;
        let dst =
            self.meta_pointer(offset, from.len() as u32).ok_or_else(|| XdpError::new(Errno::EFAULT, OP, "outside the metadata area"))?;
        dst.copy_from_slice(from);
        Ok(())
    }

    /// `consume_skb`: pages back to their pools.
    pub fn release(self) {}
}

/// `NET_SKB_PAD + NET_IP_ALIGN` on x86-64: the headroom `bpf_prog_test_run_skb` reserves.
pub const TEST_RUN_SKB_HEADROOM: u32 = 64;
/// `VLAN_HLEN`.
pub const VLAN_HLEN: u32 = 4;
const ETH_P_8021Q: u16 = 0x8100;
const ETH_P_8021AD: u16 = 0x88a8;

/// `eth_type_vlan`.
pub fn eth_type_vlan(proto: u16) -> bool {
    proto == ETH_P_8021Q || proto == ETH_P_8021AD
}

/// Where `skb_load_bytes_relative` and LD_ABS's negative offsets start counting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SkbHeader {
    Mac,
    Network,
}

/// The packet-shaping operations tc programs reach through helpers, on an skb whose head is
/// its own (test_run's `slab_build_skb`): pushes and pulls of `skb->data`, growing and trimming
/// the tail, VLAN tags, header offsets.
impl Skb {
    /// The skb `bpf_prog_test_run_skb` builds from data_in (6.18: linear only): `kzalloc(size +
    /// headroom + tailroom)` made an skb by `slab_build_skb` (its end where `ksize` puts it),
    /// [`TEST_RUN_SKB_HEADROOM`] reserved, the data put, `eth_type_trans` for `dev`, the network
    /// header reset at the byte after the Ethernet header. The caller pushes the Ethernet header
    /// back for tc programs.
    pub fn for_test_run(data: &[u8], dev: &NetDev) -> Skb {
        let size = data.len() as u32;
        let tailroom = shinfo_tailroom(MAX_SKB_FRAGS);
        let alloc = kmalloc_size(size + TEST_RUN_SKB_HEADROOM + tailroom);
        let end = alloc - tailroom;
        let mut buf = KmallocBuf::zeroed(alloc);
        let start = TEST_RUN_SKB_HEADROOM as usize;
        buf[start..start + data.len()].copy_from_slice(data);
        let addr = NEXT_HEAP_ADDR.fetch_add(u64::from(alloc.next_power_of_two()), Ordering::Relaxed);
        let mut skb = Skb {
            frags: Vec::new(),
            head: Head::Heap { buf, addr },
            head_off: 0,
            data: TEST_RUN_SKB_HEADROOM,
            tail: TEST_RUN_SKB_HEADROOM + size,
            mac_header: TEST_RUN_SKB_HEADROOM,
            network_header: TEST_RUN_SKB_HEADROOM,
            end,
            len: size,
            data_len: 0,
            truesize: skb_truesize(end, MAX_SKB_FRAGS),
            pfmemalloc: false,
            protocol: 0,
            pkt_type: PACKET_HOST,
            ifindex: dev.ifindex,
            max_frags: MAX_SKB_FRAGS,
            cloned: false,
            hash: 0,
            ip_summed: CHECKSUM_NONE,
            vlan: None,
        };
        // lo's broadcast address is all zeroes: ff:ff:ff:ff:ff:ff arrives on it as multicast.
        skb.eth_type_trans_on(dev, [0; 6]);
        skb.network_header = skb.data;
        skb
    }

    /// `skb_headroom`.
    pub fn headroom(&self) -> u32 {
        self.data - self.head_off
    }

    /// `__skb_push`: `len` bytes of headroom become data (the caller made sure there are).
    pub fn push(&mut self, len: u32) {
        assert!(len <= self.headroom(), "push past the head");
        self.data -= len;
        self.len += len;
    }

    /// `__skb_pull` of linear bytes.
    pub fn pull(&mut self, len: u32) {
        assert!(len <= self.headlen(), "pull past the linear part");
        self.data += len;
        self.len -= len;
    }

    /// `skb_network_offset`: the network header relative to `data` (negative before it).
    pub fn network_offset(&self) -> i64 {
        i64::from(self.network_header) - i64::from(self.data)
    }

    /// `skb_mac_offset`.
    pub fn mac_offset(&self) -> i64 {
        i64::from(self.mac_header) - i64::from(self.data)
    }

    pub fn set_protocol(&mut self, proto: u16) {
        self.protocol = proto;
    }

    pub fn set_pkt_type(&mut self, t: u8) {
        self.pkt_type = t;
    }

    /// `len` bytes from `offset` relative to the `which` header, if they lie between the head
    /// and the tail (`bpf_internal_load_pointer_neg_helper`, `skb_load_bytes_relative`).
    pub fn header_bytes(&self, which: SkbHeader, offset: i64, len: u32) -> Option<&[u8]> {
        let base = match which {
            SkbHeader::Mac => self.mac_header,
            SkbHeader::Network => self.network_header,
        };
        let at = i64::from(base) + offset;
        if at < i64::from(self.head_off) || at + i64::from(len) > i64::from(self.tail) {
            return None;
        }
        Some(&self.head.bytes()[at as usize..at as usize + len as usize])
    }

    /// `skb_cow(skb, headroom)`: a private head with at least `headroom` bytes before `data`.
    pub fn cow_head(&mut self, headroom: u32) -> Result<()> {
        let delta = headroom.saturating_sub(self.headroom());
        if delta > 0 || self.cloned {
            // ALIGN(delta, NET_SKB_PAD)
            let nhead = delta.div_ceil(TEST_RUN_SKB_HEADROOM) * TEST_RUN_SKB_HEADROOM;
            self.expand_head_by(nhead, 0)?;
        }
        Ok(())
    }

    /// `__skb_grow` + zeroing (`bpf_skb_grow_rcsum`) or `__skb_trim` (`bpf_skb_trim_rcsum`) of a
    /// linear skb to `new_len` bytes.
    pub fn set_linear_len(&mut self, new_len: u32) -> Result<()> {
        if self.data_len != 0 {
            return Err(XdpError::new(Errno::EINVAL, "skb_set_length", "the skb has frags"));
        }
        if new_len > self.len {
            let diff = new_len - self.len;
            if self.tailroom() < diff {
                self.expand_head(diff - self.tailroom())?;
            }
            let (from, to) = (self.tail as usize, (self.tail + diff) as usize);
            self.head.bytes_mut()[from..to].fill(0);
            self.tail += diff;
        } else {
            self.tail -= self.len - new_len;
        }
        self.len = new_len;
        Ok(())
    }

    /// `bpf_skb_change_head`'s work after its checks: `skb_cow`, push `room` zeroed bytes, the
    /// MAC header reset there.
    pub fn change_head(&mut self, room: u32) -> Result<()> {
        self.cow_head(room)?;
        self.push(room);
        let (from, to) = (self.data as usize, (self.data + room) as usize);
        self.head.bytes_mut()[from..to].fill(0);
        self.mac_header = self.data;
        Ok(())
    }

    /// `skb_vlan_push`: a tag already in the hardware-accelerated slot moves into the packet
    /// (after the MAC addresses), then `proto`/`tci` take the slot. EINVAL when `data` is not at
    /// the MAC header.
    pub fn vlan_push(&mut self, proto: u16, tci: u16) -> Result<()> {
        if let Some((old_proto, old_tci)) = self.vlan {
            if self.data != self.mac_header {
                return Err(XdpError::new(Errno::EINVAL, "skb_vlan_push", "data is not at the MAC header"));
            }
            self.cow_head(VLAN_HLEN)?;
            self.push(VLAN_HLEN);
            let d = self.data as usize;
            let b = self.head.bytes_mut();
            b.copy_within(d + VLAN_HLEN as usize..d + VLAN_HLEN as usize + 12, d);
            b[d + 12..d + 14].copy_from_slice(&old_proto.to_be_bytes());
            b[d + 14..d + 16].copy_from_slice(&old_tci.to_be_bytes());
            self.mac_header -= VLAN_HLEN;
            self.protocol = old_proto;
            self.network_header -= VLAN_HLEN;
        }
        self.vlan = Some((proto, tci));
        Ok(())
    }

    /// `skb_vlan_pop`: clears the accelerated tag or removes the outer tag from the packet, then
    /// moves the next tag in the packet (if any) to the accelerated slot.
    pub fn vlan_pop(&mut self) -> Result<()> {
        if self.vlan.is_some() {
            self.vlan = None;
        } else {
            if !eth_type_vlan(self.protocol) {
                return Ok(());
            }
            self.vlan_remove()?;
        }
        if !eth_type_vlan(self.protocol) {
            return Ok(());
        }
        let proto = self.protocol;
        let tci = self.vlan_remove()?;
        self.vlan = Some((proto, tci));
        Ok(())
    }

    /// `__skb_vlan_pop`: the tag after the MAC addresses out of the packet; its TCI.
    fn vlan_remove(&mut self) -> Result<u16> {
        if self.data != self.mac_header {
            return Err(XdpError::new(Errno::EINVAL, "__skb_vlan_pop", "data is not at the MAC header"));
        }
        self.ensure_writable(ETH_HLEN + VLAN_HLEN).map_err(|_| XdpError::new(Errno::ENOMEM, "__skb_vlan_pop", "no VLAN header to pop"))?;
        let d = self.data as usize;
        let b = self.head.bytes_mut();
        let tci = u16::from_be_bytes([b[d + 14], b[d + 15]]);
        let encap = u16::from_be_bytes([b[d + 16], b[d + 17]]);
        b.copy_within(d..d + 12, d + VLAN_HLEN as usize);
        self.pull(VLAN_HLEN);
        self.protocol = if encap >= ETH_P_802_3_MIN {
            encap
        } else {
            let d = self.data as usize + ETH_HLEN as usize;
            let raw = self.head.bytes().get(d..d + 2) == Some(&[0xff, 0xff][..]);
            if raw {
                ETH_P_802_3
            } else {
                ETH_P_802_2
            }
        };
        self.mac_header += VLAN_HLEN;
        if self.network_offset() < i64::from(ETH_HLEN) {
            self.network_header = self.data + ETH_HLEN;
        }
        Ok(tci)
    }
}

impl Skb {
    /// `bpf_skb_generic_push` after `skb_cow_head`: `len` zeroed bytes inserted `off` bytes
    /// after `data` (the bytes before move down), the MAC and network headers moved down with
    /// them.
    pub fn insert_gap(&mut self, off: u32, len: u32) -> Result<()> {
        self.cow_head(len)?;
        self.push(len);
        let d = self.data as usize;
        let b = self.head.bytes_mut();
        b.copy_within(d + len as usize..d + len as usize + off as usize, d);
        b[d + off as usize..d + (off + len) as usize].fill(0);
        self.mac_header -= len;
        self.network_header -= len;
        Ok(())
    }

    /// `bpf_skb_generic_pop`: `len` bytes removed `off` bytes after `data` (the bytes before move
    /// up), the MAC and network headers moved up with them. ENOMEM past the end.
    pub fn remove_gap(&mut self, off: u32, len: u32) -> Result<()> {
        self.may_pull(off + len)?;
        if self.cloned {
            self.expand_head(0)?;
        }
        let d = self.data as usize;
        self.head.bytes_mut().copy_within(d..d + off as usize, d + len as usize);
        self.pull(len);
        self.mac_header += len;
        self.network_header += len;
        Ok(())
    }
}
