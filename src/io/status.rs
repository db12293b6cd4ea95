//! NTSTATUS values on the receive path, and the two ways Windows turns them into errors:
//! the Winsock mapping (WSAGetOverlappedResult, completion routines) and the Win32 mapping
//! (GetQueuedCompletionStatus, GetOverlappedResult, which use RtlNtStatusToDosError).
//!
//! The Winsock table is the one Wine's test_WSAGetOverlappedResult asserts on Windows for
//! every status it tries (`map_status` in sock.c); the Win32 values are winerror.h's for the
//! statuses winsock-facts §1c lists.

use core::fmt;

/// An NTSTATUS, as OVERLAPPED.Internal holds it.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NtStatus(pub u32);

impl NtStatus {
    /// STATUS_SUCCESS.
    pub const SUCCESS: NtStatus = NtStatus(0);
    /// STATUS_PENDING: Internal while a request is in flight.
    pub const PENDING: NtStatus = NtStatus(0x103);
    /// STATUS_BUFFER_OVERFLOW: a truncated datagram (a warning: data was delivered).
    pub const BUFFER_OVERFLOW: NtStatus = NtStatus(0x8000_0005);
    /// STATUS_HANDLES_CLOSED: what Wine 8 reports for a receive pending at closesocket.
    pub const HANDLES_CLOSED: NtStatus = NtStatus(0x8000_000A);
    /// STATUS_CANCELLED.
    pub const CANCELLED: NtStatus = NtStatus(0xC000_0120);
    /// STATUS_CONNECTION_ABORTED.
    pub const CONNECTION_ABORTED: NtStatus = NtStatus(0xC000_0241);
    /// STATUS_PORT_UNREACHABLE: an ICMP port unreachable on UDP.
    pub const PORT_UNREACHABLE: NtStatus = NtStatus(0xC000_023F);
    /// STATUS_HOPLIMIT_EXCEEDED: an ICMP time exceeded on UDP.
    pub const HOPLIMIT_EXCEEDED: NtStatus = NtStatus(0xC000_A012);
    /// STATUS_NOT_SUPPORTED.
    pub const NOT_SUPPORTED: NtStatus = NtStatus(0xC000_00BB);
    /// STATUS_RECEIVE_PARTIAL: a part of a message was received (informational; MSG_PARTIAL).
    pub const RECEIVE_PARTIAL: NtStatus = NtStatus(0x4000_000F);
    /// STATUS_GRACEFUL_DISCONNECT: the peer closed the circuit (WSAEDISCON).
    pub const GRACEFUL_DISCONNECT: NtStatus = NtStatus(0xC000_0237);

    /// NT_SUCCESS: success or informational.
    pub const fn is_success(self) -> bool {
        (self.0 as i32) >= 0
    }

    /// NT_ERROR: an error (severity 3), as opposed to a success, information or warning.
    pub const fn is_error(self) -> bool {
        self.0 >> 30 == 3
    }

    /// The Winsock error for this status (WSAGetOverlappedResult, completion routines);
    /// 0 for success. `cancelled` is the error STATUS_CANCELLED maps to (see
    /// [`CancelledError`]).
    pub fn to_wsa(self, cancelled: CancelledError) -> u32 {
        self.to_errno(cancelled).map_or(0, |e| e.code() as u32)
    }

    /// [`NtStatus::to_wsa`] as an [`Errno`](crate::Errno); `None` for success.
    pub fn to_errno(self, cancelled: CancelledError) -> Option<crate::Errno> {
        // Successes, including informational ones such as STATUS_RECEIVE_PARTIAL; but
        // STATUS_PENDING is WSA_IO_INCOMPLETE.
        if self == NtStatus::SUCCESS || (self.is_success() && self != NtStatus::PENDING) {
            return None;
        }
        if self == NtStatus::CANCELLED {
            return Some(match cancelled {
                CancelledError::OperationAborted => E::OperationAborted,
                CancelledError::Intr => E::Intr,
            });
        }
        Some(
            match WSA_TABLE.iter().find(|(st, _)| *st as u32 == self.0) {
                Some(&(_, e)) => e,
                // Any other failure or warning is WSAEINVAL (Wine test_WSAGetOverlappedResult).
                None => E::Inval,
            },
        )
    }

    /// The output flags a completion with this status reports (WSAGetOverlappedResult's
    /// lpdwFlags, a completion routine's dwFlags): MSG_PARTIAL for STATUS_RECEIVE_PARTIAL, as
    /// msafd-style providers derive them (winsock-facts §1b, §5.7).
    pub fn recv_flags(self) -> u32 {
        if self == NtStatus::RECEIVE_PARTIAL {
            MSG_PARTIAL
        } else {
            0
        }
    }

    /// The Win32 error RtlNtStatusToDosError gives (GetQueuedCompletionStatus, GetLastError).
    pub fn to_win32(self) -> u32 {
        if self == NtStatus::SUCCESS {
            return 0;
        }
        match WIN32_TABLE.iter().find(|(st, _)| *st as u32 == self.0) {
            Some((_, e)) => *e,
            // No mapping is published for STATUS_HOPLIMIT_EXCEEDED; RtlNtStatusToDosError
            // answers ERROR_MR_MID_NOT_FOUND for statuses it has no entry for.
            None => F::ERROR_MR_MID_NOT_FOUND,
        }
    }
}

use crate::Errno as E;

/// MSG_PARTIAL.
pub(crate) const MSG_PARTIAL: u32 = 0x8000;
use windows_sys::Win32::Foundation as F;

/// NTSTATUS to Winsock error: the map_status rows of Wine's test_WSAGetOverlappedResult
/// (asserted on Windows), plus STATUS_HOPLIMIT_EXCEEDED, which that table does not cover:
/// Microsoft's own NtStatusToSocketError (win-net-test) maps it to WSAENETRESET, which is
/// what the WSARecvMsg page promises for an expired TTL.
const WSA_TABLE: &[(i32, E)] = &[
    (F::STATUS_PENDING, E::IoIncomplete),
    (F::STATUS_BUFFER_OVERFLOW, E::MsgSize),
    (F::STATUS_INVALID_BUFFER_SIZE, E::MsgSize),
    (F::STATUS_IO_TIMEOUT, E::TimedOut),
    (F::STATUS_LINK_TIMEOUT, E::TimedOut),
    (F::STATUS_DEVICE_NOT_READY, E::WouldBlock),
    (F::STATUS_REQUEST_NOT_ACCEPTED, E::WouldBlock),
    (F::STATUS_PORT_UNREACHABLE, E::ConnReset),
    (F::STATUS_CONNECTION_RESET, E::ConnReset),
    (F::STATUS_CONNECTION_DISCONNECTED, E::ConnReset),
    (F::STATUS_REMOTE_DISCONNECT, E::ConnReset),
    (F::STATUS_LINK_FAILED, E::ConnReset),
    (F::STATUS_HOPLIMIT_EXCEEDED, E::NetReset),
    (F::STATUS_CONNECTION_ABORTED, E::ConnAborted),
    (F::STATUS_LOCAL_DISCONNECT, E::ConnAborted),
    (F::STATUS_TRANSACTION_ABORTED, E::ConnAborted),
    (F::STATUS_PIPE_DISCONNECTED, E::Shutdown),
    (F::STATUS_INVALID_CONNECTION, E::NotConn),
    (F::STATUS_CONNECTION_ACTIVE, E::IsConn),
    (F::STATUS_NOT_SUPPORTED, E::OpNotSupp),
    (F::STATUS_NOT_IMPLEMENTED, E::OpNotSupp),
    (F::STATUS_ACCESS_VIOLATION, E::Fault),
    (F::STATUS_BUFFER_TOO_SMALL, E::Fault),
    (F::STATUS_DATATYPE_MISALIGNMENT_ERROR, E::Fault),
    (F::STATUS_INVALID_HANDLE, E::NotSock),
    (F::STATUS_OBJECT_TYPE_MISMATCH, E::NotSock),
    (F::STATUS_ACCESS_DENIED, E::Access),
    (F::STATUS_HOST_UNREACHABLE, E::HostUnreach),
    (F::STATUS_NETWORK_UNREACHABLE, E::NetUnreach),
    (F::STATUS_PROTOCOL_UNREACHABLE, E::NetUnreach),
    (F::STATUS_BAD_NETWORK_PATH, E::NetUnreach),
    (F::STATUS_CONNECTION_REFUSED, E::ConnRefused),
    (F::STATUS_REMOTE_NOT_LISTENING, E::ConnRefused),
    (F::STATUS_INVALID_ADDRESS, E::AddrNotAvail),
    (F::STATUS_INVALID_ADDRESS_COMPONENT, E::AddrNotAvail),
    (F::STATUS_ADDRESS_ALREADY_EXISTS, E::AddrInUse),
    (F::STATUS_SHARING_VIOLATION, E::AddrInUse),
    (F::STATUS_GRACEFUL_DISCONNECT, E::Discon),
    (F::STATUS_REQUEST_ABORTED, E::Intr),
    (F::STATUS_INSUFFICIENT_RESOURCES, E::NoBufs),
    (F::STATUS_NO_MEMORY, E::NoBufs),
    (F::STATUS_NETWORK_BUSY, E::NetDown),
    (F::STATUS_UNEXPECTED_NETWORK_ERROR, E::NetDown),
];

/// NTSTATUS to Win32 error (RtlNtStatusToDosError) for the statuses a receive can end with
/// (winsock-facts §1c; winerror.h values).
const WIN32_TABLE: &[(i32, u32)] = &[
    (F::STATUS_PENDING, F::ERROR_IO_PENDING),
    (F::STATUS_BUFFER_OVERFLOW, F::ERROR_MORE_DATA),
    (F::STATUS_HANDLES_CLOSED, F::ERROR_HANDLES_CLOSED),
    (F::STATUS_CANCELLED, F::ERROR_OPERATION_ABORTED),
    (F::STATUS_CONNECTION_ABORTED, F::ERROR_CONNECTION_ABORTED),
    (F::STATUS_PORT_UNREACHABLE, F::ERROR_PORT_UNREACHABLE),
    (F::STATUS_CONNECTION_RESET, F::ERROR_NETNAME_DELETED),
    (F::STATUS_LOCAL_DISCONNECT, F::ERROR_NETNAME_DELETED),
    (F::STATUS_REMOTE_DISCONNECT, F::ERROR_NETNAME_DELETED),
    (F::STATUS_NOT_SUPPORTED, F::ERROR_NOT_SUPPORTED),
    (F::STATUS_BUFFER_TOO_SMALL, F::ERROR_INSUFFICIENT_BUFFER),
    (F::STATUS_INVALID_BUFFER_SIZE, F::ERROR_INVALID_USER_BUFFER),
    (F::STATUS_IO_TIMEOUT, F::ERROR_SEM_TIMEOUT),
];

impl fmt::Display for NtStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match *self {
            NtStatus::SUCCESS => "STATUS_SUCCESS",
            NtStatus::PENDING => "STATUS_PENDING",
            NtStatus::BUFFER_OVERFLOW => "STATUS_BUFFER_OVERFLOW",
            NtStatus::HANDLES_CLOSED => "STATUS_HANDLES_CLOSED",
            NtStatus::CANCELLED => "STATUS_CANCELLED",
            NtStatus::CONNECTION_ABORTED => "STATUS_CONNECTION_ABORTED",
            NtStatus::PORT_UNREACHABLE => "STATUS_PORT_UNREACHABLE",
            NtStatus::HOPLIMIT_EXCEEDED => "STATUS_HOPLIMIT_EXCEEDED",
            NtStatus::NOT_SUPPORTED => "STATUS_NOT_SUPPORTED",
            _ => return write!(f, "{:#010x}", self.0),
        };
        f.write_str(name)
    }
}

/// The Winsock error a cancelled request reports (STATUS_CANCELLED). Real systems disagree:
/// Windows' WSAGetOverlappedResult gives WSA_OPERATION_ABORTED (Wine test_WSAGetOverlappedResult,
/// and the WSARecvMsg page), while the msafd-style tables (libuv, Microsoft's win-net-test)
/// map it to WSAEINTR (winsock-facts §1c, §6.8).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub enum CancelledError {
    /// WSA_OPERATION_ABORTED (995), the Windows default.
    #[default]
    OperationAborted,
    /// WSAEINTR (10004), as msafd-style translation tables give it.
    Intr,
}

impl CancelledError {
    /// The error code.
    pub const fn code(self) -> u32 {
        match self {
            CancelledError::OperationAborted => 995,
            CancelledError::Intr => 10004,
        }
    }
}

/// What closesocket completes a pending receive with. Real systems disagree: afd.c's
/// test_recv shows STATUS_CANCELLED for a UDP socket on Windows; sock.c's
/// iocp_async_read_closesocket shows STATUS_CONNECTION_ABORTED for TCP; Wine 8 reports
/// STATUS_HANDLES_CLOSED (wine8-observations).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub enum CloseStatus {
    /// STATUS_CANCELLED (Windows, UDP).
    #[default]
    Cancelled,
    /// STATUS_CONNECTION_ABORTED (Windows, TCP).
    ConnectionAborted,
    /// STATUS_HANDLES_CLOSED (Wine 8).
    HandlesClosed,
}

impl CloseStatus {
    /// The status.
    pub const fn status(self) -> NtStatus {
        match self {
            CloseStatus::Cancelled => NtStatus::CANCELLED,
            CloseStatus::ConnectionAborted => NtStatus::CONNECTION_ABORTED,
            CloseStatus::HandlesClosed => NtStatus::HANDLES_CLOSED,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows of Wine's map_status table (test_WSAGetOverlappedResult, run on Windows).
    #[test]
    fn wsa_mapping_matches_windows_rows() {
        let c = CancelledError::OperationAborted;
        let rows: &[(u32, u32)] = &[
            (0, 0),
            (0x103, 996),
            (0x8000_0005, 10040),
            (0xC000_0206, 10040),
            (0xC000_0120, 995),
            (0xC000_023F, 10054),
            (0xC000_020D, 10054),
            (0xC000_0241, 10053),
            (0xC000_00B0, 10058),
            (0xC000_0140, 10057),
            (0xC000_00BB, 10045),
            (0xC000_0005, 10014),
            (0xC000_0008, 10038),
            (0xC000_0236, 10061),
            (0xC000_0240, 10004),
            (0xC000_0237, 10101),
            (0xC000_013E, 10054), // STATUS_LINK_FAILED
            (0xC000_023B, 10056), // STATUS_CONNECTION_ACTIVE
            (0x8000_0001, 10022), // an unmapped warning
            (0xC000_0999, 10022), // an unmapped error
        ];
        for &(status, want) in rows {
            assert_eq!(NtStatus(status).to_wsa(c), want, "{:#x}", status);
        }
        assert_eq!(NtStatus::CANCELLED.to_wsa(CancelledError::Intr), 10004);
    }

    #[test]
    fn named_constants_equal_windows_sys() {
        let pairs = [
            (NtStatus::PENDING, F::STATUS_PENDING),
            (NtStatus::BUFFER_OVERFLOW, F::STATUS_BUFFER_OVERFLOW),
            (NtStatus::HANDLES_CLOSED, F::STATUS_HANDLES_CLOSED),
            (NtStatus::CANCELLED, F::STATUS_CANCELLED),
            (NtStatus::CONNECTION_ABORTED, F::STATUS_CONNECTION_ABORTED),
            (NtStatus::PORT_UNREACHABLE, F::STATUS_PORT_UNREACHABLE),
            (NtStatus::HOPLIMIT_EXCEEDED, F::STATUS_HOPLIMIT_EXCEEDED),
            (NtStatus::NOT_SUPPORTED, F::STATUS_NOT_SUPPORTED),
            (NtStatus::RECEIVE_PARTIAL, F::STATUS_RECEIVE_PARTIAL),
            (NtStatus::GRACEFUL_DISCONNECT, F::STATUS_GRACEFUL_DISCONNECT),
        ];
        for (ours, theirs) in pairs {
            assert_eq!(ours.0, theirs as u32);
        }
    }

    #[test]
    fn classes() {
        assert!(NtStatus::SUCCESS.is_success() && NtStatus::PENDING.is_success());
        assert!(!NtStatus::BUFFER_OVERFLOW.is_success() && !NtStatus::BUFFER_OVERFLOW.is_error());
        assert!(NtStatus::CANCELLED.is_error());
        assert_eq!(NtStatus::BUFFER_OVERFLOW.to_win32(), 234);
        assert_eq!(NtStatus::PORT_UNREACHABLE.to_win32(), 1234);
    }
}
