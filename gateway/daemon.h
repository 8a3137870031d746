// Daemon: `farmgate run`. Builds the object graph from a Config, runs the event loop on the
// calling thread, and tears it down in order.
//
// Start order: store (with journal replay) → uplinks → sources and the MQTT bus → HTTP →
// READY=1. Stop order is the reverse, bounded so it finishes inside systemd's TimeoutStopSec.
// SIGTERM/SIGINT stop; SIGHUP loads and validates the config file aside: a bad file is refused
// with its located errors and the gateway keeps running; a good one replaces the running
// instance (reload = rebuild from the fresh config).
//
// Threads: run() on the main thread, which becomes the io_context thread.
#pragma once

#include <string>

#include "config/config.h"
#include "config/loader.h"
#include "core/log.h"

namespace farmgate::gateway {

class Daemon {
 public:
  Daemon(config::Config config, config::EnvLookup env, Logger& log);

  // Returns the process exit code: 0 after a clean stop, 1 when start-up failed.
  int run();

 private:
  config::Config config_;
  config::EnvLookup env_;
  Logger& log_;
};

}  // namespace farmgate::gateway
