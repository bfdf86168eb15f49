; Ports a JVM service listens on, and Spring Boot defaults set in code.

; new InetSocketAddress(8080), new ServerSocket(8080), Jetty new Server(8080)
((object_creation_expression
   type: (type_identifier) @_t
   arguments: (argument_list (decimal_integer_literal) @port .)) @listen
 (#any-of? @_t "InetSocketAddress" "ServerSocket" "Server"))

; Javalin app.start(7000), Vert.x server.listen(8888), Spark port(4567)
((method_invocation
   object: (_) @_recv
   name: (identifier) @_m
   arguments: (argument_list . (decimal_integer_literal) @port .)) @listen
 (#any-of? @_m "start" "listen")
 (#match? @_recv "(?i)(app|application|javalin|server|vertx|create\\(.*\\))$"))
((method_invocation
   !object
   name: (identifier) @_m
   arguments: (argument_list . (decimal_integer_literal) @port .)) @listen
 (#eq? @_m "port"))

; SpringApplication.setDefaultProperties(Map.of("server.port", "8081")),
; new SpringApplicationBuilder(App.class).properties("server.port=8081")
((method_invocation
   name: (identifier) @_m
   arguments: (argument_list) @defaults) @default_props
 (#any-of? @_m "setDefaultProperties" "properties"))
