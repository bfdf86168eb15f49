; Route paths handed to an HTTP library (`mg_http_match_uri(hm, "/health")`,
; `svr.Get("/healthz", …)`, `strcmp(path, "/ready")`); Python keeps health paths only.
(call_expression
  arguments: (argument_list (string_literal) @path)) @call
