//! (in progress)
#[derive(Debug, Default)]
pub struct Map;
impl Map {
    pub fn value_regions(&self) -> Vec<(u64, u64, bool)> {
        Vec::new()
    }
}
