//! `shoal-router`: one Redis endpoint in front of a Shoal cluster, for clients that do not
//! speak cluster. Its routing, splitting and failover handling are built in a later step;
//! until then it refuses to start rather than pretend to route.

use clap::Parser;

/// Shoal router (not yet functional).
#[derive(Parser, Debug)]
#[command(version, about, long_about = None)]
struct Cli {
    /// Port to listen on.
    #[arg(long, default_value_t = 30000)]
    port: u16,
    /// Seed nodes, host:port[,host:port...].
    #[arg(long, value_delimiter = ',')]
    nodes: Vec<String>,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    anyhow::bail!(
        "shoal-router is not implemented yet (port {}, {} seed nodes); connect to the nodes directly",
        cli.port,
        cli.nodes.len()
    )
}
