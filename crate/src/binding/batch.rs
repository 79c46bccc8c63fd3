//! Batches: many frame operations in one call, with results in caller-owned arrays.

use super::*;
use crate::frame::batch;

pub struct BatchState {
    frames: Vec<Shared<XdpBuff>>,
    /// (generation, op count, data length) last validated: a batch run again unchanged skips
    /// validation. Records are still bounds-checked as they run.
    validated: Option<(u32, usize, usize)>,
}

impl BatchState {
    /// Borrows every frame of the batch, in order, for the duration of `f`. A batch over one
    /// frame, the common case, borrows it without allocating a Vec of borrows.
    fn with_frames<R>(&self, f: impl FnOnce(&mut [RefMut<'_, XdpBuff>]) -> R) -> Result<R> {
        if let [slot] = self.frames.as_slice() {
            let mut cell = borrow(slot, "xdp_batch", "frame")?;
            return Ok(f(std::slice::from_mut(&mut cell)));
        }
        let mut cells = Vec::with_capacity(self.frames.len());
        for slot in &self.frames {
            cells.push(borrow(slot, "xdp_batch", "frame")?);
        }
        Ok(f(&mut cells))
    }

    /// Splits the facade's word array, `[results (cap) | ops (cap × 5)]`, for `count` ops, and
    /// validates them unless this exact batch was validated before.
    fn prepare<'w>(&mut self, words: &'w mut [i32], count: u32, data_len: usize, generation: u32) -> Result<(&'w [i32], &'w mut [i32])> {
        let cap = words.len() / (batch::OP_WORDS + 1);
        let count = count as usize;
        if count > cap {
            return Err(err(Errno::EINVAL, "xdp_batch", format!("{count} ops do not fit a word array for {cap}")));
        }
        let (results, ops) = words.split_at_mut(cap);
        let ops = &ops[..count * batch::OP_WORDS];
        let key = (generation, count, data_len);
        if self.validated != Some(key) {
            batch::validate(ops, self.frames.len(), data_len, count)?;
            self.validated = Some(key);
        }
        Ok((ops, &mut results[..count]))
    }
}

#[napi]
pub fn batch_create() -> External<RefCell<BatchState>> {
    External::new(RefCell::new(BatchState { frames: Vec::new(), validated: None }))
}

#[napi]
pub fn batch_add(batch: &External<RefCell<BatchState>>, frame: &FrameHandle) -> Result<u32> {
    guard("xdp_batch", || {
        let mut b = batch.try_borrow_mut().map_err(|_| err(Errno::EBUSY, "xdp_batch", "the batch is running"))?;
        b.frames.push(Rc::clone(frame));
        b.validated = None;
        Ok((b.frames.len() - 1) as u32)
    })
}

/// Runs `count` ops and writes one result per op (see [`BatchState::prepare`] for the layout).
#[napi]
pub fn batch_run(
    batch: &External<RefCell<BatchState>>,
    mut words: Int32ArraySlice,
    count: u32,
    mut data: Uint8ArraySlice,
    generation: u32,
) -> Result<u32> {
    // SAFETY: JS is not running while this call holds the slices.
    let (words, data) = unsafe { (words.as_mut(), data.as_mut()) };
    guard("xdp_batch", || {
        let mut state = batch.try_borrow_mut().map_err(|_| err(Errno::EBUSY, "xdp_batch", "the batch is running"))?;
        let (ops, results) = state.prepare(words, count, data.len(), generation)?;
        state.with_frames(|cells| {
            for (rec, out) in ops.chunks_exact(batch::OP_WORDS).zip(results.iter_mut()) {
                *out = batch::execute(&mut cells[rec[1] as usize], rec, data);
            }
        })?;
        Ok(count)
    })
}

/// Runs the batch `iterations` times inside Rust and returns nanoseconds per run: the native
/// loop that benchmarks compare a JS-driven `batch_run` against.
#[napi]
pub fn batch_time_native_loop(
    batch: &External<RefCell<BatchState>>,
    mut words: Int32ArraySlice,
    count: u32,
    mut data: Uint8ArraySlice,
    iterations: u32,
) -> Result<f64> {
    // SAFETY: JS is not running while this call holds the slices.
    let (words, data) = unsafe { (words.as_mut(), data.as_mut()) };
    guard("xdp_batch", || {
        let mut state = batch.try_borrow_mut().map_err(|_| err(Errno::EBUSY, "xdp_batch", "the batch is running"))?;
        state.validated = None;
        let (ops, results) = state.prepare(words, count, data.len(), 0)?;
        state.validated = None;
        state.with_frames(|cells| {
            let start = std::time::Instant::now();
            for _ in 0..iterations.max(1) {
                for (rec, out) in ops.chunks_exact(batch::OP_WORDS).zip(results.iter_mut()) {
                    *out = batch::execute(&mut cells[rec[1] as usize], rec, data);
                }
                std::hint::black_box(&mut *results);
            }
            start.elapsed().as_nanos() as f64 / f64::from(iterations.max(1))
        })
    })
}
