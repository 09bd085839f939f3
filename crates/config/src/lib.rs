//! ruta-config: the config language, the router state it builds, and iproute2-format
//! output.
//!
//! Owns: reading config files ([`file`]), the `ip` command language ([`ip`]), the router's
//! routing state with the kernel's semantics for links, addresses, routes and rules
//! ([`state`]), `ip route get` ([`get`]), and printing in iproute2's formats ([`render`]).
//!
//! It must not touch sockets, threads or the packet path: it produces the state that the
//! dataplane snapshots, and answers questions about it.

pub mod file;
pub mod get;
pub mod ip;
pub mod names;
pub mod render;
pub mod state;

pub use file::{apply_text, load_file, ConfigError, LoadError, Source};
pub use ip::{ip, CmdError, IpOpts};
pub use state::Router;

#[cfg(test)]
mod tests;
