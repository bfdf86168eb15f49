; Client libraries of backing services in JavaScript/TypeScript (read by _js_clients.py):
; which local names a module is bound to, and the calls that create a connection or
; transport. Which module and export means which backing service is the table in
; _js_clients.py; a binding alone (a `require`) is no dependency, only a call is.

; const nodemailer = require('nodemailer')
(variable_declarator
  name: (identifier) @bind.name
  value: (call_expression
    function: (identifier) @bind.require
    arguments: (arguments . (string) @bind.module))
  (#eq? @bind.require "require"))

; const { Pool, Client: PgClient } = require('pg')
(variable_declarator
  name: (object_pattern) @bind.pattern
  value: (call_expression
    function: (identifier) @bind.require
    arguments: (arguments . (string) @bind.module))
  (#eq? @bind.require "require"))

; import nodemailer from 'nodemailer'; import * as redis from 'redis';
; import { createClient as connect } from 'redis'
(import_statement
  (import_clause) @import.clause
  source: (string) @import.module)

; nodemailer.createTransport(…), mongoose.connect(…), createClient(…), postgres(url)
(call_expression
  function: [
    (identifier) @call.name
    (member_expression
      object: (identifier) @call.object
      property: (property_identifier) @call.name)
  ]) @call

; new Pool(…), new pg.Client(…), new Kafka(…)
(new_expression
  constructor: [
    (identifier) @call.name
    (member_expression
      object: (identifier) @call.object
      property: (property_identifier) @call.name)
  ]) @call

; require('mongoose').connect(…)
(call_expression
  function: (member_expression
    object: (call_expression
      function: (identifier) @inline.require
      arguments: (arguments . (string) @inline.module))
    property: (property_identifier) @call.name)
  (#eq? @inline.require "require")) @call

; require('knex')({ client: 'pg' }), require('ioredis')()
(call_expression
  function: (call_expression
    function: (identifier) @inline.require
    arguments: (arguments . (string) @inline.module))
  (#eq? @inline.require "require")) @call
