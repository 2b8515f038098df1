//! Kernel-enforced read-only mode (Landlock): after this, the process cannot create, write,
//! rename, remove or truncate any file, whatever a bug elsewhere tries. Degrades to a no-op
//! (and says so) on kernels without Landlock; read-only is still structural in the code.

use landlock::{
    path_beneath_rules, Access, AccessFs, Ruleset, RulesetAttr, RulesetCreatedAttr, RulesetStatus,
    ABI,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sandbox {
    Enforced,
    Partial,
    /// The kernel has no Landlock (or it is disabled); nothing was restricted.
    Unavailable,
}

impl Sandbox {
    pub fn label(self) -> &'static str {
        match self {
            Sandbox::Enforced => "landlock: enforced",
            Sandbox::Partial => "landlock: partially enforced",
            Sandbox::Unavailable => "landlock: unavailable on this kernel",
        }
    }
}

/// Deny every filesystem write for the rest of the process. `terminal` keeps the controlling
/// terminal writable (the TUI opens /dev/tty read-write); it is a device, never a file on disk.
pub fn restrict_to_read_only(terminal: bool) -> Sandbox {
    let abi = ABI::V5;
    let result = (|| -> Result<RulesetStatus, landlock::RulesetError> {
        let mut created = Ruleset::default()
            .handle_access(AccessFs::from_all(abi))?
            .create()?
            .add_rules(path_beneath_rules(["/"], AccessFs::from_read(abi)))?;
        if terminal {
            let tty_access = AccessFs::from_read(abi) | AccessFs::WriteFile;
            created = created.add_rules(path_beneath_rules(
                ["/dev/tty", "/dev/pts", "/dev/null"],
                tty_access,
            ))?;
        }
        Ok(created.restrict_self()?.ruleset)
    })();
    match result {
        Ok(RulesetStatus::FullyEnforced) => Sandbox::Enforced,
        Ok(RulesetStatus::PartiallyEnforced) => Sandbox::Partial,
        _ => Sandbox::Unavailable,
    }
}
