; getopt_long tables: `struct option long_options[] = { {"port", required_argument, 0, 'p'}, … }`.
(declaration
  type: (struct_specifier name: (type_identifier) @type)
  declarator: (init_declarator value: (initializer_list) @table)
  (#eq? @type "option"))

; getopt / getopt_long optstrings (third argument): the short options a program takes.
(call_expression
  function: (identifier) @getopt
  arguments: (argument_list . (_) . (_) . (_) @optstring)
  (#match? @getopt "^getopt(_long|_long_only)?$")) @call

; `case 'p':` blocks of the option switch, where an option's value is stored.
(case_statement value: (char_literal) @char) @case

; gflags: DEFINE_int32(port, 8080, "Port to listen on").
(call_expression
  function: (identifier) @gflag
  arguments: (argument_list . (identifier) @flag_name . (_) @flag_default . (_)? @flag_help)
  (#match? @gflag "^DEFINE_(bool|int32|int64|uint32|uint64|double|string|uint|int)$")) @gflags

; Abseil's ABSL_FLAG(type, name, default, help) takes a type, which the grammar cannot parse:
; its lines go to the model.
((identifier) @absl (#eq? @absl "ABSL_FLAG"))
