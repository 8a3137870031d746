#include "gateway/http/auth/auth_routes.h"

#include <boost/json.hpp>

#include "gateway/http/auth/auth_store.h"

#include <charconv>
#include <string>

namespace farmgate::http::auth {
namespace {

namespace json = boost::json;

const char* code_for(int status) {
  switch (status) {
    case 400:
      return "bad_request";
    case 401:
      return "unauthorized";
    case 403:
      return "forbidden";
    case 409:
      return "conflict";
    case 415:
      return "unsupported_media_type";
    case 429:
      return "too_many_requests";
    case 503:
      return "unavailable";
    default:
      return "internal";
  }
}

int status_of(const Error& e) {
  int status = 500;
  const auto [ptr, ec] = std::from_chars(e.code.data(), e.code.data() + e.code.size(), status);
  if (ec != std::errc() || ptr != e.code.data() + e.code.size() || status < 400 || status > 599)
    return 500;
  return status;
}

// The string field `key` of a JSON object body, or nullopt.
std::optional<std::string> field(const json::value& body, std::string_view key) {
  const auto* obj = body.if_object();
  const auto* v = obj ? obj->if_contains(key) : nullptr;
  const auto* s = v ? v->if_string() : nullptr;
  if (!s) return std::nullopt;
  return std::string(*s);
}

std::optional<json::value> parse_object(const std::string& body) {
  boost::system::error_code ec;
  auto v = json::parse(body, ec);
  if (ec || !v.is_object()) return std::nullopt;
  return v;
}

bool is_json(const Request& r) {
  const std::string_view ct = r.header("Content-Type");
  return ct.starts_with("application/json");
}

std::string session_json(const SessionInfo& s) {
  return json::serialize(
      json::object{{"user", s.user}, {"role", to_string(s.role)}, {"csrf", s.csrf}});
}

const Rule kListUsers{{Role::admin}, false, "user.list"};
const Rule kAddUser{{Role::admin}, true, "user.add"};

}  // namespace

Response error_response(const Error& error) {
  const int status = status_of(error);
  return Response::error(status, code_for(status), error.message);
}

void register_auth_routes(HttpServer& server, SessionAccess& access) {
  server.route_async(Verb::post, "/api/v1/session", [&access](const Request& r, Responder out) {
    // JSON only: a cross-site form cannot send it without a CORS preflight (no login CSRF).
    if (!is_json(r)) {
      return out(Response::error(415, code_for(415), "send {\"user\",\"password\"} as JSON"));
    }
    const auto body = parse_object(r.body);
    const auto user = body ? field(*body, "user") : std::nullopt;
    const auto password = body ? field(*body, "password") : std::nullopt;
    if (!user || !password) {
      return out(Response::error(400, code_for(400), "expected {\"user\",\"password\"}"));
    }
    access.login(*user, *password, r.remote, [out](Result<Login> login, Millis retry_after) {
      if (!login) {
        Response resp = error_response(login.error());
        if (resp.status == 429) {
          const auto secs = std::max<std::int64_t>(1, (retry_after.count() + 999) / 1000);
          resp.headers.push_back(Header{"Retry-After", std::to_string(secs)});
        }
        return out(std::move(resp));
      }
      Response resp = Response::json(session_json(login->info));
      const auto max_age = std::chrono::duration_cast<std::chrono::seconds>(login->max_age);
      resp.headers.push_back(Header{"Set-Cookie", std::string(kSessionCookie) + "=" +
                                                      login->session_id +
                                                      "; HttpOnly; SameSite=Strict; Path=/; "
                                                      "Max-Age=" +
                                                      std::to_string(max_age.count())});
      resp.headers.push_back(Header{"Cache-Control", "no-store"});
      out(std::move(resp));
    });
  });

  server.route_async(Verb::get, "/api/v1/session", [&access](const Request& r, Responder out) {
    access.session(r, [out](Result<SessionInfo> s) {
      if (!s) return out(error_response(s.error()));
      Response resp = Response::json(session_json(*s));
      resp.headers.push_back(Header{"Cache-Control", "no-store"});
      out(std::move(resp));
    });
  });

  server.route_async(Verb::delete_, "/api/v1/session", [&access](const Request& r, Responder out) {
    access.logout(r, [out] {
      Response resp = Response::text("", 204, "");
      resp.headers.push_back(Header{"Set-Cookie", std::string(kSessionCookie) +
                                                      "=; HttpOnly; SameSite=Strict; Path=/; "
                                                      "Max-Age=0"});
      out(std::move(resp));
    });
  });

  server.route_async(Verb::get, "/api/v1/users", [&access](const Request& r, Responder out) {
    access.check(r, kListUsers, [&access, out](Result<Principal> who) {
      if (!who) return out(error_response(who.error()));
      access.list_users([out](Result<std::vector<UserInfo>> users) {
        if (!users) return out(error_response(users.error()));
        json::array list;
        for (const auto& u : *users) {
          list.push_back(json::object{{"name", u.name}, {"role", to_string(u.role)}});
        }
        out(Response::json(json::serialize(list)));
      });
    });
  });

  server.route_async(Verb::post, "/api/v1/users", [&access](const Request& r, Responder out) {
    access.check(r, kAddUser, [&access, out, request = r](Result<Principal> who) {
      if (!who) return out(error_response(who.error()));
      const auto body = parse_object(request.body);
      const auto name = body ? field(*body, "name") : std::nullopt;
      const auto role_text = body ? field(*body, "role") : std::nullopt;
      const auto password = body ? field(*body, "password") : std::nullopt;
      const auto role = role_text ? parse_role(*role_text) : std::nullopt;
      if (!name || !role || !password) {
        const std::string reason =
            "expected {\"name\",\"role\":\"viewer|farmer|officer|admin\",\"password\"}";
        access.audit(request, *who, kAddUser, 400, reason);
        return out(Response::error(400, code_for(400), reason));
      }
      access.add_user(
          *name, *role, *password,
          [&access, out, request, principal = *who, name = *name,
           role = *role](Result<void> added) {
            if (!added) {
              Response resp = error_response(added.error());
              access.audit(request, principal, kAddUser, resp.status, added.error().message);
              return out(std::move(resp));
            }
            access.audit(request, principal, kAddUser, 201, name + " as " + to_string(role));
            out(Response::json(
                json::serialize(json::object{{"name", name}, {"role", to_string(role)}}), 201));
          });
    });
  });
}

}  // namespace farmgate::http::auth
