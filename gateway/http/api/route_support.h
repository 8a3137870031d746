// What every /api/v1 route does the same way: ask the Access, answer its refusal, write a
// state-changing request's outcome to the audit log, read integer query parameters. Shared by
// the API's route files (routes.cpp, gateway/ocop/routes.cpp, ...).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>
#include <variant>

#include "core/result.h"
#include "gateway/http/access.h"
#include "gateway/http/handler.h"
#include "gateway/http/message.h"

namespace farmgate::http::api {

// An Access refusal: its code is the status ("401"), its message the reason.
Response refusal(const Error& e);
// 503: a worker's queue is full.
Response busy();
// 500 for a failed store read.
Response store_failed(const Error& e);

// Asks `access`; on a refusal answers through `fail`, else calls `then` with the principal, on
// whatever thread the Access answered.
void guard(Access& access, const Rule& rule, const Request& req, std::function<void(Response)> fail,
           std::function<void(const Principal&)> then);

// A Responder that writes the state-changing request's outcome to the audit log first (with the
// error body's reason as its detail).
Responder audited(Access& access, const Request& req, const Principal& who, const Rule& rule,
                  Responder out);

std::optional<std::int64_t> parse_int(std::string_view s);

// An integer query parameter: its value, `fallback` when absent, or an error response.
std::variant<std::int64_t, Response> int_param(const Request& req, std::string_view key,
                                               std::int64_t fallback, std::int64_t min,
                                               std::int64_t max);

}  // namespace farmgate::http::api
