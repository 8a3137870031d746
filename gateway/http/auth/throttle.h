// LoginThrottle: slows password guessing. Failed logins are counted per key (the user name, and
// separately the remote address); after `free_failures` of them each further failure locks the
// key for an exponentially growing time (1 s, 2 s, 4 s, ... capped), during which logins with
// that key are refused without checking the password. A successful login clears its keys.
// Counters are in memory only: a restart forgets them, which costs an attacker a reboot per
// 5 guesses.
//
// Threads: not thread-safe; SessionAccess uses it on its auth thread only. Memory is bounded:
// past `max_keys` the key idle longest is forgotten.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>

#include "core/clock.h"
#include "core/time.h"

namespace farmgate::http::auth {

struct ThrottleOptions {
  int free_failures = 5;
  Millis first_delay = std::chrono::seconds{1};
  Millis max_delay = std::chrono::minutes{15};
  std::size_t max_keys = 10'000;
};

class LoginThrottle {
 public:
  LoginThrottle(const Clock& clock, ThrottleOptions options = {});

  // How long `key` stays locked; nullopt when a login may be tried now.
  std::optional<Millis> locked_for(const std::string& key) const;
  void failure(const std::string& key);
  void success(const std::string& key);

 private:
  struct Entry {
    int failures = 0;
    SteadyTime until{};  // locked until then
    SteadyTime last{};
  };
  const Clock& clock_;
  ThrottleOptions options_;
  std::map<std::string, Entry> entries_;
};

}  // namespace farmgate::http::auth
