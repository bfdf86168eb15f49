; Ports a Kotlin service listens on, and Spring Boot defaults set in code.

; Ktor embeddedServer(Netty, port = 8080)
((call_expression
   (identifier) @_f
   (value_arguments (value_argument (identifier) @_k (number_literal) @port))) @listen
 (#eq? @_f "embeddedServer")
 (#eq? @_k "port"))

; Javalin app.start(7000), Vert.x server.listen(8888), InetSocketAddress(8080)
((call_expression
   (navigation_expression (_) @_recv (identifier) @_m)
   (value_arguments . (value_argument (number_literal) @port) .)) @listen
 (#any-of? @_m "start" "listen")
 (#match? @_recv "(?i)(app|application|javalin|server|vertx|create\\(.*\\))$"))
((call_expression
   (identifier) @_t
   (value_arguments (value_argument (number_literal) @port) .)) @listen
 (#any-of? @_t "InetSocketAddress" "ServerSocket"))

; runApplication<App>(*args) { setDefaultProperties(mapOf("server.port" to "8081")) },
; SpringApplicationBuilder(App::class.java).properties("server.port=8081")
((call_expression
   [(identifier) @_m (navigation_expression (_) (identifier) @_m)]
   (value_arguments) @defaults) @default_props
 (#any-of? @_m "setDefaultProperties" "properties"))
