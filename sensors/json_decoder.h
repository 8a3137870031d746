// JsonDecoder: turns one MQTT JSON telemetry message into a ReadingBatch, or says exactly why not.
// Payload: a JSON object with one number per metric and an optional "ts" (epoch milliseconds),
// e.g. {"moisture": 31.5, "temp_c": 27.1, "ec": 0.8, "ts": 1767225600000}.
//
// A message is accepted or refused whole: one bad metric value refuses the message, because a
// sensor that reports 150 % moisture cannot be trusted for its temperature either. Keys that are
// not metrics of the device's kind are ignored (and counted by the caller via ignored_keys).
// Each value is calibrated (the device's devices[].calibration, sensors/calibration.h) before
// its range check, and a calibrated metric's raw value comes too, as a `<metric>_raw` reading.
//
// Refusal reasons (Error::code, used as the metric label): too_large, unknown_topic,
// unknown_device, zone_mismatch, invalid_json, not_object, wrong_type, out_of_range,
// bad_timestamp, no_metrics.
//
// Immutable after construction; decode() is const and may run on any thread.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>

#include "config/config.h"
#include "core/reading.h"
#include "core/result.h"
#include "sensors/calibration.h"
#include "sensors/topic_pattern.h"

namespace farmgate::sensors {

struct Decoded {
  ReadingBatch readings;
  std::size_t ignored_keys = 0;
};

class JsonDecoder {
 public:
  // `config` must outlive the decoder.
  JsonDecoder(const config::MqttJsonSource& source, const config::Config& config,
              TopicPattern pattern);

  // `received` stamps readings without "ts"; `clock_synchronised` says whether it can be trusted.
  Result<Decoded> decode(std::string_view topic, std::string_view payload, Timestamp received,
                         bool clock_synchronised) const;

 private:
  struct Target {
    const config::Device* device;
    const config::DeviceKind* kind;  // null when the device names no known kind
  };

  const config::MqttJsonSource& source_;
  TopicPattern pattern_;
  Calibrator calibrator_;
  // Built once: a linear search of the device list dominated decoding with 1,000 devices.
  std::map<std::string, Target, std::less<>> devices_;
};

}  // namespace farmgate::sensors
