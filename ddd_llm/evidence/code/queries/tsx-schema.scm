; Env schemas in JavaScript/TypeScript: convict, envalid, zod, joi (read by _js_env.py).

; convict: { doc: '…', format: 'port', default: 8080, env: 'PORT' }
(pair
  key: (property_identifier) @convict.key
  value: (string) @convict.env
  (#eq? @convict.key "env")) @convict

; envalid: cleanEnv(process.env, { PORT: port({ default: 3000 }) })
(call_expression
  function: [
    (identifier) @envalid.fn
    (member_expression property: (property_identifier) @envalid.fn)
  ]
  arguments: (arguments . (_) @envalid.source . (object) @envalid.spec)
  (#eq? @envalid.fn "cleanEnv")) @envalid

; zod / joi: z.object({ PORT: z.coerce.number().default(3000) }), Joi.object().keys({ … })
(call_expression
  function: (member_expression
    property: (property_identifier) @schema.fn)
  arguments: (arguments . (object) @schema.spec)
  (#any-of? @schema.fn "object" "keys" "strictObject" "looseObject")) @schema

; schema.parse(process.env), envSchema.validate(process.env), schema.safeParse(process.env)
(call_expression
  function: (member_expression
    object: (_) @validate.schema
    property: (property_identifier) @validate.fn)
  arguments: (arguments . (_) @validate.source)
  (#any-of? @validate.fn "parse" "safeParse" "validate" "validateSync" "parseAsync")) @validate

; @t3-oss/env: createEnv({ server: { DATABASE_URL: z.string().url() }, client: { … } })
(call_expression
  function: (identifier) @create_env.fn
  arguments: (arguments
    . (object
      (pair
        key: (property_identifier) @create_env.section
        value: (object) @envalid.spec)))
  (#eq? @create_env.fn "createEnv")
  (#any-of? @create_env.section "server" "client" "shared"))
