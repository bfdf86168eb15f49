; Command-line flags in Go: flag, pflag/cobra, kingpin, urfave/cli (read by _go_flags.py).

; flag.Int("port", 8080, "usage"), fs.StringVar(&v, "name", "x", "usage"),
; cmd.Flags().IntP("port", "p", 8080, "usage"), cmd.PersistentFlags().String(...)
(call_expression
  function: (selector_expression
    operand: (_) @flag.recv
    field: (field_identifier) @flag.fn)
  arguments: (argument_list) @flag.args
  (#match? @flag.fn "^([A-Z][A-Za-z0-9]*(Var)?P?|Var|VarP|TextVar|Func|BoolFunc)$")) @flag

; fs := flag.NewFlagSet(...), fs = pflag.CommandLine, flags := cmd.Flags(), var fs = ...
(short_var_declaration
  left: (expression_list . (identifier) @set.var)
  right: (expression_list . (_) @set.value))
(assignment_statement
  left: (expression_list . (identifier) @set.var)
  right: (expression_list . (_) @set.value))
(var_spec
  name: (identifier) @set.var
  value: (expression_list . (_) @set.value))

; func addFlags(fs *flag.FlagSet) / (flags *pflag.FlagSet)
(parameter_declaration
  name: (identifier) @set.var
  type: (pointer_type
    (qualified_type
      package: (package_identifier) @set.pkg
      name: (type_identifier) @set.type))
  (#eq? @set.type "FlagSet"))

; kingpin: app.Flag("web.listen-address", "help").Default(":9100").Envar("X").String()
(call_expression
  function: (selector_expression
    field: (field_identifier) @kingpin.fn)
  arguments: (argument_list) @kingpin.args
  (#eq? @kingpin.fn "Flag")) @kingpin

; urfave/cli: &cli.IntFlag{Name: "workers", Value: 4, EnvVars: []string{"WORKERS"}}
(composite_literal
  type: (qualified_type
    package: (package_identifier) @urfave.pkg
    name: (type_identifier) @urfave.type)
  body: (literal_value) @urfave.body
  (#match? @urfave.type "^[A-Z][A-Za-z0-9]*Flag$")) @urfave
