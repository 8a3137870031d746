// ApiContext: what the REST API needs from the daemon, as one narrow interface, so the routes
// compile and test without the supervisor, the run log or MQTT. The daemon implements it over
// what it owns (gateway/daemon.cpp: the supervisor, the RunLog, the store, the SSE hub); tests
// use a fake.
//
// Threads: the methods marked "io thread" are called on the io_context thread only (where the
// supervisor and the run log live); the others from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "core/time.h"
#include "gateway/http/api/sse_hub.h"
#include "gateway/store/reader.h"

namespace farmgate::http::api {

// One actuator as GET /api/v1/actuators shows it.
struct ActuatorView {
  std::string id;
  std::string type;  // "valve", "pump"
  std::string line;
  std::string zone;        // "" for a pump
  std::string state;       // what the relay last reported: "on", "off", "unknown"
  bool commanded = false;  // the supervisor last asked for ON
  bool pending = false;
  bool faulted = false;
};

// A zone's newest camera snapshot (sensors/camera): the JPEG file and what was measured on it.
struct SnapshotView {
  std::string camera;
  std::string path;  // absolute
  std::int64_t time_ms = 0;
  int width = 0;
  int height = 0;
  double canopy_percent = 0;
};

struct Grant {
  std::uint64_t run_id = 0;
  Millis granted{0};
};

class ApiContext {
 public:
  virtual ~ApiContext() = default;

  // Any thread: runs `f` on the io_context thread (the Access answers on its own thread).
  virtual void on_io(std::function<void()> f) = 0;

  // io thread. The zones with a valve, in config order: what GET /api/v1/zones lists and what
  // can be watered.
  virtual std::vector<std::string> zone_ids() const = 0;
  // Any thread. Whether the configuration has the zone, with a valve or not: its readings can be
  // charted and its camera shown (a zone watched by sensors or a camera only).
  virtual bool zone_exists(const std::string& zone) const = 0;
  // io thread. A zone as one element of GET /api/v1/zones' "zones" (a JSON object, see
  // docs/openapi.yaml: id, name, moisture, trend, valve, pump, run, last_run, next_run,
  // readings); nullopt for a zone that does not exist.
  virtual std::optional<std::string> zone_json(const std::string& zone) const = 0;
  // io thread.
  virtual std::vector<ActuatorView> actuators() const = 0;
  // io thread. Supervisor::irrigate with RunReason::manual. Error code "unknown_zone" is
  // answered 404; every other error is a refusal (409) whose message is the reason.
  virtual Result<Grant> irrigate(const std::string& zone, Millis duration,
                                 const std::string& who) = 0;
  // io thread. Supervisor::stop_zone; errors as for irrigate.
  virtual Result<void> stop(const std::string& zone, const std::string& who) = 0;
  // The longest manual run a request may ask for (the minutes' upper bound).
  virtual Millis max_manual_run() const = 0;

  // Any thread: the read side of the store.
  virtual store::Reader& reader() = 0;
  // Any thread: acknowledges an alarm (a write, so on a writable connection: the daemon runs
  // store::ack_alarm where it writes). `done` may be called from any thread.
  virtual void ack_alarm(std::int64_t id, const std::string& who,
                         std::function<void(Result<store::Alarm>)> done) = 0;

  // Any thread but the io thread (it may read SQLite): the zone's newest camera snapshot;
  // nullopt when the zone has no camera or none has answered yet.
  virtual Result<std::optional<SnapshotView>> snapshot(const std::string& zone) const = 0;

  // io thread: the SSE subscribers.
  virtual SseHub& hub() = 0;
};

}  // namespace farmgate::http::api
