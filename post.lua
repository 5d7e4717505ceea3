wrk.method = "POST"
wrk.body   = '{"model":"stub","messages":[{"role":"user","content":"Hello, how are you today? Tell me about the weather."}]}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer "
