//! The seccomp filter of a sandboxed command: no typing into the terminal, and without
//! network no sockets and no io_uring.

use std::collections::BTreeMap;

use seccompiler::{
    BpfProgram, SeccompAction, SeccompCmpArgLen, SeccompCmpOp, SeccompCondition, SeccompFilter,
    SeccompRule, TargetArch,
};

use super::SandboxError;

/// On x86_64, x32 system calls are the same numbers with this bit set; the filter must
/// refuse them too, or `socket` would be one bit away.
#[cfg(target_arch = "x86_64")]
const X32_SYSCALL_BIT: i64 = 0x4000_0000;

/// A filter that always fails the terminal ioctls that push input into a terminal
/// (`TIOCSTI`) or act on the console (`TIOCLINUX`), and without network also `socket`
/// (every address family: the internet, but also Unix sockets that reach local daemons
/// such as D-Bus or Docker) and io_uring (whose operations would open sockets past the
/// filter), all with EACCES. `socketpair`, which only connects a process with itself,
/// stays. Calls of another architecture kill the process.
pub(super) fn filter(network: bool) -> Result<Vec<libc::sock_filter>, SandboxError> {
    let setup = |e: seccompiler::BackendError| SandboxError::Setup(format!("seccomp: {e}"));
    let mut refused = Vec::new();
    if !network {
        refused.extend([
            libc::SYS_socket,
            libc::SYS_io_uring_setup,
            libc::SYS_io_uring_enter,
            libc::SYS_io_uring_register,
        ]);
    }
    #[cfg(target_arch = "x86_64")]
    {
        let x32: Vec<i64> = refused.iter().map(|nr| nr | X32_SYSCALL_BIT).collect();
        refused.extend(x32);
    }
    let mut rules: BTreeMap<i64, Vec<SeccompRule>> =
        refused.into_iter().map(|nr| (nr, Vec::new())).collect();
    let ioctl_rules = [libc::TIOCSTI, libc::TIOCLINUX]
        .into_iter()
        .map(|request| {
            let condition = SeccompCondition::new(
                1,
                SeccompCmpArgLen::Dword,
                SeccompCmpOp::Eq,
                u64::from(request as u32),
            )?;
            SeccompRule::new(vec![condition])
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(setup)?;
    rules.insert(libc::SYS_ioctl, ioctl_rules.clone());
    #[cfg(target_arch = "x86_64")]
    rules.insert(libc::SYS_ioctl | X32_SYSCALL_BIT, ioctl_rules);
    let arch = TargetArch::try_from(std::env::consts::ARCH)
        .map_err(|e| SandboxError::Setup(format!("seccomp: {e}")))?;
    let filter = SeccompFilter::new(
        rules,
        SeccompAction::Allow,
        SeccompAction::Errno(libc::EACCES as u32),
        arch,
    )
    .map_err(setup)?;
    let program: BpfProgram = filter.try_into().map_err(setup)?;
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
