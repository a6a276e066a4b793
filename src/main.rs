//! The `marketfront` binary: `serve`, `migrate`, `demo` and `keys`.

// mimalloc: validate's hot path allocates many small short-lived objects (the parsed body, the
// priced snapshot, the answer); it serves them faster than the system allocator (BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};
use marketfront::app::{interchange, keys};
use marketfront::auth::OrgKind;
use marketfront::clock::SystemClock;
use marketfront::config::Config;
use marketfront::{AppState, build_app, db, demo, telemetry, workers};
use std::sync::Arc;

#[derive(Parser)]
#[command(name = "marketfront", version, about = "Restaurant marketplace backend")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create the database if needed, apply migrations, and serve HTTP on MARKETFRONT_LISTEN.
    Serve {
        /// Load the demo data (and its published keys) before listening.
        #[arg(long)]
        demo: bool,
    },
    /// Create the database if needed and apply migrations, then exit.
    Migrate,
    /// Load the demo data and print its keys, then exit.
    Demo,
    /// Manage API keys.
    Keys {
        #[command(subcommand)]
        action: KeysCommand,
    },
    /// Card-on-file interchange: which processors a distribution partner's card tokens may be
    /// charged through (set up before use; a new organisation has none).
    Interchange {
        #[command(subcommand)]
        action: InterchangeCommand,
    },
}

#[derive(Subcommand)]
enum InterchangeCommand {
    /// Let the organisation pay with card tokens of this processor.
    Enable {
        #[arg(long)]
        org: String,
        /// stripe, braintree, square, adyen or clover.
        #[arg(long)]
        processor: String,
    },
    /// Stop it; its card-on-file places are then 403 PAYMENT_INTERCHANGE_NOT_CONFIGURED.
    Disable {
        #[arg(long)]
        org: String,
        #[arg(long)]
        processor: String,
    },
    /// Every organisation's processors, or one organisation's.
    List {
        #[arg(long)]
        org: Option<String>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Kind {
    Distribution,
    Commerce,
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Mint a key (creating the organisation if needed); the key is the last line printed.
    Create {
        #[arg(long)]
        org: String,
        #[arg(long, value_enum)]
        kind: Kind,
        #[arg(long)]
        label: Option<String>,
        /// Make the key expire after this many days.
        #[arg(long)]
        expires_in_days: Option<i64>,
    },
    /// List keys (prefixes only; keys are never stored).
    List {
        #[arg(long)]
        org: Option<String>,
    },
    /// Revoke a key at once, by its prefix (mfk_xxxxxxxxxxxx) or the whole key.
    Revoke { key_prefix: String },
    /// Mint a successor key; the old one keeps working for the grace period, then expires.
    Roll {
        key_prefix: String,
        #[arg(long, default_value_t = 24)]
        grace_hours: i64,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let config = Config::from_env()?;
    telemetry::init(&config.log_filter, config.log_json);
    match cli.command {
        Command::Serve { demo } => serve(config, demo).await,
        Command::Migrate => {
            db::prepare(&config.database_url, 2).await?;
            println!("migrations applied");
            Ok(())
        }
        Command::Demo => {
            let state = state(config).await?;
            demo::load(&state).await?;
            println!("{}", demo::describe());
            Ok(())
        }
        Command::Keys { action } => keys_command(config, action).await,
        Command::Interchange { action } => interchange_command(config, action).await,
    }
}

async fn state(config: Config) -> anyhow::Result<AppState> {
    let described = format!("{config:?}");
    marketfront::start(config, Arc::new(SystemClock))
        .await
        .with_context(|| format!("preparing the database {described}"))
}

async fn serve(mut config: Config, load_demo: bool) -> anyhow::Result<()> {
    // The demo runs on a developer's machine, where the catalogs and webhook receivers one tries
    // it with are local; an explicit MARKETFRONT_ALLOW_PRIVATE_URLS still wins.
    if load_demo && std::env::var_os("MARKETFRONT_ALLOW_PRIVATE_URLS").is_none() {
        config.allow_private_urls = true;
        tracing::info!("demo: outbound calls to loopback and private addresses are allowed");
    }
    config.check_secrets(load_demo)?;
    if config.uses_default_jwt_secret() || config.uses_default_encryption_key() {
        tracing::warn!("demo: signing sessions and sealing secrets with the published development keys");
    }
    let listen = config.listen.clone();
    let state = state(config).await?;
    if load_demo {
        demo::load(&state).await?;
        tracing::info!("{}", demo::describe());
    }
    let _workers = workers::spawn_all(&state);
    let listener = tokio::net::TcpListener::bind(&listen).await.with_context(|| format!("binding {listen}"))?;
    tracing::info!(address = %listener.local_addr()?, "listening");
    let limits = marketfront::http::server::ConnectionLimits::of(&state.config);
    marketfront::http::server::serve(listener, build_app(state), limits, shutdown_signal()).await?;
    tracing::info!("stopped");
    Ok(())
}

/// Resolves on SIGTERM or Ctrl-C; in-flight requests then finish before `serve` returns.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = terminate => {}
    }
    tracing::info!("shutdown requested: finishing in-flight requests");
}

async fn interchange_command(config: Config, action: InterchangeCommand) -> anyhow::Result<()> {
    let pool = db::prepare(&config.database_url, 2).await?;
    match action {
        InterchangeCommand::Enable { org, processor } => {
            interchange::enable(&pool, &org, &processor, chrono::Utc::now()).await?;
            println!("{org}: {processor} enabled");
        }
        InterchangeCommand::Disable { org, processor } => {
            let was = interchange::disable(&pool, &org, &processor).await?;
            println!("{org}: {processor} {}", if was { "disabled" } else { "was not enabled" });
        }
        InterchangeCommand::List { org } => {
            for row in db::interchange::list(&pool, org.as_deref()).await? {
                println!("{}\t{}\tenabled {}", row.organization, row.processor, row.enabled_at.to_rfc3339());
            }
        }
    }
    Ok(())
}

async fn keys_command(config: Config, action: KeysCommand) -> anyhow::Result<()> {
    let pool = db::prepare(&config.database_url, 2).await?;
    let now = chrono::Utc::now();
    match action {
        KeysCommand::Create { org, kind, label, expires_in_days } => {
            let kind = match kind {
                Kind::Distribution => OrgKind::Distribution,
                Kind::Commerce => OrgKind::Commerce,
            };
            let expires_at = expires_in_days.map(|days| now + chrono::Duration::days(days));
            let issued = keys::create(&pool, &org, kind, label.as_deref(), expires_at).await?;
            println!("organisation: {} ({})", issued.organization.name, issued.organization.kind);
            println!("prefix: {}", issued.prefix);
            if let Some(at) = issued.expires_at {
                println!("expires: {}", at.to_rfc3339());
            }
            println!("This key is shown once; store it now:");
            println!("{}", issued.key);
        }
        KeysCommand::List { org } => {
            for key in db::keys::list(&pool, org.as_deref()).await? {
                let state = match (key.revoked_at, key.expires_at) {
                    (Some(at), _) => format!("revoked {}", at.to_rfc3339()),
                    (None, Some(at)) if at <= now => format!("expired {}", at.to_rfc3339()),
                    (None, Some(at)) => format!("expires {}", at.to_rfc3339()),
                    (None, None) => "active".to_string(),
                };
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    key.prefix,
                    key.organization,
                    key.kind,
                    key.label.unwrap_or_default(),
                    state
                );
            }
        }
        KeysCommand::Revoke { key_prefix } => {
            let prefix = keys::revoke(&pool, &key_prefix, now).await?;
            println!("revoked {prefix}");
        }
        KeysCommand::Roll { key_prefix, grace_hours } => {
            let issued = keys::roll(&pool, &key_prefix, chrono::Duration::hours(grace_hours), now).await?;
            println!("old key {key_prefix} expires in {grace_hours} h");
            println!("prefix: {}", issued.prefix);
            println!("This key is shown once; store it now:");
            println!("{}", issued.key);
        }
    }
    Ok(())
}
