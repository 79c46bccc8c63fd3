//! Binding for the metadata key/value store.
