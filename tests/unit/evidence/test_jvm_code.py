"""Unit tests for the JVM (Java and Kotlin) source analyzer."""

from __future__ import annotations

import textwrap

import pytest

from ddd_llm.evidence.base import REGISTRY, AnalyzerResult, SourceFile
from ddd_llm.evidence.code._jvm_read import kebab, placeholders
from ddd_llm.evidence.code.jvm_code import JvmCodeAnalyzer
from ddd_llm.models import ConfigParameter, FactBase, HealthCheck, ResourceRequirement

ANALYZER = JvmCodeAnalyzer()


def run(text: str, path: str = "src/main/java/com/example/App.java") -> AnalyzerResult:
    source = SourceFile(path, textwrap.dedent(text).lstrip("\n"))
    assert ANALYZER.accepts(source)
    return ANALYZER.analyze(source)


def facts(result: AnalyzerResult) -> dict[str, FactBase]:
    out = {fact.id: fact for fact in result.facts}
    assert len(out) == len(result.facts), "one fact per id"
    return out


def params(result: AnalyzerResult) -> dict[str, ConfigParameter]:
    return {f.name: f for f in result.facts if isinstance(f, ConfigParameter)}


def health(result: AnalyzerResult) -> dict[str, HealthCheck]:
    return {f.target: f for f in result.facts if isinstance(f, HealthCheck)}


def test_registered_under_its_name() -> None:
    assert isinstance(REGISTRY["jvm_code"], JvmCodeAnalyzer)


@pytest.mark.parametrize(
    ("path", "accepted"),
    [
        ("src/main/java/com/x/App.java", True),
        ("app/src/main/kotlin/x/App.kt", True),
        ("build.gradle.kts", True),
        ("service/pom.xml", True),
        ("service/build.gradle", True),
        ("src/test/java/com/x/AppTest.java", False),
        ("src/main/java/com/x/AppTests.java", False),
        ("src/main/java/com/x/spec/ProductSpec.java", True),
        ("src/main/java/it/company/App.java", True),
        ("src/main/resources/application.properties", False),
        ("App.cs", False),
    ],
)
def test_accepts_sources_and_build_files_not_tests(path: str, accepted: bool) -> None:
    assert ANALYZER.accepts(SourceFile(path, "")) is accepted


def test_getenv_with_defaults_in_the_ways_java_writes_them() -> None:
    result = run(
        """
        class Config {
            String host = Optional.ofNullable(System.getenv("DB_HOST")).orElse("localhost");
            int port = Integer.parseInt(
                Optional.ofNullable(System.getenv("DB_PORT")).orElse("5432"));
            String mode = System.getenv("MODE") != null ? System.getenv("MODE") : "fast";
            String user = System.getenv().getOrDefault("DB_USER", "app");
            String pw = System.getenv("DB_PASSWORD");
            String key = Objects.requireNonNull(System.getenv("API_KEY"));
            String home = System.getenv("HOME");
        }
        """
    )
    found = params(result)
    assert found["DB_HOST"].default == "localhost"
    assert found["DB_PORT"].default == "5432"
    assert found["DB_PORT"].value_type == "int"
    assert found["MODE"].default == "fast"
    assert found["MODE"].citations[0].start_line == 5
    assert found["DB_USER"].default == "app"
    assert found["DB_PASSWORD"].secret and found["DB_PASSWORD"].default is None
    assert found["API_KEY"].required and found["API_KEY"].secret
    assert "HOME" not in found  # set by the platform, not an operator
    facts(result)


def test_a_read_kept_in_a_variable_or_made_by_a_helper() -> None:
    result = run(
        """
        public class DemoApplication {
            // adapted from Hibrahimnillo66/task-manager-backend DemoApplication.java
            private static String getPort() {
                String port = System.getenv("PORT");
                return port != null ? port : "8080";
            }
            // adapted from YonayCabrera/heroku Application.java
            public static void main(String[] args) {
                String sparkPort = System.getenv("SPARK_PORT");
                Spark.port(Optional.ofNullable(sparkPort).map(Integer::valueOf).orElse(4567));
            }
        }
        class Config {
            // adapted from a uk.gov.di.ipv stub Config.java
            public static final String PORT = getConfigValue("APP_PORT", "8080");
            public static final String HOST = getConfigValue("APP_HOST", "localhost");
            private static String getConfigValue(String key, String defaultValue) {
                return Optional.ofNullable(System.getenv(key)).orElse(defaultValue);
            }
            private static String unused(String key) { return System.getenv(key); }
        }
        """
    )
    found = params(result)
    assert found["PORT"].default == "8080"
    assert (found["SPARK_PORT"].default, found["SPARK_PORT"].value_type) == ("4567", "int")
    assert found["APP_PORT"].default == "8080"
    assert found["APP_HOST"].default == "localhost"
    assert found["APP_HOST"].citations[0].start_line == 16
    assert set(found) == {"PORT", "SPARK_PORT", "APP_PORT", "APP_HOST"}
    assert [c.start_line for c in result.candidates] == [20]  # a helper nobody calls


def test_jhipster_startup_log_reads() -> None:
    # jhipster/jhipster-sample-app JhipsterSampleApplicationApp.java and AuthenticateController
    result = run(
        """
        class App {
            private static void logApplicationStartup(Environment env) {
                String protocol = Optional.ofNullable(env.getProperty("server.ssl.key-store"))
                    .map(key -> "https")
                    .orElse("http");
                String contextPath = Optional
                    .ofNullable(env.getProperty("server.servlet.context-path"))
                    .filter(StringUtils::isNotBlank)
                    .orElse("/");
            }
            @Value("${jhipster.security.authentication.jwt.token-validity-in-seconds:0}")
            private long tokenValidityInSeconds;
        }
        """
    )
    found = params(result)
    assert found["server.ssl.key-store"].default is None  # "http" is the protocol, not a path
    assert found["server.servlet.context-path"].default == "/"
    validity = found["jhipster.security.authentication.jwt.token-validity-in-seconds"]
    assert (validity.secret, validity.default, validity.value_type) == (False, "0", "int")


def test_kotlin_getenv_elvis_conversion_and_required() -> None:
    result = run(
        """
        val port = System.getenv("PORT")?.toInt() ?: 8080
        val host = System.getenv("HOST") ?: "0.0.0.0"
        val token = System.getenv("BOT_TOKEN") ?: error("BOT_TOKEN is required")
        val region = requireNotNull(System.getenv("REGION"))
        val debug = System.getenv()["DEBUG"].orEmpty()
        """,
        "src/main/kotlin/App.kt",
    )
    found = params(result)
    assert (found["PORT"].value_type, found["PORT"].default) == ("int", "8080")
    assert found["HOST"].default == "0.0.0.0"
    assert found["BOT_TOKEN"].required and found["BOT_TOKEN"].secret
    assert found["REGION"].required
    assert found["DEBUG"].default == ""


def test_system_properties_and_spring_environment() -> None:
    result = run(
        """
        class Boot {
            void init(Environment env) {
                String dir = System.getProperty("app.data.dir", "/var/lib/app");
                int size = Integer.getInteger("app.pool.size", 8);
                Integer retries = env.getProperty("app.retries", Integer.class, 3);
                String url = env.getRequiredProperty("app.remote.url");
                String v = System.getProperty("java.version");
                String other = widget.getProperty("color");
            }
        }
        """
    )
    found = params(result)
    assert found["app.data.dir"].default == "/var/lib/app"
    assert (found["app.pool.size"].value_type, found["app.pool.size"].default) == ("int", "8")
    assert (found["app.retries"].value_type, found["app.retries"].default) == ("int", "3")
    assert found["app.remote.url"].required
    assert "java.version" not in found  # the JVM sets it
    assert "color" not in found  # not an Environment


def test_computed_names_become_candidates() -> None:
    # adapted from sqshq/piggymetrics notification-service EmailServiceImpl.java
    result = run(
        """
        class EmailServiceImpl {
            public void send(NotificationType type) {
                final String subject = env.getProperty(type.getSubject());
                String v = System.getenv(PREFIX + name);
            }
        }
        """
    )
    assert params(result) == {}
    assert [c.start_line for c in result.candidates] == [3, 4]
    assert all(c.kind == "config_parameter" for c in result.candidates)


def test_constants_resolve_names() -> None:
    result = run(
        """
        class Keys {
            private static final String PORT_VAR = "SERVER_PORT";
            static final String PREFIX = "app.";
            int port = Integer.parseInt(System.getenv(PORT_VAR));
            String n = System.getProperty(PREFIX + "name");
        }
        """
    )
    found = params(result)
    assert found["SERVER_PORT"].value_type == "int"
    assert "app.name" in found
    assert result.candidates == []


def test_value_annotations_with_types_defaults_and_nesting() -> None:
    result = run(
        """
        @Service
        class Worker {
            @Value("${worker.threads:4}") private int threads;
            @Value("${worker.timeout:30s}") private Duration timeout;
            @Value("${WORKER_MODE:${worker.mode:batch}}") private Mode mode;
            @Value("#{'${worker.queues}'.split(',')}") private List<String> queues;
            @Value("${spring.datasource.password}") private String password;
            Worker(@Value("${worker.name}") String name) {}

            // adapted from sqshq/piggymetrics NotificationServiceImpl.java
            @Scheduled(cron = "${backup.cron}")
            public void sendBackupNotifications() {}
        }
        enum Mode { BATCH, STREAM }
        """
    )
    found = params(result)
    assert (found["worker.threads"].value_type, found["worker.threads"].default) == ("int", "4")
    assert found["worker.timeout"].value_type == "duration"
    assert found["WORKER_MODE"].default == "batch"
    assert found["WORKER_MODE"].allowed_values == ["BATCH", "STREAM"]
    assert found["worker.mode"].default == "batch"
    assert found["worker.queues"].value_type == "list"
    assert found["spring.datasource.password"].secret
    assert found["worker.name"].value_type == "string"
    assert "backup.cron" in found
    assert found["backup.cron"].citations[0].start_line == 11


def test_configuration_properties_class_with_validation_and_nesting() -> None:
    result = run(
        """
        @Validated
        @ConfigurationProperties(prefix = "app.cache")
        public class CacheProperties {
            @Min(1) @Max(100)
            private int maxSize = 10;
            @Positive
            private long heapSizeMb;
            @DurationMin(seconds = 5)
            private Duration ttl = Duration.ofMinutes(10);
            @NotBlank
            private String clusterName;
            private boolean enabled = true;
            private static final String IGNORED = "x";
            private final Remote remote = new Remote();

            public static class Remote {
                private String url = "http://cache:8080";
                @Range(min = 1, max = 65535) private int port = 8080;
            }
        }
        """
    )
    found = params(result)
    assert set(found) == {
        "app.cache.max-size",
        "app.cache.heap-size-mb",
        "app.cache.ttl",
        "app.cache.cluster-name",
        "app.cache.enabled",
        "app.cache.remote.url",
        "app.cache.remote.port",
    }
    size = found["app.cache.max-size"]
    assert (size.default, size.min, size.max, size.range_source) == ("10", 1, 100, "declared")
    assert found["app.cache.heap-size-mb"].min == 1
    ttl = found["app.cache.ttl"]
    assert (ttl.value_type, ttl.default, ttl.min, ttl.unit) == ("duration", "10m", 5, "s")
    assert found["app.cache.cluster-name"].required
    assert (found["app.cache.enabled"].value_type, found["app.cache.enabled"].default) == (
        "bool",
        "true",
    )
    assert (found["app.cache.remote.port"].min, found["app.cache.remote.port"].max) == (1, 65535)


def test_configuration_properties_record_from_petclinic() -> None:
    # spring-petclinic/spring-petclinic-microservices vets-service VetsProperties.java
    result = run(
        """
        @ConfigurationProperties(prefix = "vets")
        public record VetsProperties(
            Cache cache
        ) {
            public record Cache(
                int ttl,
                int heapSize
            ) {
            }
        }
        """
    )
    found = params(result)
    assert set(found) == {"vets.cache.ttl", "vets.cache.heap-size"}
    assert found["vets.cache.heap-size"].value_type == "int"
    assert found["vets.cache.heap-size"].citations[0].start_line == 7


def test_kotlin_configuration_properties_data_class() -> None:
    result = run(
        """
        @ConfigurationProperties("mail")
        data class MailProperties(
            val host: String = "smtp.example.com",
            @field:Min(1) @field:Max(65535) val port: Int = 587,
            val password: String? = null,
        )
        """,
        "src/main/kotlin/MailProperties.kt",
    )
    found = params(result)
    assert set(found) == {"mail.host", "mail.port", "mail.password"}
    assert (found["mail.port"].default, found["mail.port"].max) == ("587", 65535)
    assert found["mail.password"].secret


def test_bean_method_binding_a_foreign_type_is_a_candidate() -> None:
    # sqshq/piggymetrics account-service ResourceServerConfig.java
    result = run(
        """
        public class ResourceServerConfig {
            @Bean
            @ConfigurationProperties(prefix = "security.oauth2.client")
            public ClientCredentialsResourceDetails clientCredentialsResourceDetails() {
                return new ClientCredentialsResourceDetails();
            }
        }
        """
    )
    assert params(result) == {}
    assert len(result.candidates) == 1
    assert "security.oauth2.client" in result.candidates[0].reason


def test_bean_method_joined_with_a_settings_class_of_another_file() -> None:
    ANALYZER.finish()  # nothing left over from other tests
    run(
        """
        @Configuration
        class MailConfig {
            @Bean
            @ConfigurationProperties(prefix = "mail")
            public MailSettings mailSettings() { return new MailSettings(); }
        }
        """,
        "src/main/java/com/x/MailConfig.java",
    )
    holder = run(
        """
        public class MailSettings {
            private String host = "smtp.example.com";
            @Max(65535) private int port = 587;
            private Resource template;
        }
        """,
        "src/main/java/com/x/MailSettings.java",
    )
    assert params(holder) == {} and holder.candidates == []
    joined = {f.name: f for f in ANALYZER.finish().facts if isinstance(f, ConfigParameter)}
    assert set(joined) == {"mail.host", "mail.port"}
    assert (joined["mail.port"].default, joined["mail.port"].max) == ("587", 65535)
    assert [c.path.rsplit("/", 1)[-1] for c in joined["mail.port"].citations] == [
        "MailSettings.java",
        "MailConfig.java",
    ]


def test_microprofile_and_micronaut_properties() -> None:
    result = run(
        """
        @ApplicationScoped
        public class GreetingResource {
            @ConfigProperty(name = "greeting.message", defaultValue = "hello")
            String message;
            @ConfigProperty(name = "greeting.count")
            int count;
            @ConfigProperty(name = "greeting.suffix")
            Optional<String> suffix;
            @Property(name = "micronaut.http.client.read-timeout")
            Duration readTimeout;
            @Property(key = "not-micronaut")
            String other;
        }
        """
    )
    found = params(result)
    assert found["greeting.message"].default == "hello"
    assert (found["greeting.count"].value_type, found["greeting.count"].required) == ("int", True)
    assert not found["greeting.suffix"].required
    assert found["micronaut.http.client.read-timeout"].value_type == "duration"
    assert "not-micronaut" not in found


def test_conditional_on_property_switches() -> None:
    result = run(
        """
        @Configuration
        @ConditionalOnProperty(prefix = "app.cache", name = "enabled", havingValue = "true",
                               matchIfMissing = true)
        class CacheConfig {}

        @ConditionalOnProperty("feature.audit")
        class AuditConfig {}
        """
    )
    found = params(result)
    assert (found["app.cache.enabled"].value_type, found["app.cache.enabled"].default) == (
        "bool",
        "true",
    )
    assert found["feature.audit"].default is None
    assert found["app.cache.enabled"].citations[0].start_line == 2


def test_picocli_options() -> None:
    result = run(
        """
        @Command(name = "server")
        class ServerCommand implements Runnable {
            @Option(names = {"-p", "--port"}, defaultValue = "8080",
                    description = "Port to listen on (1-65535)")
            int port;
            @Option(names = "--workers", description = "Worker threads")
            int workers = 4;
            @Option(names = {"-v", "--verbose"})
            boolean verbose;
            @Option(names = "--token", required = true)
            String token;
            @Parameter(name = "id", description = "OpenAPI, not a flag")
            String notAFlag;
        }
        """
    )
    found = params(result)
    assert set(found) == {"--port", "--workers", "--verbose", "--token"}
    port = found["--port"]
    assert (port.value_type, port.default, port.min, port.max) == ("int", "8080", 1, 65535)
    assert port.range_source == "documented"
    assert found["--workers"].default == "4"
    assert found["--verbose"].value_type == "bool"
    assert found["--token"].required and found["--token"].secret


def test_clikt_options() -> None:
    result = run(
        """
        class Tool : CliktCommand() {
            val port by option("-p", "--port", help = "Port", envvar = "TOOL_PORT")
                .int().restrictTo(1..65535).default(8080)
            val mode by option("--mode").choice("fast", "safe").required()
            val verbose by option("-v", "--verbose").flag()
            val name by option()
        }
        """,
        "src/main/kotlin/Tool.kt",
    )
    found = params(result)
    port = found["--port"]
    assert (port.value_type, port.default, port.min, port.max) == ("int", "8080", 1, 65535)
    assert (port.citations[0].start_line, port.citations[0].end_line) == (2, 3)
    assert found["TOOL_PORT"].default == "8080"
    mode = found["--mode"]
    assert (mode.value_type, mode.allowed_values, mode.required) == ("enum", ["fast", "safe"], True)
    assert found["--verbose"].value_type == "bool"
    assert set(found) == {"--port", "TOOL_PORT", "--mode", "--verbose"}


def test_health_routes_only_by_name_and_without_path_parameters() -> None:
    result = run(
        """
        @RestController
        @RequestMapping("/api")
        class StatusController {
            @GetMapping("/health")
            public String health() { return "ok"; }

            @GetMapping("/health/{component}")
            public String one(@PathVariable String component) { return "ok"; }

            @GetMapping("/owners")
            public List<Owner> owners() { return List.of(); }

            @RequestMapping(value = "/ping", method = RequestMethod.POST)
            public String ping() { return "pong"; }
        }
        """
    )
    found = health(result)
    assert set(found) == {"/api/health"}
    check = found["/api/health"]
    assert (check.check_type, check.mechanism) == ("http", "code-endpoint")
    assert check.citations[0].start_line == 4


def test_kotlin_controller_prefix_and_constructor_value() -> None:
    result = run(
        """
        package com.example.status

        @RestController
        @RequestMapping("/api")
        class StatusController(@Value("\\${status.verbose:false}") private val verbose: Boolean) {
            @GetMapping("/healthz")
            fun health(): String = "ok"
        }

        @Component
        @ConfigurationProperties("app")
        class AppProps(@Value("\\${x}") val x: String, val size: Int = 5)
        """,
        "src/main/kotlin/StatusController.kt",
    )
    assert set(health(result)) == {"/api/healthz"}
    found = params(result)
    assert (found["status.verbose"].value_type, found["status.verbose"].default) == (
        "bool",
        "false",
    )
    assert found["app.size"].default == "5"


def test_javalin_and_ktor_health_routes_and_ports() -> None:
    java = run(
        """
        class Main {
            public static void main(String[] args) {
                Javalin app = Javalin.create().start(7070);
                app.get("/healthz", ctx -> ctx.result("ok"));
                app.get("/users", ctx -> ctx.json(users));
            }
        }
        """
    )
    assert set(health(java)) == {"/healthz"}
    ports = [f for f in java.facts if isinstance(f, ResourceRequirement)]
    assert [p.value for p in ports] == ["7070"]
    kotlin = run(
        """
        fun main() {
            embeddedServer(Netty, port = 8081) {
                routing {
                    get("/health") { call.respondText("OK") }
                    get("/orders") { call.respond(orders) }
                }
            }.start(wait = true)
        }
        """,
        "src/main/kotlin/Main.kt",
    )
    assert set(health(kotlin)) == {"/health"}
    assert [f.value for f in kotlin.facts if isinstance(f, ResourceRequirement)] == ["8081"]


def test_spring_application_default_properties_in_code() -> None:
    result = run(
        """
        public class App {
            public static void main(String[] args) {
                SpringApplication app = new SpringApplication(App.class);
                app.setDefaultProperties(Collections.singletonMap("server.port", "8083"));
                app.run(args);
                new SpringApplicationBuilder(App.class)
                    .properties("spring.application.name=orders").run(args);
            }
        }
        """
    )
    found = params(result)
    assert found["server.port"].default == "8083"
    assert found["spring.application.name"].default == "orders"
    assert [f.value for f in result.facts if isinstance(f, ResourceRequirement)] == ["8083"]


ACTUATOR_POM = """
<?xml version="1.0" encoding="UTF-8"?>
<project>
    <parent>
        <groupId>org.springframework.boot</groupId>
        <artifactId>spring-boot-starter-parent</artifactId>
        <version>{version}</version>
    </parent>
    <dependencies>
        <dependency>
            <groupId>org.springframework.boot</groupId>
            <artifactId>spring-boot-starter-web</artifactId>
            <exclusions>
                <exclusion>
                    <artifactId>spring-boot-starter-actuator</artifactId>
                </exclusion>
            </exclusions>
        </dependency>
        <!-- <artifactId>spring-boot-starter-actuator</artifactId> -->
        {dependency}
    </dependencies>
</project>
"""
_DEPENDENCY = """<dependency>
            <groupId>org.springframework.boot</groupId>
            <artifactId>spring-boot-starter-actuator</artifactId>
        </dependency>"""


@pytest.mark.parametrize(
    ("version", "dependency", "expected"),
    [
        ("3.2.0", _DEPENDENCY, {"/actuator/health": 21}),
        ("1.5.9.RELEASE", _DEPENDENCY, {"/health": 21}),
        ("3.2.0", "", {}),
    ],
)
def test_actuator_dependency_in_pom(
    version: str, dependency: str, expected: dict[str, int]
) -> None:
    result = run(ACTUATOR_POM.format(version=version, dependency=dependency), "orders/pom.xml")
    found = health(result)
    assert {target: check.citations[0].start_line for target, check in found.items()} == expected
    for check in found.values():
        assert check.mechanism == "code-endpoint"


def test_actuator_dependency_in_gradle() -> None:
    groovy = run(
        """
        dependencies {
            // implementation 'org.springframework.boot:spring-boot-starter-actuator'
            implementation 'org.springframework.boot:spring-boot-starter-web'
            implementation 'org.springframework.boot:spring-boot-starter-actuator'
        }
        """,
        "build.gradle",
    )
    legacy = run(
        "dependencies {\n"
        "    compile group: 'org.springframework.boot', name: 'spring-boot-starter-actuator'\n"
        "}\n",
        "build.gradle",
    )
    assert set(health(legacy)) == {"/actuator/health"}
    assert {t: c.citations[0].start_line for t, c in health(groovy).items()} == {
        "/actuator/health": 4
    }
    kts = run(
        """
        dependencies {
            implementation("org.springframework.boot:spring-boot-starter-actuator")
        }
        """,
        "build.gradle.kts",
    )
    assert set(health(kts)) == {"/actuator/health"}
    none = run('dependencies { implementation("io.ktor:ktor-server-core") }\n', "build.gradle.kts")
    assert health(none) == {}


def test_broken_files_warn_and_never_raise() -> None:
    result = run('class A { String x = System.getenv("A"; }\n')
    assert any("syntax error" in w.message for w in result.warnings)
    assert run("<project><dependencies>", "pom.xml").warnings


def test_kebab_and_placeholders() -> None:
    assert kebab("heapSizeMb") == "heap-size-mb"
    assert kebab("max_size") == "max-size"
    assert list(placeholders("${a.b:5}")) == [("a.b", "5", 0)]
    assert list(placeholders("${A:${B:d}}")) == [("A", "d", 0), ("B", "d", 1)]
    assert list(placeholders("${x}/${y:}")) == [("x", None, 0), ("y", "", 0)]
    assert list(placeholders("${broken")) == []
