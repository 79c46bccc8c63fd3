//! The BPF helpers XDP programs call by uapi number, implemented natively over the engine's
//! frame, map and ring-buffer models. Which of them a program may call is the prototype table's
//! decision (`bpf::protos`); this module only says what each one does.

use std::rc::Rc;

use super::helpers_skb as skb;
use super::host_helpers;
use super::helpers_tc;
use super::sock_helpers;
use super::machine::{map_handle, Callable, HelperFn, Machine, Trap};
use super::maps::{Map, MapType};
use super::memory::{Region, RegionKind};
use crate::dynptr::{Backing, Dynptr, DynptrKind};
use crate::errno::{Errno, XdpError};
use crate::frame::XdpBuff;
use crate::xdp::XdpAction;

// The actions as the r0 bpf_redirect and bpf_redirect_map return.
const XDP_ABORTED: u64 = XdpAction::Aborted as u64;
const XDP_DROP: u64 = XdpAction::Drop as u64;
const XDP_PASS: u64 = XdpAction::Pass as u64;
const XDP_TX: u64 = XdpAction::Tx as u64;
const XDP_REDIRECT: u64 = XdpAction::Redirect as u64;

/// BPF_MAX_LOOPS: bpf_loop refuses more iterations with E2BIG.
pub const BPF_MAX_LOOPS: u64 = 8 << 20;

/// A negative errno as the helper's `long` return.
pub fn errno_ret(e: Errno) -> u64 {
    i64::from(e.retval()) as u64
}

/// A helper's `long` for an engine result: 0, or the negative errno.
pub(crate) fn ret(r: crate::errno::Result<()>) -> u64 {
    match r {
        Ok(()) => 0,
        Err(e) => i64::from(e.retval()) as u64,
    }
}

pub(crate) fn fault(errno: Errno, message: impl Into<String>) -> Trap {
    Trap::Fault(XdpError::run(errno, message))
}

impl<'a> Machine<'a> {
    /// `len` readable bytes at `addr`; a zero length needs no memory (ARG_CONST_SIZE_OR_ZERO).
    pub(crate) fn read_arg(&mut self, addr: u64, len: u64) -> Result<&'a [u8], Trap> {
        if len == 0 {
            return Ok(&[]);
        }
        // SAFETY: regions describe memory that lives for the run.
        Ok(unsafe { self.mem.bytes(addr, len)? })
    }

    pub(crate) fn write_arg(&mut self, addr: u64, len: u64) -> Result<&'a mut [u8], Trap> {
        if len == 0 {
            return Ok(&mut []);
        }
        // SAFETY: as for read_arg.
        Ok(unsafe { self.mem.bytes_mut(addr, len)? })
    }

    /// The xdp_buff behind the context pointer a helper was given.
    pub(crate) fn xdp_buff(&mut self, ctx: u64) -> Result<&mut XdpBuff, Trap> {
        if ctx != self.ctx || self.ctx == 0 {
            return Err(fault(Errno::EACCES, format!("{ctx:#x} is not the program's context")));
        }
        match self.xdp.as_deref_mut() {
            Some(host) => Ok(host.buff()),
            None => Err(fault(Errno::EINVAL, "the program does not run on an XDP context")),
        }
    }

    fn map_arg(&self, handle: u64) -> Result<Rc<Map>, Trap> {
        Ok(self.map(handle)?)
    }

    fn key_arg(&mut self, map: &Map, addr: u64) -> Result<&'a [u8], Trap> {
        self.read_arg(addr, u64::from(map.def().key_size))
    }

    /// Reads the 16-byte `struct bpf_dynptr` a program holds at `addr`.
    pub(crate) fn dynptr_at(&mut self, addr: u64) -> Result<Dynptr, Trap> {
        let b = self.read_arg(addr, 16)?;
        Ok(Dynptr::from_bytes(b.try_into().unwrap()))
    }

    pub(crate) fn put_dynptr(&mut self, addr: u64, d: &Dynptr) -> Result<(), Trap> {
        self.write_arg(addr, 16)?.copy_from_slice(&d.to_bytes());
        Ok(())
    }

    /// The object a dynptr points into, for the dynptr engine's operations.
    pub(crate) fn backing(&mut self, d: &Dynptr) -> Result<Backing<'a>, Trap> {
        match d.kind() {
            DynptrKind::Xdp => {
                let ctx = d.data;
                let buff: *mut XdpBuff = self.xdp_buff(ctx)?;
                // SAFETY: the host's buffer outlives the run and nothing else touches it while
                // the helper works.
                Ok(Backing::Xdp(unsafe { &mut *buff }))
            }
            DynptrKind::Skb => {
                let skb: *mut crate::frame::Skb = &mut self.skb_ctx(d.data)?.skb;
                // SAFETY: as for the XDP buffer: the skb outlives the run.
                Ok(Backing::Skb(unsafe { &mut *skb }))
            }
            DynptrKind::Ringbuf => {
                let prog = self.prog.clone();
                for map in prog.maps.iter().filter(|m| m.def().map_type == MapType::Ringbuf) {
                    let Some(mut rb) = map.ringbuf() else { continue };
                    if rb.sample_offset(d.data).is_some() {
                        let rb: *mut crate::ringbuf::RingBuf = &mut *rb;
                        // SAFETY: the ring lives in a map the program holds for the whole run.
                        return Ok(unsafe { (*rb).backing() });
                    }
                }
                Err(fault(Errno::EFAULT, format!("ring-buffer dynptr at {:#x} is in no ring", d.data)))
            }
            DynptrKind::Local => {
                let r = self
                    .mem
                    .find(d.data, 0)
                    .filter(|r| r.kind != RegionKind::Ctx)
                    .ok_or_else(|| fault(Errno::EFAULT, format!("dynptr memory at {:#x} is outside the program's memory", d.data)))?;
                // SAFETY: the region is live memory for the run.
                let bytes = unsafe { std::slice::from_raw_parts_mut(r.start as *mut u8, r.len as usize) };
                Ok(Backing::mem(r.start, bytes))
            }
            _ => Err(fault(Errno::EINVAL, format!("{} dynptrs do not exist in XDP programs", d.kind().name()))),
        }
    }

    /// A helper-returned pointer into a frag page becomes reachable memory.
    pub(crate) fn expose(&mut self, bytes: &mut [u8], writable: bool) -> u64 {
        let addr = bytes.as_mut_ptr() as u64;
        if self.mem.find(addr, bytes.len() as u64).is_none() {
            self.mem.push(Region::of_slice(bytes, writable, RegionKind::Frag, 0));
        }
        addr
    }
}

fn map_lookup_elem(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    let map = m.map_arg(a[0])?;
    if matches!(
        map.def().map_type,
        MapType::Ringbuf | MapType::ProgArray | MapType::PerfEventArray | MapType::Queue | MapType::Stack | MapType::UserRingbuf
    ) {
        return Err(fault(Errno::EINVAL, format!("cannot pass map_type {} into func bpf_map_lookup_elem#1", map.def().map_type as u32)));
    }
    let key = m.key_arg(&map, a[1])?;
    if map.def().map_type.is_map_of_maps() {
        // The inner map: its values become reachable (it may come from another object).
        return Ok(match map.inner_map(key) {
            Some(inner) => {
                m.add_inner_map_regions(&inner);
                map_handle(&inner)
            }
            None => 0,
        });
    }
    if matches!(map.def().map_type, MapType::Sockmap | MapType::Sockhash) {
        return Ok(host_helpers::sockmap_lookup(m, &map, key));
    }
    Ok(map.lookup(key, m.cpu).unwrap_or(0))
}

/// bpf_map_lookup_percpu_elem: CPU `cpu`'s copy of a per-CPU array or hash value; NULL for a CPU
/// past the possible ones.
fn map_lookup_percpu_elem(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    let map = m.map_arg(a[0])?;
    if !map.def().map_type.is_percpu() {
        return Err(fault(
            Errno::EINVAL,
            format!("cannot pass map_type {} into func bpf_map_lookup_percpu_elem#195", map.def().map_type as u32),
        ));
    }
    let key = m.key_arg(&map, a[1])?;
    let cpu = a[2] as u32;
    if a[2] >= u64::from(map.nr_cpus()) {
        return Ok(0);
    }
    Ok(map.lookup(key, cpu).unwrap_or(0))
}

fn map_push_elem(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    let map = m.map_arg(a[0])?;
    let value = m.read_arg(a[1], u64::from(map.def().value_size))?;
    Ok(ret(map.push(value, a[2])))
}

fn map_pop_elem(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    let map = m.map_arg(a[0])?;
    let out = m.write_arg(a[1], u64::from(map.def().value_size))?;
    Ok(ret(map.pop_or_peek(out, true)))
}

fn map_peek_elem(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    let map = m.map_arg(a[0])?;
    let out = m.write_arg(a[1], u64::from(map.def().value_size))?;
    Ok(ret(map.pop_or_peek(out, false)))
}

/// The model's `CONFIG_HZ` (Debian's and this project's kernels: 250 ticks a second).
pub const CONFIG_HZ: u64 = 250;

/// bpf_jiffies64: ticks of CONFIG_HZ since boot (CLOCK_MONOTONIC), from the kernel's
/// INITIAL_JIFFIES (`(u32)(-300 * HZ)`: jiffies wrap their low 32 bits five minutes after boot).
fn jiffies64(_: &mut Machine<'_>, _: &[u64; 5]) -> Result<u64, Trap> {
    let initial = u64::from((-300i64 * CONFIG_HZ as i64) as u32);
    Ok(initial.wrapping_add(clock_ns(CLOCK_MONOTONIC) / (1_000_000_000 / CONFIG_HZ)))
}

/// bpf_user_ringbuf_drain: hands each committed sample of a user ring buffer to `callback(dynptr,
/// ctx)` until it returns nonzero, the ring is drained, or BPF_MAX_USER_RINGBUF_SAMPLES were
/// visited; returns the samples visited (discarded ones not counted), or the ring's error
/// (EINVAL, E2BIG for a malformed ring; EBUSY while another drain runs).
fn user_ringbuf_drain(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    use super::maps::{Peek, BPF_MAX_USER_RINGBUF_SAMPLES};
    let (handle, callback, ctx, flags) = (a[0], a[1], a[2], a[3]);
    if flags & !(crate::ringbuf::BPF_RB_NO_WAKEUP | crate::ringbuf::BPF_RB_FORCE_WAKEUP) != 0 {
        return Ok(errno_ret(Errno::EINVAL));
    }
    let map = m.map_arg(handle)?;
    {
        let Some(mut rb) = map.user_ringbuf() else {
            return Err(fault(
                Errno::EINVAL,
                format!("cannot pass map_type {} into func bpf_user_ringbuf_drain#209", map.def().map_type as u32),
            ));
        };
        if rb.busy {
            return Ok(errno_ret(Errno::EBUSY));
        }
        rb.busy = true;
    }
    let pc = match m.func_pc(callback) {
        Ok(pc) => pc,
        Err(e) => {
            map.user_ringbuf().expect("not borrowed").busy = false;
            return Err(e.into());
        }
    };
    // The kernel's `struct bpf_dynptr_kern` lives on the helper's stack: here, a buffer of its own.
    let mut dynptr = [0u8; 16];
    let dynptr_addr = dynptr.as_mut_ptr() as u64;
    let (mut samples, mut discarded, mut cb_ret) = (0u64, 0u64, 0u64);
    let mut result: Result<u64, Trap> = Ok(0);
    while samples < BPF_MAX_USER_RINGBUF_SAMPLES && cb_ret == 0 {
        let peek = map.user_ringbuf().expect("not borrowed").peek();
        let (at, len) = match peek {
            Peek::NoData => break,
            Peek::Discarded => {
                discarded += 1;
                samples += 1;
                continue;
            }
            Peek::Bad(e) => {
                result = Ok(errno_ret(e));
                break;
            }
            Peek::Sample { at, len } => (at, len),
        };
        let sample = map.user_ringbuf().expect("not borrowed").host_addr(at);
        dynptr.copy_from_slice(&Dynptr::new(sample, DynptrKind::Local, 0, len).to_bytes());
        m.mem.push(Region::new(dynptr_addr, 16, false, RegionKind::Mem, dynptr_addr));
        // An empty sample still has an address the dynptr names (its bounds keep reads out).
        m.mem.push(Region::new(sample, u64::from(len.max(1)), true, RegionKind::Mem, dynptr_addr));
        let r = m.call(pc, [dynptr_addr, ctx, 0, 0, 0]);
        m.mem.retain(|r| !(r.kind == RegionKind::Mem && r.tag == dynptr_addr));
        map.user_ringbuf().expect("not borrowed").release(len);
        samples += 1;
        match r {
            Ok(v) => cb_ret = v,
            Err(e) => {
                result = Err(e.into());
                break;
            }
        }
    }
    map.user_ringbuf().expect("not borrowed").busy = false;
    match result {
        Ok(0) => Ok(samples - discarded),
        other => other,
    }
}

fn map_update_elem(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    let map = m.map_arg(a[0])?;
    let key = m.key_arg(&map, a[1])?;
    if matches!(map.def().map_type, MapType::Sockmap | MapType::Sockhash) {
        return host_helpers::sockmap_update(m, &map, key, a[2], a[3]);
    }
    let value = m.read_arg(a[2], u64::from(map.def().value_size))?;
    Ok(ret(map.update(key, value, a[3], m.cpu)))
}

fn map_delete_elem(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    let map = m.map_arg(a[0])?;
    let key = m.key_arg(&map, a[1])?;
    Ok(ret(map.delete(key)))
}

#[repr(C)]
struct Timespec {
    sec: i64,
    nsec: i64,
}

extern "C" {
    fn clock_gettime(clock: i32, ts: *mut Timespec) -> i32;
}

fn clock_ns(clock: i32) -> u64 {
    let mut ts = Timespec { sec: 0, nsec: 0 };
    // SAFETY: clock_gettime writes one timespec.
    unsafe { clock_gettime(clock, &mut ts) };
    ts.sec as u64 * 1_000_000_000 + ts.nsec as u64
}

const CLOCK_MONOTONIC: i32 = 1;
const CLOCK_MONOTONIC_COARSE: i32 = 6;
const CLOCK_BOOTTIME: i32 = 7;
const CLOCK_TAI: i32 = 11;

/// bpf_spin_lock / bpf_spin_unlock: runs are single-threaded, so the lock is never contended; the
/// lock word holds 1 while taken (the kernel's locked value), which no program can read.
fn spin_lock_word(m: &mut Machine<'_>, a: &[u64; 5], taken: bool) -> Result<u64, Trap> {
    let r = m.mem.check(a[0], 4, true)?;
    let _ = r;
    // SAFETY: checked above: 4 writable bytes of a region of this run.
    unsafe { (a[0] as *mut u32).write_unaligned(u32::from(taken)) };
    Ok(0)
}

fn spin_lock(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    spin_lock_word(m, a, true)
}

fn spin_unlock(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    spin_lock_word(m, a, false)
}

fn ktime_get_ns(_: &mut Machine<'_>, _: &[u64; 5]) -> Result<u64, Trap> {
    Ok(clock_ns(CLOCK_MONOTONIC))
}

fn ktime_get_boot_ns(_: &mut Machine<'_>, _: &[u64; 5]) -> Result<u64, Trap> {
    Ok(clock_ns(CLOCK_BOOTTIME))
}

fn ktime_get_coarse_ns(_: &mut Machine<'_>, _: &[u64; 5]) -> Result<u64, Trap> {
    Ok(clock_ns(CLOCK_MONOTONIC_COARSE))
}

fn ktime_get_tai_ns(_: &mut Machine<'_>, _: &[u64; 5]) -> Result<u64, Trap> {
    Ok(clock_ns(CLOCK_TAI))
}

fn get_prandom_u32(m: &mut Machine<'_>, _: &[u64; 5]) -> Result<u64, Trap> {
    // xorshift64*: the kernel's per-CPU prandom state is not reproducible either; this one is
    // seeded per run so that a seeded run repeats.
    let mut x = m.rng | 1;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    m.rng = x;
    Ok((x.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 32) & 0xffff_ffff)
}

fn get_smp_processor_id(m: &mut Machine<'_>, _: &[u64; 5]) -> Result<u64, Trap> {
    Ok(u64::from(m.cpu))
}

fn get_numa_node_id(_: &mut Machine<'_>, _: &[u64; 5]) -> Result<u64, Trap> {
    Ok(0)
}

/// bpf_trace_printk: formats like the kernel's bstr_printf subset (%d %i %u %x %X %p %s %c, with
/// l/ll, at most three arguments) into the run's trace log.
fn trace_printk(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    let fmt = m.read_arg(a[0], a[1])?;
    let Some(end) = fmt.iter().position(|&c| c == 0) else { return Ok(errno_ret(Errno::EINVAL)) };
    let fmt = String::from_utf8_lossy(&fmt[..end]).into_owned();
    let mut args = [a[2], a[3], a[4]].into_iter();
    let mut out = String::new();
    let mut chars = fmt.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut long = 0;
        while chars.peek() == Some(&'l') {
            chars.next();
            long += 1;
        }
        let Some(conv) = chars.next() else { return Ok(errno_ret(Errno::EINVAL)) };
        if conv == '%' {
            out.push('%');
            continue;
        }
        let Some(v) = args.next() else { return Ok(errno_ret(Errno::EINVAL)) };
        let v32 = |v: u64| if long == 0 { v & 0xffff_ffff } else { v };
        match conv {
            'd' | 'i' => out.push_str(&if long == 0 { (v as i32).to_string() } else { (v as i64).to_string() }),
            'u' => out.push_str(&v32(v).to_string()),
            'x' => out.push_str(&format!("{:x}", v32(v))),
            'X' => out.push_str(&format!("{:X}", v32(v))),
            'p' => out.push_str(&format!("{v:#x}")),
            'c' => out.push(char::from(v as u8)),
            's' => {
                let mut s = Vec::new();
                let mut p = v;
                while s.len() < 256 {
                    match m.read_arg(p, 1) {
                        Ok(b) if b[0] != 0 => s.push(b[0]),
                        Ok(_) => break,
                        Err(_) => {
                            s = b"(efault)".to_vec();
                            break;
                        }
                    }
                    p += 1;
                }
                out.push_str(&String::from_utf8_lossy(&s));
            }
            _ => return Ok(errno_ret(Errno::EINVAL)),
        }
    }
    let n = out.len() as u64;
    m.trace.push(out);
    Ok(n)
}

fn tail_call(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    let map = m.map_arg(a[1])?;
    if map.def().map_type != MapType::ProgArray {
        return Err(fault(Errno::EINVAL, "bpf_tail_call needs a BPF_MAP_TYPE_PROG_ARRAY"));
    }
    // The kernel's failures fall through to the next instruction; r0 is whatever the
    // verifier considers unknown, here 0.
    let index = a[2] as u32;
    if index >= map.def().max_entries || m.tail_calls >= super::insn::MAX_TAIL_CALLS {
        return Ok(0);
    }
    match map.prog(index) {
        Some(prog) => {
            m.tail_calls += 1;
            Err(Trap::TailCall(prog))
        }
        None => Ok(0),
    }
}

fn redirect(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    if m.skb.is_some() {
        return super::helpers_skb::tc_redirect(m, a);
    }
    if a[1] != 0 {
        return Ok(XDP_ABORTED);
    }
    m.redirect = super::machine::RedirectInfo { ifindex: a[0] as u32, map: None, key: 0, flags: 0 };
    Ok(XDP_REDIRECT)
}

const BPF_F_BROADCAST: u64 = 1 << 3;
const BPF_F_EXCLUDE_INGRESS: u64 = 1 << 4;

fn redirect_map(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    let map = m.map_arg(a[0])?;
    let key = a[1] as u32;
    let flags = a[2];
    let action_mask = XDP_ABORTED | XDP_DROP | XDP_PASS | XDP_TX;
    let flag_mask = match map.def().map_type {
        MapType::Devmap | MapType::DevmapHash => BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS,
        MapType::Cpumap | MapType::Xskmap => 0,
        _ => return Err(fault(Errno::EINVAL, "bpf_redirect_map needs a devmap, devmap_hash, cpumap or xskmap")),
    };
    if flags & !(action_mask | flag_mask) != 0 {
        return Ok(XDP_ABORTED);
    }
    if flags & BPF_F_BROADCAST == 0 && !map.redirect_entry(key) {
        return Ok(flags & action_mask);
    }
    m.redirect = super::machine::RedirectInfo { ifindex: 0, map: Some(map), key, flags };
    Ok(XDP_REDIRECT)
}

/// bpf_perf_event_output on an XDP context (bpf_xdp_event_output), and bpf_xdp_output.
fn xdp_event_output(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    let map = m.map_arg(a[1])?;
    if map.def().map_type != MapType::PerfEventArray {
        return Err(fault(Errno::EINVAL, "perf_event_output needs a BPF_MAP_TYPE_PERF_EVENT_ARRAY"));
    }
    let meta = m.read_arg(a[3], a[4])?.to_vec();
    let cpu = m.cpu;
    let sample = if m.skb.is_some() {
        // bpf_skb_event_output: tc and socket filters (helpers_tc.rs)
        match helpers_tc::skb_event_sample(m, a[0], a[2], &meta)? {
            Ok(s) => s,
            Err(e) => return Ok(errno_ret(e)),
        }
    } else {
        match m.xdp_buff(a[0])?.event_output(a[2], &meta) {
            Ok(s) => s,
            Err(e) => return Ok(i64::from(e.retval()) as u64),
        }
    };
    let index = sample.index.unwrap_or(cpu);
    if index >= map.def().max_entries {
        return Ok(errno_ret(Errno::E2BIG));
    }
    Ok(ret(map.push_sample(index, &sample.data)))
}

/// bpf_csum_diff as Linux 6.13+ computes it: any sizes, the 32-bit one's-complement sum of
/// csum_partial (x86-64's representation: little-endian words, end-around carries) folded to 16
/// bits with csum_from32to16, the same on every architecture.
fn csum_diff(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    let (from_size, to_size, seed) = (a[1], a[3], a[4] as u32);
    let from = m.read_arg(a[0], from_size)?;
    let to = m.read_arg(a[2], to_size)?;
    let r = match (from_size, to_size) {
        (0, 0) => seed,
        (0, _) => csum_partial(to, seed),
        (_, 0) => !csum_partial(from, !seed),
        _ => csum_add(csum_partial(to, seed), !csum_partial(from, 0)),
    };
    Ok(u64::from(csum_from32to16(r)))
}

/// BPF_STRTOX_BASE_MASK: the flags of bpf_strtol/bpf_strtoul are the base and nothing else.
const STRTOX_BASE_MASK: u64 = 0x1f;

/// The kernel's `isspace`: its ctype table (Latin-1) counts NBSP (0xa0) as a space too.
fn kernel_isspace(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | 0xa0)
}

/// What bpf_strtol and bpf_strtoul share: leading spaces, a '-', the base from a `0`/`0x` prefix
/// when it is 0, then digits, of at most the first 63 bytes after the sign. Returns the value, its
/// sign and the bytes consumed (spaces, sign and prefix included), or the negative errno.
fn parse_strtox(buf: &[u8], flags: u64) -> std::result::Result<(u64, bool, usize), i64> {
    let einval = -(Errno::EINVAL as i64);
    let mut base = (flags & STRTOX_BASE_MASK) as u32;
    if buf.is_empty() || !matches!(base, 0 | 8 | 10 | 16) || flags & !STRTOX_BASE_MASK != 0 {
        return Err(einval);
    }
    let mut at = buf.iter().take_while(|&&c| kernel_isspace(c)).count();
    let negative = buf.get(at) == Some(&b'-');
    at += usize::from(negative);
    if at == buf.len() {
        return Err(einval);
    }
    // The kernel copies what follows into a 64-byte string: a NUL or the 63rd byte ends it.
    let rest = &buf[at..buf.len().min(at + 63)];
    let text = &rest[..rest.iter().position(|&c| c == 0).unwrap_or(rest.len())];
    let lower = |i: usize| text.get(i).map(|c| c.to_ascii_lowercase());
    let hex_prefix = text.first() == Some(&b'0') && lower(1) == Some(b'x');
    let mut digits = 0;
    if base == 0 {
        base = match text.first() {
            Some(b'0') if hex_prefix && text.get(2).is_some_and(|c| c.is_ascii_hexdigit()) => 16,
            Some(b'0') => 8,
            _ => 10,
        };
    }
    if base == 16 && hex_prefix {
        digits = 2;
    }
    let (mut value, mut overflow, start) = (0u64, false, digits);
    while let Some(d) = text.get(digits).and_then(|&c| (c as char).to_digit(16)).filter(|&d| d < base) {
        match value.checked_mul(u64::from(base)).and_then(|v| v.checked_add(u64::from(d))) {
            Some(v) => value = v,
            None => overflow = true,
        }
        digits += 1;
    }
    if overflow {
        return Err(-(Errno::ERANGE as i64));
    }
    if digits == start {
        return Err(einval);
    }
    Ok((value, negative, at + digits))
}

/// `bpf_strtol(buf, buf_len, flags, res)`: *res is 0 on every error.
fn strtol(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    let parsed = parse_strtox(m.read_arg(a[0], a[1])?, a[2]).and_then(|(v, negative, n)| {
        let v = if negative { (v as i64).wrapping_neg() } else { v as i64 };
        // -2^63 parses; 2^63 does not, nor anything whose sign the negation flips
        if (negative && v > 0) || (!negative && v < 0) {
            Err(-(Errno::ERANGE as i64))
        } else {
            Ok((v, n))
        }
    });
    let (value, ret) = match parsed {
        Ok((v, n)) => (v, n as i64),
        Err(e) => (0, e),
    };
    m.write_arg(a[3], 8)?.copy_from_slice(&value.to_le_bytes());
    Ok(ret as u64)
}

/// `bpf_strtoul(buf, buf_len, flags, res)`: a '-' is EINVAL.
fn strtoul(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    let (value, ret) = match parse_strtox(m.read_arg(a[0], a[1])?, a[2]) {
        Ok((_, true, _)) => (0, -(Errno::EINVAL as i64)),
        Ok((v, false, n)) => (v, n as i64),
        Err(e) => (0, e),
    };
    m.write_arg(a[3], 8)?.copy_from_slice(&value.to_le_bytes());
    Ok(ret as u64)
}

/// The high half of `sum + rol32(sum, 16)`: the two halves added with their carry.
pub fn csum_from32to16(sum: u32) -> u16 {
    (sum.wrapping_add(sum.rotate_left(16)) >> 16) as u16
}

pub fn csum_add(a: u32, b: u32) -> u32 {
    let (s, carry) = a.overflowing_add(b);
    s.wrapping_add(carry as u32)
}

pub fn csum_partial(bytes: &[u8], seed: u32) -> u32 {
    let mut sum = u64::from(seed);
    for w in bytes.chunks(4) {
        let mut b = [0u8; 4];
        b[..w.len()].copy_from_slice(w);
        sum += u64::from(u32::from_le_bytes(b));
    }
    let folded = (sum & 0xffff_ffff) + (sum >> 32);
    ((folded & 0xffff_ffff) + (folded >> 32)) as u32
}

fn xdp_adjust_head(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    let r = m.xdp_buff(a[0])?.adjust_head(a[1] as i32);
    m.refresh_packet();
    Ok(ret(r))
}

fn xdp_adjust_meta(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    let r = m.xdp_buff(a[0])?.adjust_meta(a[1] as i32);
    m.refresh_packet();
    Ok(ret(r))
}

fn xdp_adjust_tail(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    let r = m.xdp_buff(a[0])?.adjust_tail(a[1] as i32);
    m.refresh_packet();
    Ok(ret(r))
}

fn xdp_get_buff_len(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    Ok(u64::from(m.xdp_buff(a[0])?.get_buff_len()))
}

fn xdp_load_bytes(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    let dst = m.write_arg(a[2], a[3])?;
    // A copy first: the destination may be packet memory the load reads.
    let mut tmp = vec![0u8; dst.len()];
    let r = m.xdp_buff(a[0])?.load_bytes(a[1] as u32, &mut tmp);
    if r.is_ok() {
        dst.copy_from_slice(&tmp);
    }
    Ok(ret(r))
}

fn xdp_store_bytes(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    let src = m.read_arg(a[2], a[3])?.to_vec();
    Ok(ret(m.xdp_buff(a[0])?.store_bytes(a[1] as u32, &src)))
}

fn ringbuf_map(m: &Machine<'_>, handle: u64) -> Result<Rc<Map>, Trap> {
    let map = m.map(handle)?;
    if map.def().map_type != MapType::Ringbuf {
        return Err(fault(Errno::EINVAL, "expected a BPF_MAP_TYPE_RINGBUF map"));
    }
    Ok(map)
}

fn ringbuf_output(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    let map = ringbuf_map(m, a[0])?;
    let data = m.read_arg(a[1], a[2])?.to_vec();
    let mut rb = map.ringbuf().expect("ringbuf map");
    Ok(ret(rb.output(&data, a[3])))
}

fn ringbuf_reserve(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    let map = ringbuf_map(m, a[0])?;
    let mut rb = map.ringbuf().expect("ringbuf map");
    let Some(sample) = rb.reserve_helper(a[1], a[2]) else { return Ok(0) };
    let addr = rb.host_addr(sample);
    m.mem.push(Region::new(addr, a[1], true, RegionKind::RingRecord, addr));
    Ok(addr)
}

/// The ring and sample a reserved record's address belongs to.
fn ring_record(m: &Machine<'_>, addr: u64) -> Result<(Rc<Map>, usize), Trap> {
    let reserved = m.mem.regions().iter().any(|r| r.kind == RegionKind::RingRecord && r.tag == addr);
    if reserved {
        for map in m.prog.maps.iter().filter(|x| x.def().map_type == MapType::Ringbuf) {
            let found = map.ringbuf().and_then(|rb| rb.sample_of_host(addr).or_else(|| rb.sample_offset(addr)));
            if let Some(sample) = found {
                return Ok((map.clone(), sample));
            }
        }
    }
    Err(fault(Errno::EINVAL, format!("{addr:#x} is not a reserved ring-buffer record")))
}

fn ringbuf_commit(m: &mut Machine<'_>, a: &[u64; 5], discard: bool) -> Result<u64, Trap> {
    let (map, sample) = ring_record(m, a[0])?;
    map.ringbuf().expect("ringbuf map").commit(sample, a[1], discard);
    m.mem.retain(|r| !(r.kind == RegionKind::RingRecord && r.tag == a[0]));
    Ok(0)
}

fn ringbuf_submit(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    ringbuf_commit(m, a, false)
}

fn ringbuf_discard(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    ringbuf_commit(m, a, true)
}

fn ringbuf_query(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    let map = ringbuf_map(m, a[0])?;
    let rb = map.ringbuf().expect("ringbuf map");
    Ok(rb.query(a[1]))
}

/// The helper id the loader gives the bpf_loop calls the verifier would inline (flags a known 0):
/// past every uapi id.
pub const BPF_LOOP_INLINED: u32 = 255;

fn bpf_loop(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    loop_common(m, a, false)
}

/// The inlined loop sets -E2BIG with a 32-bit move: programs see it zero-extended.
fn bpf_loop_inlined(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    loop_common(m, a, true)
}

fn loop_common(m: &mut Machine<'_>, a: &[u64; 5], inlined: bool) -> Result<u64, Trap> {
    let (nr, callback, ctx, flags) = (a[0], a[1], a[2], a[3]);
    if flags != 0 {
        return Ok(errno_ret(Errno::EINVAL));
    }
    let nr = nr & 0xffff_ffff;
    if nr > BPF_MAX_LOOPS {
        let e = errno_ret(Errno::E2BIG);
        return Ok(if inlined { e & 0xffff_ffff } else { e });
    }
    let pc = m.func_pc(callback)?;
    for i in 0..nr {
        if m.call(pc, [i, ctx, 0, 0, 0])? != 0 {
            return Ok(i + 1);
        }
    }
    Ok(nr)
}

/// bpf_for_each_map_elem: calls `callback(map, &key, &value, ctx)` for each element in the map's
/// own order until it returns nonzero; returns how many elements it was called for.
fn for_each_map_elem(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    let (handle, callback, ctx, flags) = (a[0], a[1], a[2], a[3]);
    if flags != 0 {
        return Ok(errno_ret(Errno::EINVAL));
    }
    let map = m.map_arg(handle)?;
    let kind = map.def().map_type;
    if !matches!(
        kind,
        MapType::Array | MapType::PercpuArray | MapType::Hash | MapType::LruHash | MapType::PercpuHash | MapType::LruPercpuHash
    ) {
        return Err(fault(Errno::EINVAL, format!("cannot pass map_type {} into func bpf_for_each_map_elem#164", kind as u32)));
    }
    let pc = m.func_pc(callback)?;
    let keys: Vec<Vec<u8>> = map.keys().collect();
    // The key is handed over read-only, as the kernel hands out its own copy.
    let mut key_buf = vec![0u8; map.def().key_size.max(1) as usize];
    let key_addr = key_buf.as_mut_ptr() as u64;
    m.mem.push(Region::new(key_addr, key_buf.len() as u64, false, RegionKind::Mem, key_addr));
    let mut n = 0u64;
    let mut result = Ok(());
    for key in keys {
        let Some(value) = map.lookup(&key, m.cpu) else { continue };
        key_buf[..key.len()].copy_from_slice(&key);
        n += 1;
        match m.call(pc, [handle, key_addr, value, ctx, 0]) {
            Ok(0) => {}
            Ok(_) => break,
            Err(e) => {
                result = Err(e);
                break;
            }
        }
    }
    m.mem.retain(|r| !(r.kind == RegionKind::Mem && r.tag == key_addr));
    result?;
    Ok(n)
}

fn dynptr_from_mem(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    let (data, size, flags, out) = (a[0], a[1] as u32, a[2], a[3]);
    let (mut d, r) = Dynptr::from_mem(data, size, flags);
    if r.is_ok() {
        match m.mem.check_mem(data, u64::from(size), false) {
            Ok(region) if !region.writable => d.set_rdonly(),
            Ok(_) => {}
            Err(e) => return Err(e.into()),
        }
    }
    m.put_dynptr(out, &d)?;
    Ok(ret(r))
}

fn ringbuf_reserve_dynptr(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    let map = ringbuf_map(m, a[0])?;
    let (d, r) = map.ringbuf().expect("ringbuf map").reserve_dynptr(a[1] as u32, a[2]);
    m.put_dynptr(a[3], &d)?;
    if r.is_ok() && !d.is_null() {
        let host = map.ringbuf().and_then(|rb| rb.sample_offset(d.data).map(|s| rb.host_addr(s)));
        if let Some(host) = host {
            m.mem.push(Region::new(host, u64::from(d.len()), true, RegionKind::RingRecord, d.data));
        }
    }
    Ok(ret(r))
}

fn ringbuf_commit_dynptr(m: &mut Machine<'_>, a: &[u64; 5], discard: bool) -> Result<u64, Trap> {
    let mut d = m.dynptr_at(a[0])?;
    if d.is_null() {
        return Ok(0);
    }
    let (map, _) = ring_record(m, d.data)?;
    let addr = d.data;
    let r = map.ringbuf().expect("ringbuf map").commit_dynptr(&mut d, a[1], discard);
    m.mem.retain(|x| !(x.kind == RegionKind::RingRecord && x.tag == addr));
    m.put_dynptr(a[0], &d)?;
    r.map_err(Trap::Fault)?;
    Ok(0)
}

fn ringbuf_submit_dynptr(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    ringbuf_commit_dynptr(m, a, false)
}

fn ringbuf_discard_dynptr(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    ringbuf_commit_dynptr(m, a, true)
}

fn dynptr_read(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    let (dst, len, src, offset, flags) = (a[0], a[1], a[2], a[3] as u32, a[4]);
    let d = m.dynptr_at(src)?;
    let out = m.write_arg(dst, len)?;
    let mut tmp = vec![0u8; out.len()];
    let r = if d.is_null() {
        Err(XdpError::new(Errno::EINVAL, "bpf_dynptr_read", "null dynptr"))
    } else {
        let mut b = m.backing(&d)?;
        d.read(&mut b, offset, &mut tmp, flags)
    };
    // A failed read leaves the destination as it was: the helper does not clear it.
    if r.is_ok() {
        out.copy_from_slice(&tmp);
    }
    Ok(ret(r))
}

fn dynptr_write(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    let (dst, offset, src, len, flags) = (a[0], a[1] as u32, a[2], a[3], a[4]);
    let d = m.dynptr_at(dst)?;
    let data = m.read_arg(src, len)?.to_vec();
    if d.is_null() {
        return Ok(errno_ret(Errno::EINVAL));
    }
    let mut b = m.backing(&d)?;
    Ok(ret(d.write(&mut b, offset, &data, flags)))
}

fn dynptr_data(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    let d = m.dynptr_at(a[0])?;
    if d.is_null() || !matches!(d.kind(), DynptrKind::Local | DynptrKind::Ringbuf) {
        return Ok(0);
    }
    let mut b = m.backing(&d)?;
    Ok(d.data(&mut b, a[1] as u32, a[2] as u32).map(|s| s.as_mut_ptr() as u64).unwrap_or(0))
}

/// XDP runs in softirq on whatever task the CPU was running; on an idle CPU (the common case
/// for RX processing) that is the swapper, pid and tgid 0.
fn get_current_pid_tgid(_m: &mut Machine<'_>, _a: &[u64; 5]) -> Result<u64, Trap> {
    Ok(0)
}

/// Every helper the engine implements, by uapi id; names and prototypes are the prototype table's
/// ([`super::protos::helpers`]).
pub const NATIVE_HELPERS: &[(u32, HelperFn)] = &[
    (1, map_lookup_elem),
    (2, map_update_elem),
    (3, map_delete_elem),
    (87, map_push_elem),
    (88, map_pop_elem),
    (89, map_peek_elem),
    (118, jiffies64),
    (195, map_lookup_percpu_elem),
    // kptrs and per-CPU objects (graph/kfuncs.rs)
    (194, super::graph::kfuncs::kptr_xchg),
    (153, super::graph::kfuncs::per_cpu_ptr),
    (154, super::graph::kfuncs::this_cpu_ptr),
    (209, user_ringbuf_drain),
    (93, spin_lock),
    (94, spin_unlock),
    (5, ktime_get_ns),
    (6, trace_printk),
    (7, get_prandom_u32),
    (8, get_smp_processor_id),
    (9, skb::skb_store_bytes),
    (10, skb::l3_csum_replace),
    (11, skb::l4_csum_replace),
    (12, tail_call),
    (13, skb::clone_redirect),
    (14, get_current_pid_tgid),
    (17, skb::no_classid),
    (18, skb::skb_vlan_push),
    (19, skb::skb_vlan_pop),
    (23, redirect),
    (24, skb::no_classid),
    (25, xdp_event_output),
    (26, skb::skb_load_bytes),
    (28, csum_diff),
    (31, skb::skb_change_proto),
    (32, skb::skb_change_type),
    (38, skb::skb_change_tail),
    (39, skb::skb_pull_data),
    (40, skb::csum_update),
    (41, skb::set_hash_invalid),
    (43, skb::skb_change_head),
    (46, skb::get_socket_cookie),
    (48, skb::set_hash),
    (50, skb::skb_adjust_room),
    (42, get_numa_node_id),
    (44, xdp_adjust_head),
    (51, redirect_map),
    (54, xdp_adjust_meta),
    (65, xdp_adjust_tail),
    (68, skb::skb_load_bytes_relative),
    (97, skb::skb_ecn_set_ce),
    // the host's sockets and routes (host_helpers.rs)
    (69, host_helpers::fib_lookup),
    (84, host_helpers::sk_lookup_tcp),
    (85, host_helpers::sk_lookup_udp),
    (86, host_helpers::sk_release),
    (99, host_helpers::skc_lookup_tcp),
    (100, host_helpers::tcp_check_syncookie),
    (110, host_helpers::tcp_gen_syncookie),
    (204, host_helpers::tcp_raw_gen_syncookie_ipv4),
    (205, host_helpers::tcp_raw_gen_syncookie_ipv6),
    (206, host_helpers::tcp_raw_check_syncookie_ipv4),
    (207, host_helpers::tcp_raw_check_syncookie_ipv6),
    // socket pointers, socket storage and test_run's socket (sock_helpers.rs)
    (47, sock_helpers::get_socket_uid),
    (95, sock_helpers::sk_fullsock),
    (96, sock_helpers::tcp_sock),
    (98, sock_helpers::get_listener_sock),
    (107, sock_helpers::sk_storage_get),
    (108, sock_helpers::sk_storage_delete),
    (136, sock_helpers::skc_to_tcp6_sock),
    (137, sock_helpers::skc_to_tcp_sock),
    (138, sock_helpers::skc_to_tcp_timewait_sock),
    (139, sock_helpers::skc_to_tcp_request_sock),
    (140, sock_helpers::skc_to_udp6_sock),
    (178, sock_helpers::skc_to_none),
    (196, sock_helpers::skc_to_none),
    // tunnel metadata, hash, checksum level, xfrm, classid (helpers_tc.rs)
    (20, helpers_tc::skb_get_tunnel_key),
    (21, helpers_tc::skb_set_tunnel_key),
    (29, helpers_tc::skb_get_tunnel_opt),
    (30, helpers_tc::skb_set_tunnel_opt),
    (34, helpers_tc::get_hash_recalc),
    (66, helpers_tc::skb_get_xfrm_state),
    (135, helpers_tc::csum_level),
    (151, helpers_tc::skb_cgroup_classid),
    // cgroup ids, netns cookie, sk_assign, neigh/peer redirects, tstamp, strncmp (helpers_tc.rs)
    (15, helpers_tc::get_current_uid_gid),
    (79, helpers_tc::skb_cgroup_id),
    (80, helpers_tc::get_current_cgroup_id),
    (83, helpers_tc::skb_ancestor_cgroup_id),
    (122, helpers_tc::get_netns_cookie),
    (123, helpers_tc::get_current_ancestor_cgroup_id),
    (124, helpers_tc::sk_assign),
    (152, helpers_tc::redirect_neigh),
    (155, helpers_tc::redirect_peer),
    (182, helpers_tc::strncmp),
    (192, helpers_tc::skb_set_tstamp),
    (121, xdp_event_output),
    (125, ktime_get_boot_ns),
    (130, ringbuf_output),
    (131, ringbuf_reserve),
    (132, ringbuf_submit),
    (133, ringbuf_discard),
    (134, ringbuf_query),
    (105, strtol),
    (106, strtoul),
    (160, ktime_get_coarse_ns),
    (163, host_helpers::check_mtu),
    (164, for_each_map_elem),
    (181, bpf_loop),
    (188, xdp_get_buff_len),
    (189, xdp_load_bytes),
    (190, xdp_store_bytes),
    (197, dynptr_from_mem),
    (198, ringbuf_reserve_dynptr),
    (199, ringbuf_submit_dynptr),
    (200, ringbuf_discard_dynptr),
    (201, dynptr_read),
    (202, dynptr_write),
    (203, dynptr_data),
    (208, ktime_get_tai_ns),
];

pub fn native_helper(id: u32) -> Option<HelperFn> {
    NATIVE_HELPERS.iter().find(|h| h.0 == id).map(|h| h.1)
}

/// The engine's dispatch table for the given ids (all native ones when `allowed` is None): what a
/// hand-built [`super::machine::Prog`] calls. Loads go through the loader, which hands in only
/// what the program type may call.
pub fn helper_table(allowed: Option<&[u32]>) -> Rc<Vec<Option<Callable>>> {
    let mut table = vec![None; 256];
    for &(id, f) in NATIVE_HELPERS {
        if allowed.is_none_or(|ids| ids.contains(&id)) {
            table[id as usize] = Some(Callable::Native(f));
        }
    }
    if table[181].is_some() {
        table[BPF_LOOP_INLINED as usize] = Some(Callable::Native(bpf_loop_inlined));
    }
    Rc::new(table)
}

#[cfg(test)]
mod tests {

    #[test]
    fn strtox_parses_as_the_kernel_does() {
        use super::parse_strtox;
        use crate::Errno;
        let ok = |b: &[u8], f: u64| parse_strtox(b, f).unwrap();
        assert_eq!(ok(b"  -42xyz", 0), (42, true, 5));
        assert_eq!(ok(b"0x1F", 0), (31, false, 4));
        assert_eq!(ok(b"0x1F", 16), (31, false, 4));
        assert_eq!(ok(b"0xg", 0), (0, false, 1), "0x without a hex digit: octal 0");
        assert_eq!(ok(b"0777", 0), (511, false, 4));
        assert_eq!(ok(b"089", 0), (0, false, 1));
        assert_eq!(ok(b"12\0 34", 10), (12, false, 2));
        assert_eq!(ok(b"\xa0 7", 10), (7, false, 3), "NBSP is a space to the kernel");
        assert_eq!(ok(b"18446744073709551615", 10), (u64::MAX, false, 20));
        let einval = -(Errno::EINVAL as i64);
        assert_eq!(parse_strtox(b"", 10), Err(einval));
        assert_eq!(parse_strtox(b"  -", 10), Err(einval));
        assert_eq!(parse_strtox(b"0x", 16), Err(einval));
        assert_eq!(parse_strtox(b"abc", 10), Err(einval));
        assert_eq!(parse_strtox(b"12", 2), Err(einval));
        assert_eq!(parse_strtox(b"12", 0x20 | 10), Err(einval));
        assert_eq!(parse_strtox(b"18446744073709551616", 10), Err(-(Errno::ERANGE as i64)));
        // only the first 63 bytes after the sign are read
        let long = [b'1'; 70];
        assert_eq!(parse_strtox(&long, 10), Err(-(Errno::ERANGE as i64)));
        let mut zeros = [b'0'; 70];
        zeros[65] = b'5';
        assert_eq!(ok(&zeros, 10), (0, false, 63));
    }
    use super::super::protos::helpers::{helper, PROTO_PROG_TYPES};
    use super::NATIVE_HELPERS;

    #[test]
    fn every_native_helper_is_a_uapi_helper_with_a_prototype() {
        for &(id, _) in NATIVE_HELPERS {
            let h = helper(i64::from(id)).unwrap_or_else(|| panic!("helper {id}"));
            // a prototype for one of the program types the table holds them for (XDP, socket filter, tc)
            let typed = (1..64u32).filter(|&t| PROTO_PROG_TYPES & super::super::protos::prog_type_bit(t) != 0).any(|t| h.proto_for(t).is_some());
            assert!(typed || id == 121, "{}#{id} has no prototype", h.name);
        }
    }
}
