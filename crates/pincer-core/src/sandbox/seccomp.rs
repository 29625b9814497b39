//! The seccomp filter of a command without network: no sockets, no io_uring.

use std::collections::BTreeMap;

use seccompiler::{BpfProgram, SeccompAction, SeccompFilter, TargetArch};

use super::SandboxError;

/// On x86_64, x32 system calls are the same numbers with this bit set; the filter must
/// refuse them too, or `socket` would be one bit away.
#[cfg(target_arch = "x86_64")]
const X32_SYSCALL_BIT: i64 = 0x4000_0000;

/// A filter that fails `socket` (every address family: the internet, but also Unix
/// sockets that reach local daemons such as D-Bus or Docker) and io_uring (whose
/// operations would open sockets past the filter) with EACCES. `socketpair`, which only
/// connects a process with itself, stays. Calls of another architecture kill the process.
pub(super) fn no_network() -> Result<Vec<libc::sock_filter>, SandboxError> {
    let mut refused = vec![
        libc::SYS_socket,
        libc::SYS_io_uring_setup,
        libc::SYS_io_uring_enter,
        libc::SYS_io_uring_register,
    ];
    #[cfg(target_arch = "x86_64")]
    {
        let x32: Vec<i64> = refused.iter().map(|nr| nr | X32_SYSCALL_BIT).collect();
        refused.extend(x32);
    }
    let rules: BTreeMap<i64, Vec<seccompiler::SeccompRule>> =
        refused.into_iter().map(|nr| (nr, Vec::new())).collect();
    let arch = TargetArch::try_from(std::env::consts::ARCH)
        .map_err(|e| SandboxError::Setup(format!("seccomp: {e}")))?;
    let filter = SeccompFilter::new(
        rules,
        SeccompAction::Allow,
        SeccompAction::Errno(libc::EACCES as u32),
        arch,
    )
    .map_err(|e| SandboxError::Setup(format!("seccomp: {e}")))?;
    let program: BpfProgram = filter
        .try_into()
        .map_err(|e: seccompiler::BackendError| SandboxError::Setup(format!("seccomp: {e}")))?;
    Ok(program
        .into_iter()
        .map(|i| libc::sock_filter {
            code: i.code,
            jt: i.jt,
            jf: i.jf,
            k: i.k,
        })
        .collect())
}
