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
            "" | "dev" | "development" => Ok(Environment::Development),
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
    /// Take the client address from `X-Forwarded-For` (only behind a trusted proxy).
    pub trust_proxy: bool,
    pub session_idle: Duration,
    pub session_absolute: Duration,
    pub run_jobs: bool,
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
            trust_proxy: false,
            session_idle: Duration::from_secs(60),
            session_absolute: Duration::from_secs(600),
            run_jobs: true,
        }
    }

    #[test]
    fn production_refuses_the_embedded_database_and_plain_http() {
        let problems = config(Environment::Production, "http://x.example").production_problems(true);
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].contains("DATABASE_URL"));
        assert!(problems[1].contains("https://"));
    }

    #[test]
    fn production_with_a_real_database_and_https_starts() {
        assert!(config(Environment::Production, "https://x.example").production_problems(false).is_empty());
    }

    #[test]
    fn development_allows_everything() {
        assert!(config(Environment::Development, "http://127.0.0.1:3000").production_problems(true).is_empty());
    }

    #[test]
    fn environment_names_are_parsed_strictly() {
        assert_eq!(Environment::parse("Production").unwrap(), Environment::Production);
        assert_eq!(Environment::parse("").unwrap(), Environment::Development);
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
