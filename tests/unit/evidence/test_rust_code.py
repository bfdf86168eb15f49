"""Unit tests for the Rust analyzer (snippets adapted from meilisearch, lldap and clap's docs)."""

from __future__ import annotations

import textwrap

from ddd_llm.evidence.base import REGISTRY, AnalyzerResult, SourceFile
from ddd_llm.evidence.code.rust_code import RustCodeAnalyzer
from ddd_llm.models import ConfigParameter, HealthCheck, ResourceRequirement

ANALYZER = RustCodeAnalyzer()


def run(code: str, path: str = "src/main.rs") -> AnalyzerResult:
    source = SourceFile(path, textwrap.dedent(code).lstrip("\n"))
    assert ANALYZER.accepts(source)
    result = ANALYZER.analyze(source)
    assert not result.warnings, result.warnings
    return result


def params(result: AnalyzerResult) -> dict[str, ConfigParameter]:
    return {f.name: f for f in result.facts if isinstance(f, ConfigParameter)}


def test_registered_and_skips_tests_and_build_scripts() -> None:
    assert REGISTRY["rust_code"] is ANALYZER or REGISTRY["rust_code"].name == "rust_code"
    assert not ANALYZER.accepts(SourceFile("build.rs", "fn main() {}"))
    assert not ANALYZER.accepts(SourceFile("tests/api.rs", "fn main() {}"))
    assert not ANALYZER.accepts(SourceFile("benches/b.rs", "fn main() {}"))


def test_env_var_reads_with_fallbacks_types_and_required() -> None:
    found = params(
        run(
            """
            const ENV_WORKERS: &str = "APP_WORKERS";
            fn main() -> anyhow::Result<()> {
                let port: u16 = std::env::var("APP_PORT")
                    .unwrap_or_else(|_| "3000".into())
                    .parse()?;
                let host = env::var("APP_HOST").unwrap_or("0.0.0.0".to_string());
                let workers = env::var(ENV_WORKERS).ok().and_then(|v| v.parse::<usize>().ok());
                let url = std::env::var("DATABASE_URL").expect("DATABASE_URL must be set");
                let token = dotenvy::var("API_TOKEN")?;
                let timeout = env::var("TIMEOUT_MS")
                    .map(|v| v.parse::<u64>().unwrap())
                    .unwrap_or(500);
                let version = env!("CARGO_PKG_VERSION");
                let sha = option_env!("GIT_SHA");
                let home = env::var("HOME");
                Ok(())
            }
            """
        )
    )
    assert found["APP_PORT"].default == "3000"
    assert found["APP_PORT"].value_type == "int"  # from `let port: u16`
    assert found["APP_HOST"].default == "0.0.0.0"
    assert "APP_WORKERS" in found  # through the constant
    assert found["DATABASE_URL"].required
    assert found["DATABASE_URL"].default is None
    assert found["API_TOKEN"].required and found["API_TOKEN"].secret
    assert found["TIMEOUT_MS"].default == "500"
    assert "GIT_SHA" in found and not found["GIT_SHA"].required
    assert "CARGO_PKG_VERSION" not in found and "HOME" not in found


# meilisearch crates/meilisearch/src/option.rs (abridged)
MEILISEARCH = """
const MEILI_DB_PATH: &str = "MEILI_DB_PATH";
const MEILI_HTTP_ADDR: &str = "MEILI_HTTP_ADDR";
const DEFAULT_DB_PATH: &str = "./data.ms";
const DEFAULT_HTTP_ADDR: &str = "localhost:7700";

#[derive(Debug, Clone, Parser, Deserialize)]
#[clap(version, next_display_order = None)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub struct Opt {
    /// Designates the location where database files will be created and retrieved.
    #[clap(long, env = MEILI_DB_PATH, default_value_os_t = default_db_path())]
    #[serde(default = "default_db_path")]
    pub db_path: PathBuf,

    /// Sets the HTTP address and port Meilisearch will use.
    #[clap(long, env = MEILI_HTTP_ADDR, default_value_t = default_http_addr())]
    #[serde(default = "default_http_addr")]
    pub http_addr: String,

    /// Sets the instance's master key, automatically protecting all routes except `GET /health`.
    #[clap(long, env = "MEILI_MASTER_KEY")]
    pub master_key: Option<String>,

    /// Deactivates Meilisearch's built-in telemetry when provided.
    #[clap(long, env = "MEILI_NO_ANALYTICS")]
    #[serde(default)]
    pub no_analytics: bool,

    #[clap(subcommand)]
    pub command: Option<Command>,
}

fn default_db_path() -> PathBuf {
    PathBuf::from(DEFAULT_DB_PATH)
}

fn default_http_addr() -> String {
    DEFAULT_HTTP_ADDR.to_string()
}
"""


def test_clap_derive_with_constants_and_default_functions() -> None:
    found = params(run(MEILISEARCH, "crates/meilisearch/src/option.rs"))
    assert found["--db-path"].default == "./data.ms"
    assert found["MEILI_DB_PATH"].default == "./data.ms"
    assert found["db_path"].default == "./data.ms"  # the config file key, via serde
    assert found["--http-addr"].default == "localhost:7700"
    assert found["MEILI_HTTP_ADDR"].value_type == "string"
    assert found["MEILI_MASTER_KEY"].secret and not found["MEILI_MASTER_KEY"].required
    assert found["--no-analytics"].value_type == "bool"
    assert found["no_analytics"].default == "false"
    assert "--command" not in found
    assert found["--http-addr"].summary.startswith(
        "command-line flag --http-addr (string, default localhost:7700): Sets the HTTP"
    )


def test_clap_arg_attribute_with_declared_range_and_bare_env() -> None:
    found = params(
        run(
            """
            #[derive(Parser)]
            struct Cli {
                /// Port to listen on
                #[arg(short, long, env, default_value_t = 8080)]
                port: u16,
                /// Worker threads
                #[arg(long, value_parser = clap::value_parser!(u16).range(1..=100))]
                workers: u16,
                #[arg(long, default_value = "info", value_parser = ["debug", "info", "warn"])]
                log_level: String,
                #[structopt(short = "c", long = "config-file")]
                config: Option<PathBuf>,
            }
            """
        )
    )
    assert found["--port"].default == "8080"
    assert found["PORT"].default == "8080"
    assert found["--workers"].min == 1 and found["--workers"].max == 100
    assert found["--workers"].range_source == "declared"
    assert found["--workers"].required
    assert found["--log-level"].allowed_values == ["debug", "info", "warn"]
    assert found["--config-file"].value_type == "string"
    assert not found["--config-file"].required


def test_clap_builder_chain() -> None:
    found = params(
        run(
            """
            fn cli() -> Command {
                Command::new("srv")
                    .arg(Arg::new("port").long("port").short('p').default_value("8080").env("PORT")
                        .value_parser(value_parser!(u16).range(1..)).help("Port to bind"))
                    .arg(Arg::new("verbose").short('v').action(ArgAction::SetTrue))
            }
            """
        )
    )
    assert found["--port"].default == "8080"
    assert found["--port"].value_type == "int"
    assert found["--port"].min == 1 and found["--port"].max is None
    assert found["PORT"].default == "8080"
    assert found["-v"].value_type == "bool"


# lldap server/src/configuration.rs (abridged): derive_builder defaults, nested sections.
LLDAP = """
#[derive(Clone, Debug, Deserialize, Serialize, derive_builder::Builder)]
#[builder(pattern = "owned")]
pub struct LdapsOptions {
    #[builder(default = "false")]
    pub enabled: bool,
    #[builder(default = "6360")]
    pub port: u16,
    #[builder(default = r#"String::from("cert.pem")"#)]
    pub cert_file: String,
}

#[derive(Clone, Deserialize, Serialize, derive_builder::Builder)]
pub struct Configuration {
    #[builder(default = r#"String::from("::")"#)]
    pub ldap_host: String,
    #[builder(default = "3890")]
    pub ldap_port: u16,
    #[builder(default)]
    pub jwt_secret: Option<SecUtf8>,
    #[builder(default)]
    pub ldaps_options: LdapsOptions,
    #[serde(skip)]
    #[builder(default)]
    pub internal: bool,
}

#[derive(Deserialize)]
pub struct DocumentParam {
    index_uid: String,
    document_id: String,
}
"""


def test_serde_config_structs_with_builder_defaults_and_sections() -> None:
    found = params(run(LLDAP, "server/src/configuration.rs"))
    assert found["ldap_port"].default == "3890"
    assert found["ldap_port"].value_type == "int"
    assert found["ldap_host"].default == "::"
    assert found["ldaps_options.port"].default == "6360"
    assert found["ldaps_options.cert_file"].default == "cert.pem"
    assert found["jwt_secret"].secret
    assert "ldaps_options" not in found and "internal" not in found
    # a request-parameter struct of a web API is no configuration
    assert "index_uid" not in found


def test_config_crate_defaults_health_routes_and_ports() -> None:
    result = run(
        """
        async fn main() {
            let settings = Config::builder()
                .set_default("server.port", 8080)?
                .set_default("server.host", "0.0.0.0")?
                .build()?;
            let app = Router::new()
                .route("/health", get(health))
                .route("/api/users", get(users));
            let listener = tokio::net::TcpListener::bind("0.0.0.0:3000").await.unwrap();
            HttpServer::new(|| App::new()).bind(("0.0.0.0", 8081))?.run().await
        }
        #[get("/readyz")]
        async fn ready() -> impl Responder { "ok" }
        """
    )
    found = params(result)
    assert found["server.port"].default == "8080"
    assert found["server.host"].default == "0.0.0.0"
    health = sorted(f.target for f in result.facts if isinstance(f, HealthCheck))
    assert health == ["/health", "/readyz"]
    ports = sorted(f.value or "" for f in result.facts if isinstance(f, ResourceRequirement))
    assert ports == ["3000", "8081"]


def test_impl_default_gives_config_struct_defaults() -> None:
    found = params(
        run(
            """
            #[derive(Debug, Deserialize)]
            #[serde(default)]
            pub struct ServerConfig {
                pub port: u16,
                pub bind: String,
                pub request_timeout: Duration,
                pub workers: usize,
            }

            impl Default for ServerConfig {
                fn default() -> Self {
                    Self {
                        port: 8080,
                        bind: "0.0.0.0".into(),
                        request_timeout: Duration::from_secs(30),
                        workers: num_cpus::get(),
                    }
                }
            }
            """,
            "src/config.rs",
        )
    )
    assert found["port"].default == "8080"
    assert found["bind"].default == "0.0.0.0"
    assert found["request_timeout"].default == "30s"
    assert found["request_timeout"].value_type == "duration"
    assert found["workers"].default is None  # computed at run time


def test_figment_env_overlay_names_the_variables_of_each_key() -> None:
    # lldap server/src/configuration.rs: Figment::from(Serialized::defaults(..))
    #     .merge(Toml::file(path)).merge(Env::prefixed("LLDAP_").split("__"))
    code = (
        LLDAP
        + """
    pub fn init() -> Configuration {
        let figment = Figment::from(Serialized::defaults(ConfigurationBuilder::default()))
            .merge(Toml::file("lldap_config.toml"))
            .merge(Env::prefixed("LLDAP_").split("__"));
        figment.extract().unwrap()
    }
    """
    )
    found = params(run(code, "server/src/configuration.rs"))
    assert found["LLDAP_LDAP_PORT"].default == "3890"
    assert found["LLDAP_LDAPS_OPTIONS__PORT"].default == "6360"
    assert found["LLDAP_JWT_SECRET"].secret
