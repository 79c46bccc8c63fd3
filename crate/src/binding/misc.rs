//! Calls that belong to no engine object: the version, view detaching, the panic probe.

use super::*;

#[napi]
pub fn detach_views(views: Vec<ArrayBuffer>) -> Result<u32> {
    guard("detach_views", || {
        let mut n = 0;
        for v in views {
            if !v.is_detached()? && !v.is_empty() {
                v.detach()?;
                n += 1;
            }
        }
        Ok(n)
    })
}

/// Every errno the engine and the facade report (`Errno`, crate/src/errno.rs): name and positive number.
#[napi]
pub fn errno_table() -> Vec<super::NamedValue> {
    crate::errno::Errno::ALL.iter().map(|e| super::NamedValue { name: e.name().into(), value: e.number() as u32 }).collect()
}

#[napi]
pub fn engine_version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}

/// Lets the test suite prove that a Rust panic reaches JS as an error rather than killing Node.
#[napi]
pub fn internal_panic_for_test(message: String) -> Result<()> {
    guard("internal_panic_for_test", || panic!("{message}"))
}
