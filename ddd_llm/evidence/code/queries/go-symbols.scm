; Go declarations the other rules resolve names through (read by _go_read.py).

; import "net/http" / import flag "github.com/spf13/pflag"
(import_spec
  name: (_)? @import.alias
  path: (_) @import.path)

; const port = "8080" / var name = "SERVICE_NAME" (one name, one value)
(const_spec
  name: (identifier) @const.name
  value: (expression_list . (_) @const.value .)) @const

(var_spec
  name: (identifier) @const.name
  value: (expression_list . (_) @const.value .)) @const

; functions and methods, for env helpers and flag-registering helpers
(function_declaration
  name: (identifier) @func.name
  parameters: (parameter_list) @func.params
  result: (_)? @func.result
  body: (block) @func.body) @func

(method_declaration
  name: (field_identifier) @func.name
  parameters: (parameter_list) @func.params
  result: (_)? @func.result
  body: (block) @func.body) @func

; every call by the called name, to resolve a helper's parameters at its call sites
(call_expression
  function: [
    (identifier) @call.fn
    (selector_expression field: (field_identifier) @call.fn)
  ]
  arguments: (argument_list) @call.args) @call
