; Environment variables a .NET process reads. @read is the read (a `?? "default"` around it is
; looked for by the analyzer), @name its name argument.

; Environment.GetEnvironmentVariable("NAME"), System.Environment.GetEnvironmentVariable("NAME", target)
((invocation_expression
   function: (member_access_expression
     expression: (_) @_env
     name: (identifier) @_m)
   arguments: (argument_list . (argument (_) @name))) @read
 (#match? @_env "(^|\\.)Environment$")
 (#eq? @_m "GetEnvironmentVariable"))

; GetEnvironmentVariable("NAME") after `using static System.Environment;`
((invocation_expression
   function: (identifier) @_m
   arguments: (argument_list . (argument (_) @name))) @read
 (#eq? @_m "GetEnvironmentVariable"))
