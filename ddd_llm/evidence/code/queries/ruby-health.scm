; Routes: Rails `get "up" => "rails/health#show"`, `get "/health", to: …`, Sinatra/Roda
; `get "/health" do`; Python keeps health paths only.
(call
  method: (identifier) @verb
  arguments: (argument_list . [
    (string) @path
    (pair key: (string) @path)
  ])
  (#match? @verb "^(get|head|match|mount|root)$")) @call
