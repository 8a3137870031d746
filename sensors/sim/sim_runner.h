// The simulator's run: connect to the broker, publish the message stream at the asked rate (or,
// in farm mode, as simulated time passes), wait for every delivery, and account for what the
// broker accepted. Main thread only; `signals` must
// have been set up before any other thread started (see stop_signals.h).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "sensors/sim/farm_link.h"
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

// The farm of the options: simulated time from --start-ts (or now), at --speed (or what --rate
// makes of the reading interval) once run_farm has connected.
std::unique_ptr<FarmLink> make_farm(const SimOptions& options);

// Farm mode: the soil readings come from `farm` and are published when its clock reaches their
// time; the flow meter and the tank report every options.report_interval of simulated time and
// at once when the pump switches. Good counts them too. The relay player feeds `farm` meanwhile.
RunSummary run_farm(const SimOptions& options, StopSignals& signals, FarmLink& farm);

}  // namespace farmgate::sim
