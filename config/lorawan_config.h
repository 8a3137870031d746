// LoRaWAN sensors behind a ChirpStack v4 server (config type `chirpstack`): uplink events from
// ChirpStack's MQTT integration mapped to devices by devEUI. Read by config/lorawan_schema.cpp,
// used by sensors/lorawan/, documented in docs/sensors/lorawan.md.
//
//   sources:
//     - name: lora
//       type: chirpstack
//       topic_prefix: application         # ChirpStack's default event topic starts with it
//       low_battery_percent: 20
//       devices:
//         - device: soil-z3               # a devices[] id
//           dev_eui: "a84041000181c061"   # 16 hex digits, any case
//           metrics: {moisture: soilMoisture, temp_c: soil.temp}
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace farmgate::config {

// One farmgate metric read from a path in the uplink's decoded `object` ("soil.temp": the key
// "temp" of the object under "soil").
struct ChirpstackMetric {
  std::string metric;
  std::string path;
};

struct ChirpstackDevice {
  std::string device;   // a Device id
  std::string dev_eui;  // 16 lowercase hex digits (written in any case)
  // Only the metrics whose path differs from their name; the others are read from the key of the
  // same name. rssi and snr never come from here: they are the radio's (rxInfo).
  std::vector<ChirpstackMetric> metrics;
  // Where the battery percentage is in `object` (metrics: {battery: PATH}); status events carry
  // it too.
  std::string battery_path = "batteryLevel";

  // The object path a metric of the device's kind is read from: its mapping, else its own name
  // (a view of `metric` then, valid as long as it is).
  std::string_view path_of(std::string_view metric) const;
};

struct ChirpstackSource {
  std::string name;
  // Topics are <topic_prefix>/<application id>/device/<devEUI>/event/<up|status|join>.
  std::string topic_prefix = "application";
  int qos = 1;
  std::size_t max_payload_bytes = 64 * 1024;
  // A battery below this raises a low_battery event (once, until it is back above it); 0 = off.
  double low_battery_percent = 20;
  std::vector<ChirpstackDevice> devices;

  const ChirpstackDevice* find_dev_eui(std::string_view dev_eui) const;  // lowercase
};

inline std::string_view ChirpstackDevice::path_of(std::string_view metric) const {
  for (const auto& m : metrics) {
    if (m.metric == metric) return m.path;
  }
  if (metric == "battery") return battery_path;
  return metric;
}

inline const ChirpstackDevice* ChirpstackSource::find_dev_eui(std::string_view dev_eui) const {
  for (const auto& d : devices) {
    if (d.dev_eui == dev_eui) return &d;
  }
  return nullptr;
}

}  // namespace farmgate::config
