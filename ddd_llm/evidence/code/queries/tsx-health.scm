; Health endpoints served by JavaScript/TypeScript code (read by javascript.py).

; app.get('/healthz', h), router.get(['/ready', '/live'], h), app.use('/health', r),
; fastify.get(…), router.route('/health')
(call_expression
  function: (member_expression
    object: (_) @route.recv
    property: (property_identifier) @route.method)
  arguments: (arguments . (_) @route.path) @route.args
  (#any-of? @route.method "get" "head" "all" "use" "route" "options")) @route

; NestJS: @Controller('health') … @Get('live')
(decorator
  (call_expression
    function: (identifier) @nest.fn
    arguments: (arguments) @nest.args)
  (#eq? @nest.fn "Controller")) @nest.controller

(decorator
  (call_expression
    function: (identifier) @nest.fn
    arguments: (arguments) @nest.args)
  (#any-of? @nest.fn "Get" "Head" "All")) @nest.route

; route objects: fastify.route({ method: 'GET', url: '/readyz', handler }), hapi { path, handler }
(pair
  key: (property_identifier) @object.key
  value: (string) @object.path
  (#any-of? @object.key "path" "url")) @object

; @godaddy/terminus: createTerminus(server, { healthChecks: { '/healthcheck': check } })
(pair
  key: (property_identifier) @terminus.key
  value: (object) @terminus.checks
  (#eq? @terminus.key "healthChecks"))

; Next.js file routes: export default handler / export async function GET()
(export_statement "default") @next.export
(export_statement
  declaration: (function_declaration
    name: (identifier) @next.method)
  (#any-of? @next.method "GET" "HEAD")) @next.export
(export_statement
  declaration: (lexical_declaration
    (variable_declarator name: (identifier) @next.method))
  (#any-of? @next.method "GET" "HEAD")) @next.export

; gRPC: server.addService(health.service, …) / new HealthImplementation(statusMap)
(call_expression
  function: (member_expression
    property: (property_identifier) @grpc.fn)
  arguments: (arguments . (member_expression property: (property_identifier) @grpc.prop) @grpc.service)
  (#eq? @grpc.fn "addService")
  (#eq? @grpc.prop "service")
  (#match? @grpc.service "[Hh]ealth")) @grpc
(new_expression
  constructor: (_) @grpc.ctor
  (#match? @grpc.ctor "HealthImplementation$")) @grpc
