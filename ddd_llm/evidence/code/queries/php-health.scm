; Routes: Laravel `Route::get('/health', …)`, Slim/Lumen `$app->get('/health', …)`,
; Laravel 11 `->withRouting(health: '/up')`; Python keeps health paths only.
(scoped_call_expression
  name: (name) @verb
  arguments: (arguments . (argument [(string) (encapsed_string)] @path))
  (#match? @verb "^(get|any|match|head)$")) @call
(member_call_expression
  name: (name) @verb
  arguments: (arguments . (argument [(string) (encapsed_string)] @path))
  (#match? @verb "^(get|any|map|head)$")) @call
(argument
  name: (name) @label
  [(string) (encapsed_string)] @path
  (#eq? @label "health")) @call
