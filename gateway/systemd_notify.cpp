#include "gateway/systemd_notify.h"

#include <systemd/sd-daemon.h>

#include <algorithm>
#include <string>

namespace farmgate {

// unset_environment stays 0: a reload or a later heartbeat must still find NOTIFY_SOCKET.
bool SystemdNotifier::notify(const char* state) const {
  return sd_notify(0, state) > 0;
}

bool SystemdNotifier::ready() const {
  return notify("READY=1");
}

bool SystemdNotifier::reloading() const {
  return notify("RELOADING=1");
}

bool SystemdNotifier::stopping() const {
  return notify("STOPPING=1");
}

bool SystemdNotifier::watchdog() const {
  return notify("WATCHDOG=1");
}

bool SystemdNotifier::status(std::string_view text) const {
  // The protocol is newline-separated assignments: a newline would start a bogus one.
  std::string state = "STATUS=";
  state.append(text);
  std::replace(state.begin(), state.end(), '\n', ' ');
  state.erase(std::remove(state.begin(), state.end(), '\0'), state.end());
  return notify(state.c_str());
}

std::optional<std::chrono::milliseconds> SystemdNotifier::watchdog_interval() const {
  uint64_t usec = 0;
  // > 0 only when WATCHDOG_USEC is set and WATCHDOG_PID, if set, is this process.
  if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return std::nullopt;
  const auto half =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::microseconds(usec / 2));
  return std::max(half, std::chrono::milliseconds(1));
}

}  // namespace farmgate
