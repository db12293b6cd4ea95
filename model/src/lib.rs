//! An executable specification of the Winsock datagram receive contract.
//!
//! It is written from the contract (the WSARecvMsg, recvfrom and LPWSPRECVFROM pages, and the
//! Windows rows of Wine's tests; see CONTRACT.md), not from the simulator, and shares no code
//! with it: it is meant to be small enough to check by reading. It models one bound IPv4 UDP
//! socket on loopback: what is queued on it, its receive options, the overlapped receives
//! posted on it, and what each call returns and writes.
//!
//! Where Windows allows several outcomes the model says which are allowed: the completion
//! routines an alertable wait runs may run in any order ([`Allowed::AnyOrder`]); everything
//! else on one socket has exactly one outcome.

mod deliver;
mod overlapped;
mod socket;

pub use deliver::{deliver, Delivery, Options};
pub use overlapped::{Allowed, Done, Notify, Packet, PostOutcome, Request, RoutineCall};
pub use socket::{Api, Call, Outcome, Queued, Socket};

/// Winsock error codes and NTSTATUS values the model produces.
pub mod code {
    /// WSAEINTR (a blocking call that could never complete; see the simulator's README).
    pub const INTR: i32 = 10004;
    /// WSAEFAULT.
    pub const FAULT: i32 = 10014;
    /// WSAEINVAL.
    pub const INVAL: i32 = 10022;
    /// WSAEWOULDBLOCK.
    pub const WOULDBLOCK: i32 = 10035;
    /// WSAENOTSOCK.
    pub const NOTSOCK: i32 = 10038;
    /// WSAEMSGSIZE.
    pub const MSGSIZE: i32 = 10040;
    /// WSAEOPNOTSUPP.
    pub const OPNOTSUPP: i32 = 10045;
    /// WSAENETRESET.
    pub const NETRESET: i32 = 10052;
    /// WSAECONNRESET.
    pub const CONNRESET: i32 = 10054;
    /// WSA_OPERATION_ABORTED.
    pub const ABORTED: i32 = 995;
    /// WSA_IO_INCOMPLETE.
    pub const INCOMPLETE: i32 = 996;
    /// WSA_IO_PENDING.
    pub const PENDING: i32 = 997;

    /// STATUS_SUCCESS.
    pub const STATUS_SUCCESS: u32 = 0;
    /// STATUS_PENDING.
    pub const STATUS_PENDING: u32 = 0x103;
    /// STATUS_BUFFER_OVERFLOW: a datagram or its control data did not fit.
    pub const STATUS_BUFFER_OVERFLOW: u32 = 0x8000_0005;
    /// STATUS_CANCELLED.
    pub const STATUS_CANCELLED: u32 = 0xC000_0120;
    /// STATUS_PORT_UNREACHABLE.
    pub const STATUS_PORT_UNREACHABLE: u32 = 0xC000_023F;
    /// STATUS_HOPLIMIT_EXCEEDED.
    pub const STATUS_HOPLIMIT_EXCEEDED: u32 = 0xC000_A012;

    /// The Winsock error a completion status reports (WSAGetOverlappedResult, completion
    /// routines); 0 for success (the map of Wine's test_WSAGetOverlappedResult).
    pub fn wsa_of(status: u32) -> i32 {
        match status {
            STATUS_SUCCESS => 0,
            STATUS_BUFFER_OVERFLOW => MSGSIZE,
            STATUS_CANCELLED => ABORTED,
            STATUS_PORT_UNREACHABLE => CONNRESET,
            STATUS_HOPLIMIT_EXCEEDED => NETRESET,
            _ => INVAL,
        }
    }
}
