; What option tables are read with: constants (`#define DEFAULT_PORT "6432"`) and the
; parameter names of row macros (`#define createIntConfig(name, alias, flags, lower, upper, …)`).
(preproc_def name: (identifier) @const value: (preproc_arg) @value)
(preproc_function_def name: (identifier) @macro parameters: (preproc_params) @params)
