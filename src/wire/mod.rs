//! Byte layouts shared with Windows: socket addresses, control messages and the IPv4 header a
//! raw socket receives. Pure functions over byte slices; no pointers.

pub mod cmsg;
pub mod ipv4;
pub mod sockaddr;
