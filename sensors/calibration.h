// Calibrator: applies each device's calibration (config devices[].calibration) to the readings a
// source decoded, and refuses a value outside its kind's range. Every source calls it on each
// batch before handing the batch on, so a value is calibrated and checked the same way whether it
// came over MQTT JSON, Modbus, LoRaWAN or a pulse counter.
//
// For a calibrated metric the reading's value becomes raw * scale + offset and the raw value is
// kept beside it: a second reading `<metric>_raw` in the same batch (same device, zone, kind, time
// and quality; empty unit), appended after the batch's own readings. Raw readings are not range
// checked: counts are not %. The calibrated value is, against its kind's min..max, and one value
// out of range refuses the whole batch (a probe that says 150 % cannot be trusted for its
// temperature either), with Error::code out_of_range.
//
// Built once from the Config (it copies what it needs, so the Config need not outlive it);
// immutable afterwards: apply() is const and may run on any thread.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "core/reading.h"
#include "core/result.h"

namespace farmgate::sensors {

class Calibrator {
 public:
  explicit Calibrator(const config::Config& config);

  // Calibrates every reading of `batch` in place, appends the raw readings and checks the ranges.
  // Errors (nothing in `batch` should be used after one): unknown_device (not configured, or its
  // kind is unknown), unknown_metric (not a metric of the device's kind), out_of_range.
  Result<void> apply(ReadingBatch& batch) const;

  // The calibrated value of one raw value; `raw` itself when the metric has no calibration.
  double value(std::string_view device, std::string_view metric, double raw) const;

  // The name of the reading that keeps a calibrated metric's raw value.
  static std::string raw_metric(std::string_view metric) { return std::string(metric) + "_raw"; }

 private:
  struct Target {
    config::DeviceKind kind;
    config::Calibration calibration;
  };
  // Built once: a lookup per batch, not a walk of the device list.
  std::map<std::string, Target, std::less<>> devices_;
};

}  // namespace farmgate::sensors
