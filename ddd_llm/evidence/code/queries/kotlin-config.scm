; Properties read in Kotlin code (see java-config.scm for the captures).

; System.getProperty("name"), System.getProperty("name", "default")
((call_expression
   (navigation_expression (identifier) @_sys (identifier) @_m)
   (value_arguments . (value_argument (_) @name) . (value_argument (_) @arg2)? .)) @prop
 (#eq? @_sys "System")
 (#eq? @_m "getProperty"))

; env.getProperty("name"), env.getProperty("name", Int::class.java, 5), getRequiredProperty,
; env.getProperty<Int>("name")
((call_expression
   (navigation_expression (_) @_recv (identifier) @_m)
   (value_arguments
     . (value_argument (_) @name)
     . (value_argument (_) @arg2)?
     . (value_argument (_) @arg3)? .)) @prop
 (#any-of? @_m "getProperty" "getRequiredProperty")
 (#not-eq? @_recv "System")
 (#match? @_recv "(?i)(env|environment|environment\\(\\)|props|properties|config|configuration|settings|resolver)$"))

; a ${placeholder} in an annotation: @Value("\${a.b:5}"), @Scheduled(cron = "\${backup.cron}")
((annotation
   (constructor_invocation
     (user_type (identifier) @annotation)
     (value_arguments (value_argument (string_literal) @placeholder))))
 (#match? @placeholder "\\$\\{"))
((annotation
   (constructor_invocation
     (user_type (identifier) @annotation)
     (value_arguments (value_argument (collection_literal (string_literal) @placeholder)))))
 (#match? @placeholder "\\$\\{"))

; @ConfigurationProperties("app") / (prefix = "app") on a class or a @Bean function
([(class_declaration
    (modifiers
      (annotation
        (constructor_invocation (user_type (identifier) @_n) (value_arguments) @props_args))))
  (function_declaration
    (modifiers
      (annotation
        (constructor_invocation (user_type (identifier) @_n) (value_arguments) @props_args))))] @props_target
 (#any-of? @_n "ConfigurationProperties" "ConfigMapping"))

; MicroProfile / Quarkus @ConfigProperty(name = "app.size", defaultValue = "5")
((annotation
   (constructor_invocation (user_type (identifier) @_n) (value_arguments) @config_property)) @config_annotation
 (#any-of? @_n "ConfigProperty" "Property"))

; Spring @ConditionalOnProperty(prefix = "app.cache", name = ["enabled"], havingValue = "true")
((annotation
   (constructor_invocation (user_type (identifier) @_n) (value_arguments))) @conditional
 (#eq? @_n "ConditionalOnProperty"))
