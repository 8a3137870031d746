#include "gateway/http/api/route_support.h"

#include <charconv>
#include <cstdlib>
#include <string>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

namespace farmgate::http::api {

namespace json = boost::json;

Response refusal(const Error& e) {
  int status = std::atoi(e.code.c_str());
  if (status < 400 || status > 599) status = 500;
  const char* code = status == 401   ? "unauthorized"
                     : status == 403 ? "forbidden"
                     : status == 429 ? "too_many_requests"
                     : status == 503 ? "unavailable"
                                     : "internal_error";
  return Response::error(status, code, e.message);
}

Response busy() {
  return Response::error(503, "busy", "the gateway is busy; try again in a moment");
}

Response store_failed(const Error& e) {
  return Response::error(500, "store_error", "cannot read the store: " + e.message);
}

void guard(Access& access, const Rule& rule, const Request& req, std::function<void(Response)> fail,
           std::function<void(const Principal&)> then) {
  access.check(req, rule, [fail = std::move(fail), then = std::move(then)](Result<Principal> who) {
    if (!who) return fail(refusal(who.error()));
    then(*who);
  });
}

Responder audited(Access& access, const Request& req, const Principal& who, const Rule& rule,
                  Responder out) {
  return Responder([&access, req, who, rule, out](Response r) {
    std::string detail;
    if (r.status >= 400) {
      boost::system::error_code ec;
      const auto v = json::parse(r.body, ec);
      if (!ec && v.is_object()) {
        if (const auto* reason = v.as_object().if_contains("reason");
            reason && reason->is_string()) {
          detail = std::string(reason->as_string());
        }
      }
    }
    access.audit(req, who, rule, r.status, detail);
    out(std::move(r));
  });
}

std::optional<std::int64_t> parse_int(std::string_view s) {
  std::int64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

std::variant<std::int64_t, Response> int_param(const Request& req, std::string_view key,
                                               std::int64_t fallback, std::int64_t min,
                                               std::int64_t max) {
  const auto raw = req.query_param(key);
  if (!raw) return fallback;
  const auto v = parse_int(*raw);
  if (!v || *v < min || *v > max) {
    return Response::error(400, "bad_request",
                           std::string(key) + " must be an integer from " + std::to_string(min) +
                               " to " + std::to_string(max));
  }
  return *v;
}

}  // namespace farmgate::http::api
