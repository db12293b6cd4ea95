//! The service provider interface, layered as Windows layers it: ws2 reaches a socket's
//! provider through the WSPPROC_TABLE the provider's WSPStartup filled, and a provider calls
//! back into ws2 through the WSPUPCALLTABLE it was given.
//!
//! - [`WSPStartup`] (`LPWSPSTARTUP`) starts the simulator's base provider, which serves every
//!   entry of the default catalogue (MSAFD Tcpip over IPv4 and IPv6) and the simulator's
//!   message protocols. Its [`WSPRecvFrom`] and [`WSPRecv`] implement the LPWSPRECVFROM page:
//!   errors through `lpErrno`, `lpThreadId` captured and used later through the
//!   `lpWPUQueueApc` upcall so that the provider's own APC function calls the client's
//!   completion routine in the issuing thread's alertable wait.
//! - [`upcall_table`] is ws2's upcall table (WPUQueueApc, WPUOpenCurrentThread, events, ...).
//! - [`install_layered_provider`] puts a layered provider (an LSP written in Rust, with its
//!   own WSPStartup) between ws2 and the base provider, as WSCInstallProvider and
//!   WSCWriteProviderOrder would; it typically starts the base provider itself and passes
//!   calls down its chain.
//!
//! ws2 goes through the provider for socket creation, closesocket and the receive calls
//! (recv, recvfrom, WSARecv, WSARecvFrom); its other functions use the base provider's core
//! directly (see the README). Like `ws2`, this is part of the raw ABI layer.

mod base;
mod dispatch;
mod install;
mod recv;
mod upcall;

pub use base::WSPStartup;
pub use install::{install_layered_provider, LayeredProvider};
pub use recv::{WSPRecv, WSPRecvFrom};
pub use upcall::upcall_table;

pub(crate) use dispatch::{
    info_of, provider_table, provider_table_and, start_provider, thread_id_for_call,
};
pub(crate) use recv::{name_request, WSARecvMsg};
pub(crate) use upcall::{make_own_upcall_now, queue_deferred_apc, wsa_thread_id};
