; Health endpoints served by Go code (read by go_code.py).

; http.HandleFunc("/healthz", h), r.Get("/ready", h), g.GET("/ping", h), mux.Handle(path, h)
(call_expression
  function: (selector_expression
    operand: (_) @route.recv
    field: (field_identifier) @route.fn)
  arguments: (argument_list) @route.args
  (#any-of? @route.fn
    "HandleFunc" "Handle" "HandlerFunc" "Handler" "GET" "HEAD" "Any" "Get" "Head" "Path"
    "PathPrefix" "Method" "MethodFunc" "Add" "Match" "All" "Mount" "Route")) @route

; api := g.Group("/api/v1") / s := r.PathPrefix("/api").Subrouter()
(short_var_declaration
  left: (expression_list . (identifier) @group.var)
  right: (expression_list
    . (call_expression
      function: (selector_expression
        operand: (identifier) @group.parent
        field: (field_identifier) @group.fn)
      arguments: (argument_list . (interpreted_string_literal) @group.prefix))
    (#any-of? @group.fn "Group" "PathPrefix")))

; healthpb.RegisterHealthServer(srv, hs)
(call_expression
  function: (selector_expression
    field: (field_identifier) @grpc.fn)
  (#eq? @grpc.fn "RegisterHealthServer")) @grpc.register

; health.NewServer() from google.golang.org/grpc/health
(call_expression
  function: (selector_expression
    operand: (identifier) @grpc.pkg
    field: (field_identifier) @grpc.fn)
  arguments: (argument_list) @grpc.args
  (#eq? @grpc.pkg "health")
  (#eq? @grpc.fn "NewServer")) @grpc.new
