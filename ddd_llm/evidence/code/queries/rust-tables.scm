; Constants and functions that defaults and names are resolved through.
(const_item name: (identifier) @const value: (_) @value)
(static_item name: (identifier) @const value: (_) @value)
(function_item name: (identifier) @function body: (block) @body)

; `impl Default for Config { fn default() -> Self { Self { port: 8080, … } } }`: field defaults.
(impl_item
  trait: (type_identifier) @trait
  type: (type_identifier) @impl_type
  body: (declaration_list
    (function_item name: (identifier) @default_fn body: (block) @default_body))
  (#eq? @trait "Default")
  (#eq? @default_fn "default"))
