//! A page pool in the manner of the kernel's `page_pool`: fixed-size pages, recycled through a
//! cache, each page knowing the pool it came from so that it goes home wherever it is freed
//! (a frame redirected to another device still returns its pages to the receiving queue's pool).
//!
//! Pages are real memory owned by whoever holds them (an `xdp_buff`, an `xdp_frame`, an skb).
//! Dropping a [`Page`] returns it; the counters in [`PoolStats`] make a page that never came back
//! visible (`in_flight` stays above zero), which is how tests prove that nothing leaks.

use std::cell::{RefCell, RefMut};
use std::rc::Rc;
use std::sync::atomic::{AtomicU32, Ordering};

use crate::errno::{Errno, Result, XdpError};

/// Where the synthetic addresses of pool pages start: the x86-64 kernel direct map, so that
/// pointers shown to users and BPF programs look like the kernel's.
const DIRECT_MAP_BASE: u64 = 0xffff_8880_0000_0000;
/// Address space given to one pool (64 GiB); pool bases cycle after 1024 pools.
const POOL_SPAN_SHIFT: u32 = 36;
static NEXT_POOL_ID: AtomicU32 = AtomicU32::new(0);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolConfig {
    /// Bytes per page: a power of two from 1024 to 65536 (4096 on x86-64).
    pub page_size: u32,
    /// Most pages that may be out of the pool at once; `None` for no limit. Models memory
    /// pressure: an allocation beyond it fails with ENOMEM.
    pub max_in_flight: Option<u32>,
    /// Pages kept for reuse; pages returned beyond it are freed (`released`).
    pub cache_size: u32,
}

impl Default for PoolConfig {
    fn default() -> Self {
        PoolConfig { page_size: 4096, max_in_flight: None, cache_size: 1024 }
    }
}

/// Counters of a pool, named after what they count rather than after ethtool.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PoolStats {
    /// Pages created from fresh memory (the kernel's `alloc_slow`).
    pub allocated: u64,
    /// Allocations served from the recycle cache (`alloc_fast`).
    pub alloc_fast: u64,
    /// Pages returned into the cache.
    pub recycled: u64,
    /// Pages returned while the cache was full, and so freed.
    pub released: u64,
    /// Allocations refused because `max_in_flight` pages were out.
    pub alloc_failed: u64,
    /// Pages currently held outside the pool.
    pub in_flight: u64,
}

struct PoolState {
    cache: Vec<(Box<[u8]>, u32)>,
    next_page_id: u32,
    pfmemalloc: bool,
    stats: PoolStats,
}

struct PoolShared {
    config: PoolConfig,
    base_addr: u64,
    // Single-threaded, like the NAPI context a kernel page pool's lockless cache belongs to: a
    // page is taken and given back in a few nanoseconds, which the NIC's per-frame budget needs.
    state: RefCell<PoolState>,
}

impl PoolShared {
    fn lock(&self) -> RefMut<'_, PoolState> {
        self.state.borrow_mut()
    }

    fn give_back(&self, mem: Box<[u8]>, id: u32) {
        let mut state = self.lock();
        state.stats.in_flight -= 1;
        if state.cache.len() < self.config.cache_size as usize {
            state.cache.push((mem, id));
            state.stats.recycled += 1;
        } else {
            state.stats.released += 1;
        }
    }
}

/// A handle to a pool; clones share the same pool.
#[derive(Clone)]
pub struct PagePool {
    shared: Rc<PoolShared>,
}

impl std::fmt::Debug for PagePool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PagePool").field("page_size", &self.page_size()).field("stats", &self.stats()).finish()
    }
}

impl Default for PagePool {
    fn default() -> Self {
        PagePool::new(PoolConfig::default()).expect("the default pool configuration is valid")
    }
}

impl PagePool {
    pub fn new(config: PoolConfig) -> Result<PagePool> {
        if !config.page_size.is_power_of_two() || !(1024..=65536).contains(&config.page_size) {
            return Err(XdpError::new(
                Errno::EINVAL,
                "page_pool_create",
                format!("page size {} is not a power of two from 1024 to 65536", config.page_size),
            )
            .len(u64::from(config.page_size)));
        }
        let pool_index = u64::from(NEXT_POOL_ID.fetch_add(1, Ordering::Relaxed) % 1024);
        Ok(PagePool {
            shared: Rc::new(PoolShared {
                config,
                base_addr: DIRECT_MAP_BASE + (pool_index << POOL_SPAN_SHIFT),
                state: RefCell::new(PoolState { cache: Vec::new(), next_page_id: 0, pfmemalloc: false, stats: PoolStats::default() }),
            }),
        })
    }

    pub fn config(&self) -> PoolConfig {
        self.shared.config
    }

    pub fn page_size(&self) -> u32 {
        self.shared.config.page_size
    }

    pub fn stats(&self) -> PoolStats {
        self.shared.lock().stats
    }

    /// While set, new pages are marked as taken from the pfmemalloc reserves, as the kernel's
    /// allocator does under memory pressure; frames built from them carry
    /// `XDP_FLAGS_FRAGS_PF_MEMALLOC`.
    pub fn set_pfmemalloc(&self, on: bool) {
        self.shared.lock().pfmemalloc = on;
    }

    /// Whether two handles name the same pool.
    pub fn same_pool(&self, other: &PagePool) -> bool {
        Rc::ptr_eq(&self.shared, &other.shared)
    }

    /// Takes a page: recycled if the cache has one (its old bytes are still there, as in the
    /// kernel), else fresh and zeroed.
    pub fn alloc(&self) -> Result<Page> {
        let page_size = self.shared.config.page_size;
        let mut state = self.shared.lock();
        if let Some(limit) = self.shared.config.max_in_flight {
            if state.stats.in_flight >= u64::from(limit) {
                state.stats.alloc_failed += 1;
                return Err(XdpError::new(Errno::ENOMEM, "page_pool_alloc", format!("all {limit} pages of the pool are in flight"))
                    .limit(u64::from(limit)));
            }
        }
        let (mem, id) = match state.cache.pop() {
            Some(cached) => {
                state.stats.alloc_fast += 1;
                cached
            }
            None => {
                let id = state.next_page_id;
                state.next_page_id = id.wrapping_add(1);
                state.stats.allocated += 1;
                (vec![0u8; page_size as usize].into_boxed_slice(), id)
            }
        };
        state.stats.in_flight += 1;
        let pfmemalloc = state.pfmemalloc;
        drop(state);
        Ok(Page { mem, id, pfmemalloc, pool: Rc::clone(&self.shared) })
    }
}

/// One page of memory out of a pool. Dropping it gives it back.
pub struct Page {
    mem: Box<[u8]>,
    id: u32,
    pfmemalloc: bool,
    pool: Rc<PoolShared>,
}

impl std::fmt::Debug for Page {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Page({:#x}, {} bytes)", self.addr(), self.mem.len())
    }
}

impl Page {
    #[inline]
    pub fn bytes(&self) -> &[u8] {
        &self.mem
    }

    #[inline]
    pub fn bytes_mut(&mut self) -> &mut [u8] {
        &mut self.mem
    }

    #[inline]
    pub fn size(&self) -> u32 {
        self.mem.len() as u32
    }

    /// The page's synthetic kernel virtual address (stable for the page's life in its pool).
    #[inline]
    pub fn addr(&self) -> u64 {
        self.pool.base_addr + u64::from(self.id) * self.mem.len() as u64
    }

    pub fn is_pfmemalloc(&self) -> bool {
        self.pfmemalloc
    }

    /// The pool this page returns to.
    pub fn pool(&self) -> PagePool {
        PagePool { shared: Rc::clone(&self.pool) }
    }
}

impl Drop for Page {
    fn drop(&mut self) {
        let mem = std::mem::take(&mut self.mem);
        self.pool.give_back(mem, self.id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_come_back_and_are_reused() {
        let pool = PagePool::default();
        let a = pool.alloc().unwrap();
        let addr = a.addr();
        assert_eq!(pool.stats().in_flight, 1);
        drop(a);
        let s = pool.stats();
        assert_eq!((s.allocated, s.recycled, s.in_flight), (1, 1, 0));
        let b = pool.alloc().unwrap();
        assert_eq!(b.addr(), addr, "the cached page is handed out again");
        assert_eq!(pool.stats().alloc_fast, 1);
    }

    #[test]
    fn recycled_pages_keep_their_old_bytes() {
        let pool = PagePool::default();
        let mut a = pool.alloc().unwrap();
        a.bytes_mut()[100] = 0xab;
        drop(a);
        let b = pool.alloc().unwrap();
        assert_eq!(b.bytes()[100], 0xab);
        let c = pool.alloc().unwrap();
        assert!(c.bytes().iter().all(|&x| x == 0), "fresh pages are zeroed");
    }

    #[test]
    fn limit_gives_enomem_and_counts_it() {
        let pool = PagePool::new(PoolConfig { max_in_flight: Some(2), ..PoolConfig::default() }).unwrap();
        let _a = pool.alloc().unwrap();
        let _b = pool.alloc().unwrap();
        let err = pool.alloc().unwrap_err();
        assert_eq!(err.errno, Errno::ENOMEM);
        assert_eq!(pool.stats().alloc_failed, 1);
        drop(_a);
        assert!(pool.alloc().is_ok());
    }

    #[test]
    fn full_cache_releases() {
        let pool = PagePool::new(PoolConfig { cache_size: 1, ..PoolConfig::default() }).unwrap();
        let a = pool.alloc().unwrap();
        let b = pool.alloc().unwrap();
        drop(a);
        drop(b);
        let s = pool.stats();
        assert_eq!((s.recycled, s.released, s.in_flight), (1, 1, 0));
    }

    #[test]
    fn page_size_is_validated() {
        for bad in [0, 1000, 512, 131072] {
            let err = PagePool::new(PoolConfig { page_size: bad, ..PoolConfig::default() }).unwrap_err();
            assert_eq!(err.errno, Errno::EINVAL);
        }
        assert_eq!(PagePool::new(PoolConfig { page_size: 16384, ..PoolConfig::default() }).unwrap().page_size(), 16384);
    }

    #[test]
    fn a_page_goes_home_to_its_own_pool() {
        let home = PagePool::default();
        let other = PagePool::default();
        let page = home.alloc().unwrap();
        assert!(page.pool().same_pool(&home));
        assert!(!page.pool().same_pool(&other));
        let held_elsewhere = vec![page];
        drop(held_elsewhere);
        assert_eq!(home.stats().in_flight, 0);
        assert_eq!(other.stats().recycled, 0);
    }

    #[test]
    fn pfmemalloc_marks_new_allocations() {
        let pool = PagePool::default();
        pool.set_pfmemalloc(true);
        assert!(pool.alloc().unwrap().is_pfmemalloc());
        pool.set_pfmemalloc(false);
        assert!(!pool.alloc().unwrap().is_pfmemalloc());
    }

    #[test]
    fn distinct_pages_have_distinct_addresses() {
        let pool = PagePool::default();
        let a = pool.alloc().unwrap();
        let b = pool.alloc().unwrap();
        assert_eq!(b.addr() - a.addr(), 4096);
        assert!(a.addr() >= DIRECT_MAP_BASE);
    }
}
