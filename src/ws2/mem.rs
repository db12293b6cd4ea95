//! Reading and writing the caller's memory. This module and the face functions that call it
//! are the only places in the crate with `unsafe`; every block says why it is sound.
//!
//! The contract of each face function is Win32's: a non-NULL pointer the caller passes is
//! valid for the length the caller gives. What Windows catches itself, this module catches
//! too: NULL, and pointers into the first 64 KiB of the address space, which Windows never
//! maps (so a Win32 call given `(char*)1` always fails with WSAEFAULT; Wine's
//! test_set_getsockopt relies on it).

use std::net::SocketAddr;

use windows_sys::Win32::Networking::WinSock::{SOCKADDR, WSABUF};

use crate::error::{Errno, Result};
use crate::wire::sockaddr::{self, AF_INET, AF_INET6, SOCKADDR_IN6_LEN, SOCKADDR_IN_LEN};

/// The lowest address Windows maps for user memory.
const LOWEST_MAPPED: usize = 0x1_0000;

/// Whether `p` can never be a valid user pointer.
pub(crate) fn bad<T>(p: *const T) -> bool {
    (p as usize) < LOWEST_MAPPED
}

/// Reads a value the caller points to.
///
/// # Safety
/// `p` must be NULL-checked by the caller and valid for reads of a `T` (Win32 contract).
pub(crate) unsafe fn read<T: Copy>(p: *const T) -> T {
    // SAFETY: the caller guarantees `p` is valid for reads; `read_unaligned` makes no
    // alignment assumption about caller memory.
    unsafe { p.read_unaligned() }
}

/// Writes a value where the caller points.
///
/// # Safety
/// `p` must be valid for writes of a `T` (Win32 contract).
pub(crate) unsafe fn write<T>(p: *mut T, v: T) {
    // SAFETY: the caller guarantees `p` is valid for writes; no alignment is assumed.
    unsafe { p.write_unaligned(v) }
}

/// Copies `data` to `p`.
///
/// # Safety
/// `p` must be valid for writes of `data.len()` bytes.
pub(crate) unsafe fn write_bytes(p: *mut u8, data: &[u8]) {
    if data.is_empty() {
        return;
    }
    // SAFETY: `p` is valid for `data.len()` bytes (caller); `data` is our own memory, so the
    // two ranges cannot overlap.
    unsafe { core::ptr::copy_nonoverlapping(data.as_ptr(), p, data.len()) }
}

/// Borrows `len` bytes at `p` (an empty slice for `len == 0`, whatever `p` is).
///
/// # Safety
/// If `len > 0`, `p` must be valid for reads of `len` bytes for the duration of the borrow.
pub(crate) unsafe fn bytes<'a>(p: *const u8, len: usize) -> &'a [u8] {
    if len == 0 {
        return &[];
    }
    // SAFETY: `p` is non-NULL and valid for `len` bytes (caller); u8 has no alignment.
    unsafe { core::slice::from_raw_parts(p, len) }
}

/// Reads a WSABUF array and checks each buffer: a NULL (or unmapped) `buf` with a non-zero
/// `len` is WSAEFAULT. Returns the buffers and their total capacity.
///
/// # Safety
/// If `count > 0`, `p` must be valid for reads of `count` WSABUFs.
pub(crate) unsafe fn wsabufs(p: *const WSABUF, count: u32) -> Result<(Bufs, usize)> {
    if count > 0 && bad(p) {
        return Err(Errno::Fault);
    }
    let mut v = Bufs::with_capacity(count);
    let mut total = 0usize;
    for i in 0..count as usize {
        // SAFETY: `p` holds `count` WSABUFs (caller); `i < count`.
        let b = unsafe { read(p.add(i)) };
        if b.len > 0 && bad(b.buf) {
            return Err(Errno::Fault);
        }
        total = total.saturating_add(b.len as usize);
        v.push(b);
    }
    Ok((v, total))
}

/// A caller's WSABUF array, captured. The usual one or two buffers are kept inline: a
/// receive or send on the data path allocates nothing for them.
pub(crate) enum Bufs {
    Inline([WSABUF; INLINE_BUFS], usize),
    Heap(Vec<WSABUF>),
}

const INLINE_BUFS: usize = 2;

impl Bufs {
    fn with_capacity(count: u32) -> Bufs {
        if count as usize <= INLINE_BUFS {
            let none = WSABUF {
                len: 0,
                buf: core::ptr::null_mut(),
            };
            Bufs::Inline([none; INLINE_BUFS], 0)
        } else {
            Bufs::Heap(Vec::with_capacity(count.min(64) as usize))
        }
    }

    fn push(&mut self, b: WSABUF) {
        match self {
            Bufs::Inline(a, n) if *n < INLINE_BUFS => {
                a[*n] = b;
                *n += 1;
            }
            Bufs::Inline(a, _) => {
                let mut v = a.to_vec();
                v.push(b);
                *self = Bufs::Heap(v);
            }
            Bufs::Heap(v) => v.push(b),
        }
    }
}

impl core::ops::Deref for Bufs {
    type Target = [WSABUF];

    fn deref(&self) -> &[WSABUF] {
        match self {
            Bufs::Inline(a, n) => &a[..*n],
            Bufs::Heap(v) => v,
        }
    }
}

/// Writes consecutive pieces of one message into scatter buffers, in order (a receive's
/// bytes come out of the queue's ring in one or two pieces).
pub(crate) struct Scatter<'a> {
    bufs: &'a [WSABUF],
    /// The buffer being filled, and how much of it is.
    i: usize,
    at: usize,
}

impl<'a> Scatter<'a> {
    pub fn new(bufs: &'a [WSABUF]) -> Self {
        Scatter { bufs, i: 0, at: 0 }
    }

    /// Appends `piece`; what does not fit in the buffers is dropped (the receive has already
    /// cut the message to their total size).
    ///
    /// # Safety
    /// Every buffer must be valid for writes of its `len` bytes.
    pub unsafe fn write(&mut self, mut piece: &[u8]) {
        while let Some(b) = self.bufs.get(self.i).filter(|_| !piece.is_empty()) {
            let n = (b.len as usize - self.at).min(piece.len());
            // SAFETY: `b.buf` is valid for `b.len` bytes (caller) and `at + n <= b.len`.
            unsafe { write_bytes(b.buf.add(self.at), &piece[..n]) };
            piece = &piece[n..];
            self.at += n;
            if self.at == b.len as usize {
                self.i += 1;
                self.at = 0;
            }
        }
    }
}

/// Concatenates the buffers' contents (for sends).
///
/// # Safety
/// Every buffer must be valid for reads of its `len` bytes.
pub(crate) unsafe fn gather(bufs: &[WSABUF], total: usize) -> Vec<u8> {
    let mut v = Vec::with_capacity(total);
    for b in bufs {
        // SAFETY: `b.buf` is valid for `b.len` bytes (caller, checked by `wsabufs`).
        v.extend_from_slice(unsafe { bytes(b.buf, b.len as usize) });
    }
    v
}

/// Reads a socket address the caller passes (bind, connect, sendto): WSAEFAULT for a NULL
/// pointer or a length shorter than the family's structure, WSAEAFNOSUPPORT for a family
/// other than AF_INET / AF_INET6. Only the bytes of the family's structure are read, however
/// large `len` is. `Ok(None)` is AF_UNSPEC.
///
/// # Safety
/// If non-NULL, `name` must be valid for reads of `len` bytes.
pub(crate) unsafe fn read_sockaddr(name: *const SOCKADDR, len: i32) -> Result<Option<SocketAddr>> {
    if bad(name) || len < 2 {
        return Err(Errno::Fault);
    }
    // SAFETY: `name` is valid for `len >= 2` bytes (caller).
    let family = u16::from_le_bytes(unsafe { read(name as *const [u8; 2]) });
    let need = match family {
        AF_INET => SOCKADDR_IN_LEN,
        AF_INET6 => SOCKADDR_IN6_LEN,
        sockaddr::AF_UNSPEC => return Ok(None),
        _ => return Err(Errno::AfNoSupport),
    };
    if (len as usize) < need {
        return Err(Errno::Fault);
    }
    // SAFETY: `name` is valid for `len >= need` bytes (caller, checked above).
    let raw = unsafe { bytes(name as *const u8, need) };
    sockaddr::decode(raw).map(Some)
}

/// Writes `addr` to a name buffer of `cap` bytes, or, when it does not fit, only -1 to the
/// length (what Wine 8 does, W5; the Windows personality refuses a short buffer before).
///
/// # Safety
/// `name` must be valid for writes of `cap` bytes; `namelen`, if non-NULL, for an i32.
pub(crate) unsafe fn write_name(
    name: *mut SOCKADDR,
    namelen: *mut i32,
    cap: usize,
    addr: &SocketAddr,
) {
    if cap < sockaddr::encode(addr).len() {
        if !namelen.is_null() {
            // SAFETY: `namelen` is valid for writes (caller).
            unsafe { write(namelen, -1) };
        }
        return;
    }
    // SAFETY: the buffer holds `cap` bytes, at least the encoded length (checked above).
    unsafe { write_sockaddr(name, namelen, addr) }
}

/// Writes `addr` to a name buffer whose size the caller already checked.
///
/// # Safety
/// `name` must be valid for writes of the encoded length; `namelen`, if non-NULL, for an i32.
pub(crate) unsafe fn write_sockaddr(name: *mut SOCKADDR, namelen: *mut i32, addr: &SocketAddr) {
    let e = sockaddr::encode(addr);
    // SAFETY: the caller checked that the buffer holds at least `e.len()` bytes.
    unsafe { write_bytes(name as *mut u8, e.as_bytes()) };
    if !namelen.is_null() {
        // SAFETY: `namelen` is valid for writes (caller).
        unsafe { write(namelen, e.len() as i32) };
    }
}
