//! The error vocabulary of the core: one `Copy` enum whose values are exactly the Winsock codes
//! that `WSAGetLastError` reports, so that no translation table can drift between the core and
//! the face.

use core::fmt;

/// A Winsock error, as `WSAGetLastError` reports it.
///
/// The discriminants are the Win32 values (`winerror.h`): the face stores `errno as i32` in the
/// thread's last-error slot without any further mapping.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(i32)]
#[non_exhaustive]
pub enum Errno {
    /// WSAEINTR: a blocking call was aborted. The simulator also uses it for a blocking call
    /// that could never complete (see [`crate::Diagnostic::WouldBlockForever`]).
    Intr = 10004,
    /// WSAEACCES: for example a broadcast send without `SO_BROADCAST`.
    Access = 10013,
    /// WSAEFAULT: a NULL pointer or a length that is too small.
    Fault = 10014,
    /// WSAEINVAL: an invalid argument, or a receive on an unbound socket.
    Inval = 10022,
    /// WSAEWOULDBLOCK: a non-blocking call that cannot complete now.
    WouldBlock = 10035,
    /// WSAEINPROGRESS.
    InProgress = 10036,
    /// WSAENOTSOCK: the handle is not a socket.
    NotSock = 10038,
    /// WSAEDESTADDRREQ: a send without a destination on an unconnected socket.
    DestAddrReq = 10039,
    /// WSAEMSGSIZE: a datagram (or its control data) did not fit, or is too large to send.
    MsgSize = 10040,
    /// WSAEPROTOTYPE.
    ProtoType = 10041,
    /// WSAENOPROTOOPT: unknown socket option or level.
    NoProtoOpt = 10042,
    /// WSAEPROTONOSUPPORT.
    ProtoNoSupport = 10043,
    /// WSAESOCKTNOSUPPORT.
    SockTNoSupport = 10044,
    /// WSAEOPNOTSUPP: the operation is not supported on this socket.
    OpNotSupp = 10045,
    /// WSAEPFNOSUPPORT.
    PfNoSupport = 10046,
    /// WSAEAFNOSUPPORT: the address family is not supported (or does not match the socket).
    AfNoSupport = 10047,
    /// WSAEADDRINUSE.
    AddrInUse = 10048,
    /// WSAEADDRNOTAVAIL: the address is not local, or not valid as a destination.
    AddrNotAvail = 10049,
    /// WSAENETDOWN: the network subsystem has failed.
    NetDown = 10050,
    /// WSAENETUNREACH.
    NetUnreach = 10051,
    /// WSAENETRESET: on a datagram socket, an ICMP "time exceeded" came back for a send.
    NetReset = 10052,
    /// WSAECONNABORTED.
    ConnAborted = 10053,
    /// WSAECONNRESET: on a datagram socket, an ICMP "port unreachable" came back for a send.
    ConnReset = 10054,
    /// WSAENOBUFS.
    NoBufs = 10055,
    /// WSAEISCONN.
    IsConn = 10056,
    /// WSAENOTCONN.
    NotConn = 10057,
    /// WSAESHUTDOWN.
    Shutdown = 10058,
    /// WSAETIMEDOUT: `SO_RCVTIMEO` expired.
    TimedOut = 10060,
    /// WSAECONNREFUSED.
    ConnRefused = 10061,
    /// WSAEHOSTUNREACH.
    HostUnreach = 10065,
    /// WSASYSNOTREADY.
    SysNotReady = 10091,
    /// WSAVERNOTSUPPORTED.
    VerNotSupported = 10092,
    /// WSANOTINITIALISED: `WSAStartup` has not been called.
    NotInitialised = 10093,
    /// WSAEDISCON.
    Discon = 10101,
    /// WSA_INVALID_HANDLE (ERROR_INVALID_HANDLE).
    InvalidHandle = 6,
    /// WSA_NOT_ENOUGH_MEMORY.
    NotEnoughMemory = 8,
    /// WSA_INVALID_PARAMETER (ERROR_INVALID_PARAMETER).
    InvalidParameter = 87,
    /// WSA_OPERATION_ABORTED (ERROR_OPERATION_ABORTED).
    OperationAborted = 995,
    /// WSA_IO_INCOMPLETE (ERROR_IO_INCOMPLETE).
    IoIncomplete = 996,
    /// WSA_IO_PENDING (ERROR_IO_PENDING).
    IoPending = 997,
}

impl Errno {
    /// The Win32 value, as `WSAGetLastError` returns it.
    pub const fn code(self) -> i32 {
        self as i32
    }

    /// The error with this Win32 value, if it is one the simulator knows.
    pub fn from_code(code: i32) -> Option<Errno> {
        const ALL: &[Errno] = &[
            Errno::Intr,
            Errno::Access,
            Errno::Fault,
            Errno::Inval,
            Errno::WouldBlock,
            Errno::InProgress,
            Errno::NotSock,
            Errno::DestAddrReq,
            Errno::MsgSize,
            Errno::ProtoType,
            Errno::NoProtoOpt,
            Errno::ProtoNoSupport,
            Errno::SockTNoSupport,
            Errno::OpNotSupp,
            Errno::PfNoSupport,
            Errno::AfNoSupport,
            Errno::AddrInUse,
            Errno::AddrNotAvail,
            Errno::NetDown,
            Errno::NetUnreach,
            Errno::NetReset,
            Errno::ConnAborted,
            Errno::ConnReset,
            Errno::NoBufs,
            Errno::IsConn,
            Errno::NotConn,
            Errno::Shutdown,
            Errno::TimedOut,
            Errno::ConnRefused,
            Errno::HostUnreach,
            Errno::SysNotReady,
            Errno::VerNotSupported,
            Errno::NotInitialised,
            Errno::Discon,
            Errno::InvalidHandle,
            Errno::NotEnoughMemory,
            Errno::InvalidParameter,
            Errno::OperationAborted,
            Errno::IoIncomplete,
            Errno::IoPending,
        ];
        ALL.iter().copied().find(|e| e.code() == code)
    }

    /// The symbolic name Windows' headers give this code.
    pub const fn name(self) -> &'static str {
        match self {
            Errno::Intr => "WSAEINTR",
            Errno::Access => "WSAEACCES",
            Errno::Fault => "WSAEFAULT",
            Errno::Inval => "WSAEINVAL",
            Errno::WouldBlock => "WSAEWOULDBLOCK",
            Errno::InProgress => "WSAEINPROGRESS",
            Errno::NotSock => "WSAENOTSOCK",
            Errno::DestAddrReq => "WSAEDESTADDRREQ",
            Errno::MsgSize => "WSAEMSGSIZE",
            Errno::ProtoType => "WSAEPROTOTYPE",
            Errno::NoProtoOpt => "WSAENOPROTOOPT",
            Errno::ProtoNoSupport => "WSAEPROTONOSUPPORT",
            Errno::SockTNoSupport => "WSAESOCKTNOSUPPORT",
            Errno::OpNotSupp => "WSAEOPNOTSUPP",
            Errno::PfNoSupport => "WSAEPFNOSUPPORT",
            Errno::AfNoSupport => "WSAEAFNOSUPPORT",
            Errno::AddrInUse => "WSAEADDRINUSE",
            Errno::AddrNotAvail => "WSAEADDRNOTAVAIL",
            Errno::NetDown => "WSAENETDOWN",
            Errno::NetUnreach => "WSAENETUNREACH",
            Errno::NetReset => "WSAENETRESET",
            Errno::ConnAborted => "WSAECONNABORTED",
            Errno::ConnReset => "WSAECONNRESET",
            Errno::NoBufs => "WSAENOBUFS",
            Errno::IsConn => "WSAEISCONN",
            Errno::NotConn => "WSAENOTCONN",
            Errno::Shutdown => "WSAESHUTDOWN",
            Errno::TimedOut => "WSAETIMEDOUT",
            Errno::ConnRefused => "WSAECONNREFUSED",
            Errno::HostUnreach => "WSAEHOSTUNREACH",
            Errno::SysNotReady => "WSASYSNOTREADY",
            Errno::VerNotSupported => "WSAVERNOTSUPPORTED",
            Errno::NotInitialised => "WSANOTINITIALISED",
            Errno::Discon => "WSAEDISCON",
            Errno::InvalidHandle => "WSA_INVALID_HANDLE",
            Errno::NotEnoughMemory => "WSA_NOT_ENOUGH_MEMORY",
            Errno::InvalidParameter => "WSA_INVALID_PARAMETER",
            Errno::OperationAborted => "WSA_OPERATION_ABORTED",
            Errno::IoIncomplete => "WSA_IO_INCOMPLETE",
            Errno::IoPending => "WSA_IO_PENDING",
        }
    }
}

impl fmt::Display for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name(), self.code())
    }
}

impl std::error::Error for Errno {}

/// The core's result type.
pub type Result<T> = core::result::Result<T, Errno>;

#[cfg(test)]
mod tests {
    use super::*;
    use windows_sys::Win32::Networking::WinSock as ws;

    /// The discriminants must be the header values; a typo here would silently change what
    /// every face function reports.
    #[test]
    fn codes_equal_windows_sys_constants() {
        let pairs: &[(Errno, i32)] = &[
            (Errno::Intr, ws::WSAEINTR),
            (Errno::Access, ws::WSAEACCES),
            (Errno::Fault, ws::WSAEFAULT),
            (Errno::Inval, ws::WSAEINVAL),
            (Errno::WouldBlock, ws::WSAEWOULDBLOCK),
            (Errno::InProgress, ws::WSAEINPROGRESS),
            (Errno::NotSock, ws::WSAENOTSOCK),
            (Errno::DestAddrReq, ws::WSAEDESTADDRREQ),
            (Errno::MsgSize, ws::WSAEMSGSIZE),
            (Errno::ProtoType, ws::WSAEPROTOTYPE),
            (Errno::NoProtoOpt, ws::WSAENOPROTOOPT),
            (Errno::ProtoNoSupport, ws::WSAEPROTONOSUPPORT),
            (Errno::SockTNoSupport, ws::WSAESOCKTNOSUPPORT),
            (Errno::OpNotSupp, ws::WSAEOPNOTSUPP),
            (Errno::PfNoSupport, ws::WSAEPFNOSUPPORT),
            (Errno::AfNoSupport, ws::WSAEAFNOSUPPORT),
            (Errno::AddrInUse, ws::WSAEADDRINUSE),
            (Errno::AddrNotAvail, ws::WSAEADDRNOTAVAIL),
            (Errno::NetDown, ws::WSAENETDOWN),
            (Errno::NetUnreach, ws::WSAENETUNREACH),
            (Errno::NetReset, ws::WSAENETRESET),
            (Errno::ConnAborted, ws::WSAECONNABORTED),
            (Errno::ConnReset, ws::WSAECONNRESET),
            (Errno::NoBufs, ws::WSAENOBUFS),
            (Errno::IsConn, ws::WSAEISCONN),
            (Errno::NotConn, ws::WSAENOTCONN),
            (Errno::Shutdown, ws::WSAESHUTDOWN),
            (Errno::TimedOut, ws::WSAETIMEDOUT),
            (Errno::ConnRefused, ws::WSAECONNREFUSED),
            (Errno::HostUnreach, ws::WSAEHOSTUNREACH),
            (Errno::SysNotReady, ws::WSASYSNOTREADY),
            (Errno::VerNotSupported, ws::WSAVERNOTSUPPORTED),
            (Errno::NotInitialised, ws::WSANOTINITIALISED),
            (Errno::Discon, ws::WSAEDISCON),
            (Errno::InvalidHandle, ws::WSA_INVALID_HANDLE),
            (Errno::NotEnoughMemory, ws::WSA_NOT_ENOUGH_MEMORY),
            (Errno::InvalidParameter, ws::WSA_INVALID_PARAMETER),
            (Errno::OperationAborted, ws::WSA_OPERATION_ABORTED),
            (Errno::IoIncomplete, ws::WSA_IO_INCOMPLETE),
            (Errno::IoPending, ws::WSA_IO_PENDING),
        ];
        for &(e, code) in pairs {
            assert_eq!(e.code(), code, "{}", e.name());
        }
    }
}
