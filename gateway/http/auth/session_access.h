// SessionAccess: the gateway's real http::Access. Who is asking comes from either
//   - a session cookie `fg_session` (256 random bits, stored only as its SHA-256), made by
//     login(); sliding expiry: it ends after `idle` without use and `absolute` after login at
//     the latest; state-changing requests must also carry its CSRF token in X-CSRF-Token
//     (compared in constant time), or
//   - an API token, `Authorization: Bearer fgt_...` (stored as its SHA-256; no CSRF, since a
//     browser never sends it on its own).
// Then the rule's roles are checked (admin always passes). Refusals are 401 (who are you?) or
// 403 (not you / no CSRF), with a reason. Logins are throttled per user and per remote address
// (see LoginThrottle; 429 with a retry delay). Every state-changing request leaves one audit row:
// refused ones from check(), the rest from audit().
//
// Threads: every public method may be called from any thread (the io_context thread in
// practice) and never blocks on SQLite or Argon2: the work is queued to one auth thread that
// owns its own SQLite connection, and callbacks run on that thread. A full queue answers 503.
// The destructor finishes queued work and joins the thread; callers must not call in after it
// started.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/log.h"
#include "core/result.h"
#include "gateway/http/access.h"
#include "gateway/http/auth/crypto.h"
#include "gateway/http/auth/throttle.h"
#include "gateway/http/auth/user_admin.h"

namespace farmgate::http::auth {

inline constexpr const char* kSessionCookie = "fg_session";

struct AuthOptions {
  Millis idle = std::chrono::hours{12};
  Millis absolute = std::chrono::days{30};
  // last_ms is written at most this often per session or token, not on every request.
  Millis touch_every = std::chrono::minutes{1};
  PasswordParams password = PasswordParams::standard();
  ThrottleOptions throttle;
  std::size_t queue_max = 256;
  std::size_t min_password = 8;
};

struct SessionInfo {
  std::string user;
  Role role = Role::viewer;
  std::string csrf;
};

struct Login {
  SessionInfo info;
  std::string session_id;  // the cookie's value; only its hash is stored
  Millis max_age{};        // for the cookie's Max-Age
};

struct UserInfo {
  std::string name;
  Role role = Role::viewer;
  bool disabled = false;
};

class SessionAccess final : public Access {
 public:
  // Opens its own connection to the gateway's database (migrating it if needed) and starts the
  // auth thread. `clock` and `log` must outlive the object.
  static Result<std::unique_ptr<SessionAccess>> open(const std::string& db_path, const Clock& clock,
                                                     Logger& log, AuthOptions options = {});
  ~SessionAccess() override;
  SessionAccess(const SessionAccess&) = delete;
  SessionAccess& operator=(const SessionAccess&) = delete;

  void check(const Request& request, const Rule& rule,
             std::function<void(Result<Principal>)> done) override;
  void audit(const Request& request, const Principal& who, const Rule& rule, int status,
             const std::string& detail) override;

  // Checks the password and opens a session. Errors: "400" (malformed), "401" (wrong name or
  // password, one reason for both), "429" (throttled; `retry_after` says how long), "500", "503".
  // Audited as action "session.login".
  void login(std::string user, std::string password, std::string remote,
             std::function<void(Result<Login>, Millis retry_after)> done);
  // Ends the request's session, if it has one.
  void logout(const Request& request, std::function<void()> done);
  // The request's session (with its CSRF token, for a page reloaded in the browser): "401" when
  // there is none. API tokens have no session and get 401 too.
  void session(const Request& request, std::function<void(Result<SessionInfo>)> done);

  void list_users(std::function<void(Result<std::vector<UserInfo>>)> done);
  // Errors: "400" (bad name, role or short password), "409" (exists), "500", "503".
  void add_user(std::string name, Role role, std::string password,
                std::function<void(Result<void>)> done);

  // Runs `job` on the auth thread with its store, the time and the password policy: for the
  // user, token and audit admin routes, which decide with user_admin.h over several store
  // calls. A full queue calls `busy` instead (answer 503).
  using StoreJob = std::function<void(AuthStore&, std::int64_t now_ms, const PasswordPolicy&)>;
  void with_store(StoreJob job, std::function<void()> busy);

 private:
  struct Impl;
  explicit SessionAccess(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace farmgate::http::auth
