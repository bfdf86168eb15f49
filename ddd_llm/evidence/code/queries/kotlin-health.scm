; HTTP routes, kept only when the path names a health endpoint.

; Spring @GetMapping("/health"), @RequestMapping(value = ["/health"]), Micronaut @Get("/health")
((annotation
   (constructor_invocation (user_type (identifier) @mapping) (value_arguments) @mapping_args)) @mapping_annotation
 (#any-of? @mapping "GetMapping" "RequestMapping" "Get" "Path"))

; Ktor routing { get("/health") { ... } }, Javalin app.get("/health") { ... }
((call_expression
   (call_expression
     [(identifier) @_get (navigation_expression (_) (identifier) @_get)]
     (value_arguments . (value_argument (string_literal) @route) .))
   (annotated_lambda)) @route_call
 (#eq? @_get "get"))
((call_expression
   [(identifier) @_get (navigation_expression (_) (identifier) @_get)]
   (value_arguments . (value_argument (string_literal) @route) . (value_argument [(lambda_literal) (callable_reference)])))
  @route_call
 (#any-of? @_get "get" "GET"))
