// User and token administration: the rules both the admin API routes and `farmgate user` follow.
//   - A user can be given another role, disabled or enabled, given a new password, or deleted.
//   - The last active admin can be neither demoted, disabled nor deleted, so the farm is never
//     left with nobody who can manage accounts (409).
//   - Disabling a user or changing the password ends the user's sessions at once; deleting a
//     user also revokes the user's API tokens.
// Errors carry the HTTP status as their code ("400", "404", "409", "500") and a reason for a
// person. Synchronous SQLite work: call on the auth thread (SessionAccess::with_store) or from
// the command line, never on the io_context thread.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "core/result.h"
#include "gateway/http/auth/auth_store.h"
#include "gateway/http/auth/crypto.h"

namespace farmgate::http::auth {

struct UserChange {
  std::optional<Role> role;
  std::optional<bool> disabled;
  std::optional<std::string> password;  // plain; hashed here
};

struct PasswordPolicy {
  std::size_t min_length = 8;
  PasswordParams params = PasswordParams::standard();
};

// Applies `change` to user `name`. Errors: "400" (nothing to change, short password), "404",
// "409" (it would leave no active admin), "500".
Result<void> change_user(AuthStore& store, const std::string& name, const UserChange& change,
                         const PasswordPolicy& policy);

// Errors: "404", "409" (the last active admin), "500".
Result<void> delete_user(AuthStore& store, const std::string& name);

// Revokes `user`'s tokens named `name`. Errors: "404" (none), "500".
Result<void> revoke_token(AuthStore& store, const std::string& user, const std::string& name);

}  // namespace farmgate::http::auth
