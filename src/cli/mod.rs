//! Command-line front end: one module per subcommand, each a thin layer over the core.

pub mod list;
pub mod prompt;
pub mod show;
