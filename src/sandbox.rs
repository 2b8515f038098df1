//! Kernel-enforced read-only mode (Landlock): after this, the process cannot create, write,
//! rename, remove or truncate any file, run a program or open a TCP connection, whatever a bug
//! elsewhere tries. Degrades to a no-op
//! (and says so) on kernels without Landlock; read-only is still structural in the code.

use landlock::{
    path_beneath_rules, Access, AccessFs, AccessNet, Ruleset, RulesetAttr, RulesetCreatedAttr,
    RulesetStatus, ABI,
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
            Sandbox::Enforced => {
                "landlock: enforced (no file writes, no exec, no TCP connect/bind)"
            }
            Sandbox::Partial => "landlock: partially enforced",
            Sandbox::Unavailable => "landlock: unavailable on this kernel",
        }
    }
}

/// Deny, for the rest of the process, every filesystem write, running any program (`execve`
/// of anything), and TCP connect/bind (Landlock ABI 4; `probe` is the command that connects
/// and never calls this). `terminal` keeps the controlling terminal usable: writable (the TUI
/// opens /dev/tty read-write) and ioctl-able (ABI 5 handles device ioctls: without this,
/// TIOCGWINSZ is denied, crossterm draws at 80x24 and falls back to running `tput`).
pub fn restrict_to_read_only(terminal: bool) -> Sandbox {
    let abi = ABI::V5;
    // Read files and list directories; Execute is handled and granted nowhere.
    let read = AccessFs::ReadFile | AccessFs::ReadDir;
    let result = (|| -> Result<RulesetStatus, landlock::RulesetError> {
        let mut created = Ruleset::default()
            .handle_access(AccessFs::from_all(abi))?
            .handle_access(AccessNet::from_all(abi))?
            .create()?
            .add_rules(path_beneath_rules(["/"], read))?;
        if terminal {
            let tty_access = AccessFs::ReadFile | AccessFs::WriteFile | AccessFs::IoctlDev;
            created = created
                .add_rules(path_beneath_rules(["/dev/tty", "/dev/pts"], tty_access))?
                .add_rules(path_beneath_rules(
                    ["/dev/null"],
                    AccessFs::ReadFile | AccessFs::WriteFile,
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
