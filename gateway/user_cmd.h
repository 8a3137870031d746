// `farmgate user ...`: managing the web API's accounts from the shell, e.g. to add the first
// admin before anyone can log in.
//   farmgate user add NAME --role viewer|farmer|officer|admin --config FILE
//       reads the password from stdin: typed twice without echo on a terminal, or one line
//       when piped (`echo "$PW" | farmgate user add ...`)
//   farmgate user token NAME [--label LABEL] --config FILE
//       prints a new API token for NAME (with NAME's role) once; only its hash is stored
//   farmgate user list --config FILE
// Works on the gateway's database file directly (SQLite lets it share the file with a running
// daemon). Returns the process exit code: 0, or 2 with a message on `err`.
//
// Single-threaded: runs on main's thread.
#pragma once

#include <istream>
#include <ostream>
#include <string>
#include <vector>

#include "core/clock.h"
#include "gateway/http/auth/crypto.h"

namespace farmgate::gateway {

struct UserCommandIo {
  std::istream& in;
  bool in_is_terminal = false;  // then echo is turned off on fd 0 while the password is typed
  std::ostream& out;
  std::ostream& err;
};

// `args` are the words after "user", without --config: {"add", "an", "--role", "farmer"}.
int run_user_command(
    const std::vector<std::string>& args, const std::string& db_path, UserCommandIo io,
    const Clock& clock,
    const http::auth::PasswordParams& params = http::auth::PasswordParams::standard());

}  // namespace farmgate::gateway
