; Environment reads in JavaScript/TypeScript (read by _js_env.py). The same rules serve
; typescript-env.scm and tsx-env.scm.

; process.env.PORT, process.env?.PORT, Bun.env.PORT
(member_expression
  object: (member_expression
    object: (identifier) @read.root
    property: (property_identifier) @read.env)
  property: (property_identifier) @read.name
  (#any-of? @read.root "process" "Bun")
  (#eq? @read.env "env")) @read

; process.env["PORT"], process.env['PORT']
(subscript_expression
  object: (member_expression
    object: (identifier) @read.root
    property: (property_identifier) @read.env)
  index: (_) @read.key
  (#any-of? @read.root "process" "Bun")
  (#eq? @read.env "env")) @read

; import.meta.env.VITE_API_URL (Vite, Astro)
(member_expression
  object: (member_expression
    object: (meta_property)
    property: (property_identifier) @read.env)
  property: (property_identifier) @read.name
  (#eq? @read.env "env")) @read

; Deno.env.get("PORT")
(call_expression
  function: (member_expression
    object: (member_expression
      object: (identifier) @read.root
      property: (property_identifier) @read.env)
    property: (property_identifier) @read.get)
  arguments: (arguments . (_) @read.key)
  (#eq? @read.root "Deno")
  (#eq? @read.env "env")
  (#eq? @read.get "get")) @read

; env.PORT where `const env = process.env` (checked against the aliases in Python)
(member_expression
  object: (identifier) @alias_read.root
  property: (property_identifier) @read.name) @alias_read

; const env = process.env
(variable_declarator
  name: (identifier) @alias.name
  value: (member_expression
    object: (identifier) @alias.root
    property: (property_identifier) @alias.env)
  (#any-of? @alias.root "process" "Bun")
  (#eq? @alias.env "env"))

; const { env } = process
(variable_declarator
  name: (object_pattern (shorthand_property_identifier_pattern) @alias.name)
  value: (identifier) @alias.root
  (#eq? @alias.root "process")
  (#eq? @alias.name "env"))

; const { PORT = 3000, HOST } = process.env
(variable_declarator
  name: (object_pattern) @destructure.pattern
  value: (_) @destructure.value) @destructure

; const PORT = 3000 (constants a default or a port may name)
(variable_declarator
  name: (identifier) @decl.name
  value: (_) @decl.value) @decl

; import environment from "./utils/environment"; import { env } from "~/env";
; const env = require("../config/env"): a project's own env module (checked in Python)
(import_statement
  (import_clause (identifier) @env_import.name)
  source: (string) @env_import.source)
(import_statement
  (import_clause (named_imports (import_specifier name: (identifier) @env_import.name)))
  source: (string) @env_import.source)
(variable_declarator
  name: (identifier) @env_import.name
  value: (call_expression
    function: (identifier) @env_import.require
    arguments: (arguments . (string) @env_import.source))
  (#eq? @env_import.require "require"))
