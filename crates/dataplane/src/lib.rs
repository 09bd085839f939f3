//! ruta-dataplane: packet I/O and the neighbour subsystem (being written).

pub mod afpacket;
pub mod link;
pub mod neigh;
pub mod tun;
