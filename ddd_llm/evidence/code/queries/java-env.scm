; Environment variables a JVM process reads. @read is the whole read (a default around it is
; looked for by the analyzer), @name its name argument, @default a default given in the call.

; System.getenv("NAME")
((method_invocation
   object: (identifier) @_sys
   name: (identifier) @_m
   arguments: (argument_list . (_) @name .)) @read
 (#eq? @_sys "System")
 (#eq? @_m "getenv"))

; getenv("NAME") after `import static java.lang.System.getenv`
((method_invocation
   !object
   name: (identifier) @_m
   arguments: (argument_list . (_) @name .)) @read
 (#eq? @_m "getenv"))

; System.getenv().get("NAME"), System.getenv().getOrDefault("NAME", "default")
((method_invocation
   object: (method_invocation
     object: (identifier) @_sys
     name: (identifier) @_m
     arguments: (argument_list))
   name: (identifier) @_get
   arguments: (argument_list . (_) @name . (_)? @default .)) @read
 (#eq? @_sys "System")
 (#eq? @_m "getenv")
 (#any-of? @_get "get" "getOrDefault" "containsKey"))

; dotenv-java: dotenv.get("NAME"), Dotenv.load().get("NAME", "default")
((method_invocation
   object: (_) @_recv
   name: (identifier) @_get
   arguments: (argument_list . (string_literal) @name . (_)? @default .)) @read
 (#match? @_recv "(?i)dotenv")
 (#eq? @_get "get"))
