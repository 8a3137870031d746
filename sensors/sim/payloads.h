// The simulator's message stream: which device speaks next, on which topic, with which payload,
// including the deliberately bad messages that exercise the gateway's input validation.
// MessageStream is deterministic: the same options give the same messages, so tests can rebuild
// exactly what a simulator run published. Pure; one thread drives a stream.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/time.h"
#include "sensors/sim/farm_model.h"
#include "sensors/sim/soil_model.h"

namespace farmgate::sim {

enum class MessageKind : std::uint8_t {
  good,
  invalid_json,    // truncated JSON
  not_object,      // valid JSON, but an array
  wrong_type,      // a metric given as a string
  nan,             // NaN is not JSON: the gateway counts it as invalid_json
  out_of_range,    // moisture 150 %
  too_large,       // ~1 MB
  unknown_topic,   // a real device, but a topic no source subscribes to
  unknown_device,  // the right topic shape, a device no config names
};

// The bad kinds in the order --bad-every cycles through them.
inline constexpr std::array<MessageKind, 8> kBadKinds{
    MessageKind::invalid_json,  MessageKind::not_object,    MessageKind::wrong_type,
    MessageKind::nan,           MessageKind::out_of_range,  MessageKind::too_large,
    MessageKind::unknown_topic, MessageKind::unknown_device};

std::string_view kind_name(MessageKind kind);

struct SimDevice {
  std::string id;
  std::string zone;
};

// soil-z1 in z1 and soil-z2 in z2, as in config/examples/farm.yaml.
std::vector<SimDevice> reference_devices();
// Load mode: soil-0001..soil-<n> spread round-robin over `zones`.
std::vector<SimDevice> load_devices(int n, const std::vector<std::string>& zones);

std::string telemetry_topic(const SimDevice& device);
// {"moisture": 31.5, "temp_c": 27.1, "ec": 0.82, "ts": 1767225600000}: the precision a real probe
// reports (0.1 %, 0.1 °C, 0.01 mS/cm).
std::string telemetry_payload(const SoilSample& sample, std::int64_t ts_ms);

// The farm's water system: one flow meter and one tank, devices of no zone, which publish under
// the zone level "site": farm/site/flow-main/telemetry and farm/site/tank-main/telemetry.
inline const SimDevice kFlowMeter{"flow-main", "site"};
inline const SimDevice kTank{"tank-main", "site"};
// {"rate": 19.8, "total": 1234.5, "ts": ...}: L/min and litres since the start (a counter that
// never decreases), both to 0.1.
std::string flow_payload(const FlowSample& flow, std::int64_t ts_ms);
// {"level": 87.3, "ts": ...}: % of the tank's capacity, to 0.1.
std::string tank_payload(double level_percent, std::int64_t ts_ms);

struct Message {
  MessageKind kind = MessageKind::good;
  std::string topic;
  std::string payload;
  // For a good message: the simulated time of the reading, also its "ts". Otherwise 0.
  std::int64_t ts_ms = 0;
  // For a good message: the device's index in the stream's device list. Otherwise -1.
  int device = -1;
};

struct StreamOptions {
  std::vector<SimDevice> devices = reference_devices();
  Timestamp start{};
  Millis interval{60'000};      // simulated time between two readings of one device
  std::uint64_t bad_every = 0;  // every Nth message is bad; 0 = none
  std::uint64_t seed = 1;
  SoilParams soil;
  // If set, good readings come from here (device index, time) instead of the stream's own soil
  // models: the farm mode samples the FarmModel's zones.
  std::function<SoilSample(std::size_t, Timestamp)> sampler;
};

// Good messages go round-robin over the devices: the g-th good message comes from device
// g % n and is that device's (g / n)-th reading, taken at start + (g / n) * interval, so
// (device, ts) never repeats. Bad messages are slotted in between and take no reading's place.
class MessageStream {
 public:
  explicit MessageStream(StreamOptions options);

  Message next();

  std::uint64_t produced() const { return produced_; }
  // The time of the next good reading (bad messages in between carry about the same).
  Timestamp next_reading_time() const;

 private:
  Message bad(MessageKind kind);

  StreamOptions opt_;
  std::vector<SoilModel> models_;
  std::uint64_t produced_ = 0;
  std::uint64_t good_ = 0;
  std::uint64_t bad_ = 0;
};

}  // namespace farmgate::sim
