//! Frames (`xdp_buff`): building them, reading their layout, and the packet helpers on them.

use super::*;

#[napi(object)]
pub struct FrameOptionsObject {
    pub headroom: Option<u32>,
    pub meta: Option<Buffer>,
    pub meta_supported: Option<bool>,
    pub linear_length: Option<u32>,
    pub frag_length: Option<u32>,
    pub frag_offset: Option<u32>,
    pub frag_truesize: Option<u32>,
    pub frame_size: Option<u32>,
    pub max_frags: Option<u32>,
    pub rxq_frag_size: Option<u32>,
    pub ifindex: Option<u32>,
    pub queue_index: Option<u32>,
}

fn build_options(o: Option<FrameOptionsObject>) -> Result<BuildOptions> {
    let d = BuildOptions::default();
    let Some(o) = o else { return Ok(d) };
    let max_frags = match o.max_frags {
        None => d.max_frags,
        Some(n) => u8::try_from(n).map_err(|_| err(Errno::EINVAL, "xdp_build_buff", format!("MAX_SKB_FRAGS {n} is outside 17..=45")))?,
    };
    Ok(BuildOptions {
        headroom: o.headroom.unwrap_or(d.headroom),
        meta: o.meta.map(|b| b.to_vec()).unwrap_or_default(),
        meta_supported: o.meta_supported.unwrap_or(true),
        linear_len: o.linear_length,
        test_run_linear: false,
        frag_len: o.frag_length,
        frag_offset: o.frag_offset.unwrap_or(0),
        frag_truesize: o.frag_truesize.unwrap_or(0),
        frame_sz: o.frame_size,
        max_frags,
        rxq: RxQueue {
            ifindex: o.ifindex.unwrap_or(d.rxq.ifindex),
            queue_index: o.queue_index.unwrap_or(d.rxq.queue_index),
            frag_size: o.rxq_frag_size.unwrap_or(d.rxq.frag_size),
        },
    })
}

#[napi(object)]
pub struct FragObject {
    pub page_addr: BigInt,
    pub offset: u32,
    pub length: u32,
}

pub(super) fn frag_objects(frags: Vec<FragDesc>) -> Vec<FragObject> {
    frags.into_iter().map(|f| FragObject { page_addr: BigInt::from(f.page_addr), offset: f.offset, length: f.len }).collect()
}

#[napi(object)]
pub struct LayoutObject {
    pub page_addr: BigInt,
    pub page_size: u32,
    pub hard_start: u32,
    pub data_meta: u32,
    pub data: u32,
    pub data_end: u32,
    pub hard_end: u32,
    pub frame_size: u32,
}

#[napi(object)]
pub struct DataWindowObject {
    pub segment: u32,
    pub start: u32,
    pub end: u32,
}

#[napi(object)]
pub struct SampleObject {
    /// The perf event array index, or -1 for BPF_F_CURRENT_CPU.
    pub index: i64,
    pub data: Buffer,
}

#[napi(object)]
pub struct RxQueueObject {
    pub ifindex: Option<u32>,
    pub queue_index: Option<u32>,
    pub frag_size: Option<u32>,
}

#[napi]
pub fn frame_from_bytes(pool: &External<PagePool>, bytes: &[u8], options: Option<FrameOptionsObject>) -> Result<FrameHandle> {
    guard("xdp_build_buff", || {
        let opts = build_options(options)?;
        Ok(External::new(shared(XdpBuff::from_bytes(pool, bytes, &opts)?)))
    })
}

/// The buffer BPF_PROG_TEST_RUN builds from data_in and ctx_in (the 24 bytes of `struct xdp_md`),
/// by the same function the engine's test_run uses.
#[napi]
pub fn frame_from_test_run(pool: &External<PagePool>, data: &[u8], ctx: Option<&[u8]>) -> Result<FrameHandle> {
    guard("bpf_prog_test_run", || {
        let ctx = match ctx {
            Some(b) => Some(crate::bpf::test_run::XdpMd::from_bytes(b)?),
            None => None,
        };
        Ok(External::new(shared(crate::bpf::test_run::build_buff(pool, data, ctx.as_ref())?)))
    })
}

#[napi]
pub fn frame_length(frame: &FrameHandle) -> Result<u32> {
    with_frame(frame, "xdp_get_buff_len", |b| Ok(b.len()))
}

#[napi]
pub fn frame_linear_length(frame: &FrameHandle) -> Result<u32> {
    with_frame(frame, "xdp_buff", |b| Ok(b.linear_len()))
}

#[napi]
pub fn frame_nr_frags(frame: &FrameHandle) -> Result<u32> {
    with_frame(frame, "xdp_buff", |b| Ok(u32::from(b.nr_frags())))
}

#[napi]
pub fn frame_flags(frame: &FrameHandle) -> Result<u32> {
    with_frame(frame, "xdp_buff", |b| Ok(b.flags()))
}

#[napi]
pub fn frame_meta_length(frame: &FrameHandle) -> Result<u32> {
    with_frame(frame, "xdp_buff", |b| Ok(b.meta_len()))
}

#[napi]
pub fn frame_meta_supported(frame: &FrameHandle) -> Result<bool> {
    with_frame(frame, "xdp_buff", |b| Ok(b.meta_supported()))
}

#[napi]
pub fn frame_frags_size(frame: &FrameHandle) -> Result<u32> {
    with_frame(frame, "xdp_buff", |b| Ok(b.frags_size()))
}

#[napi]
pub fn frame_frags_truesize(frame: &FrameHandle) -> Result<u32> {
    with_frame(frame, "xdp_buff", |b| Ok(b.frags_truesize()))
}

#[napi]
pub fn frame_headroom(frame: &FrameHandle) -> Result<u32> {
    with_frame(frame, "xdp_buff", |b| Ok(b.headroom()))
}

#[napi]
pub fn frame_tailroom(frame: &FrameHandle) -> Result<u32> {
    with_frame(frame, "xdp_buff", |b| Ok(b.tailroom()))
}

#[napi]
pub fn frame_max_frags(frame: &FrameHandle) -> Result<u32> {
    with_frame(frame, "xdp_buff", |b| Ok(u32::from(b.max_frags())))
}

#[napi]
pub fn frame_layout(frame: &FrameHandle) -> Result<LayoutObject> {
    with_frame(frame, "xdp_buff", |b| {
        let l = b.layout();
        Ok(LayoutObject {
            page_addr: BigInt::from(l.page_addr),
            page_size: l.page_size,
            hard_start: l.hard_start,
            data_meta: l.data_meta,
            data: l.data,
            data_end: l.data_end,
            hard_end: l.hard_end,
            frame_size: l.frame_sz,
        })
    })
}

#[napi]
pub fn frame_data_window(frame: &FrameHandle) -> Result<DataWindowObject> {
    with_frame(frame, "xdp_buff", |b| {
        let w = b.ctx_window();
        Ok(DataWindowObject { segment: w.segment as u32, start: w.start, end: w.end })
    })
}

#[napi]
pub fn frame_frags(frame: &FrameHandle) -> Result<Vec<FragObject>> {
    with_frame(frame, "xdp_buff", |b| Ok(frag_objects(b.frags())))
}

#[napi]
pub fn frame_meta(frame: &FrameHandle) -> Result<Buffer> {
    with_frame(frame, "xdp_buff", |b| Ok(b.meta().to_vec().into()))
}

#[napi]
pub fn frame_head_page(frame: &FrameHandle) -> Result<Buffer> {
    with_frame(frame, "xdp_buff", |b| Ok(b.head_page().to_vec().into()))
}

#[napi]
pub fn frame_to_bytes(frame: &FrameHandle, include_meta: bool) -> Result<Buffer> {
    with_frame(frame, "xdp_buff", |b| Ok(if include_meta { b.test_run_output() } else { b.to_vec() }.into()))
}

/// The access checks of `bpf_xdp_load_bytes`, alone: lets the facade report EFAULT for a huge
/// length without allocating a buffer for it.
#[napi]
pub fn frame_check_load(frame: &FrameHandle, offset: u32, length: u32) -> Result<()> {
    with_frame(frame, "bpf_xdp_load_bytes", |b| b.check_access("bpf_xdp_load_bytes", offset, length))
}

#[napi]
pub fn frame_load_bytes_into(frame: &FrameHandle, offset: u32, mut target: Uint8ArraySlice) -> Result<()> {
    // SAFETY: JS is not running while this call holds the slice.
    let target = unsafe { target.as_mut() };
    with_frame(frame, "bpf_xdp_load_bytes", |b| b.load_bytes(offset, target))
}

#[napi]
pub fn frame_store_bytes(frame: &FrameHandle, offset: u32, bytes: &[u8]) -> Result<()> {
    with_frame(frame, "bpf_xdp_store_bytes", |b| b.store_bytes(offset, bytes))
}

#[napi]
pub fn frame_adjust_head(frame: &FrameHandle, offset: i32) -> Result<()> {
    with_frame(frame, "bpf_xdp_adjust_head", |b| b.adjust_head(offset))
}

#[napi]
pub fn frame_adjust_meta(frame: &FrameHandle, offset: i32) -> Result<()> {
    with_frame(frame, "bpf_xdp_adjust_meta", |b| b.adjust_meta(offset))
}

#[napi]
pub fn frame_adjust_tail(frame: &FrameHandle, offset: i32) -> Result<()> {
    with_frame(frame, "bpf_xdp_adjust_tail", |b| b.adjust_tail(offset))
}

#[napi]
pub fn frame_pull_data(frame: &FrameHandle, length: u32) -> Result<()> {
    with_frame(frame, "bpf_xdp_pull_data", |b| b.pull_data(length))
}

#[napi]
pub fn frame_adjust_data(frame: &FrameHandle, offset: u32) -> Result<u32> {
    with_frame(frame, "bpf_xdp_adjust_data", |b| b.adjust_data(offset))
}

/// `bpf_xdp_pointer`: where the range sits when it is in one segment (a packed location: the
/// segment is the region, see `frame_segment_view`), LOC_NONE when it crosses a boundary.
#[napi]
pub fn frame_pointer(frame: &FrameHandle, offset: u32, length: u32) -> Result<f64> {
    with_frame(frame, "bpf_xdp_pointer", |b| {
        Ok(match b.pointer(offset, length)? {
            Some(v) => packed_location(v.segment, v.offset),
            None => LOC_NONE,
        })
    })
}

/// A view of one segment's bytes (0 = the linear part), over the packet's own memory: the region
/// every direct view into that segment is cut from.
#[napi]
pub fn frame_segment_view<'env>(env: &'env Env, frame: &FrameHandle, index: u32) -> Result<ArrayBuffer<'env>> {
    guard("xdp_buff", || {
        let mut b = borrow(frame, "xdp_buff", "frame")?;
        if index > u32::from(b.nr_frags()) {
            return Err(err(Errno::EINVAL, "xdp_buff", "no such segment"));
        }
        view_of(env, b.segment_mut(index as usize))
    })
}

#[napi]
pub fn frame_segment_info(frame: &FrameHandle) -> Result<Vec<FragObject>> {
    with_frame(frame, "xdp_buff", |b| {
        Ok(b.segments()
            .map(|s| FragObject { page_addr: BigInt::from(s.page_addr), offset: s.page_offset, length: s.bytes.len() as u32 })
            .collect())
    })
}

/// `bpf_xdp_copy_buf` without checks: returns the bytes it could copy.
#[napi]
pub fn frame_copy_out(frame: &FrameHandle, offset: u32, length: u32) -> Result<Buffer> {
    with_frame(frame, "bpf_xdp_copy_buf", |b| {
        let mut out = vec![0u8; (length as usize).min(b.len() as usize)];
        let n = b.copy_out(offset as usize, &mut out);
        out.truncate(n);
        Ok(out.into())
    })
}

#[napi]
pub fn frame_event_output(frame: &FrameHandle, flags: BigInt, meta: &[u8]) -> Result<SampleObject> {
    let (negative, flags, lossless) = flags.get_u64();
    if negative || !lossless {
        return Err(err(Errno::EINVAL, "bpf_xdp_event_output", "flags must be an unsigned 64-bit value"));
    }
    with_frame(frame, "bpf_xdp_event_output", |b| {
        let s = b.event_output(flags, meta)?;
        Ok(SampleObject { index: s.index.map_or(-1, i64::from), data: s.data.into() })
    })
}

#[napi]
pub fn frame_set_rxq(frame: &FrameHandle, rxq: RxQueueObject) -> Result<()> {
    with_frame(frame, "xdp_buff", |b| {
        let cur = b.rxq();
        b.set_rxq(RxQueue {
            ifindex: rxq.ifindex.unwrap_or(cur.ifindex),
            queue_index: rxq.queue_index.unwrap_or(cur.queue_index),
            frag_size: rxq.frag_size.unwrap_or(cur.frag_size),
        });
        Ok(())
    })
}

#[napi]
pub fn frame_to_xdp_frame(frame: &FrameHandle) -> Result<XdpFrameHandle> {
    const OP: &str = "xdp_convert_buff_to_frame";
    guard(OP, || {
        let buff = take(frame, OP, "frame")?;
        match buff.into_frame() {
            Ok(xdpf) => Ok(External::new(shared(xdpf))),
            Err((e, buff)) => {
                *frame.borrow_mut() = Some(buff);
                Err(e.into())
            }
        }
    })
}

#[napi]
pub fn frame_released(frame: &FrameHandle) -> bool {
    is_released(frame)
}

#[napi]
pub fn frame_release(frame: &FrameHandle) -> Result<()> {
    guard("xdp_return_buff", || take(frame, "xdp_return_buff", "frame").map(drop))
}
