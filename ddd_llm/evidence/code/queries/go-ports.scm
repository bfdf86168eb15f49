; Ports a Go server listens on (read by go_code.py).

; http.ListenAndServe(":8080", nil), net.Listen("tcp", ":50051"), r.Run(":8000"), e.Start(...)
(call_expression
  function: [
    (selector_expression field: (field_identifier) @listen.fn)
    (identifier) @listen.fn
  ]
  arguments: (argument_list) @listen.args
  (#any-of? @listen.fn
    "ListenAndServeTLS" "ListenAndServe" "Listen" "ListenTLS" "Run" "RunTLS" "Start" "StartTLS"
    "Serve")) @listen

; &http.Server{Addr: ":8443"}: only a server's own address, not `redis.Options{Addr: …}`
(composite_literal
  type: (_) @server.type
  body: (literal_value
    (keyed_element
      key: (literal_element (identifier) @server.key)
      value: (literal_element (interpreted_string_literal) @server.addr)) @server.field)
  (#eq? @server.key "Addr")
  (#match? @server.type "Server$"))
