//! Many helper calls on many frames in one go, so that a caller across a costly boundary (N-API)
//! pays for one crossing per batch instead of one per operation.
//!
//! A batch is a flat list of `i32` records of [`OP_WORDS`] words: `[opcode, frame, a, b, c]`.
//! Each operation's result is what the kernel helper returns (0 or a negative errno), or the
//! value it computes (`get_buff_len`, `adjust_data`, `pointer`). Bytes for loads and stores live
//! in one data buffer, at offset `c`. The batch is validated as a whole before anything runs.

use super::buff::XdpBuff;
use crate::errno::{Errno, Result, XdpError};

pub const OP_WORDS: usize = 5;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(i32)]
pub enum BatchOp {
    /// result: the packet length.
    GetBuffLen = 0,
    /// a: offset.
    AdjustHead = 1,
    /// a: offset.
    AdjustMeta = 2,
    /// a: offset.
    AdjustTail = 3,
    /// a: packet offset, b: length, c: where in the data buffer the bytes go.
    LoadBytes = 4,
    /// a: packet offset, b: length, c: where in the data buffer the bytes come from.
    StoreBytes = 5,
    /// a: packet offset, b: length. result: segment + 1 when direct, 0 when it crosses a boundary.
    Pointer = 6,
    /// a: length to make linear.
    PullData = 7,
    /// a: packet offset. result: the packet offset of the segment's start.
    AdjustData = 8,
}

impl BatchOp {
    /// A `match` rather than a search, so that decoding a record is one jump-table lookup.
    #[inline]
    pub fn from_i32(v: i32) -> Option<BatchOp> {
        use BatchOp::*;
        Some(match v {
            0 => GetBuffLen,
            1 => AdjustHead,
            2 => AdjustMeta,
            3 => AdjustTail,
            4 => LoadBytes,
            5 => StoreBytes,
            6 => Pointer,
            7 => PullData,
            8 => AdjustData,
            _ => return None,
        })
    }
}

const OP: &str = "xdp_batch";

/// Checks every record: known opcode, frame in range, data ranges inside the data buffer.
pub fn validate(ops: &[i32], frames: usize, data_len: usize, results: usize) -> Result<()> {
    if !ops.len().is_multiple_of(OP_WORDS) {
        return Err(XdpError::new(Errno::EINVAL, OP, format!("the op list has {} words, not a multiple of {OP_WORDS}", ops.len()))
            .len(ops.len() as u64));
    }
    let count = ops.len() / OP_WORDS;
    if results < count {
        return Err(XdpError::new(Errno::EINVAL, OP, "the result array is shorter than the op list")
            .len(results as u64)
            .limit(count as u64));
    }
    for (i, rec) in ops.chunks_exact(OP_WORDS).enumerate() {
        let op = BatchOp::from_i32(rec[0])
            .ok_or_else(|| XdpError::new(Errno::EINVAL, OP, format!("op {i}: unknown opcode {}", rec[0])).offset(i as i64))?;
        if rec[1] < 0 || rec[1] as usize >= frames {
            return Err(XdpError::new(Errno::EINVAL, OP, format!("op {i}: frame {} out of range", rec[1]))
                .offset(i as i64)
                .limit(frames as u64));
        }
        if matches!(op, BatchOp::LoadBytes | BatchOp::StoreBytes) {
            let (len, at) = (rec[3], rec[4]);
            if len < 0 || at < 0 || at as usize + len as usize > data_len {
                return Err(XdpError::new(
                    Errno::EINVAL,
                    OP,
                    format!("op {i}: bytes {at}..{} outside the data buffer", i64::from(at) + i64::from(len)),
                )
                .offset(i as i64)
                .limit(data_len as u64));
            }
        }
    }
    Ok(())
}

fn retval(r: Result<()>) -> i32 {
    match r {
        Ok(()) => 0,
        Err(e) => e.retval(),
    }
}

/// Runs one (validated) record against its frame and returns the helper's result.
#[inline]
pub fn execute(buff: &mut XdpBuff, rec: &[i32], data: &mut [u8]) -> i32 {
    let (a, b, c) = (rec[2], rec[3], rec[4]);
    match BatchOp::from_i32(rec[0]) {
        Some(BatchOp::GetBuffLen) => buff.get_buff_len() as i32,
        Some(BatchOp::AdjustHead) => retval(buff.adjust_head(a)),
        Some(BatchOp::AdjustMeta) => retval(buff.adjust_meta(a)),
        Some(BatchOp::AdjustTail) => retval(buff.adjust_tail(a)),
        Some(BatchOp::LoadBytes) => retval(buff.load_bytes(a as u32, &mut data[c as usize..(c + b) as usize])),
        Some(BatchOp::StoreBytes) => retval(buff.store_bytes(a as u32, &data[c as usize..(c + b) as usize])),
        Some(BatchOp::Pointer) => match buff.pointer(a as u32, b as u32) {
            Ok(Some(v)) => v.segment as i32 + 1,
            Ok(None) => 0,
            Err(e) => e.retval(),
        },
        Some(BatchOp::PullData) => retval(buff.pull_data(a as u32)),
        Some(BatchOp::AdjustData) => match buff.adjust_data(a as u32) {
            Ok(base) => base as i32,
            Err(e) => e.retval(),
        },
        None => Errno::EINVAL.retval(),
    }
}

/// Validates, then runs every record in order over a slice of frames.
pub fn run_on_slice(ops: &[i32], frames: &mut [XdpBuff], data: &mut [u8], results: &mut [i32]) -> Result<()> {
    validate(ops, frames.len(), data.len(), results.len())?;
    for (rec, out) in ops.chunks_exact(OP_WORDS).zip(results.iter_mut()) {
        *out = execute(&mut frames[rec[1] as usize], rec, data);
    }
    Ok(())
}
