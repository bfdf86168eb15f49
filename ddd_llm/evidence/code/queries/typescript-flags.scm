; Command-line options in JavaScript/TypeScript: commander and yargs (read by _js_env.py).

; program.option('-p, --port <number>', 'port to listen on', 3000)
; yargs.option('port', { alias: 'p', type: 'number', default: 3000, describe: '…' })
(call_expression
  function: (member_expression
    property: (property_identifier) @option.fn)
  arguments: (arguments . (string) @option.spec)
  (#any-of? @option.fn "option" "requiredOption")) @option

; commander: program.addOption(new Option('-p, --port <n>', 'help').default(3000).env('PORT'))
(new_expression
  constructor: (identifier) @option_new.ctor
  arguments: (arguments . (string) @option.spec)
  (#eq? @option_new.ctor "Option")) @option_new
