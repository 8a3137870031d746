// Calibration of a device's metrics (devices[].calibration): what turns a sensor's raw value into
// the value farmgate stores. Documented in docs/sensors.md.
#pragma once

namespace farmgate::config {

// Empty: the device's values are used as they come.
struct Calibration {};

}  // namespace farmgate::config
