; Environment reads in C++: getenv / std::getenv / secure_getenv / Qt's qgetenv.
(call_expression
  function: [
    (identifier) @fn
    (qualified_identifier name: (identifier) @fn)
  ]
  arguments: (argument_list . (_) @name)
  (#match? @fn "^(getenv|secure_getenv|__secure_getenv|_wgetenv|g_getenv|qgetenv|qEnvironmentVariable)$")) @call
