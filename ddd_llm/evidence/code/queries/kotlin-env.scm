; Environment variables a Kotlin process reads (see java-env.scm for the captures).

; System.getenv("NAME")
((call_expression
   (navigation_expression (identifier) @_sys (identifier) @_m)
   (value_arguments . (value_argument (_) @name) .)) @read
 (#eq? @_sys "System")
 (#eq? @_m "getenv"))

; getenv("NAME") after `import java.lang.System.getenv`
((call_expression
   (identifier) @_m
   (value_arguments . (value_argument (_) @name) .)) @read
 (#eq? @_m "getenv"))

; System.getenv()["NAME"]
((index_expression
   (call_expression (navigation_expression (identifier) @_sys (identifier) @_m))
   . (_) @name .) @read
 (#eq? @_sys "System")
 (#eq? @_m "getenv"))

; System.getenv().getOrDefault("NAME", "default"), System.getenv().get("NAME")
((call_expression
   (navigation_expression
     (call_expression (navigation_expression (identifier) @_sys (identifier) @_m))
     (identifier) @_get)
   (value_arguments . (value_argument (_) @name) . (value_argument (_) @default)? .)) @read
 (#eq? @_sys "System")
 (#eq? @_m "getenv")
 (#any-of? @_get "get" "getOrDefault"))

; dotenv-kotlin: dotenv["NAME"], dotenv.get("NAME", "default")
((index_expression (_) @_recv . (string_literal) @name .) @read
 (#match? @_recv "(?i)dotenv"))
