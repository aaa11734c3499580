//! Runtime configuration: `Leptos.toml` for the site, environment variables for the
//! rest. Every variable is documented on the command line (`attune --help`).

use anyhow::Context;
use leptos::config::LeptosOptions;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    Development,
    Production,
}

impl Environment {
    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "dev" | "development" => Ok(Environment::Development),
            "prod" | "production" => Ok(Environment::Production),
            other => Err(format!("ATTUNE_ENV must be `development` or `production`, not `{other}`")),
        }
    }
}

/// A value that must never reach a log line.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: String) -> Self {
        Secret(value)
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

#[derive(Debug, Clone)]
pub struct Config {
    pub env: Environment,
    pub leptos: LeptosOptions,
    /// The origin people reach the site at, e.g. `https://attune.example`.
    pub public_url: String,
    pub smtp_url: Option<Secret>,
    pub mail_from: String,
    /// Where uploaded files are kept.
    pub storage: crate::server::storage::Storage,
    /// HTTP SMS gateway for text messages (one-time codes); unset: held in the outbox.
    pub sms_url: Option<Secret>,
    pub sms_token: Option<Secret>,
    /// How many proxies of ours stand in front of the app. Each appends the address it
    /// got the request from to `X-Forwarded-For`, so the client is the entry this many
    /// places from the right; anything further left was written by the client. 0: the
    /// header is ignored and the socket peer is the client.
    pub proxy_hops: u8,
    pub password_cost: PasswordCost,
    /// Finished jobs are deleted after this long; dead ones are kept for people to see.
    pub job_retention: Duration,
    /// Delivered (or held) emails are deleted after this long.
    pub outbox_retention: Duration,
    pub session_idle: Duration,
    pub session_absolute: Duration,
    pub run_jobs: bool,
    /// Who takes card payments: the sandbox unless real keys are configured.
    pub payments: crate::server::payments::Provider,
    /// The bearer token `/metrics` asks for (see `metrics::metrics_access`).
    pub metrics_token: Option<Secret>,
    /// Seals the secrets the email outbox keeps until delivery (`OUTBOX_KEY`); None only
    /// in production without the variable, which then refuses to start.
    pub outbox_key: Option<crate::server::sealing::SealingKey>,
}

/// How expensive password hashes are. Only OWASP's parameters protect real
/// passwords; the minimal cost exists so test suites can create many accounts quickly,
/// and production refuses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordCost {
    Owasp,
    MinimalForTests,
}

/// Decides the mode from `ATTUNE_ENV` (when set) and the addresses. Development mode is
/// lenient (loopback origins accepted, email bodies logged, the private database), so
/// it runs only where nobody else can reach it: a loopback bind address and public URL.
pub fn decide_environment(
    explicit: Option<&str>,
    bind: std::net::SocketAddr,
    public_url: &str,
) -> Result<Environment, String> {
    let env = match explicit.map(str::trim).filter(|s| !s.is_empty()) {
        Some(raw) => Environment::parse(raw)?,
        None => Environment::Development,
    };
    if env == Environment::Production {
        return Ok(env);
    }
    let public_is_loopback = url::Url::parse(public_url).ok().is_some_and(|u| match u.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    });
    if !bind.ip().is_loopback() || !public_is_loopback {
        return Err(format!(
            "development mode serves only this machine, but it would listen on {bind} for {public_url}. \
             Set ATTUNE_ENV=production (with an https PUBLIC_URL and DATABASE_URL) to serve others, or \
             LEPTOS_SITE_ADDR=127.0.0.1:<port> and a loopback PUBLIC_URL for development"
        ));
    }
    Ok(env)
}

/// Reads `TRUST_PROXY_HEADERS`: `false`/`true` (one proxy) or the number of proxies.
pub fn parse_proxy_hops(raw: &str) -> Result<u8, String> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "" | "false" | "no" | "0" => Ok(0),
        "true" | "yes" => Ok(1),
        n => n.parse::<u8>().ok().filter(|n| *n <= 10).ok_or_else(|| {
            format!("TRUST_PROXY_HEADERS must be true, false or a number of proxies (0-10), not `{raw}`")
        }),
    }
}

impl Config {
    pub fn secure_cookies(&self) -> bool {
        self.public_url.starts_with("https://")
    }

    /// The production checks that must pass before the server starts.
    pub fn production_problems(&self, embedded_database: bool) -> Vec<String> {
        let mut problems = Vec::new();
        if self.env == Environment::Production {
            if embedded_database {
                problems.push(
                    "production mode needs DATABASE_URL: the embedded PostgreSQL is for development only".to_owned(),
                );
            }
            if !self.public_url.starts_with("https://") {
                problems.push(format!(
                    "production mode needs PUBLIC_URL to be an https:// address (it is `{}`)",
                    self.public_url
                ));
            }
            if !self.payments.takes_real_money() {
                problems.push(
                    "production mode needs a real payment provider: the built-in sandbox takes no money".to_owned(),
                );
            }
            if self.outbox_key.is_none() {
                problems.push(
                    "production mode needs OUTBOX_KEY (32 random bytes as base64, e.g. `openssl rand -base64 32`), \
                     the same for every instance and worker: it seals the links waiting in the email outbox"
                        .to_owned(),
                );
            }
            if self.password_cost != PasswordCost::Owasp {
                problems.push(
                    "production mode hashes passwords only at OWASP's cost; weaker hashing is for tests".to_owned(),
                );
            }
        }
        problems
    }
}

/// Loads the site options from `path` when it exists (environment variables override
/// it), otherwise from the environment alone.
pub fn load_leptos_options(path: &std::path::Path) -> anyhow::Result<LeptosOptions> {
    let conf = if path.exists() {
        let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
        leptos::config::get_config_from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?
    } else {
        tracing::warn!(path = %path.display(), "site configuration not found; using LEPTOS_* variables and defaults");
        leptos::config::get_configuration(None).map_err(|e| anyhow::anyhow!("{e}"))?.leptos_options
    };
    Ok(conf)
}

/// Where the embedded database and uploads live when nothing else is configured.
pub fn default_data_dir() -> PathBuf {
    PathBuf::from(".attune")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(env: Environment, public_url: &str) -> Config {
        Config {
            env,
            leptos: LeptosOptions::builder().output_name("attune").build(),
            public_url: public_url.into(),
            smtp_url: None,
            mail_from: "a@b.c".into(),
            storage: crate::server::storage::Storage::local(&std::env::temp_dir().join("attune-config-test-uploads"))
                .unwrap(),
            sms_url: None,
            sms_token: None,
            proxy_hops: 0,
            password_cost: PasswordCost::Owasp,
            job_retention: Duration::from_secs(86400),
            outbox_retention: Duration::from_secs(86400),
            session_idle: Duration::from_secs(60),
            session_absolute: Duration::from_secs(600),
            run_jobs: true,
            payments: crate::server::payments::Provider::sandbox(None),
            metrics_token: None,
            outbox_key: Some(crate::server::sealing::SealingKey::generate()),
        }
    }

    #[test]
    fn production_refuses_the_embedded_database_and_plain_http() {
        let problems = config(Environment::Production, "http://x.example").production_problems(true);
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems[0].contains("DATABASE_URL"));
        assert!(problems[1].contains("https://"));
    }

    #[test]
    fn production_refuses_the_sandbox_payment_provider() {
        let problems = config(Environment::Production, "https://x.example").production_problems(false);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("sandbox takes no money"), "{problems:?}");
    }

    #[test]
    fn development_allows_everything() {
        assert!(config(Environment::Development, "http://127.0.0.1:3000").production_problems(true).is_empty());
    }

    #[test]
    fn production_refuses_to_start_without_an_outbox_key() {
        let mut c = config(Environment::Production, "https://x.example");
        c.outbox_key = None;
        let problems = c.production_problems(false);
        assert!(problems.iter().any(|p| p.contains("OUTBOX_KEY")), "{problems:?}");
    }

    #[test]
    fn production_refuses_weak_password_hashing() {
        let mut c = config(Environment::Production, "https://x.example");
        c.password_cost = PasswordCost::MinimalForTests;
        let problems = c.production_problems(false);
        assert!(problems.iter().any(|p| p.contains("OWASP")), "{problems:?}");
    }

    #[test]
    fn development_mode_runs_only_on_loopback_and_says_what_to_set_otherwise() {
        let local: std::net::SocketAddr = "127.0.0.1:3000".parse().unwrap();
        let public: std::net::SocketAddr = "0.0.0.0:3000".parse().unwrap();
        assert_eq!(decide_environment(None, local, "http://127.0.0.1:3000"), Ok(Environment::Development));
        assert_eq!(decide_environment(None, local, "http://localhost:3000"), Ok(Environment::Development));
        assert_eq!(
            decide_environment(Some("development"), "[::1]:80".parse().unwrap(), "http://[::1]"),
            Ok(Environment::Development)
        );
        for (explicit, bind, url) in [
            (None, public, "http://127.0.0.1:3000"),
            (None, local, "https://attune.example"),
            (Some("development"), public, "https://attune.example"),
            (None, local, "http://localhost.evil.example"),
            (None, local, "not a url"),
        ] {
            let err = decide_environment(explicit, bind, url).unwrap_err();
            assert!(err.contains("ATTUNE_ENV=production"), "{err}");
        }
        assert_eq!(
            decide_environment(Some("production"), public, "https://attune.example"),
            Ok(Environment::Production)
        );
        assert!(decide_environment(Some("staging"), local, "http://127.0.0.1").is_err());
    }

    #[test]
    fn proxy_hops_are_a_small_number_or_a_boolean() {
        assert_eq!(parse_proxy_hops("false"), Ok(0));
        assert_eq!(parse_proxy_hops("true"), Ok(1));
        assert_eq!(parse_proxy_hops("2"), Ok(2));
        assert!(parse_proxy_hops("-1").is_err());
        assert!(parse_proxy_hops("300").is_err());
        assert!(parse_proxy_hops("maybe").is_err());
    }

    #[test]
    fn environment_names_are_parsed_strictly() {
        assert_eq!(Environment::parse("Production").unwrap(), Environment::Production);
        assert!(Environment::parse("staging").is_err());
    }

    #[test]
    fn secrets_do_not_print() {
        assert_eq!(format!("{:?}", Secret::new("smtp://u:p@h".into())), "<redacted>");
    }

    #[test]
    fn leptos_toml_agrees_with_the_build_metadata_in_cargo_toml() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let read =
            |name: &str| -> toml::Table { toml::from_str(&std::fs::read_to_string(root.join(name)).unwrap()).unwrap() };
        let section =
            |t: &toml::Table| -> toml::Table { t["package"]["metadata"]["leptos"].as_table().unwrap().clone() };
        let runtime = section(&read("Leptos.toml"));
        let build = section(&read("Cargo.toml"));
        assert!(!runtime.is_empty());
        for (key, value) in &runtime {
            assert_eq!(build.get(key), Some(value), "`{key}` differs between Leptos.toml and Cargo.toml");
        }
        let opts = load_leptos_options(&root.join("Leptos.toml")).unwrap();
        assert_eq!(&*opts.output_name, "attune");
    }
}
