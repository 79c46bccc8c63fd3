//! Binding for the emulated mvneta NIC.
