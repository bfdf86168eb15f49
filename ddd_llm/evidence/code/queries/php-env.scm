; getenv('X'), Laravel env('X', default), $_ENV['X'], $_SERVER['X']; Python reads the fallback
; (`?: 8080`, `?? 'localhost'`, env()'s second argument) and the cast.
(function_call_expression
  function: (name) @fn
  arguments: (arguments . (argument (_) @name) . (argument (_) @default)?)
  (#match? @fn "^(getenv|env|Env)$")) @call
(subscript_expression
  (variable_name (name) @var)
  [(string) (encapsed_string)] @name
  (#match? @var "^_(ENV|SERVER)$")) @read
