; Routes: axum `.route("/health", get(h))`, actix `web::resource("/health")` and
; `#[get("/health")]`, warp `warp::path("health")`; Python keeps health paths only.
(call_expression
  function: (field_expression field: (field_identifier) @method)
  arguments: (arguments . (string_literal) @path)
  (#match? @method "^(route|resource|at|nest|service|path|route_service|get|head)$")) @call
(call_expression
  function: (scoped_identifier name: (identifier) @method)
  arguments: (arguments . (string_literal) @path)
  (#match? @method "^(resource|path|scope|get|head)$")) @call
(macro_invocation
  macro: (scoped_identifier name: (identifier) @method)
  (token_tree . (string_literal) @path)
  (#eq? @method "path")) @call
(attribute_item
  (attribute (identifier) @method arguments: (token_tree . (string_literal) @path))
  (#match? @method "^(get|head|route|any)$")) @call
; A route table in a macro's token tree: `"/health" => get(get_health)` (paperclip/actix
; `routes!`-style derive macros).
(token_tree
  (string_literal) @path
  .
  "=>"
  .
  (identifier) @method
  (#match? @method "^(get|head)$")) @call
