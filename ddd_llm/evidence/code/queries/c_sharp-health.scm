; Health endpoints of ASP.NET Core.

; app.MapHealthChecks("/health"), app.MapHealthChecks("/hc", new HealthCheckOptions {..}),
; app.UseHealthChecks("/health"), app.UseHealthChecks("/health", 8081)
((invocation_expression
   function: (member_access_expression name: (identifier) @_m)
   arguments: (argument_list . (argument (_) @path) . (argument (_) @port_arg)?)) @health_call
 (#any-of? @_m "MapHealthChecks" "UseHealthChecks"))

; app.MapGet("/healthz", () => "ok"): kept only when the path names a health endpoint
((invocation_expression
   function: (member_access_expression name: (identifier) @_m)
   arguments: (argument_list . (argument (_) @route))) @route_call
 (#any-of? @_m "MapGet" "MapMethods"))

; [HttpGet("health")] / [Route("health")] on an action (a [Route] on the controller is a prefix)
((attribute
   name: (identifier) @mapping
   (attribute_argument_list)? @mapping_args) @mapping_attribute
 (#any-of? @mapping "HttpGet" "Route"))
