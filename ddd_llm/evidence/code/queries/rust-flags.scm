; Struct fields with their attributes (`#[arg(long, env = "X", default_value_t = 8080)]`,
; `#[clap(…)]`, `#[structopt(…)]`, `#[serde(default = "fn")]`, `#[builder(default = "…")]`).
(struct_item name: (type_identifier) @struct body: (field_declaration_list) @fields) @item

; clap's builder: Arg::new("port").long("port").default_value("8080").env("PORT").
(call_expression
  function: (scoped_identifier path: (identifier) @type name: (identifier) @ctor)
  arguments: (arguments . (_) @id)
  (#match? @type "^(Arg|Opt)$")
  (#match? @ctor "^(new|with_name)$")) @arg

; config / figment defaults: builder.set_default("server.port", 8080).
(call_expression
  function: (field_expression field: (field_identifier) @method)
  arguments: (arguments . (_) @key . (_) @value)
  (#match? @method "^(set_default|set_override)$")) @set

; Environment overlays of a config struct: figment `Env::prefixed("APP_").split("__")`,
; config-rs `Environment::with_prefix("APP").separator("__")`.
(call_expression
  function: (scoped_identifier path: (_) @env_type name: (identifier) @env_ctor)
  arguments: (arguments . (string_literal) @env_prefix)
  (#match? @env_type "(^|::)(Env|Environment)$")
  (#match? @env_ctor "^(prefixed|with_prefix)$")) @env_overlay
