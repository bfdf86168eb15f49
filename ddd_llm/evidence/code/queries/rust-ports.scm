; Literal listen addresses: TcpListener::bind("0.0.0.0:3000"), HttpServer.bind(("0.0.0.0", 8080)).
(call_expression
  function: [
    (scoped_identifier name: (identifier) @fn)
    (field_expression field: (field_identifier) @fn)
  ]
  arguments: (arguments . [
    (string_literal) @addr
    (tuple_expression (_) . (integer_literal) @port .)
  ])
  (#match? @fn "^(bind|bind_tls|bind_rustls|bind_openssl|listen)$")) @call
