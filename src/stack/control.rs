//! Socket options and ioctls at the level of the stack (the face handles the buffers).

use super::World;
use crate::error::{Errno, Result};
use crate::socket::options::{self, GetOutcome, OptSpec, SetEffect};
use crate::socket::SockKind;

impl World {
    /// setsockopt() with the bytes already read from the caller.
    pub fn set_option(&mut self, handle: usize, spec: &OptSpec, bytes: &[u8]) -> Result<()> {
        let sock = self.sock_mut(handle)?;
        match options::set(sock, spec, bytes)? {
            SetEffect::None => Ok(()),
            SetEffect::Membership(req) => self.membership(handle, req),
        }
    }

    /// getsockopt() with `*optlen == optlen`.
    pub fn get_option(&self, handle: usize, spec: &OptSpec, optlen: i32) -> Result<GetOutcome> {
        let sock = self.sock(handle)?;
        let entry = self.catalog.get(sock.catalog_id).ok_or(Errno::NotSock)?;
        let info = |wide: bool| entry.to_bytes(wide);
        Ok(options::get(sock, spec, optlen, &info))
    }

    /// FIONBIO.
    pub fn set_nonblocking(&mut self, handle: usize, on: bool) -> Result<()> {
        self.sock_mut(handle)?.nonblocking = on;
        Ok(())
    }

    /// SIO_UDP_CONNRESET / SIO_UDP_NETRESET. Both are UDP ioctls (MSWSock.h); other sockets
    /// refuse them with WSAEINVAL.
    pub fn set_icmp_reporting(&mut self, handle: usize, netreset: bool, on: bool) -> Result<()> {
        let sock = self.sock_mut(handle)?;
        if sock.kind != SockKind::Udp {
            return Err(Errno::Inval);
        }
        if netreset {
            sock.opts.netreset = on;
        } else {
            sock.opts.connreset = on;
        }
        Ok(())
    }
}
