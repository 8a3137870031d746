#include "gateway/http/auth/user_admin.h"

namespace farmgate::http::auth {
namespace {

Error status_error(int status, std::string reason) {
  return Error{std::to_string(status), std::move(reason)};
}

// Whether taking `user` away from the active admins leaves none.
Result<bool> is_last_admin(AuthStore& store, const UserRecord& user) {
  if (user.role != Role::admin || user.disabled) return false;
  auto admins = store.count_active_admins();
  if (!admins) return admins.error();
  return *admins <= 1;
}

}  // namespace

Result<void> change_user(AuthStore& store, const std::string& name, const UserChange& change,
                         const PasswordPolicy& policy) {
  if (!change.role && !change.disabled && !change.password) {
    return status_error(400, "nothing to change; send role, disabled or password");
  }
  if (change.password && change.password->size() < policy.min_length) {
    return status_error(
        400, "the password needs at least " + std::to_string(policy.min_length) + " characters");
  }
  auto found = store.find_user(name);
  if (!found) return status_error(500, found.error().message);
  if (!*found) return status_error(404, "no user '" + name + "'");
  const bool leaves_admins =
      (change.role && *change.role != Role::admin) || change.disabled.value_or(false);
  if (leaves_admins) {
    auto last = is_last_admin(store, **found);
    if (!last) return status_error(500, last.error().message);
    if (*last) {
      return status_error(409, "'" + name + "' is the last active admin; make another admin first");
    }
  }
  UserPatch patch{change.role, change.disabled, std::nullopt};
  if (change.password) {
    auto hash = hash_password(*change.password, policy.params);
    if (!hash) return status_error(500, hash.error().message);
    patch.pw_hash = std::move(*hash);
  }
  auto updated = store.update_user(name, patch);
  if (!updated) return status_error(500, updated.error().message);
  if (!*updated) return status_error(404, "no user '" + name + "'");
  return {};
}

Result<void> delete_user(AuthStore& store, const std::string& name) {
  auto found = store.find_user(name);
  if (!found) return status_error(500, found.error().message);
  if (!*found) return status_error(404, "no user '" + name + "'");
  auto last = is_last_admin(store, **found);
  if (!last) return status_error(500, last.error().message);
  if (*last) {
    return status_error(409, "'" + name + "' is the last active admin; make another admin first");
  }
  auto deleted = store.delete_user(name);
  if (!deleted) return status_error(500, deleted.error().message);
  if (!*deleted) return status_error(404, "no user '" + name + "'");
  return {};
}

Result<void> revoke_token(AuthStore& store, const std::string& user, const std::string& name) {
  auto n = store.delete_tokens(user, name);
  if (!n) return status_error(500, n.error().message);
  if (*n == 0) return status_error(404, "'" + user + "' has no token named '" + name + "'");
  return {};
}

}  // namespace farmgate::http::auth
