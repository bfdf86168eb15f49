; Literal listen ports: `htons(8080)` on a sockaddr, `addr.sin_port = htons(PORT)`.
(call_expression
  function: (identifier) @fn
  arguments: (argument_list . (number_literal) @port)
  (#eq? @fn "htons")) @call
