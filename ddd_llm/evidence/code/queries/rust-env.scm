; Environment reads: std::env::var("X"), env::var_os("X"), dotenvy::var("X"); Python follows the
; method chain (`.unwrap_or("d")`, `.unwrap_or_else(|_| "d".into())`, `.parse::<u16>()`).
(call_expression
  function: (scoped_identifier path: (_) @path name: (identifier) @fn)
  arguments: (arguments . (_) @name)
  (#match? @fn "^(var|var_os)$")
  (#match? @path "(^|::)(env|dotenvy|dotenv)$")) @call

; Compile-time reads: env!("X"), option_env!("X").
(macro_invocation
  macro: (identifier) @macro
  (token_tree . (_) @name)
  (#match? @macro "^(env|option_env)$")) @build
