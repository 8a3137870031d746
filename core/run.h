// IrrigationRun: one irrigation run as the store keeps it — a plain value, copyable and
// comparable, so that the store does not depend on the actuators that produce it. The gateway
// turns the supervisor's run records into these (gateway/run_log.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/time.h"

namespace farmgate {

struct IrrigationRun {
  std::uint64_t id = 0;  // the supervisor's run id; 0 = let the store number it
  std::string zone;
  std::vector<std::string> actuators;  // the valve first, then the pump
  Timestamp start{};
  std::optional<Timestamp> end;  // unset while the run is open
  std::string reason;            // rule, schedule, manual, remote
  std::string who;
  Millis requested{0};
  Millis granted{0};
  std::string outcome = "running";  // then completed, stopped, max_runtime, failed, ...
  std::string detail;
  std::optional<double> volume_l;  // from the zone's flow meter, when it has one

  bool operator==(const IrrigationRun&) const = default;
};

}  // namespace farmgate
