//! What runs in the child between `fork` and `exec`, and the raw system calls it needs.
//!
//! Pincer is multi-threaded (tokio), so after `fork` only async-signal-safe work is
//! allowed: no allocation, no locks. Everything the child needs (the Landlock ruleset fd,
//! the seccomp program) is built in the parent; the child only makes raw system calls.

#![allow(unsafe_code)]

use std::io;
use std::os::fd::RawFd;
use std::sync::Arc;

/// What the child applies to itself before it becomes the command.
pub(crate) struct ChildSetup {
    /// Pincer's pid: if the child's parent is already someone else, Pincer died before the
    /// parent-death signal was armed.
    pub(crate) parent: libc::pid_t,
    /// A Landlock ruleset to restrict the child with; the fd stays open in the parent until
    /// the spawn returned.
    pub(crate) landlock: Option<RawFd>,
    /// A seccomp program to install.
    pub(crate) seccomp: Option<Arc<Vec<libc::sock_filter>>>,
}

impl ChildSetup {
    /// Arranges for `command` to apply this setup in its child.
    pub(crate) fn install(self, command: &mut std::process::Command) {
        use std::os::unix::process::CommandExt as _;
        // SAFETY: `pre_exec` requires the closure to be async-signal-safe, since the parent
        // is multi-threaded. `apply` only reads memory the child inherited (the captured
        // `ChildSetup`, whose program vector was built before fork), builds one struct on
        // the stack, and calls `prctl`, `getppid` and `syscall`, which are raw system calls
        // with no locking or allocation. Errors are made with `io::Error::last_os_error` /
        // `from_raw_os_error`, which do not allocate.
        unsafe {
            command.pre_exec(move || self.apply());
        }
    }

    fn apply(&self) -> io::Result<()> {
        // SAFETY: prctl(PR_SET_PDEATHSIG) takes a signal number and has no memory effects.
        if unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong) } != 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: getppid cannot fail and touches no memory.
        if unsafe { libc::getppid() } != self.parent {
            return Err(io::Error::from_raw_os_error(libc::ESRCH));
        }
        if self.landlock.is_none() && self.seccomp.is_none() {
            return Ok(());
        }
        // Landlock and an unprivileged seccomp filter both need no_new_privs, and a setuid
        // program must not shed the sandbox anyway.
        // SAFETY: prctl(PR_SET_NO_NEW_PRIVS, 1) has no memory effects.
        if unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1 as libc::c_ulong, 0, 0, 0) } != 0 {
            return Err(io::Error::last_os_error());
        }
        if let Some(fd) = self.landlock {
            // SAFETY: landlock_restrict_self takes a ruleset fd (open in this child: it is
            // only closed at exec) and flags; no memory is passed.
            if unsafe { libc::syscall(libc::SYS_landlock_restrict_self, fd, 0) } != 0 {
                return Err(io::Error::last_os_error());
            }
        }
        if let Some(program) = &self.seccomp {
            let Ok(len) = u16::try_from(program.len()) else {
                return Err(io::Error::from_raw_os_error(libc::E2BIG));
            };
            let fprog = libc::sock_fprog {
                len,
                filter: program.as_ptr().cast_mut(),
            };
            // SAFETY: the kernel copies the program from `fprog`, which points at `len`
            // valid instructions that outlive the call; it does not write to it.
            let rc = unsafe {
                libc::syscall(
                    libc::SYS_seccomp,
                    libc::SECCOMP_SET_MODE_FILTER,
                    0,
                    &raw const fprog,
                )
            };
            if rc != 0 {
                return Err(io::Error::last_os_error());
            }
        }
        Ok(())
    }
}

/// The Landlock ABI version this kernel offers; an error when it has none.
pub(crate) fn landlock_abi() -> io::Result<u32> {
    const LANDLOCK_CREATE_RULESET_VERSION: libc::c_uint = 1;
    // SAFETY: with a null attribute pointer, size 0 and the VERSION flag, the call only
    // returns a number; no memory is read or written.
    let abi = unsafe {
        libc::syscall(
            libc::SYS_landlock_create_ruleset,
            std::ptr::null::<libc::c_void>(),
            0usize,
            LANDLOCK_CREATE_RULESET_VERSION,
        )
    };
    if abi < 0 {
        return Err(io::Error::last_os_error());
    }
    u32::try_from(abi).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))
}

/// Whether this kernel can install seccomp filters.
pub(crate) fn seccomp_available() -> io::Result<()> {
    // SAFETY: PR_GET_SECCOMP reads this thread's mode; no memory is passed.
    if unsafe { libc::prctl(libc::PR_GET_SECCOMP) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}
