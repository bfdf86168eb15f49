; Resource limits a program raises for itself at start: `setrlimit(RLIMIT_NOFILE, &rlim)`.
(call_expression
  function: (identifier) @fn
  arguments: (argument_list . (identifier) @resource)
  (#eq? @fn "setrlimit")
  (#eq? @resource "RLIMIT_NOFILE")) @call
