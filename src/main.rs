//! The `attune` binary: web server, background worker and operator commands.

use anyhow::Context;
use attune::domain::{Email, Password, PersonName, Role, TimeZone};
use attune::server::config::{
    Config, Environment, PasswordCost, Secret, decide_environment, default_data_dir, load_leptos_options,
    parse_proxy_hops,
};
use attune::server::embedded_pg::{EmbeddedPostgres, ensure_database};
use attune::server::state::AppState;
use attune::server::{accounts, demo, http, ledger, migrate, passwords, telemetry, worker};
use clap::{Parser, Subcommand};
use sqlx::PgPool;
use std::path::PathBuf;
use std::time::Duration;
use tokio::sync::watch;

/// Rendering a page allocates and frees thousands of small strings; glibc's allocator
/// spent a third of the directory page's time in malloc and free (bench/directory).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const ENV_HELP: &str = "\
Environment variables (each option above also reads the variable named beside it):
  DATABASE_URL            PostgreSQL URL. Unset: a private cluster is created under
                          ATTUNE_DATA_DIR from the system's PostgreSQL binaries
                          (development only), migrated, and given demo data once.
  PG_BIN_DIR              Folder with initdb/pg_ctl for that cluster
                          (default: newest /usr/lib/postgresql/*/bin, then PATH).
  LEPTOS_SITE_ADDR        Listen address (default from Leptos.toml: 127.0.0.1:3000).
  LEPTOS_SITE_ROOT        Folder with the built site (default: target/site).
  LEPTOS_SITE_PKG_DIR     Sub-folder of the site root with the WASM bundle (pkg).
  LEPTOS_ENV              DEV or PROD (affects Leptos only; see ATTUNE_ENV).
  RUST_LOG                Log filter (default: info).
  LOG_FORMAT              `json` for JSON log lines (default: human-readable).";

#[derive(Parser)]
#[command(name = "attune", version, about = "Attune: booking and payments for practitioners and their customers", after_help = ENV_HELP)]
struct Cli {
    #[command(flatten)]
    opts: Options,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(clap::Args, Clone)]
struct Options {
    /// Site configuration file read at start-up.
    #[arg(long, global = true, env = "ATTUNE_CONFIG", default_value = "Leptos.toml")]
    config: PathBuf,
    /// Where the embedded PostgreSQL cluster and local files live.
    #[arg(long, global = true, env = "ATTUNE_DATA_DIR", default_value_os_t = default_data_dir())]
    data_dir: PathBuf,
    /// `development` or `production`. Unset means development, which runs only on a
    /// loopback address and PUBLIC_URL; production refuses the embedded database and a
    /// non-https PUBLIC_URL.
    #[arg(long, global = true, env = "ATTUNE_ENV")]
    env: Option<String>,
    /// The address people use to reach the site (links in emails, origin checks,
    /// Secure cookies when https). Default: http://<site address>.
    #[arg(long, global = true, env = "PUBLIC_URL")]
    public_url: Option<String>,
    /// SMTP server for email, e.g. smtps://user:pass@smtp.example.com. Unset: emails are
    /// kept in the outbox (admin panel) and the log instead of being sent.
    #[arg(long, global = true, env = "SMTP_URL", hide_env_values = true)]
    smtp_url: Option<String>,
    /// HTTP SMS gateway for text messages (one-time sign-in codes): each message is a
    /// POST of JSON {to, body, reference}. Unset: messages are kept in the outbox (admin
    /// panel) and the log instead of being sent.
    #[arg(long, global = true, env = "SMS_URL", hide_env_values = true)]
    sms_url: Option<String>,
    /// Bearer token sent to the SMS gateway.
    #[arg(long, global = true, env = "SMS_TOKEN", hide_env_values = true)]
    sms_token: Option<String>,
    /// Where uploaded files (photos, certificates) are kept: unset, the `uploads` folder
    /// of ATTUNE_DATA_DIR; `s3://bucket[/prefix]` for S3-compatible storage, configured by
    /// the usual AWS_* variables (AWS_ENDPOINT for a service other than AWS).
    #[arg(long, global = true, env = "STORAGE_URL")]
    storage_url: Option<String>,
    /// Sender of every email.
    #[arg(long, global = true, env = "MAIL_FROM", default_value = "Attune <no-reply@attune.invalid>")]
    mail_from: String,
    /// Take the client address from X-Forwarded-For: `true` behind one proxy of yours,
    /// or the number of proxies in front of the app; `false` ignores the header.
    #[arg(long, global = true, env = "TRUST_PROXY_HEADERS", default_value = "false")]
    trust_proxy_headers: String,
    /// Finished background jobs are deleted after this many days.
    #[arg(long, global = true, env = "JOB_RETENTION_DAYS", default_value_t = 14)]
    job_retention_days: u64,
    /// Delivered emails are deleted from the outbox after this many days.
    #[arg(long, global = true, env = "OUTBOX_RETENTION_DAYS", default_value_t = 90)]
    outbox_retention_days: u64,
    /// Sessions end after this many minutes without a request.
    #[arg(long, global = true, env = "SESSION_IDLE_MINUTES", default_value_t = 7 * 24 * 60)]
    session_idle_minutes: u64,
    /// Sessions end this many hours after login, however active.
    #[arg(long, global = true, env = "SESSION_ABSOLUTE_HOURS", default_value_t = 30 * 24)]
    session_absolute_hours: u64,
    /// Run the background job worker inside `serve` (run `attune worker` separately
    /// when false).
    #[arg(long, global = true, env = "ATTUNE_SERVE_JOBS", default_value_t = true, action = clap::ArgAction::Set)]
    serve_jobs: bool,
    /// Secret the built-in sandbox payment provider signs its events with. Unset: a
    /// new random one per process.
    #[arg(long, global = true, env = "SANDBOX_WEBHOOK_SECRET", hide_env_values = true)]
    sandbox_webhook_secret: Option<String>,
    /// Stripe secret key: card payments go through Stripe Checkout when it is set, and
    /// through the built-in sandbox when it is not.
    #[arg(long, global = true, env = "STRIPE_SECRET_KEY", hide_env_values = true)]
    stripe_secret_key: Option<String>,
    /// The signing secret of the Stripe webhook endpoint (`/webhooks/payments`).
    #[arg(long, global = true, env = "STRIPE_WEBHOOK_SECRET", hide_env_values = true)]
    stripe_webhook_secret: Option<String>,
    /// Another address for Stripe's API (a test server); api.stripe.com when unset.
    #[arg(long, global = true, env = "STRIPE_API_BASE")]
    stripe_api_base: Option<String>,
    /// Bearer token a Prometheus scraper must send to read /metrics. Unset: production
    /// answers /metrics with 404; development serves it to anyone on this machine.
    #[arg(long, global = true, env = "METRICS_TOKEN", hide_env_values = true)]
    metrics_token: Option<String>,
    /// Key that seals the links waiting in the email outbox: 32 random bytes as base64
    /// (`openssl rand -base64 32`) or hex, the same for every instance and worker.
    /// Required in production; development keeps a generated one in
    /// ATTUNE_DATA_DIR/outbox.key.
    #[arg(long, global = true, env = "OUTBOX_KEY", hide_env_values = true)]
    outbox_key: Option<String>,
    /// Database connections per process.
    #[arg(long, global = true, env = "DATABASE_MAX_CONNECTIONS", default_value_t = 10)]
    max_connections: u32,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web server (the default).
    Serve,
    /// Run only the background job worker.
    Worker,
    /// Apply database migrations and exit.
    Migrate,
    /// Create an administrator account.
    CreateAdmin {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// Read from ATTUNE_ADMIN_PASSWORD so it stays out of shell history.
        #[arg(long, env = "ATTUNE_ADMIN_PASSWORD", hide_env_values = true)]
        password: String,
    },
    /// Create an account with any role (customer, practitioner or admin).
    CreateUser {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "customer")]
        role: String,
        /// Read from ATTUNE_USER_PASSWORD so it stays out of shell history.
        #[arg(long, env = "ATTUNE_USER_PASSWORD", hide_env_values = true)]
        password: String,
    },
    /// Load the demo data (idempotent).
    SeedDemo,
    /// Import the call centre's lead list (CSV) as one batch; prints what became of its
    /// rows as JSON, refused rows with their line numbers.
    ImportLeads {
        /// The CSV file: phone and name columns required; email, practice_type,
        /// location, contacted and contact_status read when present.
        file: std::path::PathBuf,
        /// Country code for numbers written without one, e.g. 91.
        #[arg(long)]
        default_country_code: Option<String>,
    },
    /// Recompute every balance from the ledger's entries; exits non-zero on any drift,
    /// so it can gate a deploy.
    CheckLedger,
    /// Ask the payment provider about recent unpaid orders and fulfil any it was paid
    /// for (what a lost payment event left behind); prints what it did as JSON.
    Reconcile,
    /// Run only the private development PostgreSQL cluster and print its DATABASE_URL.
    Postgres,
}

struct Database {
    pool: PgPool,
    embedded: Option<EmbeddedPostgres>,
    fresh: bool,
}

fn build_config(opts: &Options) -> anyhow::Result<Config> {
    let leptos = load_leptos_options(&opts.config)?;
    let public_url = opts
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{}", leptos.site_addr))
        .trim_end_matches('/')
        .to_owned();
    let env = decide_environment(opts.env.as_deref(), leptos.site_addr, &public_url).map_err(anyhow::Error::msg)?;
    let days = |d: u64| Duration::from_secs(d * 86_400);
    let set = |v: &Option<String>| v.clone().filter(|s| !s.is_empty());
    let payments = match set(&opts.stripe_secret_key) {
        Some(key) => attune::server::payments::Provider::stripe(
            &key,
            &set(&opts.stripe_webhook_secret).unwrap_or_default(),
            set(&opts.stripe_api_base).as_deref(),
            &public_url,
            attune::server::payments::stripe::TIMEOUT,
        )
        .map_err(anyhow::Error::msg)?,
        None => attune::server::payments::Provider::sandbox(set(&opts.sandbox_webhook_secret)),
    };
    Ok(Config {
        env,
        leptos,
        public_url,
        smtp_url: opts.smtp_url.clone().filter(|s| !s.is_empty()).map(Secret::new),
        mail_from: opts.mail_from.clone(),
        storage: match set(&opts.storage_url) {
            Some(url) if url.starts_with("s3://") => {
                attune::server::storage::Storage::s3(&url, set(&std::env::var("AWS_ENDPOINT").ok()).as_deref(), None)
            }
            Some(url) => {
                Err(format!("STORAGE_URL must be an s3:// address (unset keeps files on local disk), not `{url}`"))
            }
            None => attune::server::storage::Storage::local(&opts.data_dir.join("uploads")),
        }
        .map_err(anyhow::Error::msg)?,
        sms_url: set(&opts.sms_url).map(Secret::new),
        sms_token: set(&opts.sms_token).map(Secret::new),
        proxy_hops: parse_proxy_hops(&opts.trust_proxy_headers).map_err(anyhow::Error::msg)?,
        password_cost: PasswordCost::Owasp,
        job_retention: days(opts.job_retention_days),
        outbox_retention: days(opts.outbox_retention_days),
        session_idle: Duration::from_secs(opts.session_idle_minutes * 60),
        session_absolute: Duration::from_secs(opts.session_absolute_hours * 3600),
        run_jobs: opts.serve_jobs,
        payments,
        metrics_token: set(&opts.metrics_token).map(Secret::new),
        outbox_key: attune::server::sealing::outbox_key(
            env == Environment::Production,
            opts.outbox_key.as_deref(),
            &opts.data_dir,
        )
        .map_err(anyhow::Error::msg)?,
    })
}

async fn open_database(opts: &Options, config: &Config) -> anyhow::Result<Database> {
    let url = std::env::var("DATABASE_URL").ok().filter(|u| !u.is_empty());
    let problems = config.production_problems(url.is_none());
    if !problems.is_empty() {
        anyhow::bail!("refusing to start: {}", problems.join("; "));
    }
    let (url, embedded, fresh) = match url {
        Some(url) => (url, None, false),
        None => {
            let pg = EmbeddedPostgres::start(&opts.data_dir)?;
            let fresh = ensure_database(&pg).await?;
            (pg.database_url.clone(), Some(pg), fresh)
        }
    };
    let pool =
        attune::server::pool::options(opts.max_connections).connect(&url).await.context("connecting to PostgreSQL")?;
    migrate(&pool).await.context("applying migrations")?;
    Ok(Database { pool, embedded, fresh })
}

/// Resolves on Ctrl-C or SIGTERM. The handlers are installed when this is called, not
/// when it is first awaited, so a signal that arrives during start-up is not lost (nor
/// does it kill the process the default way).
fn shutdown_signal() -> impl std::future::Future<Output = ()> + Send + 'static {
    use tokio::signal::unix::{SignalKind, signal};
    let term = signal(SignalKind::terminate());
    let int = signal(SignalKind::interrupt());
    async move {
        let wait = |s: std::io::Result<tokio::signal::unix::Signal>| async move {
            match s {
                Ok(mut s) => {
                    s.recv().await;
                }
                Err(_) => std::future::pending::<()>().await,
            }
        };
        tokio::select! { _ = wait(term) => {}, _ = wait(int) => {} }
        tracing::info!("shutting down");
    }
}

async fn serve(opts: Options, config: Config) -> anyhow::Result<()> {
    let shutdown = shutdown_signal();
    let mut db = open_database(&opts, &config).await?;
    let state = AppState::new(db.pool.clone(), config);
    if db.fresh {
        demo::seed(&state).await.context("loading demo data")?;
    }
    let cost = state.config.password_cost;
    tokio::task::spawn_blocking(move || passwords::prepare(cost));
    let (stop_tx, stop_rx) = watch::channel(false);
    let worker = state.config.run_jobs.then(|| tokio::spawn(worker::work(state.clone(), worker::registry(), stop_rx)));
    http::spawn_session_cleanup(&state);
    // The tasks that live as long as the server, counted before the first request: at
    // shutdown, any beyond them (less the worker, which stops first) were left by requests.
    let resident = tokio::runtime::Handle::current().metrics().num_alive_tasks() - usize::from(worker.is_some());
    let bundle = std::path::Path::new(&*state.config.leptos.site_root)
        .join(&*state.config.leptos.site_pkg_dir)
        .join(format!("{}.js", state.config.leptos.output_name));
    if !bundle.exists() {
        tracing::warn!(missing = %bundle.display(), "the browser bundle is missing: pages will render but not become interactive; build it with scripts/run");
    }
    let addr = state.config.leptos.site_addr;
    let listener = tokio::net::TcpListener::bind(addr).await.with_context(|| format!("listening on {addr}"))?;
    tracing::info!(address = %addr, public_url = %state.config.public_url, "Attune is running");
    let result = http::serve(listener, http::router(state), shutdown).await;
    let _ = stop_tx.send(true);
    if let Some(worker) = worker {
        let _ = worker.await;
    }
    let_request_work_finish(resident, Duration::from_secs(10)).await;
    db.pool.close().await;
    if let Some(pg) = db.embedded.as_mut() {
        pg.stop();
    }
    result.context("serving HTTP")
}

/// Waits, at most `limit`, until only the `resident` tasks are left: work that a request
/// started and that outlived its response (a page's data still loading) then ends, and
/// logs what it has to, instead of being cut off by the exit.
async fn let_request_work_finish(resident: usize, limit: Duration) {
    let metrics = tokio::runtime::Handle::current().metrics();
    let deadline = tokio::time::Instant::now() + limit;
    while metrics.num_alive_tasks() > resident && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let left = metrics.num_alive_tasks().saturating_sub(resident);
    if left > 0 {
        tracing::warn!(left, "stopped with work that requests started still running");
    }
}

async fn create_user(
    opts: &Options,
    config: Config,
    email: &str,
    name: &str,
    role: Role,
    password: &str,
) -> anyhow::Result<()> {
    let email = Email::parse(email).map_err(|e| anyhow::anyhow!("email: {}", e.message))?;
    let password = Password::parse_new(password, "password", Some(email.as_str()))
        .map_err(|e| anyhow::anyhow!("password: {}", e.message))?;
    let name = PersonName::parse(name).map_err(|e| anyhow::anyhow!("name: {}", e.message))?;
    let mut db = open_database(opts, &config).await?;
    let state = AppState::new(db.pool.clone(), config);
    let created =
        accounts::sign_up(&state, accounts::NewAccount { email, password, name, role, time_zone: TimeZone::utc() })
            .await;
    if let Some(pg) = db.embedded.as_mut() {
        pg.stop();
    }
    let created = created.map_err(|e| anyhow::anyhow!("{}", e.answer()))?;
    println!("Created {} {} ({})", role.as_str(), created.user.email.as_deref().unwrap_or_default(), created.user.code);
    Ok(())
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let opts = cli.opts;
    let config = build_config(&opts)?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(opts, config).await,
        Command::Worker => {
            let shutdown = shutdown_signal();
            let mut db = open_database(&opts, &config).await?;
            let state = AppState::new(db.pool.clone(), config);
            let (stop_tx, stop_rx) = watch::channel(false);
            let worker = tokio::spawn(worker::work(state, worker::registry(), stop_rx));
            shutdown.await;
            let _ = stop_tx.send(true);
            let _ = worker.await;
            if let Some(pg) = db.embedded.as_mut() {
                pg.stop();
            }
            Ok(())
        }
        Command::Migrate => {
            let mut db = open_database(&opts, &config).await?;
            tracing::info!("migrations applied");
            if let Some(pg) = db.embedded.as_mut() {
                pg.stop();
            }
            Ok(())
        }
        Command::CreateAdmin { email, name, password } => {
            create_user(&opts, config, &email, &name, Role::Admin, &password).await
        }
        Command::CreateUser { email, name, role, password } => {
            let role =
                Role::parse(&role).ok_or_else(|| anyhow::anyhow!("role: choose customer, practitioner or admin"))?;
            create_user(&opts, config, &email, &name, role, &password).await
        }
        Command::SeedDemo => {
            if config.env == Environment::Production {
                anyhow::bail!("refusing to load demo data in production: its accounts have a published password");
            }
            let mut db = open_database(&opts, &config).await?;
            demo::seed(&AppState::new(db.pool.clone(), config)).await?;
            if let Some(pg) = db.embedded.as_mut() {
                pg.stop();
            }
            Ok(())
        }
        Command::CheckLedger => {
            let mut db = open_database(&opts, &config).await?;
            let checked = async {
                let mut conn = db.pool.acquire().await?;
                ledger::check(&mut conn).await.map_err(|e| anyhow::anyhow!("{e}"))
            }
            .await;
            if let Some(pg) = db.embedded.as_mut() {
                pg.stop();
            }
            let report = checked?;
            println!("{}", serde_json::to_string(&report)?);
            if !report.is_clean() {
                anyhow::bail!("the ledger does not balance: {report:?}");
            }
            Ok(())
        }
        Command::ImportLeads { file, default_country_code } => {
            let bytes = std::fs::read(&file).map_err(|e| anyhow::anyhow!("reading {}: {e}", file.display()))?;
            let country = attune::domain::leads::parse_country_code(default_country_code.as_deref().unwrap_or(""))
                .map_err(anyhow::Error::msg)?;
            let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let mut db = open_database(&opts, &config).await?;
            let state = AppState::new(db.pool.clone(), config);
            let done = attune::server::leads::import(&state, None, &name, &bytes, country.as_deref())
                .await
                .map_err(|e| anyhow::anyhow!("{}", e.answer()));
            if let Some(pg) = db.embedded.as_mut() {
                pg.stop();
            }
            println!("{}", serde_json::to_string(&done?)?);
            Ok(())
        }
        Command::Reconcile => {
            let mut db = open_database(&opts, &config).await?;
            let done = attune::server::orders::reconcile(&AppState::new(db.pool.clone(), config))
                .await
                .map_err(|e| anyhow::anyhow!("{e}"));
            if let Some(pg) = db.embedded.as_mut() {
                pg.stop();
            }
            println!("{}", serde_json::to_string(&done?)?);
            Ok(())
        }
        Command::Postgres => {
            let shutdown = shutdown_signal();
            let mut pg = EmbeddedPostgres::start(&opts.data_dir)?;
            ensure_database(&pg).await?;
            println!("DATABASE_URL={}", pg.database_url);
            shutdown.await;
            pg.stop();
            Ok(())
        }
    }
}

fn main() -> std::process::ExitCode {
    telemetry::init();
    // At least four workers even on small machines: Leptos's SSR streaming has been seen
    // to stall with one or two runtime threads (leptos-rs/leptos#4647).
    let workers = std::thread::available_parallelism().map_or(4, |n| n.get()).max(4);
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(workers).enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("attune: cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(Cli::parse())) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e:#}");
            eprintln!("attune: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
