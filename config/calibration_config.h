// Calibration of a device's metrics (devices[].calibration): what turns a sensor's raw value into
// the value farmgate stores. Applied by sensors::Calibrator (sensors/calibration.h); documented in
// docs/sensors/calibration.md.
//
// Every form is a straight line value = raw * scale + offset, written the way people measure it:
//   two points    {raw_dry: 520, raw_wet: 260}             raw_dry -> 0 %, raw_wet -> 100 %
//                 {raw_dry: 520, raw_wet: 260, soil: loam}  raw_dry -> the soil's air-dry water
//                                                           content, raw_wet -> its saturation
//                 {raw_1: 4, value_1: 0, raw_2: 20, value_2: 10}   any two known points
//   offset/scale  {offset: -0.4}, {scale: 1.05, offset: 0}
// so the config keeps only the line and what the file said (for messages and the docs).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace farmgate::config {

// The volumetric water content (%) of a soil texture air-dry and saturated: the two states a
// capacitive probe is calibrated in with `soil:`. Starting points from published texture-class
// averages, to be checked against a gravimetric sample of the farm's own soil.
struct SoilMoisturePreset {
  std::string_view name;
  double dry_percent;
  double saturated_percent;
};

// Every preset `soil:` accepts, in the order the docs list them.
const std::vector<SoilMoisturePreset>& soil_moisture_presets();
const SoilMoisturePreset* find_soil_moisture_preset(std::string_view name);

struct MetricCalibration {
  enum class Form { two_point, offset_scale };

  std::string metric;  // a metric of the device's kind
  Form form = Form::offset_scale;
  std::string soil;  // the preset used with raw_dry/raw_wet; empty = 0..100 %
  double scale = 1;
  double offset = 0;
  int line = 0;  // where the metric's key was written, for later checks' messages
  int column = 0;

  double apply(double raw) const { return raw * scale + offset; }
};

// Empty: the device's values are used as they come.
struct Calibration {
  std::vector<MetricCalibration> metrics;  // in file order, one per metric at most
  int line = 0;  // where the calibration: mapping was written; 0 = not in a file
  int column = 0;

  const MetricCalibration* find(std::string_view metric) const {
    for (const auto& m : metrics) {
      if (m.metric == metric) return &m;
    }
    return nullptr;
  }
  bool empty() const { return metrics.empty(); }
};

}  // namespace farmgate::config
