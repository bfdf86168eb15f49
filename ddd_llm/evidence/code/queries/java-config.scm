; Properties read in code: JVM system properties (-Dname=value) and Spring's Environment.
; @prop is the read, @name its name, @arg2/@arg3 the next arguments (a Type.class or a default).

; System.getProperty("name"), System.getProperty("name", "default")
((method_invocation
   object: (identifier) @_sys
   name: (identifier) @_m
   arguments: (argument_list . (_) @name . (_)? @arg2 .)) @prop
 (#eq? @_sys "System")
 (#eq? @_m "getProperty"))

; Integer.getInteger("name", 5), Long.getLong(...), Boolean.getBoolean("name")
((method_invocation
   object: (identifier) @type
   name: (identifier) @_m
   arguments: (argument_list . (_) @name . (_)? @arg2 .)) @prop
 (#any-of? @type "Integer" "Long" "Boolean")
 (#any-of? @_m "getInteger" "getLong" "getBoolean"))

; Spring Environment / PropertyResolver / java.util.Properties:
; env.getProperty("name"), env.getProperty("name", Integer.class, 5), getRequiredProperty
((method_invocation
   object: (_) @_recv
   name: (identifier) @_m
   arguments: (argument_list . (_) @name . (_)? @arg2 . (_)? @arg3 .)) @prop
 (#any-of? @_m "getProperty" "getRequiredProperty")
 (#not-eq? @_recv "System")
 (#match? @_recv "(?i)(env|environment|environment\\(\\)|props|properties|config|configuration|settings|resolver)$"))

; Any string of an annotation that holds a ${placeholder}: @Value("${a.b:5}"),
; @Scheduled(cron = "${backup.cron}"), @KafkaListener(topics = {"${topic}"}), Micronaut @Value.
(annotation
  name: (_) @annotation
  arguments: (annotation_argument_list (string_literal) @placeholder)
  (#match? @placeholder "\\$\\{"))
(annotation
  name: (_) @annotation
  arguments: (annotation_argument_list
    (element_value_pair key: (identifier) @key value: (string_literal) @placeholder))
  (#match? @placeholder "\\$\\{"))
(annotation
  name: (_) @annotation
  arguments: (annotation_argument_list
    (element_value_pair
      key: (identifier) @key
      value: (element_value_array_initializer (string_literal) @placeholder)))
  (#match? @placeholder "\\$\\{"))

; @ConfigurationProperties(prefix = "app") on a class, a record or a @Bean method;
; Quarkus @ConfigMapping(prefix = "app") on an interface.
([(class_declaration
    (modifiers (annotation name: (_) @_n arguments: (annotation_argument_list) @props_args)))
  (record_declaration
    (modifiers (annotation name: (_) @_n arguments: (annotation_argument_list) @props_args)))
  (interface_declaration
    (modifiers (annotation name: (_) @_n arguments: (annotation_argument_list) @props_args)))
  (method_declaration
    (modifiers (annotation name: (_) @_n arguments: (annotation_argument_list) @props_args)))] @props_target
 (#match? @_n "(^|\\.)(ConfigurationProperties|ConfigMapping)$"))
([(class_declaration (modifiers (marker_annotation name: (_) @_n)))
  (record_declaration (modifiers (marker_annotation name: (_) @_n)))
  (method_declaration (modifiers (marker_annotation name: (_) @_n)))] @props_target
 (#match? @_n "(^|\\.)ConfigurationProperties$"))

; MicroProfile / Quarkus @ConfigProperty(name = "app.size", defaultValue = "5"),
; Micronaut @Property(name = "app.size")
((annotation
   name: (_) @_n
   arguments: (annotation_argument_list) @config_property) @config_annotation
 (#match? @_n "(^|\\.)(ConfigProperty|Property)$"))

; Spring @ConditionalOnProperty(prefix = "app.cache", name = "enabled", havingValue = "true",
; matchIfMissing = true): a switch an operator sets
((annotation
   name: (_) @_n
   arguments: (annotation_argument_list)) @conditional
 (#match? @_n "(^|\\.)ConditionalOnProperty$"))
