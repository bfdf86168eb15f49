; A library that registers its own flags on the program's flag set:
; `webflag.AddFlags(kingpin.CommandLine, ":9093")`, `promslogflag.AddFlags(app, &cfg)`.
; go_code's REGISTRARS says which flags each import path registers.
(call_expression
  function: (selector_expression
    operand: (identifier) @registrar.pkg
    field: (field_identifier) @registrar.fn)
  arguments: (argument_list) @registrar.args) @registrar
