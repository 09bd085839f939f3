//! The seed testbed: the network of the seed text ("Multiple Connections to the
//! Internet") as network namespaces, with masq-gw run by the kernel (the
//! config's `ip`/`iptables` lines applied with the real tools) or by ruta
//! (`ruta run -c CONFIG`), the same flows played through both, and what each
//! flow did on the provider links.
//!
//! Parts: [`addr`] maps the seed's addresses to test ones, [`plan`] turns a config
//! into kernel commands, [`topo`] builds the namespaces, [`traffic`] runs
//! servers, captures and clients, [`wire`] judges the flows, [`ruta`] drives
//! the daemon, [`run`] ties one mode together, [`cleanup`] tears down on every
//! exit path. Binary: `seedbed` (src/bin/seedbed.rs); test: tests/seed.rs.
//! [`perf`] measures forwarding rate and CPU per packet of both modes (binary
//! `seedperf`, src/bin/seedperf.rs).
//!
//! Network safety: test addresses only (198.18.0.0/15, 198.51.100.0/24,
//! 203.0.113.0/24), namespaces `ruta-sb-<pid>-<n>-<role>`, nothing added to or
//! sent from the root namespace, everything deleted at the end.

pub mod addr;
pub mod cleanup;
pub mod perf;
pub mod plan;
pub mod run;
pub mod ruta;
pub mod sys;
pub mod topo;
pub mod traffic;
pub mod wire;

pub use run::{run_mode, Mode, ModeReport};
