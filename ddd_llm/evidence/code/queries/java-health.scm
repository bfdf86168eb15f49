; HTTP routes, kept by the analyzer only when the path names a health endpoint.

; Spring MVC / WebFlux @GetMapping("/health"), @RequestMapping(value = "/health"),
; Micronaut @Get("/health"), JAX-RS @Path("/health") (with @GET); also on the class (a prefix).
((annotation
   name: (_) @mapping
   arguments: (annotation_argument_list) @mapping_args) @mapping_annotation
 (#match? @mapping "^(GetMapping|RequestMapping|Get|Path)$"))
((marker_annotation name: (_) @mapping) @mapping_annotation
 (#match? @mapping "^(GetMapping|RequestMapping|Get)$"))

; Javalin / Spark app.get("/health", ctx -> ...), WebFlux route().GET("/health", handler)
((method_invocation
   name: (identifier) @_get
   arguments: (argument_list . (string_literal) @route . [(lambda_expression) (method_reference) (identifier) (object_creation_expression)])) @route_call
 (#any-of? @_get "get" "GET"))
