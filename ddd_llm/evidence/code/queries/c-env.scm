; Environment reads in C: getenv("X") and its secure variants; Python looks for a fallback
; (`?:`, `if (!p) p = "d"`) and a conversion (atoi, strtol) around the call.
(call_expression
  function: (identifier) @fn
  arguments: (argument_list . (_) @name)
  (#match? @fn "^(getenv|secure_getenv|__secure_getenv|_wgetenv|g_getenv)$")) @call
