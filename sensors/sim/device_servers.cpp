#include "sensors/sim/device_servers.h"

#include <cstdio>
#include <string>

#include "sensors/sim/field_picture.h"

namespace farmgate::sim {
namespace {

std::optional<std::size_t> zone_index(const SimOptions& o, std::string_view zone) {
  for (std::size_t k = 0; k < o.farm.zones.size(); ++k) {
    if (o.farm.zones[k].zone == zone) return k;
  }
  return std::nullopt;
}

}  // namespace

ProbeRegisters probe_registers(FarmLink& farm, std::size_t zone) {
  return soil7_registers(probe_reading(farm.probe_soil(zone)));
}

std::optional<std::vector<std::uint8_t>> zone_snapshot(const SimOptions& o, FarmLink& farm,
                                                       std::string_view zone) {
  const auto k = zone_index(o, zone);
  if (!k) return std::nullopt;
  // Every zone grows the same canopy; the seed only moves its rows and texture.
  const double cover = canopy_cover(o.canopy, farm.elapsed());
  return field_jpeg(kSnapshotWidth, kSnapshotHeight, cover, o.seed * 7919 + *k);
}

Result<DeviceServers> start_device_servers(const SimOptions& o, FarmLink& farm) {
  DeviceServers s;
  if (o.modbus_port) {
    // parse_options made sure the zone exists.
    const std::size_t zone = zone_index(o, o.modbus_zone).value_or(0);
    auto probe = ProbeSlave::start(*o.modbus_port, o.modbus_unit,
                                   [&farm, zone] { return probe_registers(farm, zone); });
    if (!probe) return make_error("listen", "modbus probe: " + probe.error().message);
    s.probe = std::move(probe).value();
    if (!o.quiet) {
      std::fprintf(stderr,
                   "farmgate-sim: modbus probe (soil-7in1, unit %d, zone %s) on "
                   "tcp://127.0.0.1:%u\n",
                   o.modbus_unit, o.modbus_zone.c_str(), unsigned{s.probe->port()});
    }
  }
  if (o.camera_port) {
    auto camera = SnapshotServer::start(*o.camera_port, [&o, &farm](std::string_view zone) {
      return zone_snapshot(o, farm, zone);
    });
    if (!camera) return make_error("listen", "camera: " + camera.error().message);
    s.camera = std::move(camera).value();
    if (!o.quiet) {
      std::fprintf(stderr, "farmgate-sim: camera on http://127.0.0.1:%u/snapshot/<zone>.jpg\n",
                   unsigned{s.camera->port()});
    }
  }
  return s;
}

}  // namespace farmgate::sim
