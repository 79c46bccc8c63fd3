//! Perf event arrays: the samples bpf_perf_event_output queues for user space to drain.

use std::collections::VecDeque;

use super::*;

#[derive(Default)]
pub(super) struct Samples {
    pub(super) queue: VecDeque<(u32, Vec<u8>)>,
    pub(super) bytes: usize,
    pub(super) lost: u64,
}

impl Map {
    /// A sample from bpf_perf_event_output / bpf_xdp_output for the perf event array slot `index`
    /// (the CPU, with BPF_F_CURRENT_CPU). E2BIG past the array's end; ENOSPC, counting the sample
    /// lost, when [`MAX_PERF_QUEUE_BYTES`] wait undrained. Every slot takes samples, opened by a
    /// user update or not (the kernel gives ENOENT for a slot without a perf event).
    pub fn push_sample(&self, index: u32, bytes: &[u8]) -> Result<()> {
        const OP: &str = "bpf_perf_event_output";
        let Store::Perf { samples, .. } = &self.store else {
            return fail(Errno::EINVAL, OP, format!("{} is not a perf event array", self.name));
        };
        if index >= self.def.max_entries {
            return Err(XdpError::new(Errno::E2BIG, OP, format!("index {index} is past the {} entries", self.def.max_entries))
                .offset(i64::from(index))
                .limit(u64::from(self.def.max_entries)));
        }
        let mut q = samples.borrow_mut();
        if q.bytes + bytes.len() > MAX_PERF_QUEUE_BYTES {
            q.lost += 1;
            return Err(XdpError::new(Errno::ENOSPC, OP, "perf buffer full: drain the samples")
                .len(bytes.len() as u64)
                .limit(MAX_PERF_QUEUE_BYTES as u64));
        }
        q.bytes += bytes.len();
        q.queue.push_back((index, bytes.to_vec()));
        Ok(())
    }

    /// The samples pushed so far, oldest first, with their slot.
    pub fn drain_samples(&self) -> Vec<(u32, Vec<u8>)> {
        match &self.store {
            Store::Perf { samples, .. } => {
                let mut q = samples.borrow_mut();
                q.bytes = 0;
                q.queue.drain(..).collect()
            }
            _ => Vec::new(),
        }
    }

    /// Samples refused for want of room.
    pub fn lost_samples(&self) -> u64 {
        match &self.store {
            Store::Perf { samples, .. } => samples.borrow().lost,
            _ => 0,
        }
    }
}
