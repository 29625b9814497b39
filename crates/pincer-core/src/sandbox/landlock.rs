//! Rung 1: a Landlock ruleset (built here, in the parent) that the child applies to itself.

use std::os::fd::OwnedFd;
use std::sync::OnceLock;

use landlock::{
    ABI, Access, AccessFs, AccessNet, CompatLevel, Compatible, Ruleset, RulesetAttr,
    RulesetCreatedAttr, Scope, path_beneath_rules,
};

use super::{Profile, SandboxError, child};

/// The oldest ABI accepted: before 3, `truncate` is not restricted, so a command could
/// empty any file the user owns.
const MIN_ABI: u32 = 3;

/// The ABI the rules are written against; newer kernels get exactly these rules, older
/// ones (down to [`MIN_ABI`]) what they can enforce of them.
const TARGET: ABI = ABI::V6;

/// Device files a command may write to besides its folders.
const WRITABLE_DEVICES: &[&str] = &["/dev/null", "/dev/zero", "/dev/full"];

/// The ABI version, if Landlock and seccomp are both usable here.
pub(super) fn probe() -> Result<u32, String> {
    static PROBED: OnceLock<Result<u32, String>> = OnceLock::new();
    PROBED
        .get_or_init(|| {
            let abi = child::landlock_abi().map_err(|e| {
                format!("Landlock is not available in this kernel ({e}; needs Linux 6.2+ with lsm=landlock)")
            })?;
            if abi < MIN_ABI {
                return Err(format!(
                    "Landlock ABI {abi} is too old (needs {MIN_ABI}, Linux 6.2+)"
                ));
            }
            child::seccomp_available()
                .map_err(|e| format!("seccomp is not available in this kernel ({e})"))?;
            Ok(abi)
        })
        .clone()
}

/// A ruleset fd for `profile`: read everywhere, change only the writable folders, and
/// without network no TCP; no signals to, and no abstract Unix sockets of, processes
/// outside the sandbox.
pub(super) fn ruleset(profile: &Profile) -> Result<OwnedFd, SandboxError> {
    let setup = |e: landlock::RulesetError| SandboxError::Setup(format!("Landlock: {e}"));
    let mut ruleset = Ruleset::default()
        .set_compatibility(CompatLevel::BestEffort)
        .handle_access(AccessFs::from_all(TARGET))
        .map_err(setup)?;
    if !profile.network {
        ruleset = ruleset
            .handle_access(AccessNet::from_all(TARGET))
            .map_err(setup)?;
    }
    let read = AccessFs::from_read(TARGET);
    let created = ruleset
        .scope(Scope::from_all(TARGET))
        .map_err(setup)?
        .create()
        .map_err(setup)?
        .add_rules(path_beneath_rules(["/"], read))
        .map_err(setup)?
        .add_rules(path_beneath_rules(
            WRITABLE_DEVICES,
            read | AccessFs::WriteFile,
        ))
        .map_err(setup)?
        .add_rules(path_beneath_rules(
            &profile.writable,
            AccessFs::from_all(TARGET),
        ))
        .map_err(setup)?;
    Option::<OwnedFd>::from(created)
        .ok_or_else(|| SandboxError::Setup("Landlock: the kernel refused the ruleset".to_owned()))
}
