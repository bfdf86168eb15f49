; Puma `port 3000`, Sinatra `set :port, 4567`.
(call
  method: (identifier) @method
  arguments: (argument_list . (integer) @port .)
  (#eq? @method "port")) @call
(call
  method: (identifier) @method
  arguments: (argument_list . (simple_symbol) @key . (integer) @port)
  (#eq? @method "set")
  (#eq? @key ":port")) @call
