// SystemdNotifier: tells systemd how the daemon is doing (the sd_notify protocol of a Type=notify
// unit): READY=1 once started, RELOADING=1 around a SIGHUP reload, STOPPING=1 on the way out,
// WATCHDOG=1 as a heartbeat and STATUS= for `systemctl status`. Not under systemd (no
// NOTIFY_SOCKET, e.g. in tests or run by hand) every call is a cheap no-op.
// Holds no state: any thread may call it; the heartbeat belongs on the io_context thread, so a
// wedged event loop stops it and systemd restarts the daemon.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace farmgate {

class SystemdNotifier {
 public:
  // Each returns true when systemd was told, false when not under systemd or the send failed:
  // nothing to handle either way, the daemon runs the same.
  bool ready() const;
  bool reloading() const;  // follow with ready() once the new configuration is live
  bool stopping() const;
  bool status(std::string_view text) const;  // one line; newlines are replaced by spaces
  bool watchdog() const;

  // How often to call watchdog(): half of the unit's WatchdogSec (WATCHDOG_USEC), so one late
  // beat is not yet fatal. nullopt when the watchdog is off or meant for another process.
  std::optional<std::chrono::milliseconds> watchdog_interval() const;

 private:
  bool notify(const char* state) const;
};

}  // namespace farmgate
