// Access: who is asking, and may they. Every /api/v1 route asks an Access before it does
// anything; the routes never look at cookies or tokens themselves. The real implementation
// (sessions, API tokens, CSRF, throttling, the audit log) is in gateway/http/auth/; tests use
// AllowAll or their own.
//
// Roles, from least to most: viewer (reads), farmer (reads, irrigates, acknowledges alarms),
// officer (reads, exports, lots), admin (everything, users). `needs` names the least role a
// route requires; officer and farmer are not ordered against each other, so a route names the
// exact set it allows.
//
// Threads: check() is called on the io_context thread and must not block; it answers through
// `done`, possibly later and from another thread (a session lookup in SQLite).
#pragma once

#include <functional>
#include <initializer_list>
#include <string>
#include <vector>

#include "core/result.h"
#include "gateway/http/message.h"

namespace farmgate::http {

enum class Role { viewer, farmer, officer, admin };

inline const char* to_string(Role r) {
  switch (r) {
    case Role::viewer:
      return "viewer";
    case Role::farmer:
      return "farmer";
    case Role::officer:
      return "officer";
    case Role::admin:
      return "admin";
  }
  return "viewer";
}

struct Principal {
  std::string user;  // the user's name; "token:<name>" for an API token
  Role role = Role::viewer;
};

// What a route allows. `state_changing` routes also need a valid CSRF token with a session
// cookie, and are written to the audit log with their outcome.
struct Rule {
  std::vector<Role> roles;  // admin is always allowed, whether listed or not
  bool state_changing = false;
  std::string action;  // for the audit log, e.g. "irrigate", "alarm.ack", "user.add"
};

class Access {
 public:
  virtual ~Access() = default;
  // Ok(principal), or an Error whose code is the HTTP status to answer ("401", "403", "429")
  // and whose message is the JSON error body's reason.
  virtual void check(const Request& request, const Rule& rule,
                     std::function<void(Result<Principal>)> done) = 0;
  // A state-changing request's outcome, for the audit log: called once after it was handled.
  virtual void audit(const Request& request, const Principal& who, const Rule& rule,
                     int status, const std::string& detail) = 0;
};

// Lets everyone in as admin: for tests of the routes themselves, never for a running gateway.
class AllowAll final : public Access {
 public:
  void check(const Request&, const Rule&, std::function<void(Result<Principal>)> done) override {
    done(Principal{"test", Role::admin});
  }
  void audit(const Request&, const Principal&, const Rule&, int, const std::string&) override {}
};

}  // namespace farmgate::http
