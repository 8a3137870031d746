#include "gateway/http/auth/auth_store.h"

#include <sqlite3.h>

#include <utility>

#include "gateway/http/auth/crypto.h"
#include "gateway/store/schema.h"

namespace farmgate::http::auth {
namespace {

// BEGIN IMMEDIATE ... COMMIT, rolled back when left without commit() (an error return).
class WriteTx {
 public:
  static Result<WriteTx> begin(sqlite::Db& db) {
    if (auto r = db.exec("BEGIN IMMEDIATE"); !r) return r.error();
    return WriteTx(db);
  }
  WriteTx(WriteTx&& o) noexcept : db_(std::exchange(o.db_, nullptr)) {}
  WriteTx& operator=(WriteTx&&) = delete;
  ~WriteTx() {
    if (db_ != nullptr) (void)db_->exec("ROLLBACK");
  }
  Result<void> commit() {
    auto r = std::exchange(db_, nullptr)->exec("COMMIT");
    return r;
  }

 private:
  explicit WriteTx(sqlite::Db& db) : db_(&db) {}
  sqlite::Db* db_;
};

}  // namespace

std::optional<Role> parse_role(std::string_view s) {
  for (Role r : {Role::viewer, Role::farmer, Role::officer, Role::admin}) {
    if (s == to_string(r)) return r;
  }
  return std::nullopt;
}

bool valid_user_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

Result<std::string> issue_api_token(AuthStore& store, const std::string& user,
                                    const std::string& name, std::int64_t now_ms) {
  auto rec = store.find_user(user);
  if (!rec) return rec.error();
  if (!*rec) return make_error("no_user", "no user '" + user + "'");
  std::string token = "fgt_" + random_hex(32);
  if (auto r = store.add_token(sha256_hex(token), name, user, (*rec)->role, now_ms); !r) {
    return r.error();
  }
  return token;
}

Result<AuthStore> AuthStore::open(const std::string& path) {
  auto db = sqlite::Db::open(path);
  if (!db) return db.error();
  if (auto r = store::migrate(*db); !r) return r.error();
  return AuthStore(std::move(*db));
}

Result<void> AuthStore::add_user(const std::string& name, Role role, const std::string& pw_hash,
                                 std::int64_t now_ms) {
  auto st = sqlite::Stmt::prepare(
      db_, "INSERT INTO users(name, role, pw_hash, created_ms) VALUES(?, ?, ?, ?)");
  if (!st) return st.error();
  st->bind(1, name).bind(2, std::string_view(to_string(role))).bind(3, pw_hash).bind(4, now_ms);
  if (auto r = st->run(); !r) {
    if (sqlite3_extended_errcode(db_.get()) == SQLITE_CONSTRAINT_PRIMARYKEY) {
      return make_error("exists", "user '" + name + "' exists already");
    }
    return r.error();
  }
  return {};
}

Result<std::optional<UserRecord>> AuthStore::find_user(const std::string& name) {
  auto st = sqlite::Stmt::prepare(db_, "SELECT role, pw_hash, disabled FROM users WHERE name=?");
  if (!st) return st.error();
  st->bind(1, name);
  auto row = st->step();
  if (!row) return row.error();
  if (!*row) return std::optional<UserRecord>{};
  return std::optional<UserRecord>(UserRecord{name, parse_role(st->text(0)).value_or(Role::viewer),
                                              st->text(1), st->int64(2) != 0});
}

Result<std::vector<UserRecord>> AuthStore::users() {
  auto st = sqlite::Stmt::prepare(db_, "SELECT name, role, disabled FROM users ORDER BY name");
  if (!st) return st.error();
  std::vector<UserRecord> out;
  for (;;) {
    auto row = st->step();
    if (!row) return row.error();
    if (!*row) break;
    out.push_back(UserRecord{st->text(0), parse_role(st->text(1)).value_or(Role::viewer), "",
                             st->int64(2) != 0});
  }
  return out;
}

Result<void> AuthStore::add_session(const std::string& id_hash, const std::string& user,
                                    const std::string& csrf, std::int64_t now_ms,
                                    std::int64_t expires_ms) {
  auto st = sqlite::Stmt::prepare(db_,
                                  "INSERT INTO sessions(id_hash, user, csrf, created_ms, last_ms, "
                                  "expires_ms) VALUES(?, ?, ?, ?, ?, ?)");
  if (!st) return st.error();
  st->bind(1, id_hash)
      .bind(2, user)
      .bind(3, csrf)
      .bind(4, now_ms)
      .bind(5, now_ms)
      .bind(6, expires_ms);
  return st->run();
}

Result<std::optional<SessionRecord>> AuthStore::session(const std::string& id_hash) {
  auto st = sqlite::Stmt::prepare(
      db_,
      "SELECT s.user, u.role, u.disabled, s.csrf, s.created_ms, s.last_ms, s.expires_ms "
      "FROM sessions s LEFT JOIN users u ON u.name = s.user WHERE s.id_hash=?");
  if (!st) return st.error();
  st->bind(1, id_hash);
  auto row = st->step();
  if (!row) return row.error();
  if (!*row) return std::optional<SessionRecord>{};
  SessionRecord s;
  s.user = st->text(0);
  s.user_ok = !st->is_null(1) && st->int64(2) == 0;
  s.role = parse_role(st->text(1)).value_or(Role::viewer);
  s.csrf = st->text(3);
  s.created_ms = st->int64(4);
  s.last_ms = st->int64(5);
  s.expires_ms = st->int64(6);
  return std::optional<SessionRecord>(std::move(s));
}

Result<void> AuthStore::touch_session(const std::string& id_hash, std::int64_t now_ms,
                                      std::int64_t expires_ms) {
  auto st =
      sqlite::Stmt::prepare(db_, "UPDATE sessions SET last_ms=?, expires_ms=? WHERE id_hash=?");
  if (!st) return st.error();
  st->bind(1, now_ms).bind(2, expires_ms).bind(3, id_hash);
  return st->run();
}

Result<void> AuthStore::delete_session(const std::string& id_hash) {
  auto st = sqlite::Stmt::prepare(db_, "DELETE FROM sessions WHERE id_hash=?");
  if (!st) return st.error();
  st->bind(1, id_hash);
  return st->run();
}

Result<void> AuthStore::delete_expired_sessions(std::int64_t now_ms) {
  auto st = sqlite::Stmt::prepare(db_, "DELETE FROM sessions WHERE expires_ms<=?");
  if (!st) return st.error();
  st->bind(1, now_ms);
  return st->run();
}

Result<void> AuthStore::add_token(const std::string& id_hash, const std::string& name,
                                  const std::string& user, Role role, std::int64_t now_ms) {
  auto st = sqlite::Stmt::prepare(
      db_, "INSERT INTO api_tokens(id_hash, name, user, role, created_ms) VALUES(?, ?, ?, ?, ?)");
  if (!st) return st.error();
  st->bind(1, id_hash).bind(2, name).bind(3, user).bind(4, std::string_view(to_string(role)));
  st->bind(5, now_ms);
  if (auto r = st->run(); !r) {
    if (sqlite3_extended_errcode(db_.get()) == SQLITE_CONSTRAINT_PRIMARYKEY) {
      return make_error("exists", "that token exists already");
    }
    return r.error();
  }
  return {};
}

Result<std::optional<TokenRecord>> AuthStore::token(const std::string& id_hash) {
  auto st = sqlite::Stmt::prepare(
      db_,
      "SELECT t.name, t.user, t.role, u.disabled, coalesce(t.last_ms, 0), u.role "
      "FROM api_tokens t LEFT JOIN users u ON u.name = t.user WHERE t.id_hash=?");
  if (!st) return st.error();
  st->bind(1, id_hash);
  auto row = st->step();
  if (!row) return row.error();
  if (!*row) return std::optional<TokenRecord>{};
  TokenRecord t;
  t.name = st->text(0);
  t.user = st->text(1);
  t.role = parse_role(st->text(2)).value_or(Role::viewer);
  t.user_ok = !st->is_null(3) && st->int64(3) == 0;
  t.last_ms = st->int64(4);
  t.user_role = parse_role(st->text(5)).value_or(Role::viewer);
  return std::optional<TokenRecord>(std::move(t));
}

Result<void> AuthStore::touch_token(const std::string& id_hash, std::int64_t now_ms) {
  auto st = sqlite::Stmt::prepare(db_, "UPDATE api_tokens SET last_ms=? WHERE id_hash=?");
  if (!st) return st.error();
  st->bind(1, now_ms).bind(2, id_hash);
  return st->run();
}

Result<void> AuthStore::add_audit(const AuditRecord& a) {
  auto st = sqlite::Stmt::prepare(db_,
                                  "INSERT INTO audit(ts, user, remote, method, path, action, "
                                  "status, detail) VALUES(?, ?, ?, ?, ?, ?, ?, ?)");
  if (!st) return st.error();
  st->bind(1, a.ts_ms).bind(2, a.user).bind(3, a.remote).bind(4, a.method).bind(5, a.path);
  st->bind(6, a.action).bind(7, a.status).bind(8, a.detail);
  return st->run();
}

Result<bool> AuthStore::update_user(const std::string& name, const UserPatch& patch) {
  auto tx = WriteTx::begin(db_);
  if (!tx) return tx.error();
  auto found = find_user(name);
  if (!found) return found.error();
  if (!*found) return false;
  auto st = sqlite::Stmt::prepare(
      db_,
      "UPDATE users SET role=coalesce(?, role), disabled=coalesce(?, disabled), "
      "pw_hash=coalesce(?, pw_hash) WHERE name=?");
  if (!st) return st.error();
  if (patch.role) st->bind(1, std::string_view(to_string(*patch.role)));
  if (patch.disabled) st->bind(2, std::int64_t{*patch.disabled ? 1 : 0});
  if (patch.pw_hash) st->bind(3, *patch.pw_hash);
  st->bind(4, name);
  if (auto r = st->run(); !r) return r.error();
  if (patch.pw_hash || patch.disabled.value_or(false)) {
    auto del = sqlite::Stmt::prepare(db_, "DELETE FROM sessions WHERE user=?");
    if (!del) return del.error();
    del->bind(1, name);
    if (auto r = del->run(); !r) return r.error();
  }
  if (auto r = tx->commit(); !r) return r.error();
  return true;
}

Result<bool> AuthStore::delete_user(const std::string& name) {
  auto tx = WriteTx::begin(db_);
  if (!tx) return tx.error();
  for (const char* sql :
       {"DELETE FROM sessions WHERE user=?", "DELETE FROM api_tokens WHERE user=?"}) {
    auto st = sqlite::Stmt::prepare(db_, sql);
    if (!st) return st.error();
    st->bind(1, name);
    if (auto r = st->run(); !r) return r.error();
  }
  auto st = sqlite::Stmt::prepare(db_, "DELETE FROM users WHERE name=?");
  if (!st) return st.error();
  st->bind(1, name);
  if (auto r = st->run(); !r) return r.error();
  const bool deleted = db_.changes() > 0;
  if (auto r = tx->commit(); !r) return r.error();
  return deleted;
}

Result<std::size_t> AuthStore::count_active_admins() {
  auto st =
      sqlite::Stmt::prepare(db_, "SELECT count(*) FROM users WHERE role='admin' AND disabled=0");
  if (!st) return st.error();
  auto row = st->step();
  if (!row) return row.error();
  return static_cast<std::size_t>(st->int64(0));
}

Result<std::vector<TokenInfo>> AuthStore::tokens(const std::string& user) {
  auto st = sqlite::Stmt::prepare(
      db_,
      "SELECT name, user, role, created_ms, coalesce(last_ms, 0) FROM api_tokens "
      "WHERE ?1 = '' OR user = ?1 ORDER BY user, name, created_ms");
  if (!st) return st.error();
  st->bind(1, user);
  std::vector<TokenInfo> out;
  for (;;) {
    auto row = st->step();
    if (!row) return row.error();
    if (!*row) break;
    out.push_back(TokenInfo{st->text(0), st->text(1),
                            parse_role(st->text(2)).value_or(Role::viewer), st->int64(3),
                            st->int64(4)});
  }
  return out;
}

Result<std::size_t> AuthStore::delete_tokens(const std::string& user, const std::string& name) {
  auto st = sqlite::Stmt::prepare(db_, "DELETE FROM api_tokens WHERE user=? AND name=?");
  if (!st) return st.error();
  st->bind(1, user).bind(2, name);
  if (auto r = st->run(); !r) return r.error();
  return static_cast<std::size_t>(db_.changes());
}

Result<std::vector<AuditRecord>> AuthStore::audit(std::int64_t from_ms, std::int64_t to_ms,
                                                  std::size_t limit) {
  auto st = sqlite::Stmt::prepare(
      db_,
      "SELECT ts, user, remote, method, path, action, status, detail FROM audit "
      "WHERE ts >= ? AND ts < ? ORDER BY ts, id LIMIT ?");
  if (!st) return st.error();
  st->bind(1, from_ms).bind(2, to_ms).bind(3, static_cast<std::int64_t>(limit));
  std::vector<AuditRecord> out;
  for (;;) {
    auto row = st->step();
    if (!row) return row.error();
    if (!*row) break;
    out.push_back(AuditRecord{st->int64(0), st->text(1), st->text(2), st->text(3), st->text(4),
                              st->text(5), static_cast<int>(st->int64(6)), st->text(7)});
  }
  return out;
}

}  // namespace farmgate::http::auth
