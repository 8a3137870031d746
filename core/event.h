// Event: something a person should hear about (an alarm) or that explains what the gateway did.
// Events are stored, logged and published on farmgate/<site>/alarms.
#pragma once

#include <cstdint>
#include <string>

#include "core/time.h"

namespace farmgate {

enum class Severity { info, warning, alarm };

const char* to_string(Severity s);

struct Event {
  Severity severity = Severity::info;
  std::string code;     // stable, machine-readable, e.g. "outbox_evicted", "uplink_dead_letter"
  std::string source;   // the component, e.g. "uplink/influx"
  std::string message;  // one sentence for a person
  Timestamp time{};
  std::int64_t id = 0;  // its row in the gateway's events table once stored; 0 before
};

// Where components report events. Implementations are thread-safe and never block for long.
class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void raise(Event event) = 0;
};

}  // namespace farmgate
