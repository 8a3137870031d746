#include "sensors/json_decoder.h"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <string>

namespace farmgate::sensors {

namespace {
const std::string kSiteZone = "site";
}  // namespace
namespace {

// Readings may be stamped at most this far ahead of a synchronised gateway clock.
constexpr std::int64_t kMaxFutureMs = 24LL * 3600 * 1000;

std::optional<double> as_number(const boost::json::value& v) {
  if (v.is_double()) return v.get_double();
  if (v.is_int64()) return static_cast<double>(v.get_int64());
  if (v.is_uint64()) return static_cast<double>(v.get_uint64());
  return std::nullopt;
}

}  // namespace

JsonDecoder::JsonDecoder(const config::MqttJsonSource& source, const config::Config& config,
                         TopicPattern pattern)
    : source_(source), pattern_(std::move(pattern)), calibrator_(config) {
  for (const auto& d : config.devices) devices_.emplace(d.id, Target{&d, config.find_kind(d.kind)});
}

Result<Decoded> JsonDecoder::decode(std::string_view topic, std::string_view payload,
                                    Timestamp received, bool clock_synchronised) const {
  if (payload.size() > source_.max_payload_bytes) {
    return make_error("too_large", std::to_string(payload.size()) + " bytes, more than the " +
                                       std::to_string(source_.max_payload_bytes) + " allowed");
  }
  const auto binding = pattern_.match(topic);
  if (!binding) {
    return make_error("unknown_topic", "topic does not match " + source_.topic);
  }
  const auto target = devices_.find(binding->device);
  if (target == devices_.end()) {
    return make_error("unknown_device", "device '" + binding->device + "' is not configured");
  }
  const config::Device* device = target->second.device;
  // A device without a zone publishes with "site" where the zone goes (config reserves it).
  const std::string& expected_zone = device->zone.empty() ? kSiteZone : device->zone;
  if (!binding->zone.empty() && binding->zone != expected_zone) {
    return make_error("zone_mismatch",
                      "device '" + device->id + "' belongs to " +
                          (device->zone.empty() ? std::string("no zone (topic level 'site')")
                                                : "zone '" + device->zone + "'") +
                          ", not '" + binding->zone + "'");
  }
  const config::DeviceKind* kind = target->second.kind;
  if (!kind) return make_error("unknown_device", "device kind '" + device->kind + "' is unknown");

  boost::system::error_code ec;
  const boost::json::value doc = boost::json::parse(payload, ec);
  if (ec) return make_error("invalid_json", "payload is not JSON: " + ec.message());
  if (!doc.is_object()) return make_error("not_object", "payload is not a JSON object");
  const auto& obj = doc.get_object();

  Timestamp time = received;
  Quality quality = clock_synchronised ? Quality::good : Quality::clock_unsynced;
  if (const auto* ts = obj.if_contains("ts")) {
    if (!ts->is_int64() && !ts->is_uint64()) {
      return make_error("bad_timestamp", "\"ts\" must be whole epoch milliseconds");
    }
    const std::int64_t ms = ts->is_int64() ? ts->get_int64() : -1;
    if (ms < kPlausibleEpochMs ||
        (clock_synchronised && ms > to_epoch_ms(received) + kMaxFutureMs)) {
      return make_error("bad_timestamp", "\"ts\" " + std::to_string(ms) +
                                             " is not a plausible epoch-milliseconds time");
    }
    time = from_epoch_ms(ms);
    quality = Quality::good;  // the device's own clock stamped it
  }

  Decoded out;
  for (const auto& [key, value] : obj) {
    if (key == "ts") continue;
    const config::MetricSpec* spec = kind->find_metric(std::string_view(key.data(), key.size()));
    if (!spec) {
      ++out.ignored_keys;
      continue;
    }
    const auto number = as_number(value);
    if (!number) {
      return make_error("wrong_type", "\"" + spec->name + "\" must be a number");
    }
    out.readings.push_back(Reading{device->id, device->zone, kind->name, spec->name, *number,
                                   spec->unit, time, quality});
  }
  if (out.readings.empty()) {
    return make_error("no_metrics", "no metric of kind '" + kind->name + "' in the payload");
  }
  // Calibrated first, so that the range checked is the calibrated value's (a raw 400 is ~46 %).
  if (auto checked = calibrator_.apply(out.readings); !checked) return checked.error();
  return out;
}

}  // namespace farmgate::sensors
