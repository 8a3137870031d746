#include <cctype>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/source_schema.h"

namespace farmgate::config::detail {
namespace {

// MQTT levels that ChirpStack's topic template puts before the application id. Wildcards would
// make the subscription match other applications' topics; empty levels are almost always a typo.
Result<void> check_topic_prefix(std::string_view prefix) {
  if (prefix.empty()) return make_error("empty", "topic_prefix must not be empty");
  if (prefix.find_first_of("+#") != std::string_view::npos) {
    return make_error("bad_topic", "topic_prefix must not contain MQTT wildcards ('+', '#')");
  }
  if (prefix.front() == '/' || prefix.back() == '/' || prefix.find("//") != std::string::npos) {
    return make_error("bad_topic",
                      "topic_prefix must not start or end with '/' or have an empty level, got " +
                          quoted(prefix));
  }
  for (const char c : prefix) {
    if (static_cast<unsigned char>(c) < ' ') {
      return make_error("bad_topic", "topic_prefix must not contain control characters");
    }
  }
  return {};
}

// An EUI-64 as ChirpStack writes it: 16 hex digits. Normalised to lowercase, the form ChirpStack
// uses in topics and JSON, so that lookups compare plain strings.
std::optional<std::string> normalise_dev_eui(std::string_view text) {
  if (text.size() != 16) return std::nullopt;
  std::string out(text);
  for (char& c : out) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return std::nullopt;
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

// "soilMoisture", "soil.temp": object keys joined by '.', none empty.
Result<void> check_object_path(std::string_view path) {
  if (path.empty()) return make_error("empty", "the object path must not be empty");
  if (path.size() > 256) return make_error("too_long", "the object path is longer than 256");
  if (path.front() == '.' || path.back() == '.' || path.find("..") != std::string_view::npos) {
    return make_error("bad_path", "object path " + quoted(path) +
                                      " has an empty key; write keys joined by '.', e.g. "
                                      "soil.moisture");
  }
  return {};
}

// Where the parts of one device entry were written, for the checks that run after the file.
struct DeviceRefs {
  Location device_at;
  Location dev_eui_at;
  std::vector<std::pair<std::string, Location>> metric_at;  // metric key, where written
};

void read_metrics(NodeReader& r, const Value& v, const std::string& where, ChirpstackDevice& out,
                  DeviceRefs& refs) {
  auto entries = r.entries(v, where);
  if (!entries) return;
  for (const Entry& e : *entries) {
    if (!r.report(e.key_at, check_id(e.key))) continue;
    if (e.key == "rssi" || e.key == "snr") {
      r.error(e.key_at, e.key +
                            " comes from the radio (rxInfo of each uplink), not from the "
                            "decoded object; remove it from metrics");
      continue;
    }
    auto path = r.text(e.value);
    if (!path || !r.report(e.value.at, check_object_path(*path))) continue;
    if (e.key == "battery") {
      out.battery_path = std::move(*path);
    } else {
      out.metrics.push_back({e.key, std::move(*path)});
      refs.metric_at.emplace_back(e.key, e.key_at);
    }
  }
}

std::string metric_names(const DeviceKind& kind) {
  std::string out;
  for (const auto& m : kind.metrics) out += (out.empty() ? "" : ", ") + m.name;
  return out;
}

}  // namespace

bool read_chirpstack_source(NodeReader& r, const Value& item, const std::string& where,
                            ChirpstackSource& out, DeferredChecks& later) {
  std::vector<DeviceRefs> device_refs;  // parallel to out.devices
  const std::vector<Field<ChirpstackSource>> fields{
      text_field("name", &ChirpstackSource::name, Need::required, check_id),
      known_field<ChirpstackSource>("type"),
      text_field("topic_prefix", &ChirpstackSource::topic_prefix, Need::optional,
                 check_topic_prefix),
      {"qos",
       [](NodeReader& r, const Value& v, ChirpstackSource& s) {
         auto n = r.count(v);
         if (!n) return;
         // QoS 2 buys nothing for readings stored idempotently, and costs a round trip.
         if (*n > 1) return r.error(v.at, "qos must be 0 or 1, got " + std::to_string(*n));
         s.qos = static_cast<int>(*n);
       }},
      count_field("max_payload_bytes", &ChirpstackSource::max_payload_bytes, 256, 1'048'576),
      {"low_battery_percent",
       [](NodeReader& r, const Value& v, ChirpstackSource& s) {
         auto x = r.number(v);
         if (!x) return;
         if (!(*x >= 0 && *x <= 100)) {
           return r.error(v.at,
                          "low_battery_percent must be between 0 and 100 (0 = no alarm), "
                          "got " +
                              format_number(*x));
         }
         s.low_battery_percent = *x;
       }},
      {"devices",
       [&](NodeReader& r, const Value& v, ChirpstackSource& s) {
         auto items = r.items(v, where + ".devices");
         if (!items) return;
         if (items->empty()) {
           return r.error(v.at, "list at least one device: {device: ID, dev_eui: EUI}");
         }
         for (std::size_t i = 0; i < items->size(); ++i) {
           const std::string dwhere = where + ".devices[" + std::to_string(i) + "]";
           ChirpstackDevice device;
           DeviceRefs refs;
           const std::vector<Field<ChirpstackDevice>> device_fields{
               text_field("device", &ChirpstackDevice::device, Need::required, check_id),
               {"dev_eui",
                [](NodeReader& r, const Value& v, ChirpstackDevice& d) {
                  auto text = r.text(v);
                  if (!text) return;
                  auto eui = normalise_dev_eui(*text);
                  if (!eui) {
                    return r.error(v.at,
                                   "dev_eui must be 16 hex digits (the EUI-64 ChirpStack "
                                   "shows, e.g. a84041000181c061), got " +
                                       quoted(*text));
                  }
                  d.dev_eui = std::move(*eui);
                },
                /*required=*/true},
               {"metrics",
                [&](NodeReader& r, const Value& v, ChirpstackDevice& d) {
                  read_metrics(r, v, dwhere + ".metrics", d, refs);
                }},
           };
           auto seen = read_fields(r, (*items)[i], dwhere, device_fields, device);
           if (!seen) continue;
           refs.device_at = seen->at("device");
           refs.dev_eui_at = seen->at("dev_eui");
           // Duplicates are reported at the later one, with where the first was.
           for (std::size_t j = 0; j < s.devices.size(); ++j) {
             const auto& first = s.devices[j];
             const auto& first_refs = device_refs[j];
             const auto at = [](Location l) {
               return std::to_string(l.line) + ":" + std::to_string(l.column);
             };
             if (!device.dev_eui.empty() && first.dev_eui == device.dev_eui) {
               r.error(refs.dev_eui_at, "duplicate dev_eui " + quoted(device.dev_eui) +
                                            " (first at line " + at(first_refs.dev_eui_at) + ")");
             }
             if (!device.device.empty() && first.device == device.device) {
               r.error(refs.device_at, "device " + quoted(device.device) +
                                           " is listed twice in this source (first at line " +
                                           at(first_refs.device_at) + ")");
             }
           }
           s.devices.push_back(std::move(device));
           device_refs.push_back(std::move(refs));
         }
       },
       /*required=*/true},
  };
  if (!read_fields(r, item, where, fields, out)) return false;

  later.push_back([name = out.name, prefix = out.topic_prefix, devices = out.devices,
                   refs = std::move(device_refs)](NodeReader& r, const Config& config) {
    for (std::size_t i = 0; i < devices.size(); ++i) {
      const ChirpstackDevice& d = devices[i];
      if (d.device.empty() || d.dev_eui.empty()) continue;  // missing, already reported
      const Device* device = config.find_device(d.device);
      if (device == nullptr) {
        std::string known;
        for (const auto& dev : config.devices) known += (known.empty() ? "" : ", ") + dev.id;
        r.error(refs[i].device_at, "unknown device " + quoted(d.device) +
                                       "; devices: " + (known.empty() ? "(none)" : known));
        continue;
      }
      // An unknown kind is reported where the device names it.
      if (const DeviceKind* kind = config.find_kind(device->kind)) {
        for (const auto& [metric, at] : refs[i].metric_at) {
          if (kind->find_metric(metric) == nullptr) {
            r.error(at, quoted(metric) + " is not a metric of kind " + quoted(kind->name) +
                            "; it has: " + metric_names(*kind));
          }
        }
      }
      // Two sources on the same topics would both take the device's uplinks.
      for (const ChirpstackSource& other : config.chirpstack_sources) {
        if (other.name == name) break;
        if (other.topic_prefix == prefix && other.find_dev_eui(d.dev_eui) != nullptr) {
          r.error(refs[i].dev_eui_at, "dev_eui " + quoted(d.dev_eui) +
                                          " is already listed by source " + quoted(other.name) +
                                          " on the same topic_prefix");
        }
      }
    }
  });
  return true;
}

}  // namespace farmgate::config::detail
