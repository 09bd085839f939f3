//! ruta testbeds: network-namespace helpers and the kernel oracle.
//!
//! The oracle applies the same `ip` command list to a fresh Linux network
//! namespace and to ruta (offline, through `ruta -c FILE ...`) and compares
//! what both accept and print. See docs/TESTING.md.
//!
//! Everything that touches the network happens inside namespaces named
//! `ruta-oracle-<pid>-<n>`, which are deleted when their guard drops.

pub mod gen;
pub mod netns;
pub mod oracle;
pub mod scenario;
pub mod seed;

pub use netns::{cleanup_stale, is_root, unavailable_reason, CmdOutput, Netns};
pub use scenario::{Read, Scenario};
