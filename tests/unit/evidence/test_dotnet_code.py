"""Unit tests for the C#/.NET source analyzer."""

from __future__ import annotations

import textwrap

import pytest

from ddd_llm.evidence.base import REGISTRY, AnalyzerResult, SourceFile
from ddd_llm.evidence.code.dotnet_code import DotnetCodeAnalyzer
from ddd_llm.models import ConfigParameter, HealthCheck, ResourceRequirement

ANALYZER = DotnetCodeAnalyzer()


def run(text: str, path: str = "src/Api/Program.cs") -> AnalyzerResult:
    source = SourceFile(path, textwrap.dedent(text).lstrip("\n"))
    assert ANALYZER.accepts(source)
    result = ANALYZER.analyze(source)
    assert len({f.id for f in result.facts}) == len(result.facts), "one fact per id"
    return result


def params(result: AnalyzerResult) -> dict[str, ConfigParameter]:
    return {f.name: f for f in result.facts if isinstance(f, ConfigParameter)}


def health(result: AnalyzerResult) -> dict[str, HealthCheck]:
    return {f.target: f for f in result.facts if isinstance(f, HealthCheck)}


def ports(result: AnalyzerResult) -> list[str | None]:
    return [f.value for f in result.facts if isinstance(f, ResourceRequirement)]


def test_registered_under_its_name() -> None:
    assert isinstance(REGISTRY["dotnet_code"], DotnetCodeAnalyzer)


@pytest.mark.parametrize(
    ("path", "accepted"),
    [
        ("src/Catalog.API/Program.cs", True),
        ("Program.cs", True),
        ("tests/Catalog.FunctionalTests/CatalogApiFixture.cs", False),
        ("src/Catalog.API.Tests/ProgramTests.cs", False),
        ("src/Api/obj/Debug/net8.0/Api.AssemblyInfo.cs", False),
        ("src/Api/Migrations/20240101_Init.cs", False),
        ("src/Api/Form.Designer.cs", False),
        ("src/Api/Services/OrderServiceTests.cs", False),
        ("src/Api/Models/Contest.cs", True),
        ("src/App.java", False),
    ],
)
def test_accepts_sources_not_tests_or_generated(path: str, accepted: bool) -> None:
    assert ANALYZER.accepts(SourceFile(path, "")) is accepted


def test_environment_variables_with_defaults() -> None:
    result = run(
        """
        var port = int.Parse(Environment.GetEnvironmentVariable("PORT") ?? "8080");
        var region = Environment.GetEnvironmentVariable("AWS_REGION")
            ?? throw new InvalidOperationException("AWS_REGION is not set");
        var secret = Environment.GetEnvironmentVariable("JWT_SECRET") ?? "dev-secret";
        static bool ShouldUseHttpForEndpoints()
        {
            // eShop src/eShop.AppHost/Program.cs
            const string EnvVarName = "ESHOP_USE_HTTP_ENDPOINTS";
            var envValue = Environment.GetEnvironmentVariable(EnvVarName);
            return int.TryParse(envValue, out int result) && result == 1;
        }
        var name = Environment.GetEnvironmentVariable(prefix + "_NAME");
        """
    )
    found = params(result)
    assert (found["PORT"].value_type, found["PORT"].default) == ("int", "8080")
    assert found["AWS_REGION"].required
    assert found["JWT_SECRET"].secret and found["JWT_SECRET"].default is None
    assert found["ESHOP_USE_HTTP_ENDPOINTS"].value_type == "int"  # int.TryParse(envValue, ...)
    assert set(found) == {"PORT", "AWS_REGION", "JWT_SECRET", "ESHOP_USE_HTTP_ENDPOINTS"}
    assert [c.start_line for c in result.candidates] == [12]


def test_environment_helper_calls() -> None:
    result = run(
        """
        public static class Settings
        {
            public static string DbHost => Env("DB_HOST", "localhost");
            public static int Workers => int.Parse(Env("WORKERS", "4"));
            private static string Env(string name, string fallback) =>
                Environment.GetEnvironmentVariable(name) ?? fallback;
        }
        """
    )
    found = params(result)
    assert found["DB_HOST"].default == "localhost"
    assert (found["WORKERS"].default, found["WORKERS"].value_type) == ("4", "int")
    assert set(found) == {"DB_HOST", "WORKERS"} and result.candidates == []


def test_configuration_keys_sections_and_connection_strings() -> None:
    result = run(
        """
        var builder = WebApplication.CreateBuilder(args);
        var configuration = builder.Configuration;
        // eShop src/WebApp/Extensions/Extensions.cs
        var identityUrl = configuration.GetRequiredValue("IdentityUrl");
        var sessionCookieLifetime = configuration.GetValue("SessionCookieLifetimeMinutes", 60);
        var retries = configuration.GetValue<int>("Resilience:Retries", 3);
        var enabled = builder.Configuration["Features:Search"];
        var storageKey = configuration["AzureStorageAccountKey"];
        options.UseSqlServer(configuration["ConnectionString"]);
        var identitySection = configuration.GetSection("Identity");
        var audience = identitySection["Audience"];
        var nested = configuration.GetSection("Kafka").GetSection("Consumer")
            .GetValue<bool>("AutoCommit");
        // eShopOnWeb src/Infrastructure/Dependencies.cs
        var inMemory = bool.Parse(configuration["UseOnlyInMemoryDatabase"]!);
        // eShopOnWeb src/Web/Program.cs
        var catalogBaseUrl = builder.Configuration
            .GetValue(typeof(string), "CatalogBaseUrl") as string;
        options.UseNpgsql(builder.Configuration.GetConnectionString("orderingdb"));
        builder.AddRedisClient("redis");
        builder.AddNpgsqlDbContext<CatalogContext>("catalogdb");
        builder.Services.AddHttpClient("github");
        var other = dictionary["NotConfig"];
        var computed = configuration[key];
        configuration["Written:InCode"] = "true";
        """
    )
    found = params(result)
    assert found["IdentityUrl"].required
    assert (
        found["SessionCookieLifetimeMinutes"].value_type,
        found["SessionCookieLifetimeMinutes"].default,
    ) == ("int", "60")
    assert (found["Resilience:Retries"].value_type, found["Resilience:Retries"].default) == (
        "int",
        "3",
    )
    assert "Features:Search" in found
    assert found["AzureStorageAccountKey"].secret
    assert found["ConnectionString"].secret  # eShopOnContainers Catalog.API Startup.cs
    assert not found["Features:Search"].secret
    assert "Identity:Audience" in found
    assert found["Kafka:Consumer:AutoCommit"].value_type == "bool"
    assert found["UseOnlyInMemoryDatabase"].value_type == "bool"
    assert found["CatalogBaseUrl"].value_type == "string"
    for name in (
        "ConnectionStrings:orderingdb",
        "ConnectionStrings:redis",
        "ConnectionStrings:catalogdb",
    ):
        assert found[name].secret and found[name].default is None
    assert "ConnectionStrings:github" not in found
    assert "NotConfig" not in found
    assert "Written:InCode" not in found
    assert [c.start_line for c in result.candidates] == [24]


OPTIONS_FILE = """
public class CatalogOptions
{
    [Range(1, 100)]
    public int PageSize { get; set; } = 10;
    [Required]
    public string PicBaseUrl { get; set; }
    public bool UseCustomizationData { get; set; }
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);
    public Mode Mode { get; set; } = Mode.Fast;
    public RetryOptions Retry { get; set; } = new();
    public string ApiKey { get; set; } = "dev-key";
    public int Computed => PageSize * 2;
    public static int Shared { get; set; }
}
public class RetryOptions { public int Count { get; set; } = 3; }
public enum Mode { Fast, Safe }
"""


@pytest.mark.parametrize(
    "binding",
    [
        'builder.Services.Configure<CatalogOptions>(builder.Configuration.GetSection("Catalog"));',
        'builder.Services.AddOptions<CatalogOptions>().Bind(builder.Configuration.GetSection("Catalog"));',
        'builder.Services.AddOptions<CatalogOptions>().BindConfiguration("Catalog");',
        'var o = builder.Configuration.GetSection("Catalog").Get<CatalogOptions>();',
        'var o = new CatalogOptions(); builder.Configuration.GetSection("Catalog").Bind(o);',
        'var o = new CatalogOptions(); builder.Configuration.Bind("Catalog", o);',
        # royer-r-arevalo/dotnet-app-configuration OptionsExample/ApplicationOptionsSetup.cs
        "public class CatalogOptionsSetup(IConfiguration configuration)"
        " : IConfigureOptions<CatalogOptions>\n{\n"
        "    public void Configure(CatalogOptions options) =>\n"
        '        configuration.GetSection("Catalog").Bind(options);\n}',
    ],
)
def test_options_class_bound_in_the_same_file(binding: str) -> None:
    result = run(OPTIONS_FILE + binding + "\n")
    found = params(result)
    assert set(found) == {
        "Catalog:PageSize",
        "Catalog:PicBaseUrl",
        "Catalog:UseCustomizationData",
        "Catalog:Timeout",
        "Catalog:Mode",
        "Catalog:Retry:Count",
        "Catalog:ApiKey",
    }
    size = found["Catalog:PageSize"]
    assert (size.default, size.min, size.max, size.range_source) == ("10", 1, 100, "declared")
    assert found["Catalog:PicBaseUrl"].required
    assert found["Catalog:UseCustomizationData"].value_type == "bool"
    assert (found["Catalog:Timeout"].value_type, found["Catalog:Timeout"].default) == (
        "duration",
        "00:00:30",
    )
    assert found["Catalog:Mode"].allowed_values == ["Fast", "Safe"]
    assert found["Catalog:Retry:Count"].default == "3"
    assert found["Catalog:ApiKey"].secret and found["Catalog:ApiKey"].default is None
    cited = found["Catalog:PageSize"].citations[0]
    assert (cited.start_line, cited.end_line) == (3, 4)  # the attribute and the property


def test_options_bound_across_files_are_candidates() -> None:
    ANALYZER.finish()  # nothing left over from other tests
    # eShop src/EventBusRabbitMQ/RabbitMqDependencyInjectionExtensions.cs (EventBusOptions lives
    # in EventBusOptions.cs, which names no section)
    binding = run(
        """
        public static class RabbitMqDependencyInjectionExtensions
        {
            private const string SectionName = "EventBus";
            public static IEventBusBuilder AddRabbitMqEventBus(
                this IHostApplicationBuilder builder, string connectionName)
            {
                builder.Services.Configure<EventBusOptions>(builder.Configuration.GetSection(SectionName));
                builder.Services.Configure<EventBusSubscriptionInfo>(o => { o.Count = 1; });
                return new EventBusBuilder(builder.Services);
            }
        }
        """
    )
    assert params(binding) == {}
    assert [c.start_line for c in binding.candidates] == [7]
    assert "'EventBus'" in binding.candidates[0].reason
    options = run(
        """
        namespace eShop.EventBusRabbitMQ;

        public class EventBusOptions
        {
            public string SubscriptionClientName { get; set; }
            public int RetryCount { get; set; } = 10;
        }
        """,
        "src/EventBusRabbitMQ/EventBusOptions.cs",
    )
    assert params(options) == {}
    assert [c.start_line for c in options.candidates] == [3]
    joined = {f.name: f for f in ANALYZER.finish().facts if isinstance(f, ConfigParameter)}
    assert set(joined) == {"EventBus:SubscriptionClientName", "EventBus:RetryCount"}
    retry = joined["EventBus:RetryCount"]
    assert (retry.value_type, retry.default) == ("int", "10")
    cited = [(c.path, c.start_line) for c in retry.citations]
    assert cited == [("src/EventBusRabbitMQ/EventBusOptions.cs", 6), ("src/Api/Program.cs", 7)]
    assert ANALYZER.finish().facts == []  # joined once, then forgotten


def test_a_binding_joins_the_options_class_of_its_own_project() -> None:
    # eShopOnContainers: src/Web/WebMVC and src/Web/WebSPA each declare an AppSettings
    ANALYZER.finish()
    for project, prop in (("WebMVC", "PurchaseUrl"), ("WebSPA", "BasketUrl")):
        run(
            f"public class AppSettings {{ public string {prop} {{ get; set; }} }}\n",
            f"src/Web/{project}/AppSettings.cs",
        )
    run("services.Configure<AppSettings>(Configuration);\n", "src/Web/WebMVC/Startup.cs")
    run("var s = Configuration.Get<AppSettings>();\n", "src/Web/WebMVC/Program.cs")
    joined = [f for f in ANALYZER.finish().facts if isinstance(f, ConfigParameter)]
    assert [(f.name, [c.path for c in f.citations]) for f in joined] == [
        (
            "PurchaseUrl",
            [
                "src/Web/WebMVC/AppSettings.cs",
                "src/Web/WebMVC/Startup.cs",
                "src/Web/WebMVC/Program.cs",
            ],
        )
    ]


def test_options_class_that_names_its_own_section() -> None:
    # eShopOnWeb src/BlazorShared/BaseUrlConfiguration.cs
    result = run(
        """
        namespace BlazorShared;

        public class BaseUrlConfiguration
        {
            public const string CONFIG_NAME = "baseUrls";

            public string ApiBase { get; set; }
            public string WebBase { get; set; }
        }
        """,
        "src/BlazorShared/BaseUrlConfiguration.cs",
    )
    assert set(params(result)) == {"baseUrls:ApiBase", "baseUrls:WebBase"}
    assert result.candidates == []


def test_models_with_data_annotations_are_not_settings() -> None:
    # eShop src/Identity.API/Models/AccountViewModels/LoginViewModel.cs
    result = run(
        """
        public record LoginViewModel
        {
            [Required]
            [EmailAddress]
            public string Email { get; init; }
            [Required]
            [DataType(DataType.Password)]
            public string Password { get; init; }
        }
        """,
        "src/Identity.API/Models/LoginViewModel.cs",
    )
    assert result.facts == [] and result.candidates == []


def test_health_checks_and_health_routes() -> None:
    result = run(
        """
        builder.Services.AddHealthChecks();
        var app = builder.Build();
        // eShop src/eShop.ServiceDefaults/Extensions.cs
        app.MapHealthChecks("/health");
        app.MapHealthChecks("/alive", new HealthCheckOptions
        {
            Predicate = r => r.Tags.Contains("live")
        });
        app.UseHealthChecks("/hc", 8081);
        app.MapGet("/healthz", () => Results.Ok());
        app.MapGet("/health/{name}", (string name) => Results.Ok());
        app.MapGet("/orders", () => Results.Ok());
        app.MapHealthChecks(HealthPath);
        """
    )
    found = health(result)
    assert set(found) == {"/health", "/alive", "/hc", "/healthz"}
    assert found["/alive"].citations[0].start_line == 5
    assert found["/hc"].port == 8081
    assert all(c.mechanism == "code-endpoint" and c.check_type == "http" for c in found.values())
    assert [(c.start_line, c.kind) for c in result.candidates] == [(13, "health_check")]


def test_controller_health_route() -> None:
    result = run(
        """
        [ApiController]
        [Route("api/[controller]")]
        public class HealthController : ControllerBase
        {
            [HttpGet]
            public IActionResult Get() => Ok("healthy");

            [HttpGet("{id}")]
            public IActionResult One(int id) => Ok();
        }

        [Route("api/orders")]
        public class OrdersController : ControllerBase
        {
            [HttpGet("ping")]
            public IActionResult Ping() => Ok();
            [HttpGet("recent")]
            public IActionResult Recent() => Ok();
        }
        """,
        "src/Api/Controllers/HealthController.cs",
    )
    assert set(health(result)) == {"/api/health", "/api/orders/ping"}


def test_kestrel_ports() -> None:
    result = run(
        """
        builder.WebHost.UseUrls("http://*:5000;https://0.0.0.0:5001");
        builder.WebHost.ConfigureKestrel(options =>
        {
            options.ListenAnyIP(8080);
            options.Listen(IPAddress.Loopback, 9090);
        });
        app.Run("http://localhost:3000");
        """
    )
    assert sorted(ports(result), key=lambda p: int(p or 0)) == [
        "3000",
        "5000",
        "5001",
        "8080",
        "9090",
    ]


def test_command_line_options() -> None:
    result = run(
        """
        public class Options
        {
            [Option('p', "port", Default = 8080, HelpText = "Port to listen on (1-65535).")]
            public int Port { get; set; }

            [Option('v', "verbose", Required = false, HelpText = "Verbose output.")]
            public bool Verbose { get; set; }

            [Option("token", Required = true)]
            public string Token { get; set; }
        }
        var workers = new Option<int>("--workers", () => 4, "Number of workers");
        var name = new Option<string>("--name", "-n")
        {
            Description = "Instance name", DefaultValueFactory = _ => "main"
        };
        """,
        "src/Cli/Options.cs",
    )
    found = params(result)
    assert set(found) == {"--port", "--verbose", "--token", "--workers", "--name"}
    port = found["--port"]
    assert (port.value_type, port.default, port.min, port.max) == ("int", "8080", 1, 65535)
    assert found["--verbose"].value_type == "bool"
    assert found["--token"].required and found["--token"].secret
    assert (found["--workers"].value_type, found["--workers"].default) == ("int", "4")
    assert found["--name"].default == "main"


def test_broken_file_warns() -> None:
    result = run('var x = Environment.GetEnvironmentVariable("A";\nclass {\n')
    assert any("syntax error" in w.message for w in result.warnings)
