#include "gateway/user_cmd.h"

#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <optional>

#include "gateway/http/auth/auth_store.h"
#include "gateway/http/auth/user_admin.h"

namespace farmgate::gateway {
namespace {

using http::auth::AuthStore;

constexpr std::size_t kMinPassword = 8;

// Turns the terminal's echo off for its lifetime.
class NoEcho {
 public:
  NoEcho() {
    if (tcgetattr(STDIN_FILENO, &saved_) != 0) return;
    termios quiet = saved_;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    active_ = tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) == 0;
  }
  ~NoEcho() {
    if (active_) tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_);
  }
  NoEcho(const NoEcho&) = delete;
  NoEcho& operator=(const NoEcho&) = delete;

 private:
  termios saved_{};
  bool active_ = false;
};

std::optional<std::string> read_line(std::istream& in) {
  std::string line;
  if (!std::getline(in, line)) return std::nullopt;
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

// The new password, or nullopt after saying why on err.
std::optional<std::string> read_password(const std::string& name, UserCommandIo& io) {
  std::optional<std::string> pw;
  if (io.in_is_terminal) {
    NoEcho quiet;
    io.err << "password for " << name << ": " << std::flush;
    pw = read_line(io.in);
    io.err << "\nagain: " << std::flush;
    const auto again = read_line(io.in);
    io.err << "\n";
    if (pw && again && *pw != *again) {
      io.err << "farmgate: the passwords differ; nothing changed\n";
      return std::nullopt;
    }
  } else {
    pw = read_line(io.in);
  }
  if (!pw) {
    io.err << "farmgate: no password on stdin (pipe one line, or run on a terminal)\n";
    return std::nullopt;
  }
  if (pw->size() < kMinPassword) {
    io.err << "farmgate: the password needs at least " << kMinPassword << " characters\n";
    return std::nullopt;
  }
  return pw;
}

constexpr const char* kUsage =
    "usage: farmgate user add NAME --role viewer|farmer|officer|admin --config FILE\n"
    "       farmgate user token NAME [--label LABEL] --config FILE\n"
    "       farmgate user list --config FILE\n"
    "       farmgate user disable|enable|delete|passwd NAME --config FILE\n"
    "       farmgate user role NAME --role viewer|farmer|officer|admin --config FILE\n"
    "       farmgate user revoke NAME --label LABEL --config FILE\n";

int fail(UserCommandIo& io, const std::string& problem) {
  io.err << "farmgate: " << problem << "\n";
  return 2;
}

}  // namespace

int run_user_command(const std::vector<std::string>& args, const std::string& db_path,
                     UserCommandIo io, const Clock& clock,
                     const http::auth::PasswordParams& params) {
  if (args.empty()) return fail(io, std::string("user needs a command\n") + kUsage);
  const std::string& action = args[0];
  std::string name, role_text, label;
  for (std::size_t i = 1; i < args.size(); ++i) {
    if (args[i] == "--role" && i + 1 < args.size()) {
      role_text = args[++i];
    } else if (args[i] == "--label" && i + 1 < args.size()) {
      label = args[++i];
    } else if (!args[i].starts_with("--") && name.empty()) {
      name = args[i];
    } else {
      return fail(io, "unknown argument '" + args[i] + "'\n" + kUsage);
    }
  }
  static const std::vector<std::string> kActions{"add",    "token",  "list", "disable", "enable",
                                                 "delete", "passwd", "role", "revoke"};
  if (std::find(kActions.begin(), kActions.end(), action) == kActions.end()) {
    return fail(io, "unknown user command '" + action + "'\n" + kUsage);
  }
  if (action != "list" && !http::auth::valid_user_name(name)) {
    return fail(io, name.empty() ? "user " + action + " needs a NAME"
                                 : "'" + name + "' is not a user name (1-64 of A-Z a-z 0-9 . _ -)");
  }
  std::optional<http::Role> role;
  if (action == "add" || action == "role") {
    role = http::auth::parse_role(role_text);
    if (!role) return fail(io, "user " + action + " needs --role viewer|farmer|officer|admin");
  }
  if (action == "revoke" && label.empty()) return fail(io, "user revoke needs --label LABEL");
  if (!label.empty() && !http::auth::valid_user_name(label)) {
    return fail(io, "'" + label + "' is not a token label (1-64 of A-Z a-z 0-9 . _ -)");
  }
  if (auto r = http::auth::init_crypto(); !r) return fail(io, r.error().message);

  auto store = AuthStore::open(db_path);
  if (!store) return fail(io, "cannot open " + db_path + ": " + store.error().message);
  const std::int64_t now = to_epoch_ms(clock.now());

  if (action == "list") {
    auto users = store->users();
    if (!users) return fail(io, users.error().message);
    for (const auto& u : *users) {
      io.out << u.name << "\t" << http::to_string(u.role) << (u.disabled ? "\tdisabled" : "")
             << "\n";
    }
    return 0;
  }
  if (action == "token") {
    auto token = http::auth::issue_api_token(*store, name, label.empty() ? name : label, now);
    if (!token) return fail(io, token.error().message);
    io.out << *token << "\n";
    io.err << "farmgate: this token is shown once; send it as 'Authorization: Bearer <token>'\n";
    return 0;
  }
  if (action == "revoke") {
    if (auto r = http::auth::revoke_token(*store, name, label); !r) {
      return fail(io, r.error().message);
    }
    io.out << "revoked " << name << "'s token " << label << "\n";
    return 0;
  }
  if (action == "delete") {
    if (auto r = http::auth::delete_user(*store, name); !r) return fail(io, r.error().message);
    io.out << "deleted " << name << "\n";
    return 0;
  }
  if (action != "add") {
    http::auth::UserChange change;
    if (action == "disable" || action == "enable") change.disabled = action == "disable";
    if (action == "role") change.role = role;
    if (action == "passwd") {
      auto found = store->find_user(name);
      if (!found) return fail(io, found.error().message);
      if (!*found) return fail(io, "no user '" + name + "'");
      change.password = read_password(name, io);
      if (!change.password) return 2;
    }
    const http::auth::PasswordPolicy policy{kMinPassword, params};
    if (auto r = http::auth::change_user(*store, name, change, policy); !r) {
      return fail(io, r.error().message);
    }
    if (action == "role") {
      io.out << name << " is now " << http::to_string(*role) << "\n";
    } else if (action == "passwd") {
      io.out << "new password set for " << name << "; their sessions ended\n";
    } else {
      io.out << action << "d " << name << "\n";
    }
    return 0;
  }
  // Checked before asking for the password, so nobody types one for nothing.
  auto existing = store->find_user(name);
  if (!existing) return fail(io, existing.error().message);
  if (*existing) return fail(io, "user '" + name + "' exists already; nothing changed");
  const auto password = read_password(name, io);
  if (!password) return 2;
  auto hash = http::auth::hash_password(*password, params);
  if (!hash) return fail(io, hash.error().message);
  if (auto r = store->add_user(name, *role, *hash, now); !r) return fail(io, r.error().message);
  io.out << "added " << name << " as " << http::to_string(*role) << "\n";
  return 0;
}

}  // namespace farmgate::gateway
