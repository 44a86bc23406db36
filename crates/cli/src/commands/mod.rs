//! One module per subcommand; each is a thin call into `lanyard-core` plus printing.

pub mod status;
