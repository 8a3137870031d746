// The account routes of the REST API, served by SessionAccess:
//   POST   /api/v1/session  {"user","password"} -> 200 {"user","role","csrf"} + Set-Cookie
//                           fg_session (HttpOnly, SameSite=Strict); 401; 429 with Retry-After
//   GET    /api/v1/session  -> {"user","role","csrf"} or 401 (a reloaded page gets its CSRF)
//   DELETE /api/v1/session  -> 204, the cookie cleared
//   GET    /api/v1/users    (admin) -> [{"name","role"}]
//   POST   /api/v1/users    (admin, audited) {"name","role","password"} -> 201 {"name","role"}
// Registered once before the server starts, on the thread that owns the server.
#pragma once

#include "core/result.h"
#include "gateway/http/auth/session_access.h"
#include "gateway/http/message.h"
#include "gateway/http/server.h"

namespace farmgate::http::auth {

// `access` is borrowed: it must outlive the server's handlers (stop the server first).
void register_auth_routes(HttpServer& server, SessionAccess& access);

// The JSON error response for an Access refusal (Error.code is the status, "401"), e.g.
// 403 {"error":"forbidden","reason":"role viewer may not irrigate"}. For every /api/v1 route.
Response error_response(const Error& error);

}  // namespace farmgate::http::auth
