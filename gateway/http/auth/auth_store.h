// AuthStore: the auth tables of the gateway's SQLite file (users, sessions, api_tokens, audit;
// schema version 4, see gateway/store/schema.h), as plain synchronous calls on its own
// connection. SessionAccess owns one on its auth thread; `farmgate user` uses one directly.
// Writes go through SQLite's busy timeout when the store thread holds the write lock, so never
// call it on the io_context thread.
//
// Threads: one thread at a time (it owns a sqlite::Db).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "gateway/http/access.h"
#include "gateway/store/sqlite.h"

namespace farmgate::http::auth {

std::optional<Role> parse_role(std::string_view s);
// 1-64 characters of [A-Za-z0-9._-]: safe in logs, URLs and the audit table.
bool valid_user_name(std::string_view name);

struct UserRecord {
  std::string name;
  Role role = Role::viewer;
  std::string pw_hash;
  bool disabled = false;
};

struct SessionRecord {
  std::string user;
  Role role = Role::viewer;  // the user's current role
  bool user_ok = false;      // the user exists and is not disabled
  std::string csrf;
  std::int64_t created_ms = 0, last_ms = 0, expires_ms = 0;
};

struct TokenRecord {
  std::string name;
  std::string user;
  Role role = Role::viewer;       // the role it was issued with
  Role user_role = Role::viewer;  // the user's role now
  bool user_ok = false;
  std::int64_t last_ms = 0;
};

struct TokenInfo {
  std::string name;
  std::string user;
  Role role = Role::viewer;
  std::int64_t created_ms = 0;
  std::int64_t last_ms = 0;  // 0: never used
};

// What an admin changes about a user; an absent member stays as it is.
struct UserPatch {
  std::optional<Role> role;
  std::optional<bool> disabled;
  std::optional<std::string> pw_hash;
};

struct AuditRecord {
  std::int64_t ts_ms = 0;
  std::string user, remote, method, path, action;
  int status = 0;
  std::string detail;
};

class AuthStore;

// Creates an API token for `user` with the user's current role, named `name` (shown in the audit
// log as "token:<name>"). Returns the token ("fgt_" + 64 hex digits); only its hash is stored, so
// this is the one time anyone sees it. Errors: "no_user", SQLite's.
Result<std::string> issue_api_token(AuthStore& store, const std::string& user,
                                    const std::string& name, std::int64_t now_ms);

class AuthStore {
 public:
  // Opens the database file and brings its schema up to date (store::migrate).
  static Result<AuthStore> open(const std::string& path);

  // Fails with "exists" when the name is taken.
  Result<void> add_user(const std::string& name, Role role, const std::string& pw_hash,
                        std::int64_t now_ms);
  Result<std::optional<UserRecord>> find_user(const std::string& name);
  Result<std::vector<UserRecord>> users();  // by name, without hashes
  // False when there is no such user. Disabling a user or changing the password also ends the
  // user's sessions (a stolen cookie dies with the old password); API tokens are revoked only
  // by delete_token or by deleting the user.
  Result<bool> update_user(const std::string& name, const UserPatch& patch);
  // Deletes the user with the user's sessions and tokens; the audit rows stay. False when there
  // is no such user.
  Result<bool> delete_user(const std::string& name);
  // Users with the admin role that are not disabled.
  Result<std::size_t> count_active_admins();

  Result<void> add_session(const std::string& id_hash, const std::string& user,
                           const std::string& csrf, std::int64_t now_ms, std::int64_t expires_ms);
  Result<std::optional<SessionRecord>> session(const std::string& id_hash);
  Result<void> touch_session(const std::string& id_hash, std::int64_t now_ms,
                             std::int64_t expires_ms);
  Result<void> delete_session(const std::string& id_hash);
  Result<void> delete_expired_sessions(std::int64_t now_ms);

  Result<void> add_token(const std::string& id_hash, const std::string& name,
                         const std::string& user, Role role, std::int64_t now_ms);
  Result<std::optional<TokenRecord>> token(const std::string& id_hash);
  Result<void> touch_token(const std::string& id_hash, std::int64_t now_ms);
  // The tokens of `user`, or everyone's when `user` is empty; by user, then name.
  Result<std::vector<TokenInfo>> tokens(const std::string& user);
  // Revokes every token of `user` called `name`; how many there were.
  Result<std::size_t> delete_tokens(const std::string& user, const std::string& name);

  Result<void> add_audit(const AuditRecord& record);
  // Audit rows with from_ms <= ts < to_ms, oldest first, at most `limit`.
  Result<std::vector<AuditRecord>> audit(std::int64_t from_ms, std::int64_t to_ms,
                                         std::size_t limit);

 private:
  explicit AuthStore(sqlite::Db db) : db_(std::move(db)) {}
  sqlite::Db db_;
};

}  // namespace farmgate::http::auth
