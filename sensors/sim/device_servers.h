// The simulated field devices farmgate reads without MQTT: the Modbus TCP soil probe
// (probe_slave.h) of one zone and the IP camera (snapshot_server.h) of every zone, both reading
// the FarmLink's model from their own threads. Started by main() when --modbus-port or
// --camera-port is given; destroying DeviceServers stops them, so it must go before the FarmLink.
#pragma once

#include <memory>

#include "core/result.h"
#include "sensors/sim/farm_link.h"
#include "sensors/sim/probe_slave.h"
#include "sensors/sim/sim_options.h"
#include "sensors/sim/snapshot_server.h"

namespace farmgate::sim {

inline constexpr int kSnapshotWidth = 640;
inline constexpr int kSnapshotHeight = 360;

struct DeviceServers {
  std::unique_ptr<ProbeSlave> probe;       // null unless --modbus-port
  std::unique_ptr<SnapshotServer> camera;  // null unless --camera-port
};

// The probe's registers: zone `zone` of `farm` (an index into options.farm.zones) at simulated
// now, in soil-7in1's scaling.
ProbeRegisters probe_registers(FarmLink& farm, std::size_t zone);

// The camera's picture of `zone` (a name from options.farm.zones) at simulated now; nothing for
// another zone.
std::optional<std::vector<std::uint8_t>> zone_snapshot(const SimOptions& options, FarmLink& farm,
                                                       std::string_view zone);

// Starts what `options` asks for, reading `farm`; both must outlive the result. Error code
// "listen" when a port is taken. Says on stderr where each listens unless options.quiet.
Result<DeviceServers> start_device_servers(const SimOptions& options, FarmLink& farm);

}  // namespace farmgate::sim
