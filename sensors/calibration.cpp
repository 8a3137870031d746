#include "sensors/calibration.h"

#include <cmath>
#include <cstdio>

namespace farmgate::sensors {
namespace {

std::string format(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

}  // namespace

Calibrator::Calibrator(const config::Config& config) {
  for (const config::Device& d : config.devices) {
    const config::DeviceKind* kind = config.find_kind(d.kind);
    if (kind == nullptr) continue;  // refused as unknown_device, like an unconfigured one
    devices_.emplace(d.id, Target{*kind, d.calibration});
  }
}

Result<void> Calibrator::apply(ReadingBatch& batch) const {
  const std::size_t own = batch.size();
  const Target* target = nullptr;
  for (std::size_t i = 0; i < own; ++i) {
    // A batch is normally one device's: look it up once.
    if (target == nullptr || batch[i].device != batch[i - 1].device) {
      const auto it = devices_.find(batch[i].device);
      if (it == devices_.end()) {
        return make_error("unknown_device", "device '" + batch[i].device + "' is not configured");
      }
      target = &it->second;
    }
    const config::MetricSpec* spec = target->kind.find_metric(batch[i].metric);
    if (spec == nullptr) {
      return make_error("unknown_metric", "'" + batch[i].metric + "' is not a metric of kind '" +
                                              target->kind.name + "'");
    }
    const double raw = batch[i].value;
    const config::MetricCalibration* rule = target->calibration.find(spec->name);
    if (rule != nullptr) {
      batch[i].value = rule->apply(raw);
      if (batch.capacity() == batch.size()) batch.reserve(2 * own);  // one growth at most
      Reading kept = batch[i];
      kept.metric = raw_metric(spec->name);
      kept.value = raw;
      kept.unit.clear();
      batch.push_back(std::move(kept));  // batch[i] is not held across this
    }
    const double v = batch[i].value;
    if (!std::isfinite(v) || v < spec->min || v > spec->max) {
      return make_error("out_of_range", "\"" + spec->name + "\" " + format(v) +
                                            (rule != nullptr ? " (raw " + format(raw) + ")" : "") +
                                            " is outside " + format(spec->min) + ".." +
                                            format(spec->max) + " " + spec->unit);
    }
  }
  return {};
}

double Calibrator::value(std::string_view device, std::string_view metric, double raw) const {
  const auto it = devices_.find(device);
  if (it == devices_.end()) return raw;
  const config::MetricCalibration* rule = it->second.calibration.find(metric);
  return rule == nullptr ? raw : rule->apply(raw);
}

}  // namespace farmgate::sensors
