; Command-line options: picocli @Option(names = ["-p", "--port"]), JCommander @Parameter(names = ...).
((annotation
   (constructor_invocation (user_type (identifier) @flag) (value_arguments) @flag_args)) @flag_annotation
 (#any-of? @flag "Option" "Parameter"))

; Clikt: val port by option("-p", "--port", help = "...").int().restrictTo(1..65535).default(8080)
((call_expression
   (identifier) @_f
   (value_arguments . (value_argument (string_literal) @_first))) @clikt_option
 (#eq? @_f "option")
 (#match? @_first "^\"-"))
