; Microsoft.Extensions.Configuration reads. Keys are written as the operator writes them in
; appsettings.json paths (`Section:Key`); the receiver (@recv) may add a GetSection prefix.

; configuration["Section:Key"], builder.Configuration["Key"], config.GetSection("S")["Key"],
; ConfigurationManager.AppSettings["Key"] (.NET Framework)
((element_access_expression
   expression: (_) @recv
   subscript: (bracketed_argument_list . (argument (_) @name) .)) @index
 (#match? @recv "(?i)(config|configuration|configurationroot|cfg|appsettings|section|getsection\\(.*\\)|getrequiredsection\\(.*\\))$"))

; configuration.GetValue<int>("Key", 5), GetValue<bool>("Key")
((invocation_expression
   function: (member_access_expression
     expression: (_) @recv
     name: (generic_name (identifier) @_m (type_argument_list . (_) @type .)))
   arguments: (argument_list . (argument (_) @name) . (argument (_) @default)? .)) @getvalue
 (#eq? @_m "GetValue"))

; helpers on a configuration object or section: configuration.GetRequiredValue("Key"),
; section.GetValue("Key") (kept only when the receiver is a configuration or a section)
((invocation_expression
   function: (member_access_expression
     expression: (_) @recv
     name: (identifier) @_m)
   arguments: (argument_list . (argument (_) @name) . (argument (_) @default)? .)) @getvalue
 (#match? @_m "^(GetValue|GetRequiredValue|GetString|GetInt|GetBool|GetSetting|GetConfigValue)\\w*$"))

; configuration.GetConnectionString("Name") → ConnectionStrings:Name
((invocation_expression
   function: (member_access_expression
     expression: (_) @recv
     name: (identifier) @_m)
   arguments: (argument_list . (argument (_) @name) .)) @connection
 (#eq? @_m "GetConnectionString"))

; .NET Aspire client integrations: builder.AddNpgsqlDbContext<T>("catalogdb"),
; builder.AddRedisClient("redis") read ConnectionStrings:<name>
((invocation_expression
   function: (member_access_expression
     name: [(identifier) @_m (generic_name (identifier) @_m)])
   arguments: (argument_list . (argument (string_literal) @name))) @connection
 (#match? @_m "^Add(Keyed)?[A-Z]\\w*(Client|DbContext|DataSource)$")
 (#not-match? @_m "^Add(Keyed)?(Http|Grpc|Typed|Refit|Api|Service|Signal[Rr]|Rest|Soap|Graph[Qq][Ll])\\w*Client$"))

; services.Configure<TOptions>(configuration.GetSection("S")), Configure<TOptions>(configuration)
((invocation_expression
   function: (member_access_expression
     name: (generic_name (identifier) @_m (type_argument_list . (_) @options .)))
   arguments: (argument_list . (argument (_) @section) .)) @bind
 (#eq? @_m "Configure"))

; configuration.GetSection("S").Get<TOptions>(), GetRequiredSection("S").Get<TOptions>()
((invocation_expression
   function: (member_access_expression
     expression: (_) @section
     name: (generic_name (identifier) @_m (type_argument_list . (_) @options .)))
   arguments: (argument_list)) @bind
 (#any-of? @_m "Get" "GetRequired"))

; services.AddOptions<TOptions>().Bind(configuration.GetSection("S")), .BindConfiguration("S")
((invocation_expression
   function: (member_access_expression
     expression: (invocation_expression
       function: (member_access_expression
         name: (generic_name (identifier) @_add (type_argument_list . (_) @options .))))
     name: (identifier) @_m)
   arguments: (argument_list . (argument (_) @section))) @bind
 (#eq? @_add "AddOptions")
 (#any-of? @_m "Bind" "BindConfiguration"))

; configuration.GetSection("S").Bind(settings), configuration.Bind("S", settings)
((invocation_expression
   function: (member_access_expression
     expression: (_) @section
     name: (identifier) @_m)
   arguments: (argument_list . (argument (_) @bound) .)) @bind_instance
 (#eq? @_m "Bind"))
((invocation_expression
   function: (member_access_expression
     expression: (_) @_recv
     name: (identifier) @_m)
   arguments: (argument_list . (argument (_) @section_name) . (argument (_) @bound) .)) @bind_instance
 (#eq? @_m "Bind"))
