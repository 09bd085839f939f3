//! ruta-dataplane: packet I/O (AF_PACKET rings, TUN), the neighbour subsystem, the worker
//! loop, and the daemon with its control socket.

pub mod afpacket;
pub mod capture;
pub mod clock;
pub mod control;
pub mod daemon;
pub mod link;
pub mod neigh;
pub mod tun;
pub mod worker;
