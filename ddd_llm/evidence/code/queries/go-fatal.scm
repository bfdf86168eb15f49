; Statements that stop the program: an env read guarded by one of these is required.

; panic(...)
(call_expression function: (identifier) @fn (#eq? @fn "panic")) @fatal

; os.Exit(1), log.Fatal(...), logger.Fatalf(...), log.Panicf(...)
(call_expression
  function: (selector_expression
    operand: (_) @recv
    field: (field_identifier) @fn)
  (#match? @fn "^(Exit|Fatal|Fatalf|Fatalln|Panic|Panicf)$")) @fatal

; return errors.New("X must be set") / return fmt.Errorf(...)
(return_statement
  (expression_list
    (call_expression
      function: (selector_expression
        operand: (identifier) @pkg
        field: (field_identifier) @fn)
      (#any-of? @pkg "errors" "fmt")
      (#any-of? @fn "New" "Errorf")))) @fatal
