//! Random helper sequences against a plain reference model.
//!
//! The model keeps the packet as one flat byte array (plus the flat headroom before it, whose
//! bytes `adjust_head`/`adjust_meta` can expose), and the geometry as plain numbers: linear length,
//! frag lengths, tailroom. It knows nothing of pages, offsets in pages or the shared-info bytes.
//! After every operation the engine and the model must agree on the result (value or errno), the
//! packet bytes, the metadata, the geometry and the number of pages held.

use proptest::prelude::*;
use uxdp::frame::{BuildOptions, RxQueue, XdpBuff};
use uxdp::pool::PagePool;
use uxdp::Errno;

const ETH_HLEN: usize = 14;
const FRAME: usize = 40;
const SHINFO: usize = 320;
const PAGE: usize = 4096;

#[derive(Clone, Debug)]
struct Model {
    /// Bytes from data_hard_start to data; the metadata is its last `meta_len` bytes.
    pre: Vec<u8>,
    meta_len: usize,
    packet: Vec<u8>,
    linear: usize,
    frags: Vec<usize>,
    /// Offset of each frag's data in its page (pull_data advances the first one).
    frag_offs: Vec<usize>,
    /// Room between data_end and the shared info.
    tailroom: usize,
    rxq_frag_size: usize,
    /// v14 adjust_data moved data/data_end away from the packet start.
    moved: bool,
}

type R = Result<i64, Errno>;

impl Model {
    fn new(bytes: &[u8], meta: &[u8], linear_len: Option<usize>, frag_len: usize, rxq_frag_size: usize) -> Model {
        let max_linear = PAGE - 256 - SHINFO;
        let linear = linear_len.unwrap_or(max_linear).min(max_linear).min(bytes.len());
        let mut frags = Vec::new();
        let mut rest = bytes.len() - linear;
        while rest > 0 {
            let n = rest.min(frag_len);
            frags.push(n);
            rest -= n;
        }
        let frags_len = frags.len();
        let mut pre = vec![0u8; 256];
        pre[256 - meta.len()..].copy_from_slice(meta);
        Model {
            pre,
            meta_len: meta.len(),
            packet: bytes.to_vec(),
            linear,
            frags,
            tailroom: max_linear - linear,
            frag_offs: vec![0; frags_len],
            rxq_frag_size,
            moved: false,
        }
    }

    fn total(&self) -> usize {
        self.packet.len()
    }

    fn adjust_head(&mut self, off: i32) -> R {
        if self.moved {
            return Err(Errno::EFAULT);
        }
        let d = self.pre.len() as i64;
        let new_d = d + i64::from(off);
        if new_d < (FRAME + self.meta_len) as i64 || new_d > d + self.linear as i64 - ETH_HLEN as i64 {
            return Err(Errno::EINVAL);
        }
        let ml = self.meta_len;
        if off >= 0 {
            let o = off as usize;
            self.pre.extend(self.packet.drain(..o));
            let n = self.pre.len();
            self.pre.copy_within(n - o - ml..n - o, n - ml);
            self.linear -= o;
        } else {
            let k = off.unsigned_abs() as usize;
            let dl = self.pre.len();
            self.pre.copy_within(dl - ml..dl, dl - ml - k);
            let front: Vec<u8> = self.pre[dl - k..dl].to_vec();
            self.pre.truncate(dl - k);
            self.packet.splice(0..0, front);
            self.linear += k;
        }
        Ok(0)
    }

    fn adjust_meta(&mut self, off: i32) -> R {
        if self.moved {
            return Err(Errno::EFAULT);
        }
        let d = self.pre.len() as i64;
        let meta = d - self.meta_len as i64 + i64::from(off);
        if meta < FRAME as i64 || meta > d {
            return Err(Errno::EINVAL);
        }
        let len = d - meta;
        if len % 4 != 0 || len > 255 {
            return Err(Errno::EACCES);
        }
        self.meta_len = len as usize;
        Ok(0)
    }

    fn adjust_tail(&mut self, off: i32) -> R {
        if self.moved {
            return Err(Errno::EFAULT);
        }
        if self.frags.is_empty() {
            let new_len = self.linear as i64 + i64::from(off);
            if off > 0 && off as usize > self.tailroom {
                return Err(Errno::EINVAL);
            }
            if new_len < ETH_HLEN as i64 {
                return Err(Errno::EINVAL);
            }
            self.packet.resize(new_len as usize, 0);
            self.tailroom = (self.tailroom as i64 - i64::from(off)) as usize;
            self.linear = new_len as usize;
            return Ok(0);
        }
        if off >= 0 {
            let frag_size = self.rxq_frag_size;
            if frag_size == 0 || frag_size > PAGE {
                return Err(Errno::EOPNOTSUPP);
            }
            let last = self.frags.len() - 1;
            if i64::from(off) > frag_size as i64 - self.frags[last] as i64 - (self.frag_offs[last] % frag_size) as i64 {
                return Err(Errno::EINVAL);
            }
            self.frags[last] += off as usize;
            let n = self.total() + off as usize;
            self.packet.resize(n, 0);
            return Ok(0);
        }
        // The kernel negates the offset as an int (INT_MIN stays negative) and compares signed
        // against len - ETH_HLEN; a non-positive shrink then touches nothing and succeeds.
        let shrink = i64::from(off.wrapping_neg());
        if shrink > self.total() as i64 - ETH_HLEN as i64 {
            return Err(Errno::EINVAL);
        }
        if shrink <= 0 {
            return Ok(0);
        }
        let shrink = shrink as usize;
        let mut left = shrink;
        while left > 0 {
            match self.frags.last_mut() {
                Some(len) if *len <= left => {
                    left -= *len;
                    self.frags.pop();
                    self.frag_offs.pop();
                }
                Some(len) => {
                    *len -= left;
                    left = 0;
                }
                None => break,
            }
        }
        if self.frags.is_empty() {
            self.linear -= left;
            self.tailroom += left;
        }
        let n = self.total() - shrink;
        self.packet.truncate(n);
        Ok(0)
    }

    fn check_range(&self, off: u32, len: u32) -> Result<(), Errno> {
        if off > 0xffff || len > 0xffff {
            return Err(Errno::EFAULT);
        }
        if off as usize + len as usize > self.total() {
            return Err(Errno::EINVAL);
        }
        Ok(())
    }

    fn load(&self, off: u32, len: u32) -> Result<Vec<u8>, Errno> {
        self.check_range(off, len)?;
        Ok(self.packet[off as usize..(off + len) as usize].to_vec())
    }

    fn store(&mut self, off: u32, bytes: &[u8]) -> R {
        self.check_range(off, bytes.len() as u32)?;
        self.packet[off as usize..off as usize + bytes.len()].copy_from_slice(bytes);
        Ok(0)
    }

    /// Segment index + 1 when the range sits in one segment, 0 when it crosses.
    fn pointer(&self, off: u32, len: u32) -> R {
        self.check_range(off, len)?;
        let (off, len) = (off as usize, len as usize);
        let mut start = 0;
        for (i, seg) in std::iter::once(self.linear).chain(self.frags.iter().copied()).enumerate() {
            if off < start + seg {
                return Ok(if off + len <= start + seg { i as i64 + 1 } else { 0 });
            }
            start += seg;
        }
        // Past every segment (only with len 0 at the very end): the kernel's walk falls back to the
        // linear start.
        Ok(1)
    }

    fn pull(&mut self, len: u32) -> R {
        if self.moved {
            return Err(Errno::EFAULT);
        }
        let len = len as usize;
        if len <= self.linear {
            return Ok(0);
        }
        if len > self.total() {
            return Err(Errno::EINVAL);
        }
        let headroom = self.pre.len() - self.meta_len - FRAME;
        let delta = len - self.linear;
        if delta > self.tailroom + headroom {
            return Err(Errno::EINVAL);
        }
        if delta > self.tailroom {
            let shift = delta - self.tailroom;
            let start = self.pre.len() - self.meta_len;
            let meta: Vec<u8> = self.pre[start..].to_vec();
            self.pre.truncate(start - shift);
            self.pre.extend(meta);
            self.tailroom += shift;
        }
        let mut left = delta;
        while left > 0 {
            let take = left.min(self.frags[0]);
            self.frags[0] -= take;
            self.frag_offs[0] += take;
            left -= take;
            if self.frags[0] == 0 {
                self.frags.remove(0);
                self.frag_offs.remove(0);
            }
        }
        self.linear += delta;
        self.tailroom -= delta;
        Ok(0)
    }

    fn adjust_data(&mut self, off: u32) -> R {
        let off = off as usize;
        if off > self.total() {
            return Err(Errno::EINVAL);
        }
        if off < self.linear {
            self.moved = off != 0;
            return Ok(0);
        }
        let mut base = self.linear;
        for &len in &self.frags {
            if off < base + len {
                self.moved = true;
                return Ok(base as i64);
            }
            base += len;
        }
        Ok(base as i64)
    }
}

#[derive(Clone, Debug)]
enum Op {
    Head(i32),
    Meta(i32),
    Tail(i32),
    Load(u32, u32),
    Store(u32, Vec<u8>),
    Pointer(u32, u32),
    Pull(u32),
    AdjustData(u32),
    /// Through xdp_frame and back (frag size kept), as a redirect would.
    RoundTrip,
}

fn delta() -> impl Strategy<Value = i32> {
    prop_oneof![
        -64i32..64,
        -5000i32..5000,
        Just(-4096),
        Just(4096),
        Just(-216),
        prop::sample::select(vec![i32::MIN, i32::MAX, -70000, 70000]),
    ]
}

fn offset() -> impl Strategy<Value = u32> {
    prop_oneof![0u32..200, 3400u32..3700, 7500u32..7700, 0u32..75000, Just(0xffff), Just(0x10000)]
}

fn length() -> impl Strategy<Value = u32> {
    prop_oneof![0u32..64, 1u32..5000, Just(0xffff), Just(0x10000)]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        delta().prop_map(Op::Head),
        delta().prop_map(|d| Op::Meta((d & !3) | ((d & 1) * 2))),
        delta().prop_map(Op::Tail),
        (offset(), length()).prop_map(|(o, l)| Op::Load(o, l)),
        (offset(), prop::collection::vec(any::<u8>(), 0..300)).prop_map(|(o, b)| Op::Store(o, b)),
        (offset(), length()).prop_map(|(o, l)| Op::Pointer(o, l)),
        prop_oneof![0u32..4000, 3500u32..8000, 0u32..80000].prop_map(Op::Pull),
        prop_oneof![0u32..4000, 0u32..80000].prop_map(Op::AdjustData),
        Just(Op::RoundTrip),
    ]
}

#[derive(Clone, Debug)]
struct Setup {
    len: usize,
    meta_words: usize,
    linear_len: Option<usize>,
    frag_len: usize,
    rxq_frag_size: usize,
}

fn setup() -> impl Strategy<Value = Setup> {
    (
        prop_oneof![14usize..200, 14usize..3600, 3500usize..12000, 14usize..73153],
        0usize..=20,
        prop_oneof![3 => Just(None), 1 => (14usize..3600).prop_map(Some)],
        prop_oneof![3 => Just(4096usize), 1 => Just(1500usize), 1 => Just(1000usize)],
        prop_oneof![4 => Just(4096usize), 1 => Just(0usize), 1 => Just(2048usize)],
    )
        .prop_map(|(len, meta_words, linear_len, frag_len, rxq_frag_size)| Setup {
            len,
            meta_words,
            linear_len,
            frag_len,
            rxq_frag_size,
        })
}

fn errno_of<T>(r: Result<T, uxdp::XdpError>) -> Result<T, Errno> {
    r.map_err(|e| e.errno)
}

fn check(buff: &XdpBuff, model: &Model, pool: &PagePool) -> Result<(), TestCaseError> {
    prop_assert_eq!(buff.len() as usize, model.total());
    prop_assert_eq!(buff.linear_len() as usize, model.linear);
    let frags: Vec<usize> = buff.frags().iter().map(|f| f.len as usize).collect();
    prop_assert_eq!(&frags, &model.frags);
    let offs: Vec<usize> = buff.frags().iter().map(|f| f.offset as usize).collect();
    prop_assert_eq!(&offs, &model.frag_offs);
    prop_assert_eq!(buff.has_frags(), !model.frags.is_empty());
    prop_assert_eq!(buff.frags_size() as usize, model.frags.iter().sum::<usize>());
    prop_assert_eq!(buff.tailroom() as usize, model.tailroom);
    prop_assert_eq!(buff.headroom() as usize, model.pre.len());
    prop_assert_eq!(buff.meta(), &model.pre[model.pre.len() - model.meta_len..]);
    prop_assert!(buff.to_vec() == model.packet, "packet bytes differ");
    prop_assert_eq!(pool.stats().in_flight as usize, 1 + model.frags.len());
    Ok(())
}

fn ok0<T>(r: Result<T, Errno>) -> Result<i64, Errno> {
    r.map(|_| 0)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1500, max_shrink_iters: 2000, ..ProptestConfig::default() })]

    #[test]
    fn engine_matches_the_flat_model(s in setup(), ops in prop::collection::vec(op(), 1..40)) {
        let pool = PagePool::default();
        let bytes: Vec<u8> = (0..s.len).map(|i| (i % 253) as u8).collect();
        let meta: Vec<u8> = (0..s.meta_words * 4).map(|i| 0xa0 ^ i as u8).collect();
        let opts = BuildOptions {
            meta: meta.clone(),
            linear_len: s.linear_len.map(|l| l as u32),
            frag_len: Some(s.frag_len as u32),
            rxq: RxQueue { frag_size: s.rxq_frag_size as u32, ..RxQueue::default() },
            ..BuildOptions::default()
        };
        let Ok(mut buff) = XdpBuff::from_bytes(&pool, &bytes, &opts) else {
            // Too many frags for this frag length: nothing was kept.
            prop_assert_eq!(pool.stats().in_flight, 0);
            return Ok(());
        };
        let mut model = Model::new(&bytes, &meta, s.linear_len, s.frag_len, s.rxq_frag_size);
        check(&buff, &model, &pool)?;
        for op in ops {
            match op {
                Op::Head(d) => prop_assert_eq!(ok0(errno_of(buff.adjust_head(d))), model.adjust_head(d), "adjust_head({})", d),
                Op::Meta(d) => prop_assert_eq!(ok0(errno_of(buff.adjust_meta(d))), model.adjust_meta(d), "adjust_meta({})", d),
                Op::Tail(d) => prop_assert_eq!(ok0(errno_of(buff.adjust_tail(d))), model.adjust_tail(d), "adjust_tail({})", d),
                Op::Load(o, l) => {
                    let mut out = vec![0u8; l as usize];
                    let got = errno_of(buff.load_bytes(o, &mut out)).map(|_| out);
                    prop_assert_eq!(got, model.load(o, l), "load({}, {})", o, l);
                }
                Op::Store(o, b) => prop_assert_eq!(ok0(errno_of(buff.store_bytes(o, &b))), model.store(o, &b), "store({}, {})", o, b.len()),
                Op::Pointer(o, l) => {
                    let got = errno_of(buff.pointer(o, l)).map(|v| v.map_or(0, |v| v.segment as i64 + 1));
                    prop_assert_eq!(got, model.pointer(o, l), "pointer({}, {})", o, l);
                    if let Ok(Some(v)) = buff.pointer(o, l) {
                        prop_assert_eq!(buff.view(v), &model.packet[o as usize..(o + l) as usize]);
                    }
                }
                Op::Pull(l) => prop_assert_eq!(ok0(errno_of(buff.pull_data(l))), model.pull(l), "pull_data({})", l),
                Op::AdjustData(o) => prop_assert_eq!(errno_of(buff.adjust_data(o)).map(i64::from), model.adjust_data(o), "adjust_data({})", o),
                Op::RoundTrip => {
                    let rxq = buff.rxq();
                    match buff.into_frame() {
                        Ok(frame) => {
                            prop_assert!(!model.moved);
                            prop_assert_eq!(frame.frame_len() as usize, model.total());
                            prop_assert_eq!(frame.to_vec(), model.packet.clone());
                            buff = frame.into_buff(rxq);
                        }
                        Err((e, back)) => {
                            prop_assert!(model.moved || model.pre.len() - model.meta_len < FRAME, "into_frame failed: {}", e);
                            buff = back;
                        }
                    }
                }
            }
            check(&buff, &model, &pool)?;
        }
        drop(buff);
        prop_assert_eq!(pool.stats().in_flight, 0);
    }
}
