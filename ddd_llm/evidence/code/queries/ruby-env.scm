; ENV["X"], ENV.fetch("X", "d"), ENV.fetch("X") { "d" }; Python reads the fallback
; (`|| 3000`, the block, the second argument) and the conversion (Integer(…), .to_i).
(element_reference
  object: (constant) @env
  .
  (_) @name
  (#eq? @env "ENV")) @read
(call
  receiver: (constant) @env
  method: (identifier) @method
  arguments: (argument_list . (_) @name)
  (#eq? @env "ENV")
  (#match? @method "^(fetch|key\\?|has_key\\?|include\\?)$")) @call
