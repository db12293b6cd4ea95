//! Diagnostics: uses of the API that Windows would not report as an error but that a test
//! author needs to hear about (a call that could never complete, an undocumented input).

use core::fmt;

use crate::sched::time::Instant;

/// A diagnostic.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Diagnostic {
    /// A blocking call would have waited forever: every thread of the simulation was blocked,
    /// no datagram or timer was scheduled, and the call had no timeout. The call failed with
    /// WSAEINTR (the error of a blocking call whose wait is abandoned).
    WouldBlockForever {
        /// The function.
        call: &'static str,
        /// The socket (0 for a call that has none, such as Sleep).
        handle: usize,
    },
    /// WSARecvMsg's input `dwFlags` held output-only bits (MSG_TRUNC, MSG_CTRUNC, MSG_BCAST,
    /// MSG_MCAST), typically left over from a previous call. Windows documents only MSG_PEEK
    /// as input; the simulator ignores the other bits and says so here.
    OutputFlagsOnInput {
        /// The socket.
        handle: usize,
        /// The bits.
        flags: u32,
    },
    /// A Winsock function the simulator does not implement was called; it failed with
    /// WSAEOPNOTSUPP (README, "Not supported").
    Unsupported {
        /// The function.
        function: &'static str,
    },
    /// An OVERLAPPED was posted again while a request using it was still in flight
    /// (WSARecvMsg page: "each must reference a separate WSAOVERLAPPED structure").
    OverlappedReused {
        /// The socket.
        handle: usize,
        /// The number of the request still using it (as the trace names requests: an
        /// address would make traces differ from run to run).
        request: u64,
    },
    /// A blocking Winsock call was made inside an APC that interrupted a blocking Winsock call
    /// on the same thread (WSARecvMsg page: undefined behaviour). It failed with
    /// WSAEINPROGRESS ("the service provider is still processing a callback function").
    BlockingCallInApc {
        /// The function.
        call: &'static str,
    },
    /// Two threads receiving on one socket at once (WSARecvMsg page: "should not be called
    /// on the same socket simultaneously from different threads").
    ConcurrentReceive {
        /// The socket.
        handle: usize,
        /// The thread already receiving and the one that started.
        threads: (u32, u32),
    },
    /// WSAGetOverlappedResult with fWait TRUE for a request that has a completion routine
    /// (WSARecvMsg page: "may not set the fWait parameter ... to TRUE"). The simulator waits
    /// for the request itself.
    WaitWithCompletionRoutine {
        /// The socket.
        handle: usize,
    },
    /// A warning: a byte-count pointer on an overlapped call ("To avoid potentially erroneous
    /// results, pass NULL for this parameter if the lpOverlapped parameter is not NULL").
    ByteCountWithOverlapped {
        /// The function.
        call: &'static str,
    },
    /// A panic inside the simulator was caught at the face (a simulator bug). The simulation
    /// is unusable afterwards: every call fails with WSAENETDOWN.
    InternalError {
        /// The panic message.
        message: String,
    },
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Diagnostic::WouldBlockForever { call, handle: 0 } => write!(
                f,
                "{call} would block forever: every simulated thread is blocked and nothing is scheduled; returning"
            ),
            Diagnostic::WouldBlockForever { call, handle } => write!(
                f,
                "{call} on socket {handle:#x} would block forever: every simulated thread is blocked, nothing is scheduled to arrive and no SO_RCVTIMEO is set; failing it with WSAEINTR"
            ),
            Diagnostic::OutputFlagsOnInput { handle, flags } => write!(
                f,
                "WSARecvMsg on socket {handle:#x}: input dwFlags {flags:#x} holds output-only bits; only MSG_PEEK is an input flag (ignored)"
            ),
            Diagnostic::OverlappedReused { handle, request } => write!(
                f,
                "socket {handle:#x}: the OVERLAPPED of request r{request} posted again while that request is in flight"
            ),
            Diagnostic::BlockingCallInApc { call } => write!(
                f,
                "{call}: a blocking Winsock call inside an APC that interrupted a blocking Winsock call (undefined); failed with WSAEINPROGRESS"
            ),
            Diagnostic::ConcurrentReceive { handle, threads: (a, b) } => write!(
                f,
                "socket {handle:#x}: thread {b} started a receive while thread {a} is receiving on it"
            ),
            Diagnostic::WaitWithCompletionRoutine { handle } => write!(
                f,
                "socket {handle:#x}: WSAGetOverlappedResult with fWait TRUE for a request with a completion routine"
            ),
            Diagnostic::ByteCountWithOverlapped { call } => write!(
                f,
                "warning: {call} with a byte-count pointer and an OVERLAPPED; pass NULL"
            ),
            Diagnostic::Unsupported { function } => write!(
                f,
                "{function} is not simulated; it failed with WSAEOPNOTSUPP"
            ),
            Diagnostic::InternalError { message } => {
                write!(f, "internal simulator error (please report): {message}")
            }
        }
    }
}

/// A diagnostic with its time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiagnosticRecord {
    /// When.
    pub time: Instant,
    /// What.
    pub diagnostic: Diagnostic,
}
