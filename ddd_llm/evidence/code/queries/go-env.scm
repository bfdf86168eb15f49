; Environment reads in Go (read by _go_env.py).

; os.Getenv("PORT"), os.LookupEnv("PORT"), syscall.Getenv("PORT")
(call_expression
  function: (selector_expression
    operand: (identifier) @read.pkg
    field: (field_identifier) @read.fn)
  arguments: (argument_list . (_) @read.key)
  (#any-of? @read.pkg "os" "syscall")
  (#any-of? @read.fn "Getenv" "LookupEnv")) @read

; getEnv("PORT", "8080"), envOrDefault(...): a call that may go through an env helper
(call_expression
  function: (identifier) @call.fn
  arguments: (argument_list) @call.args) @call

; config.EnvOrDefault("AWS_REGION", "us-east-1"), env.Int("WORKERS", 4)
(call_expression
  function: (selector_expression
    operand: (identifier) @call.pkg
    field: (field_identifier) @call.fn)
  arguments: (argument_list) @call.args
  (#not-any-of? @call.pkg "os" "syscall")) @call
