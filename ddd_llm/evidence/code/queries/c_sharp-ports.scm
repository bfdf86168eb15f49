; Ports an ASP.NET Core / Kestrel service listens on.

; builder.WebHost.UseUrls("http://*:5000"), app.Run("http://localhost:3000"), app.Urls.Add(...)
((invocation_expression
   function: (member_access_expression expression: (_) @_recv name: (identifier) @_m)
   arguments: (argument_list . (argument (_) @url))) @listen_url
 (#any-of? @_m "UseUrls" "Run" "RunAsync" "Add")
 (#match? @_recv "(?i)(app|host|builder|webhost|webbuilder|urls|webhostbuilder)$"))

; options.ListenAnyIP(5000), ListenLocalhost(5001), Listen(IPAddress.Any, 5000)
((invocation_expression
   function: (member_access_expression name: (identifier) @_m)
   arguments: (argument_list (argument (integer_literal) @port))) @listen
 (#any-of? @_m "ListenAnyIP" "ListenLocalhost" "Listen"))

; new IPEndPoint(IPAddress.Any, 5000)
((object_creation_expression
   type: (identifier) @_t
   arguments: (argument_list (argument (integer_literal) @port))) @listen
 (#eq? @_t "IPEndPoint"))
