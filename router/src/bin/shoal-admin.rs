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
        // The reader went away (`shoal-admin status | head`): not an error worth a message.
        Err(e)
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) =>
        {
            ExitCode::SUCCESS
        }
        Err(e) => {
            let _ = out.flush();
            let mut err = std::io::stderr().lock();
            let _ = writeln!(err, "\n[ERR] {e:#}");
            ExitCode::from(2)
        }
    }
}
