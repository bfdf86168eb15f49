; Command-line options.

; CommandLineParser [Option('p', "port", Default = 8080, HelpText = "...", Required = true)]
((attribute
   name: (_) @flag
   (attribute_argument_list) @flag_args) @flag_attribute
 (#match? @flag "(^|\\.)Option$"))

; System.CommandLine new Option<int>("--port", () => 8080, "description") { IsRequired = true },
; new Option<int>("--port", "-p") { Description = "...", DefaultValueFactory = _ => 8080 }
((object_creation_expression
   type: (generic_name (identifier) @_o (type_argument_list . (_) @type .))
   arguments: (argument_list) @option_args) @option_new
 (#eq? @_o "Option"))
