#include "gateway/http/auth/session_access.h"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>

#include "gateway/http/auth/auth_store.h"

namespace farmgate::http::auth {
namespace {

constexpr std::string_view kComponent = "auth";

// What check() needs of a request, copied on the caller's thread so the body is not.
struct Credentials {
  std::string bearer;   // the token after "Bearer ", or ""
  std::string session;  // the fg_session cookie's value, or ""
  std::string csrf;     // X-CSRF-Token
  std::string remote, method, path;
};

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return std::string(s);
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return (x | 0x20) == (y | 0x20);
         });
}

// Only the first Cookie header is read; browsers send one.
std::string cookie_value(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    const auto semi = header.find(';');
    const std::string_view part = header.substr(0, semi);
    const auto eq = part.find('=');
    if (eq != std::string_view::npos && trim(part.substr(0, eq)) == name) {
      return trim(part.substr(eq + 1));
    }
    if (semi == std::string_view::npos) break;
    header.remove_prefix(semi + 1);
  }
  return "";
}

Credentials credentials_of(const Request& r) {
  Credentials c;
  const std::string_view auth = r.header("Authorization");
  if (auth.size() > 7 && iequals(auth.substr(0, 7), "Bearer ")) c.bearer = trim(auth.substr(7));
  c.session = cookie_value(r.header("Cookie"), kSessionCookie);
  c.csrf = std::string(r.header("X-CSRF-Token"));
  c.remote = r.remote;
  c.method = r.method.empty() ? to_string(r.verb) : r.method;
  c.path = r.path;
  return c;
}

// "192.168.4.23:51234" -> "192.168.4.23", "[::1]:80" -> "[::1]": throttle by address, not port.
std::string address_of(const std::string& remote) {
  const auto colon = remote.rfind(':');
  if (colon == std::string::npos || remote.ends_with("]")) return remote;
  return remote.substr(0, colon);
}

bool role_allowed(Role role, const Rule& rule) {
  if (role == Role::admin || rule.roles.empty()) return true;
  return std::find(rule.roles.begin(), rule.roles.end(), role) != rule.roles.end();
}

Error error(int status, std::string reason) {
  return make_error(std::to_string(status), std::move(reason));
}

}  // namespace

struct SessionAccess::Impl {
  Impl(AuthStore s, const Clock& c, Logger& l, AuthOptions o)
      : store(std::move(s)), clock(c), log(l), options(o), throttle(c, o.throttle) {}

  // Queues `job` for the auth thread; false when the queue is full.
  bool post(std::function<void()> job) {
    {
      std::lock_guard lock(mu);
      if (jobs.size() >= options.queue_max) return false;
      jobs.push_back(std::move(job));
    }
    cv.notify_one();
    return true;
  }

  void run() {
    for (;;) {
      std::function<void()> job;
      {
        std::unique_lock lock(mu);
        cv.wait(lock, [&] { return stopping || !jobs.empty(); });
        if (jobs.empty()) return;  // stopping, and everything queued is done
        job = std::move(jobs.front());
        jobs.pop_front();
      }
      job();
    }
  }

  std::int64_t now_ms() const { return to_epoch_ms(clock.now()); }

  void write_audit(const Credentials& c, const std::string& user, const std::string& action,
                   int status, const std::string& detail) {
    AuditRecord a{now_ms(), user, c.remote, c.method, c.path, action, status, detail};
    if (auto r = store.add_audit(a); !r) {
      log.error(kComponent, "audit row not written: " + r.error().message);
    }
  }

  // The principal behind the credentials, before the role check; on a session, its record.
  // `user_out` gets the user's name once known, also when the request is then refused (CSRF),
  // for the audit row.
  Result<Principal> identify(const Credentials& c, const Rule& rule,
                             std::optional<SessionRecord>* session_out = nullptr,
                             std::string* user_out = nullptr) {
    const std::int64_t now = now_ms();
    if (!c.bearer.empty()) {
      const std::string id = sha256_hex(c.bearer);
      auto t = store.token(id);
      if (!t) return error(500, "token lookup failed: " + t.error().message);
      if (!*t || !(*t)->user_ok) return error(401, "unknown or revoked API token");
      // A token never outranks its user: after a change of role it stops working.
      if ((*t)->user_role != (*t)->role && (*t)->user_role != Role::admin) {
        return error(401, "API token '" + (*t)->name + "' predates a change of its user's role");
      }
      if (now - (*t)->last_ms >= options.touch_every.count()) (void)store.touch_token(id, now);
      return Principal{"token:" + (*t)->name, (*t)->role};
    }
    if (c.session.empty()) return error(401, "not logged in");
    const std::string id = sha256_hex(c.session);
    auto s = store.session(id);
    if (!s) return error(500, "session lookup failed: " + s.error().message);
    if (!*s) return error(401, "not logged in (unknown or ended session)");
    SessionRecord& rec = **s;
    if (user_out) *user_out = rec.user;
    if (now >= rec.expires_ms) {
      (void)store.delete_session(id);
      return error(401, "session expired; log in again");
    }
    if (!rec.user_ok) {
      (void)store.delete_session(id);
      return error(401, "user '" + rec.user + "' is disabled or removed");
    }
    if (rule.state_changing && (c.csrf.empty() || !equal_constant_time(c.csrf, rec.csrf))) {
      return error(403, c.csrf.empty() ? "missing X-CSRF-Token header"
                                       : "X-CSRF-Token does not match the session");
    }
    if (now - rec.last_ms >= options.touch_every.count()) {
      const std::int64_t expires =
          std::min(now + options.idle.count(), rec.created_ms + options.absolute.count());
      if (auto r = store.touch_session(id, now, expires); !r) {
        log.warn(kComponent, "session not extended: " + r.error().message);
      }
    }
    Principal p{rec.user, rec.role};
    if (session_out) *session_out = std::move(rec);
    return p;
  }

  void check(const Credentials& c, const Rule& rule, std::function<void(Result<Principal>)>& done) {
    std::string user;
    auto who = identify(c, rule, nullptr, &user);
    if (who) user = who->user;
    if (who && !role_allowed(who->role, rule)) {
      who = error(403, std::string("role ") + to_string(who->role) + " may not " +
                           (rule.action.empty() ? "do this" : rule.action));
    }
    // A refused state-changing request is audited here; the route audits the others.
    if (!who && rule.state_changing) {
      write_audit(c, user, rule.action, std::stoi(who.error().code), who.error().message);
    }
    done(std::move(who));
  }

  // Argon2 of a fixed password, verified against for unknown users, so that a wrong name takes
  // as long as a wrong password.
  const std::string& dummy_hash() {
    if (dummy.empty()) {
      auto h = hash_password("farmgate-no-such-user", options.password);
      dummy = h ? *h : "$argon2id$";
    }
    return dummy;
  }

  Result<Login> login(const std::string& user, const std::string& password, const Credentials& c,
                      Millis& retry_after) {
    const std::string user_key = "u:" + user;
    const std::string addr_key = "a:" + address_of(c.remote);
    const auto lu = throttle.locked_for(user_key);
    const auto la = throttle.locked_for(addr_key);
    if (lu || la) {
      retry_after = std::max(lu.value_or(Millis{0}), la.value_or(Millis{0}));
      const auto secs = (retry_after.count() + 999) / 1000;
      return error(429, "too many failed logins; try again in " + std::to_string(secs) + " s");
    }
    auto rec = store.find_user(user);
    if (!rec) return error(500, "user lookup failed: " + rec.error().message);
    bool ok = false;
    if (*rec && !(*rec)->disabled) {
      ok = verify_password((*rec)->pw_hash, password);
    } else {
      (void)verify_password(dummy_hash(), password);
    }
    if (!ok) {
      throttle.failure(user_key);
      throttle.failure(addr_key);
      return error(401, "wrong user name or password");
    }
    throttle.success(user_key);
    throttle.success(addr_key);
    const std::int64_t now = now_ms();
    (void)store.delete_expired_sessions(now);
    Login out;
    out.session_id = random_hex(32);
    out.info = SessionInfo{user, (*rec)->role, random_hex(32)};
    const std::int64_t expires = now + std::min(options.idle.count(), options.absolute.count());
    if (auto r = store.add_session(sha256_hex(out.session_id), user, out.info.csrf, now, expires);
        !r) {
      return error(500, "session not stored: " + r.error().message);
    }
    out.max_age = options.absolute;
    return out;
  }

  AuthStore store;
  const Clock& clock;
  Logger& log;
  AuthOptions options;
  LoginThrottle throttle;  // auth thread only
  std::string dummy;       // auth thread only

  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::function<void()>> jobs;
  bool stopping = false;
  std::thread thread;  // last: started once everything above exists
};

Result<std::unique_ptr<SessionAccess>> SessionAccess::open(const std::string& db_path,
                                                           const Clock& clock, Logger& log,
                                                           AuthOptions options) {
  if (auto r = init_crypto(); !r) return r.error();
  auto store = AuthStore::open(db_path);
  if (!store) return store.error();
  auto impl = std::make_unique<Impl>(std::move(*store), clock, log, options);
  Impl* raw = impl.get();
  raw->thread = std::thread([raw] { raw->run(); });
  return std::unique_ptr<SessionAccess>(new SessionAccess(std::move(impl)));
}

SessionAccess::SessionAccess(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

SessionAccess::~SessionAccess() {
  {
    std::lock_guard lock(impl_->mu);
    impl_->stopping = true;
  }
  impl_->cv.notify_one();
  impl_->thread.join();
}

void SessionAccess::check(const Request& request, const Rule& rule,
                          std::function<void(Result<Principal>)> done) {
  auto job = [impl = impl_.get(), c = credentials_of(request), rule, done]() mutable {
    impl->check(c, rule, done);
  };
  if (!impl_->post(std::move(job))) done(error(503, "the gateway is busy; try again"));
}

void SessionAccess::audit(const Request& request, const Principal& who, const Rule& rule,
                          int status, const std::string& detail) {
  auto job = [impl = impl_.get(), c = credentials_of(request), user = who.user,
              action = rule.action, status,
              detail] { impl->write_audit(c, user, action, status, detail); };
  if (!impl_->post(std::move(job))) {
    impl_->log.error(kComponent, "audit row dropped (queue full): " + who.user + " " + rule.action +
                                     " " + std::to_string(status));
  }
}

void SessionAccess::login(std::string user, std::string password, std::string remote,
                          std::function<void(Result<Login>, Millis)> done) {
  auto job = [impl = impl_.get(), user = std::move(user), password = std::move(password),
              remote = std::move(remote), done]() mutable {
    Credentials c;
    c.remote = remote;
    c.method = "POST";
    c.path = "/api/v1/session";
    Millis retry{0};
    auto r = impl->login(user, password, c, retry);
    impl->write_audit(c, valid_user_name(user) ? user : "?", "session.login",
                      r ? 200 : std::stoi(r.error().code), r ? "" : r.error().message);
    done(std::move(r), retry);
  };
  if (!impl_->post(std::move(job))) done(error(503, "the gateway is busy; try again"), Millis{0});
}

void SessionAccess::logout(const Request& request, std::function<void()> done) {
  auto job = [impl = impl_.get(), c = credentials_of(request), done] {
    if (!c.session.empty()) (void)impl->store.delete_session(sha256_hex(c.session));
    done();
  };
  if (!impl_->post(std::move(job))) done();
}

void SessionAccess::session(const Request& request, std::function<void(Result<SessionInfo>)> done) {
  auto job = [impl = impl_.get(), c = credentials_of(request), done] {
    if (c.session.empty()) return done(error(401, "not logged in"));
    std::optional<SessionRecord> rec;
    Credentials session_only = c;
    session_only.bearer.clear();
    auto who = impl->identify(session_only, Rule{}, &rec);
    if (!who) return done(who.error());
    done(SessionInfo{who->user, who->role, rec->csrf});
  };
  if (!impl_->post(std::move(job))) done(error(503, "the gateway is busy; try again"));
}

void SessionAccess::list_users(std::function<void(Result<std::vector<UserInfo>>)> done) {
  auto job = [impl = impl_.get(), done] {
    auto users = impl->store.users();
    if (!users) return done(error(500, "users not read: " + users.error().message));
    std::vector<UserInfo> out;
    for (const auto& u : *users) out.push_back(UserInfo{u.name, u.role, u.disabled});
    done(std::move(out));
  };
  if (!impl_->post(std::move(job))) done(error(503, "the gateway is busy; try again"));
}

void SessionAccess::add_user(std::string name, Role role, std::string password,
                             std::function<void(Result<void>)> done) {
  auto job = [impl = impl_.get(), name = std::move(name), role, password = std::move(password),
              done] {
    if (!valid_user_name(name)) {
      return done(error(400, "a user name is 1-64 letters, digits, '.', '_' or '-'"));
    }
    if (password.size() < impl->options.min_password) {
      return done(error(400, "the password needs at least " +
                                 std::to_string(impl->options.min_password) + " characters"));
    }
    auto hash = hash_password(password, impl->options.password);
    if (!hash) return done(error(500, hash.error().message));
    auto r = impl->store.add_user(name, role, *hash, impl->now_ms());
    if (!r) return done(error(r.error().code == "exists" ? 409 : 500, r.error().message));
    done({});
  };
  if (!impl_->post(std::move(job))) done(error(503, "the gateway is busy; try again"));
}

void SessionAccess::with_store(StoreJob job, std::function<void()> busy) {
  auto run = [impl = impl_.get(), job = std::move(job)] {
    const PasswordPolicy policy{impl->options.min_password, impl->options.password};
    job(impl->store, impl->now_ms(), policy);
  };
  if (!impl_->post(std::move(run))) busy();
}

}  // namespace farmgate::http::auth
