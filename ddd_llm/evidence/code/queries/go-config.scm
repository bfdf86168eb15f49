; Configuration declared as data in Go: struct tags and viper keys (read by _go_env.py).

; Port int `env:"PORT" envDefault:"8080"` / `envconfig:"PORT" default:"8080"`
(field_declaration
  type: (_) @tag.type
  tag: (raw_string_literal) @tag.text) @tag

; envconfig.Process("myapp", &cfg): the tag names get the MYAPP_ prefix
(call_expression
  function: (selector_expression
    operand: (identifier) @envconfig.pkg
    field: (field_identifier) @envconfig.fn)
  arguments: (argument_list . (_) @envconfig.prefix)
  (#eq? @envconfig.pkg "envconfig")
  (#any-of? @envconfig.fn "Process" "MustProcess")) @envconfig

; viper.SetDefault("server.port", 8080), v.BindEnv("port", "PORT")
(call_expression
  function: (selector_expression
    operand: (identifier) @viper.recv
    field: (field_identifier) @viper.fn)
  arguments: (argument_list) @viper.args
  (#any-of? @viper.fn "SetDefault" "BindEnv")) @viper

; v := viper.New()
(short_var_declaration
  left: (expression_list . (identifier) @viper_new.var)
  right: (expression_list
    . (call_expression
      function: (selector_expression
        operand: (identifier) @viper_new.pkg
        field: (field_identifier) @viper_new.fn)
      (#eq? @viper_new.fn "New"))))
