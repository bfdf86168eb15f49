; OptionParser: opts.on("-p", "--port PORT", Integer, "Port to listen on").
(call
  method: (identifier) @method
  arguments: (argument_list) @args
  (#match? @method "^on(_tail|_head)?$")) @on

; Thor: method_option / option / class_option :port, type: :numeric, default: 8080.
(call
  method: (identifier) @method
  arguments: (argument_list . (simple_symbol) @name)
  (#match? @method "^(method_option|option|class_option)$")) @thor
