// The simulator's run: connect to the broker, publish the message stream at the asked rate, wait
// for every delivery, and account for what the broker accepted. Main thread only; `signals` must
// have been set up before any other thread started (see stop_signals.h).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "sensors/sim/payloads.h"
#include "sensors/sim/sim_options.h"
#include "sensors/sim/stop_signals.h"

namespace farmgate::sim {

// What the broker accepted: for QoS 1 the messages it acknowledged, for QoS 0 the messages
// written to its socket.
struct RunSummary {
  std::uint64_t published = 0;
  std::uint64_t good = 0;
  std::array<std::uint64_t, kBadKinds.size()> bad{};  // in kBadKinds order
  std::optional<std::int64_t> first_ts;               // of the good readings
  std::optional<std::int64_t> last_ts;
  std::uint64_t undelivered = 0;  // handed to the client but never confirmed
  bool connected = false;

  bool ok() const { return connected && undelivered == 0; }
};

// {"published": N, "good": G, "bad": {"invalid_json": a, ...}, "first_ts": .., "last_ts": ..,
//  "undelivered": u}, one line, no newline.
std::string to_json(const RunSummary& summary);

RunSummary run_simulator(const SimOptions& options, StopSignals& signals);

}  // namespace farmgate::sim
