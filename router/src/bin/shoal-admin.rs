//! `shoal-admin`: cluster administration (create, check, info, fix, reshard, rebalance,
//! add-node, del-node, failover, call), the counterpart of `redis-cli --cluster`. A thin
//! binary over [`shoal_router::admin`].

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use shoal_router::admin::{Cli, run};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match run(&cli, &mut out) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            let _ = out.flush();
            let mut err = std::io::stderr().lock();
            let _ = writeln!(err, "\n[ERR] {e:#}");
            ExitCode::from(2)
        }
    }
}
