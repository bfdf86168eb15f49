; Ports a JavaScript/TypeScript server listens on (read by javascript.py).

; app.listen(3000), server.listen(PORT), fastify.listen({ port: 8081 }), listen(port)
(call_expression
  function: [
    (identifier) @listen.fn
    (member_expression property: (property_identifier) @listen.fn)
  ]
  arguments: (arguments . (_) @listen.port)
  (#eq? @listen.fn "listen")) @listen

; Bun.serve({ port: 3000 }), serve({ fetch, port })
(call_expression
  function: [
    (identifier) @listen.fn
    (member_expression property: (property_identifier) @listen.fn)
  ]
  arguments: (arguments . (object) @listen.port)
  (#eq? @listen.fn "serve")) @listen

; grpc-js: server.bindAsync('0.0.0.0:50051', creds, cb)
(call_expression
  function: [
    (identifier) @bind.fn
    (member_expression property: (property_identifier) @bind.fn)
  ]
  arguments: (arguments . (_) @bind.address)
  (#any-of? @bind.fn "bind" "bindAsync")) @bind

; app.set('port', process.env.PORT || 3000)
(call_expression
  function: (member_expression
    property: (property_identifier) @setting.fn)
  arguments: (arguments . (string) @setting.key . (_) @setting.value)
  (#eq? @setting.fn "set")) @setting
