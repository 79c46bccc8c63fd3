//! Page pools: the memory every frame's pages come from.

use super::*;

#[napi(object)]
pub struct PoolOptions {
    pub page_size: Option<u32>,
    pub max_in_flight: Option<u32>,
    pub cache_size: Option<u32>,
}

#[napi(object)]
pub struct PoolStatsObject {
    pub allocated: f64,
    pub alloc_fast: f64,
    pub recycled: f64,
    pub released: f64,
    pub alloc_failed: f64,
    pub in_flight: f64,
}

#[napi]
pub fn pool_create(options: Option<PoolOptions>) -> Result<External<PagePool>> {
    guard("page_pool_create", || {
        let o = options.unwrap_or(PoolOptions { page_size: None, max_in_flight: None, cache_size: None });
        let d = PoolConfig::default();
        let pool = PagePool::new(PoolConfig {
            page_size: o.page_size.unwrap_or(d.page_size),
            max_in_flight: o.max_in_flight,
            cache_size: o.cache_size.unwrap_or(d.cache_size),
        })?;
        Ok(External::new(pool))
    })
}

#[napi]
pub fn pool_page_size(pool: &External<PagePool>) -> u32 {
    pool.page_size()
}

#[napi]
pub fn pool_stats(pool: &External<PagePool>) -> PoolStatsObject {
    let s = pool.stats();
    PoolStatsObject {
        allocated: s.allocated as f64,
        alloc_fast: s.alloc_fast as f64,
        recycled: s.recycled as f64,
        released: s.released as f64,
        alloc_failed: s.alloc_failed as f64,
        in_flight: s.in_flight as f64,
    }
}

#[napi]
pub fn pool_set_pfmemalloc(pool: &External<PagePool>, on: bool) {
    pool.set_pfmemalloc(on);
}
