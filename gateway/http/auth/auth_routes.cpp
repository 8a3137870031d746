#include "gateway/http/auth/auth_routes.h"

#include <boost/json.hpp>

#include "gateway/http/auth/auth_store.h"

#include <charconv>
#include <ctime>
#include <limits>
#include <string>

#include "gateway/http/csv.h"
#include "gateway/http/json_text.h"

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
  return to_json_text(
      json::object{{"user", s.user}, {"role", to_string(s.role)}, {"csrf", s.csrf}});
}

const Rule kListUsers{{Role::admin}, false, "user.list"};
const Rule kAddUser{{Role::admin}, true, "user.add"};
const Rule kChangeUser{{Role::admin}, true, "user.change"};
const Rule kDeleteUser{{Role::admin}, true, "user.delete"};
const Rule kReadAudit{{Role::admin}, false, "audit.read"};
// Everyone may manage their own API tokens; an admin anyone's.
const Rule kListTokens{{Role::viewer, Role::farmer, Role::officer}, false, "token.list"};
const Rule kAddToken{{Role::viewer, Role::farmer, Role::officer}, true, "token.add"};
const Rule kRevokeToken{{Role::viewer, Role::farmer, Role::officer}, true, "token.revoke"};

Response busy() {
  return Response::error(503, code_for(503), "the gateway is busy; try again");
}

// A principal that came in with an API token has no user to act as ("token:<name>").
bool is_token(const Principal& p) {
  return p.user.starts_with("token:");
}

std::optional<std::int64_t> int_query(const Request& r, std::string_view key) {
  const auto raw = r.query_param(key);
  if (!raw) return std::nullopt;
  std::int64_t v = 0;
  const auto [end, ec] = std::from_chars(raw->data(), raw->data() + raw->size(), v);
  if (ec != std::errc() || end != raw->data() + raw->size() || raw->empty()) return std::nullopt;
  return v;
}

// A body of {"role"?, "disabled"?, "password"?}; nullopt when it is not one.
std::optional<UserChange> parse_change(const std::string& body) {
  const auto v = parse_object(body);
  if (!v) return std::nullopt;
  UserChange change;
  for (const auto& [key, value] : v->as_object()) {
    if (key == "role" && value.is_string()) {
      change.role = parse_role(value.as_string());
      if (!change.role) return std::nullopt;
    } else if (key == "disabled" && value.is_bool()) {
      change.disabled = value.as_bool();
    } else if (key == "password" && value.is_string()) {
      change.password = std::string(value.as_string());
    } else {
      return std::nullopt;
    }
  }
  return change;
}

std::string iso_utc(std::int64_t ms) {
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

Response audit_response(const std::vector<AuditRecord>& rows, bool csv) {
  if (csv) {
    CsvWriter w;
    w.row({"time_utc", "ts_ms", "user", "remote", "method", "path", "action", "status", "detail"});
    for (const auto& a : rows) {
      w.row({iso_utc(a.ts_ms), std::to_string(a.ts_ms), a.user, a.remote, a.method, a.path,
             a.action, std::to_string(a.status), a.detail});
    }
    Response resp = Response::text(w.take(), 200, kCsvContentType);
    resp.headers.push_back(Header{"Content-Disposition", csv_attachment("farmgate-audit.csv")});
    return resp;
  }
  json::array list;
  for (const auto& a : rows) {
    list.push_back(json::object{{"ts", a.ts_ms},
                                {"user", a.user},
                                {"remote", a.remote},
                                {"method", a.method},
                                {"path", a.path},
                                {"action", a.action},
                                {"status", a.status},
                                {"detail", a.detail}});
  }
  return Response::json(to_json_text(list));
}

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
          list.push_back(json::object{
              {"name", u.name}, {"role", to_string(u.role)}, {"disabled", u.disabled}});
        }
        out(Response::json(to_json_text(list)));
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
                to_json_text(json::object{{"name", name}, {"role", to_string(role)}}), 201));
          });
    });
  });

  server.route_async(
      Verb::patch, "/api/v1/users/{name}", [&access](const Request& r, Responder out) {
        access.check(r, kChangeUser, [&access, out, request = r](Result<Principal> who) {
          if (!who) return out(error_response(who.error()));
          const auto change = parse_change(request.body);
          const std::string name(request.param("name"));
          if (!change) {
            const std::string reason =
                "expected {\"role\":\"viewer|farmer|officer|admin\", \"disabled\":true|false, "
                "\"password\"}, any of them";
            access.audit(request, *who, kChangeUser, 400, reason);
            return out(Response::error(400, code_for(400), reason));
          }
          access.with_store(
              [&access, out, request, principal = *who, name, change = *change](
                  AuthStore& store, std::int64_t, const PasswordPolicy& policy) {
                auto r = change_user(store, name, change, policy);
                std::string what = name;
                if (change.role) what += " role=" + std::string(to_string(*change.role));
                if (change.disabled) what += *change.disabled ? " disabled" : " enabled";
                if (change.password) what += " new password";
                if (!r) {
                  Response resp = error_response(r.error());
                  access.audit(request, principal, kChangeUser, resp.status, r.error().message);
                  return out(std::move(resp));
                }
                access.audit(request, principal, kChangeUser, 200, what);
                out(Response::json(
                    to_json_text(json::object{{"name", name}, {"changed", what}})));
              },
              [out] { out(busy()); });
        });
      });

  server.route_async(
      Verb::delete_, "/api/v1/users/{name}", [&access](const Request& r, Responder out) {
        access.check(r, kDeleteUser, [&access, out, request = r](Result<Principal> who) {
          if (!who) return out(error_response(who.error()));
          const std::string name(request.param("name"));
          access.with_store(
              [&access, out, request, principal = *who, name](AuthStore& store, std::int64_t,
                                                              const PasswordPolicy&) {
                auto r = delete_user(store, name);
                const int status = r ? 204 : error_response(r.error()).status;
                access.audit(request, principal, kDeleteUser, status, r ? name : r.error().message);
                out(r ? Response::text("", 204, "") : error_response(r.error()));
              },
              [out] { out(busy()); });
        });
      });

  server.route_async(Verb::get, "/api/v1/tokens", [&access](const Request& r, Responder out) {
    access.check(r, kListTokens, [&access, out](Result<Principal> who) {
      if (!who) return out(error_response(who.error()));
      if (is_token(*who) && who->role != Role::admin) {
        return out(Response::error(403, code_for(403), "log in to see your API tokens"));
      }
      const std::string user = who->role == Role::admin ? "" : who->user;
      access.with_store(
          [out, user](AuthStore& store, std::int64_t, const PasswordPolicy&) {
            auto tokens = store.tokens(user);
            if (!tokens) return out(Response::error(500, code_for(500), tokens.error().message));
            json::array list;
            for (const auto& t : *tokens) {
              list.push_back(json::object{
                  {"name", t.name},
                  {"user", t.user},
                  {"role", to_string(t.role)},
                  {"created", t.created_ms},
                  {"last_used", t.last_ms == 0 ? json::value(nullptr) : json::value(t.last_ms)}});
            }
            out(Response::json(to_json_text(list)));
          },
          [out] { out(busy()); });
    });
  });

  server.route_async(Verb::post, "/api/v1/tokens", [&access](const Request& r, Responder out) {
    access.check(r, kAddToken, [&access, out, request = r](Result<Principal> who) {
      if (!who) return out(error_response(who.error()));
      const auto refuse = [&](int status, const std::string& reason) {
        access.audit(request, *who, kAddToken, status, reason);
        out(Response::error(status, code_for(status), reason));
      };
      if (is_token(*who)) return refuse(403, "log in with a password to make API tokens");
      const auto body = parse_object(request.body);
      const auto name = body ? field(*body, "name") : std::nullopt;
      if (!name || !valid_user_name(*name)) {
        return refuse(400, "expected {\"name\"}: 1-64 letters, digits, '.', '_' or '-'");
      }
      access.with_store(
          [&access, out, request, principal = *who, name = *name](
              AuthStore& store, std::int64_t now_ms, const PasswordPolicy&) {
            auto token = issue_api_token(store, principal.user, name, now_ms);
            if (!token) {
              access.audit(request, principal, kAddToken, 500, token.error().message);
              return out(Response::error(500, code_for(500), token.error().message));
            }
            access.audit(request, principal, kAddToken, 201, name);
            Response resp =
                Response::json(to_json_text(json::object{
                                   {"name", name}, {"user", principal.user}, {"token", *token}}),
                               201);
            resp.headers.push_back(Header{"Cache-Control", "no-store"});
            out(std::move(resp));
          },
          [out] { out(busy()); });
    });
  });

  server.route_async(
      Verb::delete_, "/api/v1/tokens/{name}", [&access](const Request& r, Responder out) {
        access.check(r, kRevokeToken, [&access, out, request = r](Result<Principal> who) {
          if (!who) return out(error_response(who.error()));
          const std::string name(request.param("name"));
          const auto other = request.query_param("user");
          std::string user = who->user;
          if (other && *other != who->user) {
            if (who->role != Role::admin) {
              const std::string reason = "only an admin may revoke another user's tokens";
              access.audit(request, *who, kRevokeToken, 403, reason);
              return out(Response::error(403, code_for(403), reason));
            }
            user = std::string(*other);
          } else if (is_token(*who)) {
            const std::string reason = "say whose token it is with ?user=NAME";
            access.audit(request, *who, kRevokeToken, 400, reason);
            return out(Response::error(400, code_for(400), reason));
          }
          access.with_store(
              [&access, out, request, principal = *who, user, name](AuthStore& store, std::int64_t,
                                                                    const PasswordPolicy&) {
                auto r = revoke_token(store, user, name);
                const int status = r ? 204 : error_response(r.error()).status;
                access.audit(request, principal, kRevokeToken, status,
                             r ? user + "/" + name : r.error().message);
                out(r ? Response::text("", 204, "") : error_response(r.error()));
              },
              [out] { out(busy()); });
        });
      });

  server.route_async(Verb::get, "/api/v1/audit", [&access](const Request& r, Responder out) {
    access.check(r, kReadAudit, [&access, out, request = r](Result<Principal> who) {
      if (!who) return out(error_response(who.error()));
      const auto format = request.query_param("format").value_or("json");
      if (format != "json" && format != "csv") {
        return out(Response::error(400, code_for(400), "format must be json or csv"));
      }
      const bool has_bad = (request.query_param("from") && !int_query(request, "from")) ||
                           (request.query_param("to") && !int_query(request, "to")) ||
                           (request.query_param("limit") && !int_query(request, "limit"));
      const auto limit = int_query(request, "limit").value_or(10000);
      if (has_bad || limit < 1 || limit > 100000) {
        return out(Response::error(
            400, code_for(400),
            "from and to are epoch milliseconds; limit is an integer from 1 to 100000"));
      }
      const auto from = int_query(request, "from").value_or(0);
      const auto to = int_query(request, "to").value_or(std::numeric_limits<std::int64_t>::max());
      const bool csv = format == "csv";
      access.with_store(
          [out, from, to, limit, csv](AuthStore& store, std::int64_t, const PasswordPolicy&) {
            auto rows = store.audit(from, to, static_cast<std::size_t>(limit));
            if (!rows) return out(Response::error(500, code_for(500), rows.error().message));
            out(audit_response(*rows, csv));
          },
          [out] { out(busy()); });
    });
  });
}

}  // namespace farmgate::http::auth
