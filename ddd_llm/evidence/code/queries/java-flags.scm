; Command-line options declared by annotation: picocli @Option(names = {"-p", "--port"}),
; JCommander @Parameter(names = "--port"), args4j @Option(name = "-p").
; @flag_args is the argument list; the annotated field or parameter gives the type.
((annotation
   name: (_) @flag
   arguments: (annotation_argument_list) @flag_args) @flag_annotation
 (#match? @flag "(^|\\.)(Option|Parameter)$"))
