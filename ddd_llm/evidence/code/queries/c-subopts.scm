; getsubopt(&options, tokens, &value): `tokens` names the array of sub-option names (an option
; table), `value` where each option's value is read from; Python finds the array and the
; switch on the call's result.
(call_expression
  function: (identifier) @fn
  arguments: (argument_list . (_) . (identifier) @tokens . (_) @value)
  (#eq? @fn "getsubopt")) @call
