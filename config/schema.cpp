#include "config/schema.h"

#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "config/checks.h"
#include "config/endpoint.h"
#include "config/source_schema.h"
#include "config/units.h"

namespace farmgate::config::detail {
namespace {

// ---- value checks shaped for text_field ----------------------------------------------------

Result<void> non_empty(std::string_view s) {
  if (s.empty()) return make_error("empty", "must not be empty");
  return {};
}

// "site" stands for the devices without a zone, in topics (farm/site/<device>/...) and in rules.
Result<void> check_zone_id(std::string_view id) {
  if (id == "site") {
    return make_error("reserved", "'site' is reserved for devices without a zone; pick another id");
  }
  return check_id(id);
}

Result<void> timezone_ok(std::string_view s) {
  return check_timezone(s);
}

Result<void> mqtt_url_ok(std::string_view s) {
  auto url = parse_mqtt_url(s);
  if (!url) return url.error();
  return {};
}

// An uplink url may be empty: that disables the uplink (FARMGATE_INFLUX_URL unset).
Result<void> uplink_url_ok(std::string_view s) {
  if (s.empty()) return {};
  auto url = parse_http_url(s);
  if (!url) return url.error();
  return {};
}

std::string join_path(const std::string& dir, std::string_view name) {
  if (!dir.empty() && dir.back() == '/') return dir + std::string(name);
  return dir + "/" + std::string(name);
}

template <class T, class F>
std::string join_names(const std::vector<T>& items, F name_of) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + name_of(item);
  return out;
}

// The names used so far in one list, so that a second use is reported with where the first was.
class Names {
 public:
  explicit Names(std::string_view what) : what_(what) {}

  void add(NodeReader& r, const std::string& name, Location at) {
    if (name.empty()) return;
    for (const auto& [n, first] : seen_) {
      if (n == name) {
        r.error(at, "duplicate " + what_ + " " + quoted(name) + " (first at line " +
                        std::to_string(first.line) + ":" + std::to_string(first.column) + ")");
        return;
      }
    }
    seen_.emplace_back(name, at);
  }

 private:
  std::string what_;
  std::vector<std::pair<std::string, Location>> seen_;
};

struct Peeked {
  std::string text;
  Location at;
};

// The text of `key` in a mapping, read ahead of the others because it decides which keys the
// mapping may hold. nullopt when absent or unreadable (the latter already reported).
std::optional<Peeked> peek_text(NodeReader& r, const Value& map, std::string_view key) {
  if (!map.node.IsMap()) return std::nullopt;
  for (auto it = map.node.begin(); it != map.node.end(); ++it) {
    const YAML::Node k = it->first;
    if (k.IsScalar() && k.Scalar() == key) {
      const YAML::Node v = it->second;
      const Value value{v, v.IsNull() ? location_of(k) : location_of(v)};
      auto text = r.text(value);
      if (!text) return std::nullopt;
      return Peeked{std::move(*text), value.at};
    }
  }
  return std::nullopt;
}

// "backoff_max (1s) must not be less than backoff_min (5s)", at the larger key's value.
void check_order(NodeReader& r, const Seen& seen, std::string_view lo_key, Millis lo,
                 std::string_view hi_key, Millis hi) {
  if (lo <= hi) return;
  r.error(seen.at(seen.has(hi_key) ? hi_key : lo_key),
          std::string(hi_key) + " (" + format_duration(hi) + ") must not be less than " +
              std::string(lo_key) + " (" + format_duration(lo) + ")");
}

// ---- sections ------------------------------------------------------------------------------

// Config plus what the cross-reference checks need to know about where things were written.
struct Draft : Config {
  struct DeviceRefs {
    Location kind_at;
    Location zone_at;
  };
  std::vector<DeviceRefs> device_refs;  // parallel to devices
  struct ActuatorRefs {
    Location at;  // the actuator's mapping
    Location id_at;
    Location line_at;
    Location zone_at;
    Location max_runtime_at;
    Location command_topic_at;
    Location state_topic_at;
    Location pulse_time_topic_at;
    Location driver_at;
  };
  std::vector<ActuatorRefs> actuator_refs;  // parallel to actuators
  std::vector<Location> line_at;            // parallel to lines: where each id was written
  struct FlowRefs {
    Location meter_at;
    Location rate_at;
    Location total_at;
  };
  std::vector<FlowRefs> flow_refs;                    // parallel to lines
  std::vector<std::vector<Location>> rule_action_at;  // parallel to rules, then to their actions
  std::vector<Location> agronomy_at;  // parallel to agronomy: each zone's agronomy: block
  struct WeatherRefs {
    Location device_at;
    std::vector<std::pair<std::string, Location>> metrics;  // metric name, where written
  } weather_refs;
  std::vector<std::vector<Location>> program_zone_at;  // parallel to programs, then their zones
  std::vector<Location> program_at;                    // parallel to programs: each name
  struct ZoneFallback {
    std::string program;  // zones[].fallback_program; empty = none
    Location at;
  };
  std::vector<ZoneFallback> zone_fallback;  // parallel to zones
  DeferredChecks deferred;                  // from the field-device readers (source_schema.h)
};

void read_mqtt(NodeReader& r, const Value& v, MqttConfig& out) {
  const std::vector<Field<MqttConfig>> fields{
      text_field("url", &MqttConfig::url, Need::optional, mqtt_url_ok),
      text_field("client_id", &MqttConfig::client_id),
      text_field("username", &MqttConfig::username),
      text_field("password", &MqttConfig::password),
      // MQTT carries the keepalive as a 16-bit count of seconds.
      {"keepalive",
       [](NodeReader& r, const Value& v, MqttConfig& m) {
         auto d = r.duration(v);
         if (!d) return;
         if (*d < 1s || *d > 65535s) {
           return r.error(v.at, "keepalive " + range_message(*d, 1s, 65535s));
         }
         if (d->count() % 1000 != 0) {
           return r.error(v.at, "keepalive must be whole seconds, got " + format_duration(*d));
         }
         m.keepalive = *d;
       }},
      duration_field("reconnect_min", &MqttConfig::reconnect_min, 100ms, Millis{1h}),
      duration_field("reconnect_max", &MqttConfig::reconnect_max, 100ms, Millis{24h}),
  };
  auto seen = read_fields(r, v, "mqtt", fields, out);
  if (!seen) return;
  check_order(r, *seen, "reconnect_min", out.reconnect_min, "reconnect_max", out.reconnect_max);
}

void read_http(NodeReader& r, const Value& v, HttpConfig& out) {
  const std::vector<Field<HttpConfig>> fields{
      {"listen",
       [](NodeReader& r, const Value& v, HttpConfig& h) {
         auto s = r.text(v);
         if (!s) return;
         if (auto hp = r.report(v.at, parse_listen(*s))) {
           h.host = hp->host;
           h.port = hp->port;
         }
       }},
      text_field("web_dir", &HttpConfig::web_dir),
      text_field("tls_cert", &HttpConfig::tls_cert),
      text_field("tls_key", &HttpConfig::tls_key),
  };
  const auto seen = read_fields(r, v, "http", fields, out);
  if (seen && out.tls_cert.empty() != out.tls_key.empty()) {
    const char* missing = out.tls_cert.empty() ? "tls_cert" : "tls_key";
    r.error(seen->at(out.tls_cert.empty() ? "tls_key" : "tls_cert"),
            std::string("HTTPS needs both tls_cert and tls_key; ") + missing + " is missing");
  }
}

void read_store(NodeReader& r, const Value& v, StoreConfig& out) {
  const std::vector<Field<StoreConfig>> fields{
      text_field("path", &StoreConfig::path),
      text_field("journal_dir", &StoreConfig::journal_dir),
      count_field("batch_max", &StoreConfig::batch_max, 1, 100'000),
      duration_field("batch_interval", &StoreConfig::batch_interval, 1ms, Millis{1min}),
      count_field("queue_max", &StoreConfig::queue_max, 1, 10'000'000),
      duration_field("retention", &StoreConfig::retention, Millis{std::chrono::days{1}},
                     Millis{std::chrono::days{36'500}}),
      count_field("outbox_max_rows", &StoreConfig::outbox_max_rows, 1, 1'000'000'000),
      duration_field("maintenance_interval", &StoreConfig::maintenance_interval, 1s, Millis{24h}),
  };
  auto seen = read_fields(r, v, "store", fields, out);
  if (!seen) return;
  // A queue smaller than a batch would never let a batch fill.
  if (out.queue_max < out.batch_max) {
    r.error(seen->at("queue_max"), "queue_max (" + std::to_string(out.queue_max) +
                                       ") must not be less than batch_max (" +
                                       std::to_string(out.batch_max) + ")");
  }
}

Result<void> check_web_url(std::string_view url) {
  if (url.starts_with("https://") || url.starts_with("http://")) {
    if (url.find_first_of(" \t\r\n\"<>") == std::string_view::npos) return {};
    return make_error("bad_url", "a URL cannot hold spaces, quotes or angle brackets");
  }
  return make_error("bad_url", "must start with https:// or http:// (a phone opens it)");
}

void read_ocop(NodeReader& r, const Value& v, OcopConfig& out) {
  const std::vector<Field<OcopConfig>> fields{
      text_field("gs1_base_url", &OcopConfig::gs1_base_url, Need::optional, check_web_url),
      {"lot_url",
       [](NodeReader& r, const Value& v, OcopConfig& o) {
         auto s = r.text(v);
         if (!s || !r.report(v.at, check_web_url(*s))) return;
         if (s->find("{lot}") == std::string::npos) {
           return r.error(v.at, "lot_url needs {lot} where the lot code goes, e.g. "
                                "https://htx.example.vn/truy-xuat/{lot}");
         }
         o.lot_url = std::move(*s);
       }},
  };
  if (read_fields(r, v, "ocop", fields, out)) {
    while (out.gs1_base_url.ends_with('/')) out.gs1_base_url.pop_back();
  }
}

// A zone's agronomy: block; defined with the weather: section below.
void read_agronomy(NodeReader& r, const Value& v, const std::string& where, ZoneAgronomy& out);

void read_zones(NodeReader& r, const Value& v, Draft& out) {
  auto items = r.items(v, "zones");
  if (!items) return;
  std::optional<ZoneAgronomy> agronomy;  // of the zone being read
  Location agronomy_at;
  std::string zone_where;
  std::string fallback;  // of the zone being read
  const std::vector<Field<Zone>> fields{
      text_field("id", &Zone::id, Need::required, check_zone_id),
      text_field("name", &Zone::name),
      {"area_m2",
       [](NodeReader& r, const Value& v, Zone& z) {
         auto x = r.number(v);
         if (!x) return;
         if (!(*x > 0) || *x > 1e9) return r.error(v.at, "area_m2 must be above 0 (square metres)");
         z.area_m2 = *x;
       }},
      {"agronomy",
       [&](NodeReader& r, const Value& v, Zone&) {
         agronomy.emplace();
         agronomy_at = v.at;
         read_agronomy(r, v, zone_where + ".agronomy", *agronomy);
       }},
      // Kept aside (Draft::zone_fallback): it marks the program's entries, not the zone.
      {"fallback_program",
       [&](NodeReader& r, const Value& v, Zone&) {
         if (auto s = r.text(v)) fallback = std::move(*s);
       }},
  };
  Names names("zone id");
  for (std::size_t i = 0; i < items->size(); ++i) {
    const Value& item = (*items)[i];
    Zone zone;
    agronomy.reset();
    fallback.clear();
    zone_where = "zones[" + std::to_string(i) + "]";
    auto seen = read_fields(r, item, zone_where, fields, zone);
    if (!seen) continue;
    names.add(r, zone.id, seen->at("id"));
    if (agronomy) {
      agronomy->zone = zone.id;
      out.agronomy.push_back(std::move(*agronomy));
      out.agronomy_at.push_back(agronomy_at);
    }
    if (zone.name.empty()) zone.name = zone.id;
    out.zones.push_back(std::move(zone));
    out.zone_fallback.push_back({fallback, seen->at("fallback_program")});
  }
}

void read_kinds(NodeReader& r, const Value& v, Draft& out) {
  auto kinds = r.entries(v, "kinds");
  if (!kinds) return;
  const std::vector<Field<MetricSpec>> fields{
      text_field("unit", &MetricSpec::unit),
      number_field("min", &MetricSpec::min, Need::required),
      number_field("max", &MetricSpec::max, Need::required),
  };
  for (const Entry& k : *kinds) {
    DeviceKind kind{k.key, {}};
    r.report(k.key_at, check_id(kind.name));
    const std::string where = "kinds." + kind.name;
    auto metrics = r.entries(k.value, where);
    if (!metrics) continue;
    if (metrics->empty()) {
      r.error(k.value.at,
              "kind " + quoted(kind.name) + " has no metrics; list them as NAME: {unit, min, max}");
    }
    for (const Entry& m : *metrics) {
      // NaN until read, so that min < max is only judged between two numbers actually given.
      constexpr double kUnset = std::numeric_limits<double>::quiet_NaN();
      MetricSpec spec{m.key, "", kUnset, kUnset};
      r.report(m.key_at, check_id(spec.name));
      if (spec.name == "ts") {
        r.error(m.key_at, "'ts' cannot be a metric: it is the timestamp in telemetry messages");
      }
      auto seen = read_fields(r, m.value, where + "." + spec.name, fields, spec);
      if (!seen) continue;
      if (!std::isnan(spec.min) && !std::isnan(spec.max) && !(spec.min < spec.max)) {
        r.error(seen->at("max"), "max (" + format_number(spec.max) +
                                     ") must be greater than min (" + format_number(spec.min) +
                                     ")");
      }
      kind.metrics.push_back(std::move(spec));
    }
    out.kinds.push_back(std::move(kind));
  }
}

void read_devices(NodeReader& r, const Value& v, Draft& out) {
  auto items = r.items(v, "devices");
  if (!items) return;
  const std::vector<Field<Device>> fields{
      text_field("id", &Device::id, Need::required, check_id),
      text_field("kind", &Device::kind, Need::required),
      text_field("zone", &Device::zone),
      {"calibration",
       [&out](NodeReader& r, const Value& v, Device& d) {
         read_calibration(r, v, "devices[" + d.id + "].calibration", d.calibration, out.deferred);
       }},
  };
  Names names("device id");
  for (std::size_t i = 0; i < items->size(); ++i) {
    Device device;
    auto seen = read_fields(r, (*items)[i], "devices[" + std::to_string(i) + "]", fields, device);
    if (!seen) continue;
    names.add(r, device.id, seen->at("id"));
    out.devices.push_back(std::move(device));
    out.device_refs.push_back({seen->at("kind"), seen->at("zone")});
  }
}

void read_sources(NodeReader& r, const Value& v, Draft& out) {
  auto items = r.items(v, "sources");
  if (!items) return;
  const std::vector<Field<MqttJsonSource>> mqtt_json_fields{
      text_field("name", &MqttJsonSource::name, Need::required, check_id),
      known_field<MqttJsonSource>("type"),
      {"topic",
       [](NodeReader& r, const Value& v, MqttJsonSource& s) {
         // Unquoted, "{device}/telemetry" is YAML for a mapping: say so rather than only
         // "expected a string".
         if (v.node.IsMap()) {
           return r.error(v.at,
                          "expected a topic string; quote a topic that starts with '{', "
                          "e.g. \"{device}/telemetry\"");
         }
         auto topic = r.text(v);
         if (topic && r.report(v.at, check_topic_template(*topic))) s.topic = std::move(*topic);
       },
       /*required=*/true},
      {"qos",
       [](NodeReader& r, const Value& v, MqttJsonSource& s) {
         auto n = r.count(v);
         if (!n) return;
         // QoS 2 buys nothing for telemetry that is stored idempotently, and costs a round trip.
         if (*n > 1) return r.error(v.at, "qos must be 0 or 1, got " + std::to_string(*n));
         s.qos = static_cast<int>(*n);
       }},
      count_field("max_payload_bytes", &MqttJsonSource::max_payload_bytes, 64, 1'048'576),
  };
  Names names("source name");
  for (std::size_t i = 0; i < items->size(); ++i) {
    const Value& item = (*items)[i];
    const std::string where = "sources[" + std::to_string(i) + "]";
    const auto type = peek_text(r, item, "type");
    const auto name = peek_text(r, item, "name");
    if (type && type->text != "mqtt_json") {
      const auto add = [&](auto& list, auto read) {
        typename std::remove_reference_t<decltype(list)>::value_type source;
        if (!read(r, item, where, source, out.deferred)) return;
        if (name) names.add(r, source.name, name->at);
        list.push_back(std::move(source));
      };
      if (type->text == "modbus") {
        add(out.modbus_sources, read_modbus_source);
      } else if (type->text == "chirpstack") {
        add(out.chirpstack_sources, read_chirpstack_source);
      } else if (type->text == "camera") {
        add(out.cameras, read_camera_source);
      } else if (type->text == "gpio_pulse") {
        add(out.pulse_sources, read_pulse_source);
      } else {
        // Its other keys depend on the type, so there is nothing sound left to check here.
        r.error(type->at, "unknown source type " + quoted(type->text) +
                              "; expected one of: mqtt_json, modbus, chirpstack, camera, "
                              "gpio_pulse");
      }
      continue;
    }
    MqttJsonSource source;
    auto seen = read_fields(r, item, where, mqtt_json_fields, source);
    if (!seen) continue;
    names.add(r, source.name, seen->at("name"));
    out.mqtt_sources.push_back(std::move(source));
  }
}

void read_uplinks(NodeReader& r, const Value& v, Draft& out) {
  auto items = r.items(v, "uplinks");
  if (!items) return;
  const std::vector<Field<UplinkConfig>> common{
      text_field("name", &UplinkConfig::name, Need::required, check_id),
      known_field<UplinkConfig>("type"),
      text_field("url", &UplinkConfig::url, Need::required, uplink_url_ok),
      count_field("batch_max", &UplinkConfig::batch_max, 1, 100'000),
      duration_field("batch_interval", &UplinkConfig::batch_interval, 1ms, Millis{1h}),
      bool_field("gzip", &UplinkConfig::gzip),
      duration_field("timeout", &UplinkConfig::timeout, 1s, Millis{10min}),
      duration_field("backoff_min", &UplinkConfig::backoff_min, 1ms, Millis{1h}),
      duration_field("backoff_max", &UplinkConfig::backoff_max, 1ms, Millis{24h}),
  };
  const std::vector<Field<UplinkConfig>> v1_only{
      text_field("database", &UplinkConfig::database),
      text_field("retention_policy", &UplinkConfig::retention_policy),
      text_field("username", &UplinkConfig::username),
      text_field("password", &UplinkConfig::password),
  };
  const std::vector<Field<UplinkConfig>> v2_only{
      text_field("org", &UplinkConfig::org),
      text_field("bucket", &UplinkConfig::bucket),
      text_field("token", &UplinkConfig::token),
  };
  const auto concat = [](std::vector<Field<UplinkConfig>> a,
                         const std::vector<Field<UplinkConfig>>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
  };
  const auto v1_fields = concat(common, v1_only);
  const auto v2_fields = concat(common, v2_only);
  // With no usable type every key of either type is accepted, so that unknown keys are still
  // reported without guessing which type was meant.
  const auto any_fields = concat(v1_fields, v2_only);

  Names names("uplink name");
  for (std::size_t i = 0; i < items->size(); ++i) {
    const Value& item = (*items)[i];
    const std::string where = "uplinks[" + std::to_string(i) + "]";
    UplinkConfig uplink;
    const std::vector<Field<UplinkConfig>>* fields = &any_fields;
    const auto type = peek_text(r, item, "type");
    if (type) {
      if (type->text == "influxdb_v1") {
        uplink.type = UplinkType::influxdb_v1;
        fields = &v1_fields;
      } else if (type->text == "influxdb_v2") {
        uplink.type = UplinkType::influxdb_v2;
        fields = &v2_fields;
      } else {
        r.error(type->at, "unknown uplink type " + quoted(type->text) +
                              "; expected one of: influxdb_v1, influxdb_v2");
      }
    }
    auto seen =
        read_fields(r, item, where + (type ? " (" + type->text + ")" : ""), *fields, uplink);
    if (!seen) continue;
    names.add(r, uplink.name, seen->at("name"));
    check_order(r, *seen, "backoff_min", uplink.backoff_min, "backoff_max", uplink.backoff_max);
    // Disabled: what a working uplink needs is not asked of it.
    if (uplink.url.empty() || fields == &any_fields) continue;
    const auto require = [&](std::string_view key, const std::string& value) {
      if (value.empty()) {
        r.error(seen->at(key), "an " + type->text + " uplink needs " + std::string(key));
      }
    };
    if (uplink.type == UplinkType::influxdb_v1) {
      require("database", uplink.database);
    } else {
      require("org", uplink.org);
      require("bucket", uplink.bucket);
    }
    out.uplinks.push_back(std::move(uplink));
  }
}

// Kinds and zones may be written after the devices that name them, so this runs last.
void check_device_refs(NodeReader& r, const Draft& d) {
  for (std::size_t i = 0; i < d.devices.size(); ++i) {
    const Device& device = d.devices[i];
    if (!device.kind.empty() && d.find_kind(device.kind) == nullptr) {
      r.error(d.device_refs[i].kind_at,
              "unknown kind " + quoted(device.kind) + "; " +
                  (d.kinds.empty() ? std::string("no kinds are defined")
                                   : "defined kinds: " + join_names(d.kinds, [](const auto& k) {
                                       return k.name;
                                     })));
    }
    if (!device.zone.empty() && d.find_zone(device.zone) == nullptr) {
      r.error(d.device_refs[i].zone_at,
              "unknown zone " + quoted(device.zone) + "; " +
                  (d.zones.empty() ? std::string("no zones are defined")
                                   : "defined zones: " +
                                         join_names(d.zones, [](const auto& z) { return z.id; })));
    }
  }
}

// ---- actuators and lines -------------------------------------------------------------------

// A topic farmgate publishes to or subscribes to exactly: no wildcards, no empty levels at the
// ends that a typo would leave.
Result<void> relay_topic_ok(std::string_view s) {
  if (s.empty()) return make_error("empty", "a topic must not be empty");
  if (s.find_first_of("+#") != std::string_view::npos) {
    return make_error("wildcard", "a relay topic names one device: no '+' or '#'");
  }
  return {};
}

// Tasmota's PulseTime reaches 64900, which means 64800 s.
constexpr Millis kMaxPulseTime = 64800s;

// A whole number in [min, max] into an int-like member of the driver's sub-struct.
template <class Sub, class N>
Field<DriverConfig> int_field(std::string_view key, Sub DriverConfig::*sub, N Sub::*member,
                              std::size_t min, std::size_t max) {
  return {key, [key, sub, member, min, max](NodeReader& r, const Value& v, DriverConfig& d) {
            auto n = r.count(v);
            if (!n) return;
            if (*n < min || *n > max) {
              return r.error(v.at, std::string(key) + " " + range_message(*n, min, max));
            }
            d.*sub.*member = static_cast<N>(*n);
          }};
}

Field<DriverConfig> required(Field<DriverConfig> f) {
  f.required = true;
  return f;
}

void read_gpio_driver(NodeReader& r, const Value& v, const std::string& where, DriverConfig& out,
                      const Field<DriverConfig>& confirm) {
  const std::vector<Field<DriverConfig>> fields{
      known_field<DriverConfig>("type"),
      confirm,
      {"chip",
       [](NodeReader& r, const Value& v, DriverConfig& d) {
         auto s = r.text(v);
         if (s && r.report(v.at, non_empty(*s))) d.gpio.chip = std::move(*s);
       }},
      {"offset",
       [](NodeReader& r, const Value& v, DriverConfig& d) {
         auto n = r.count(v);
         if (!n) return;
         // The character device numbers lines per chip; no chip has more than a few hundred.
         if (*n > 65535) return r.error(v.at, "offset " + range_message(*n, 0, 65535));
         d.gpio.offset = static_cast<unsigned>(*n);
       }},
      {"line_name",
       [](NodeReader& r, const Value& v, DriverConfig& d) {
         auto s = r.text(v);
         if (s && r.report(v.at, non_empty(*s))) d.gpio.line_name = std::move(*s);
       }},
      {"active_low",
       [](NodeReader& r, const Value& v, DriverConfig& d) {
         if (auto b = r.boolean(v)) d.gpio.active_low = *b;
       }},
  };
  auto seen = read_fields(r, v, where + " (gpio)", fields, out);
  if (!seen) return;
  if (seen->has("offset") && seen->has("line_name")) {
    r.error(seen->at("line_name"), "give either offset (on chip) or line_name, not both");
  } else if (!seen->has("offset") && !seen->has("line_name")) {
    r.error(v.at, "a gpio driver needs offset (on chip) or line_name " + in_where(where));
  } else if (seen->has("line_name") && seen->has("chip")) {
    r.error(seen->at("chip"),
            "chip is not used with line_name: the name is looked up on every chip");
  }
}

Result<void> modbus_device_ok(std::string_view s) {
  if (s.empty() || s.front() != '/') {
    return make_error("device", "device must be an absolute path, e.g. /dev/ttyUSB0");
  }
  return {};
}

void read_modbus_driver(NodeReader& r, const Value& v, const std::string& where, DriverConfig& out,
                        const Field<DriverConfig>& confirm) {
  using M = ModbusCoilConfig;
  const auto m = &DriverConfig::modbus;
  const std::vector<Field<DriverConfig>> fields{
      known_field<DriverConfig>("type"),
      confirm,
      {"host",
       [](NodeReader& r, const Value& v, DriverConfig& d) {
         auto s = r.text(v);
         if (s && r.report(v.at, non_empty(*s))) d.modbus.host = std::move(*s);
       }},
      int_field("port", m, &M::port, 1, 65535),
      {"device",
       [](NodeReader& r, const Value& v, DriverConfig& d) {
         auto s = r.text(v);
         if (s && r.report(v.at, modbus_device_ok(*s))) d.modbus.device = std::move(*s);
       }},
      {"baud",
       [](NodeReader& r, const Value& v, DriverConfig& d) {
         auto n = r.count(v);
         if (!n) return;
         // The rates termios can set; anything else fails only when the port opens.
         for (std::size_t b : {1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400}) {
           if (*n == b) {
             d.modbus.baud = static_cast<int>(b);
             return;
           }
         }
         r.error(v.at, "baud " + std::to_string(*n) +
                           " is not a serial rate; expected one of: 1200, 2400, 4800, 9600, 19200, "
                           "38400, 57600, 115200, 230400");
       }},
      {"parity",
       [](NodeReader& r, const Value& v, DriverConfig& d) {
         auto s = r.text(v);
         if (!s) return;
         if (*s == "none") {
           d.modbus.parity = 'N';
         } else if (*s == "even") {
           d.modbus.parity = 'E';
         } else if (*s == "odd") {
           d.modbus.parity = 'O';
         } else {
           r.error(v.at, "unknown parity " + quoted(*s) + "; expected none, even or odd");
         }
       }},
      int_field("data_bits", m, &M::data_bits, 5, 8),
      int_field("stop_bits", m, &M::stop_bits, 1, 2),
      required(int_field("slave", m, &M::slave, 1, 247)),
      required(int_field("coil", m, &M::coil, 0, 65535)),
      {"timeout",
       [](NodeReader& r, const Value& v, DriverConfig& d) {
         auto t = r.duration(v);
         if (!t) return;
         if (*t < 10ms || *t > Millis{60s}) {
           return r.error(v.at, "timeout " + range_message(*t, 10ms, Millis{60s}));
         }
         d.modbus.timeout = *t;
       }},
      int_field("retries", m, &M::retries, 0, 10),
  };
  auto seen = read_fields(r, v, where + " (modbus_coil)", fields, out);
  if (!seen) return;
  if (seen->has("host") && seen->has("device")) {
    return r.error(seen->at("device"),
                   "give either host (Modbus TCP) or device (Modbus RTU), not both");
  }
  if (!seen->has("host") && !seen->has("device")) {
    return r.error(v.at, "a modbus_coil driver needs host (Modbus TCP) or device (Modbus RTU) " +
                             in_where(where));
  }
  const auto not_for = [&](std::initializer_list<std::string_view> keys, const char* why) {
    for (std::string_view key : keys) {
      if (seen->has(key)) r.error(seen->at(key), std::string(key) + " " + why);
    }
  };
  if (seen->has("host")) {
    not_for({"baud", "parity", "data_bits", "stop_bits"},
            "is for a serial line (device); this driver uses Modbus TCP (host)");
  } else {
    not_for({"port"}, "is for Modbus TCP (host); this driver uses a serial line (device)");
  }
}

void read_driver(NodeReader& r, const Value& v, const std::string& where, DriverConfig& out,
                 Draft::ActuatorRefs& refs) {
  const auto type = peek_text(r, v, "type");
  if (!type) {
    if (v.node.IsMap())
      r.error(v.at, "missing required key 'type' " + in_where(where));
    else
      (void)r.entries(v, where);  // reports what the value is instead of a mapping
    return;
  }
  const Field<DriverConfig> confirm =
      duration_field("confirm_timeout", &DriverConfig::confirm_timeout, 100ms, Millis{60s});
  if (type->text == "mqtt_relay") {
    out.type = DriverType::mqtt_relay;
    const auto topic = [&refs](std::string_view key, std::string MqttRelayConfig::*member,
                               Location Draft::ActuatorRefs::*at) -> Field<DriverConfig> {
      return {key, [member, at, &refs](NodeReader& r, const Value& v, DriverConfig& d) {
                auto s = r.text(v);
                if (!s || !r.report(v.at, relay_topic_ok(*s))) return;
                d.mqtt.*member = std::move(*s);
                refs.*at = v.at;
              }};
    };
    const auto payload = [](std::string_view key,
                            std::string MqttRelayConfig::*member) -> Field<DriverConfig> {
      return {key, [member](NodeReader& r, const Value& v, DriverConfig& d) {
                auto s = r.text(v);
                if (!s) return;
                if (s->empty()) return r.error(v.at, "a payload must not be empty");
                d.mqtt.*member = std::move(*s);
              }};
    };
    const std::vector<Field<DriverConfig>> fields{
        known_field<DriverConfig>("type"),
        topic("command_topic", &MqttRelayConfig::command_topic,
              &Draft::ActuatorRefs::command_topic_at),
        topic("state_topic", &MqttRelayConfig::state_topic, &Draft::ActuatorRefs::state_topic_at),
        payload("payload_on", &MqttRelayConfig::payload_on),
        payload("payload_off", &MqttRelayConfig::payload_off),
        confirm,
        {"pulse_time",
         [](NodeReader& r, const Value& v, DriverConfig& d) {
           if (auto b = r.boolean(v)) d.mqtt.pulse_time = *b;
         }},
        topic("pulse_time_topic", &MqttRelayConfig::pulse_time_topic,
              &Draft::ActuatorRefs::pulse_time_topic_at),
    };
    auto seen = read_fields(r, v, where + " (mqtt_relay)", fields, out);
    if (seen && out.mqtt.payload_on == out.mqtt.payload_off) {
      r.error(seen->at("payload_off"), "payload_on and payload_off must differ");
    }
  } else if (type->text == "simulated") {
    out.type = DriverType::simulated;
    const std::vector<Field<DriverConfig>> fields{
        known_field<DriverConfig>("type"),
        confirm,
        duration_field("latency", &DriverConfig::sim_latency, 0ms, Millis{60s}),
    };
    (void)read_fields(r, v, where + " (simulated)", fields, out);
  } else if (type->text == "gpio") {
    out.type = DriverType::gpio;
    read_gpio_driver(r, v, where, out, confirm);
  } else if (type->text == "modbus_coil") {
    out.type = DriverType::modbus_coil;
    read_modbus_driver(r, v, where, out, confirm);
  } else {
    r.error(type->at, "unknown driver type " + quoted(type->text) +
                          "; expected one of: mqtt_relay, simulated, gpio, modbus_coil");
  }
}

void read_actuators(NodeReader& r, const Value& v, Draft& out) {
  auto items = r.items(v, "actuators");
  if (!items) return;
  Names names("actuator id");
  for (std::size_t i = 0; i < items->size(); ++i) {
    const Value& item = (*items)[i];
    const std::string where = "actuators[" + std::to_string(i) + "]";
    Actuator a;
    Draft::ActuatorRefs refs;
    refs.at = item.at;
    bool type_ok = true;  // with an unknown type, what the actuator needs cannot be judged
    const std::vector<Field<Actuator>> fields{
        text_field("id", &Actuator::id, Need::required, check_id),
        {"type",
         [&type_ok](NodeReader& r, const Value& v, Actuator& a) {
           auto s = r.text(v);
           type_ok = false;
           if (!s) return;
           if (*s == "pump") {
             a.type = ActuatorType::pump;
           } else if (*s == "valve") {
             a.type = ActuatorType::valve;
           } else {
             return r.error(v.at,
                            "unknown actuator type " + quoted(*s) + "; expected pump or valve");
           }
           type_ok = true;
         },
         /*required=*/true},
        text_field("line", &Actuator::line),
        text_field("zone", &Actuator::zone),
        {"max_runtime",
         [](NodeReader& r, const Value& v, Actuator& a) {
           auto d = r.duration(v);
           if (!d) return;
           if (*d < 1s || *d > Millis{24h}) {
             return r.error(v.at, "max_runtime " + range_message(*d, 1s, Millis{24h}));
           }
           a.max_runtime = *d;
         },
         /*required=*/true},
        duration_field("min_off", &Actuator::min_off, 0ms, Millis{24h}),
        {"driver",
         [&where, &refs](NodeReader& r, const Value& v, Actuator& a) {
           read_driver(r, v, where + ".driver", a.driver, refs);
         },
         /*required=*/true},
    };
    auto seen = read_fields(r, item, where, fields, a);
    if (!seen) continue;
    names.add(r, a.id, seen->at("id"));
    if (!type_ok) continue;
    refs.id_at = seen->at("id");
    refs.line_at = seen->at("line");
    refs.zone_at = seen->at("zone");
    refs.max_runtime_at = seen->at("max_runtime");
    refs.driver_at = seen->at("driver");
    auto& m = a.driver.mqtt;
    if (m.command_topic.empty()) m.command_topic = "cmnd/" + a.id + "/POWER";
    if (m.state_topic.empty()) m.state_topic = "stat/" + a.id + "/POWER";
    if (m.pulse_time_topic.empty()) m.pulse_time_topic = "cmnd/" + a.id + "/PulseTime";
    if (refs.command_topic_at.line == 0) refs.command_topic_at = seen->at("driver");
    if (refs.state_topic_at.line == 0) refs.state_topic_at = seen->at("driver");
    if (refs.pulse_time_topic_at.line == 0) refs.pulse_time_topic_at = seen->at("driver");
    if (a.driver.type == DriverType::mqtt_relay && m.pulse_time && a.max_runtime > kMaxPulseTime) {
      r.error(refs.max_runtime_at, "max_runtime (" + format_duration(a.max_runtime) +
                                       ") is longer than pulse_time can express (18h)");
    }
    out.actuators.push_back(std::move(a));
    out.actuator_refs.push_back(refs);
  }
}

// A flow rate in L/min: not negative, and below what any farm pipe carries.
Field<FlowCheck> lpm_field(std::string_view key, double FlowCheck::*member) {
  return {key, [key, member](NodeReader& r, const Value& v, FlowCheck& f) {
            auto x = r.number(v);
            if (!x) return;
            if (*x < 0 || *x > 100'000) {
              return r.error(v.at, std::string(key) + " must be between 0 and 100000 L/min");
            }
            f.*member = *x;
          }};
}

void read_flow(NodeReader& r, const Value& v, const std::string& where, FlowCheck& out,
               Draft::FlowRefs& refs) {
  const std::vector<Field<FlowCheck>> fields{
      text_field("meter", &FlowCheck::meter, Need::required),
      text_field("rate", &FlowCheck::rate, Need::optional, check_id),
      text_field("total", &FlowCheck::total, Need::optional, check_id),
      lpm_field("min_lpm", &FlowCheck::min_lpm),
      duration_field("verify_after", &FlowCheck::verify_after, 1s, Millis{1h}),
      lpm_field("max_lpm", &FlowCheck::max_lpm),
      lpm_field("leak_lpm", &FlowCheck::leak_lpm),
      duration_field("leak_after", &FlowCheck::leak_after, 1s, Millis{24h}),
      duration_field("lockout", &FlowCheck::lockout, 0ms, Millis{7 * 24h}),
  };
  auto seen = read_fields(r, v, where, fields, out);
  if (!seen) return;
  refs.meter_at = seen->at("meter");
  refs.rate_at = seen->has("rate") ? seen->at("rate") : refs.meter_at;
  refs.total_at = seen->has("total") ? seen->at("total") : refs.meter_at;
  if (out.max_lpm > 0 && out.max_lpm <= out.min_lpm) {
    r.error(seen->at("max_lpm"),
            "max_lpm must be greater than min_lpm (" + format_number(out.min_lpm) + ")");
  }
}

void read_lines(NodeReader& r, const Value& v, Draft& out) {
  auto items = r.items(v, "lines");
  if (!items) return;
  Names names("line id");
  for (std::size_t i = 0; i < items->size(); ++i) {
    const std::string where = "lines[" + std::to_string(i) + "]";
    Draft::FlowRefs flow_refs;
    const std::vector<Field<Line>> fields{
        text_field("id", &Line::id, Need::required, check_id),
        duration_field("pump_start_delay", &Line::pump_start_delay, 0ms, Millis{10min}),
        duration_field("valve_close_delay", &Line::valve_close_delay, 0ms, Millis{10min}),
        count_field("max_open_valves", &Line::max_open_valves, 1, 64),
        {"flow", [&](NodeReader& r, const Value& v,
                     Line& l) { read_flow(r, v, where + ".flow", l.flow, flow_refs); }},
    };
    Line line;
    auto seen = read_fields(r, (*items)[i], where, fields, line);
    if (!seen) continue;
    names.add(r, line.id, seen->at("id"));
    out.lines.push_back(std::move(line));
    out.line_at.push_back(seen->at("id"));
    out.flow_refs.push_back(flow_refs);
  }
}

// The meter must be a configured device whose kind reports the named metrics.
void check_flow_meter(NodeReader& r, const Draft& d, const FlowCheck& flow,
                      const Draft::FlowRefs& refs) {
  if (flow.meter.empty()) return;
  const Device* meter = d.find_device(flow.meter);
  if (meter == nullptr) {
    r.error(refs.meter_at,
            "unknown flow meter " + quoted(flow.meter) + "; it must be one of the devices");
    return;
  }
  const DeviceKind* kind = d.find_kind(meter->kind);
  if (kind == nullptr) return;  // reported with the device
  const auto metric_ok = [&](const std::string& metric, Location at, const char* key) {
    if (metric.empty() || kind->find_metric(metric) != nullptr) return;
    r.error(at, std::string(key) + " " + quoted(metric) + " is not a metric of kind " +
                    quoted(kind->name) + "; it has: " +
                    join_names(kind->metrics, [](const MetricSpec& m) { return m.name; }));
  };
  metric_ok(flow.rate, refs.rate_at, "rate");
  metric_ok(flow.total, refs.total_at, "total");
}

// The GPIO line or Modbus coil a driver switches, in words; "" for the other drivers. The same
// chip written two ways ("0", "gpiochip0") is not recognised as one.
std::string relay_address(const DriverConfig& d) {
  if (d.type == DriverType::gpio) {
    if (!d.gpio.line_name.empty()) return "GPIO line " + quoted(d.gpio.line_name);
    return "GPIO " + quoted(d.gpio.chip) + " offset " + std::to_string(d.gpio.offset.value_or(0));
  }
  if (d.type == DriverType::modbus_coil) {
    const auto& m = d.modbus;
    return "coil " + std::to_string(m.coil) + " of Modbus slave " + std::to_string(m.slave) +
           " at " + (m.tcp() ? m.host + ":" + std::to_string(m.port) : m.device);
  }
  return "";
}

// Lines, zones and actuators refer to each other in any order, so this runs last.
void check_actuator_refs(NodeReader& r, const Draft& d) {
  const auto defined = [](const auto& items, auto name_of, const char* what) {
    return items.empty() ? std::string("no ") + what + " are defined"
                         : std::string("defined ") + what + ": " + join_names(items, name_of);
  };
  std::vector<std::pair<std::string, Location>> topics;  // every relay topic with where it is
  const auto topic_once = [&](const std::string& topic, Location at, const std::string& who) {
    for (const auto& [t, first] : topics) {
      if (t == topic) {
        r.error(at, "topic " + quoted(topic) + " of actuator " + quoted(who) +
                        " is already used (first at line " + std::to_string(first.line) + ":" +
                        std::to_string(first.column) + "); every relay needs its own topics");
        return;
      }
    }
    topics.emplace_back(topic, at);
  };
  // Two actuators on one GPIO line or one coil would switch each other.
  std::vector<std::pair<std::string, Location>> hw_relays;
  for (std::size_t i = 0; i < d.actuators.size(); ++i) {
    const Actuator& a = d.actuators[i];
    const auto& refs = d.actuator_refs[i];
    const std::string what = std::string(to_string(a.type)) + " " + quoted(a.id);
    if (a.line.empty()) {
      r.error(refs.line_at, what + " needs a line (the water line it is on)");
    } else if (const Line* line = d.find_line(a.line); line == nullptr) {
      r.error(refs.line_at, "unknown line " + quoted(a.line) + "; " +
                                defined(
                                    d.lines, [](const Line& l) { return l.id; }, "lines"));
    } else if (a.type == ActuatorType::valve &&
               a.max_runtime <= line->pump_start_delay + line->valve_close_delay) {
      r.error(refs.max_runtime_at,
              "max_runtime (" + format_duration(a.max_runtime) + ") of valve " + quoted(a.id) +
                  " must be longer than pump_start_delay (" +
                  format_duration(line->pump_start_delay) + ") plus valve_close_delay (" +
                  format_duration(line->valve_close_delay) + ") of line " + quoted(line->id));
    }
    if (a.type == ActuatorType::valve) {
      if (a.zone.empty()) {
        r.error(refs.zone_at, what + " needs a zone (the zone it waters)");
      } else if (d.find_zone(a.zone) == nullptr) {
        r.error(refs.zone_at, "unknown zone " + quoted(a.zone) + "; " +
                                  defined(
                                      d.zones, [](const Zone& z) { return z.id; }, "zones"));
      } else {
        for (std::size_t j = 0; j < i; ++j) {
          const Actuator& b = d.actuators[j];
          if (b.type == ActuatorType::valve && b.zone == a.zone) {
            r.error(refs.zone_at, "zone " + quoted(a.zone) + " already has valve " + quoted(b.id) +
                                      "; one valve per zone");
            break;
          }
        }
      }
    } else {
      if (!a.zone.empty()) {
        r.error(refs.zone_at, "a pump has no zone; its valves name the zones it waters");
      }
      for (std::size_t j = 0; j < i && !a.line.empty(); ++j) {
        const Actuator& b = d.actuators[j];
        if (b.type == ActuatorType::pump && b.line == a.line) {
          r.error(refs.line_at, "line " + quoted(a.line) + " already has pump " + quoted(b.id) +
                                    "; one pump per line");
          break;
        }
      }
    }
    if (a.driver.type == DriverType::mqtt_relay) {
      topic_once(a.driver.mqtt.command_topic, refs.command_topic_at, a.id);
      topic_once(a.driver.mqtt.state_topic, refs.state_topic_at, a.id);
      if (a.driver.mqtt.pulse_time) {
        topic_once(a.driver.mqtt.pulse_time_topic, refs.pulse_time_topic_at, a.id);
      }
    }
    if (const std::string hw = relay_address(a.driver); !hw.empty()) {
      for (const auto& [other, first] : hw_relays) {
        if (other == hw) {
          r.error(refs.driver_at,
                  "actuator " + quoted(a.id) + " uses " + hw + ", already used (first at line " +
                      std::to_string(first.line) + ":" + std::to_string(first.column) + ")");
        }
      }
      hw_relays.emplace_back(hw, refs.driver_at);
    }
  }
  for (std::size_t i = 0; i < d.lines.size(); ++i) {
    const Line& line = d.lines[i];
    bool has_pump = false;
    for (const Actuator& a : d.actuators) {
      has_pump = has_pump || (a.type == ActuatorType::pump && a.line == line.id);
    }
    if (!has_pump) {
      r.error(d.line_at[i], "line " + quoted(line.id) +
                                " has no pump; add an actuator with "
                                "type: pump and line: " +
                                line.id);
    }
    check_flow_meter(r, d, line.flow, d.flow_refs[i]);
  }
}

// ---- location and rules --------------------------------------------------------------------

void read_location(NodeReader& r, const Value& v, SiteLocation& out) {
  const auto degrees = [](std::string_view key, double SiteLocation::*member, double limit) {
    return Field<SiteLocation>{
        key,
        [key, member, limit](NodeReader& r, const Value& v, SiteLocation& l) {
          auto x = r.number(v);
          if (!x) return;
          if (*x < -limit || *x > limit) {
            return r.error(v.at, std::string(key) + " must be between -" + format_number(limit) +
                                     " and " + format_number(limit) + " degrees");
          }
          l.*member = *x;
        },
        /*required=*/true};
  };
  const std::vector<Field<SiteLocation>> fields{
      degrees("latitude", &SiteLocation::latitude, 90),
      degrees("longitude", &SiteLocation::longitude, 180),
      number_field("altitude_m", &SiteLocation::altitude_m),
  };
  if (read_fields(r, v, "location", fields, out)) out.set = true;
}

// The expression's text and where its first character is: one column further for a quoted
// scalar (yaml-cpp tags those "!"). ${} expansion inside an expression shifts later columns.
std::optional<SourceText> expression(NodeReader& r, const Value& v) {
  auto text = r.text(v);
  if (!text) return std::nullopt;
  if (text->find_first_not_of(" \t\n") == std::string::npos) {
    r.error(v.at, "the expression is empty");
    return std::nullopt;
  }
  const bool quoted = v.node.IsScalar() && v.node.Tag() == "!";
  return SourceText{std::move(*text), v.at.line, v.at.column + (quoted ? 1 : 0)};
}

// False when the action could not be read (the problem is reported).
bool read_action(NodeReader& r, const Value& v, const std::string& where, RuleAction& out) {
  auto entries = r.entries(v, where);
  if (!entries) return false;
  if (entries->size() != 1) {
    r.error(v.at, where +
                      " must hold exactly one action: irrigate, stop, alarm or publish "
                      "(write several actions as a list)");
    return false;
  }
  const Entry& e = entries->front();
  const std::string inner = where + "." + e.key;
  if (e.key == "irrigate") {
    out.kind = RuleAction::Kind::irrigate;
    const std::vector<Field<RuleAction>> fields{
        text_field("zone", &RuleAction::zone, Need::required),
        {"for",
         [](NodeReader& r, const Value& v, RuleAction& a) {
           auto d = r.duration(v);
           if (!d) return;
           if (*d < 1s || *d > Millis{24h})
             return r.error(v.at, "for " + range_message(*d, 1s, Millis{24h}));
           a.duration = *d;
         },
         /*required=*/true},
        {"until",
         [](NodeReader& r, const Value& v, RuleAction& a) {
           if (auto x = expression(r, v)) a.until = std::move(*x);
         }},
    };
    (void)read_fields(r, e.value, inner, fields, out);
  } else if (e.key == "stop") {
    out.kind = RuleAction::Kind::stop;
    const std::vector<Field<RuleAction>> fields{
        text_field("zone", &RuleAction::zone, Need::required)};
    (void)read_fields(r, e.value, inner, fields, out);
  } else if (e.key == "alarm") {
    out.kind = RuleAction::Kind::alarm;
    const std::vector<Field<RuleAction>> fields{
        text_field("message", &RuleAction::message, Need::required),
        {"severity",
         [](NodeReader& r, const Value& v, RuleAction& a) {
           auto s = r.text(v);
           if (!s) return;
           if (*s != "info" && *s != "warning" && *s != "alarm") {
             return r.error(v.at,
                            "unknown severity " + quoted(*s) + "; expected info, warning or alarm");
           }
           a.severity = *s;
         }},
    };
    (void)read_fields(r, e.value, inner, fields, out);
  } else if (e.key == "publish") {
    out.kind = RuleAction::Kind::publish;
    const std::vector<Field<RuleAction>> fields{
        text_field("topic", &RuleAction::topic, Need::required),
        text_field("payload", &RuleAction::message, Need::required),
        bool_field("retain", &RuleAction::retain),
    };
    auto seen = read_fields(r, e.value, inner, fields, out);
    if (seen && (out.topic.find_first_of("+#") != std::string::npos || out.topic.empty())) {
      r.error(seen->at("topic"), "a topic to publish on cannot be empty or hold + or #");
    }
  } else {
    r.error(e.key_at,
            "unknown action " + quoted(e.key) + "; expected irrigate, stop, alarm or publish");
    return false;
  }
  return true;
}

void read_rules(NodeReader& r, const Value& v, Draft& out) {
  auto items = r.items(v, "rules");
  if (!items) return;
  Names names("rule name");
  for (std::size_t i = 0; i < items->size(); ++i) {
    const std::string where = "rules[" + std::to_string(i) + "]";
    Rule rule;
    std::vector<Location> zone_at;
    bool has_hysteresis = false;
    const std::vector<Field<Rule>> fields{
        text_field("name", &Rule::name, Need::required, check_id),
        {"when",
         [](NodeReader& r, const Value& v, Rule& rule) {
           if (auto x = expression(r, v)) rule.when = std::move(*x);
         }},
        // start_below / stop_above on one value: the "when" and the irrigate's "until" in one.
        {"hysteresis",
         [&](NodeReader& r, const Value& v, Rule& rule) {
           struct H {
             std::string value;
             double start_below = 0, stop_above = 0;
           } h;
           const std::vector<Field<H>> hf{
               text_field("value", &H::value, Need::required),
               number_field("start_below", &H::start_below, Need::required),
               number_field("stop_above", &H::stop_above, Need::required),
           };
           auto seen = read_fields(r, v, where + ".hysteresis", hf, h);
           if (!seen) return;
           has_hysteresis = true;
           if (h.stop_above <= h.start_below) {
             return r.error(seen->at("stop_above"), "stop_above (" + format_number(h.stop_above) +
                                                        ") must be greater than start_below (" +
                                                        format_number(h.start_below) + ")");
           }
           const Location at = seen->at("value");
           rule.when = {h.value + " < " + format_number(h.start_below), at.line, at.column};
           rule.until_from_hysteresis = {h.value + " >= " + format_number(h.stop_above), at.line,
                                         at.column};
         }},
        duration_field("for", &Rule::hold, 0ms, Millis{24h * 7}),
        duration_field("cooldown", &Rule::cooldown, 0ms, Millis{24h * 7}),
        {"then",
         [&](NodeReader& r, const Value& v, Rule& rule) {
           // One action, or a list of them.
           std::vector<Value> actions;
           if (v.node.IsSequence()) {
             auto list = r.items(v, where + ".then");
             if (!list) return;
             actions = std::move(*list);
           } else {
             actions.push_back(v);
           }
           if (actions.empty()) return r.error(v.at, where + ".then needs at least one action");
           for (std::size_t k = 0; k < actions.size(); ++k) {
             RuleAction a;
             if (!read_action(r, actions[k], where + ".then[" + std::to_string(k) + "]", a)) {
               continue;
             }
             rule.then.push_back(std::move(a));
             zone_at.push_back(actions[k].at);
           }
         },
         /*required=*/true},
    };
    auto seen = read_fields(r, (*items)[i], where, fields, rule);
    if (!seen) continue;
    names.add(r, rule.name, seen->at("name"));
    if (seen->has("when") == has_hysteresis) {
      r.error((*items)[i].at, where + " needs either when: or hysteresis:, not both");
      continue;
    }
    for (RuleAction& a : rule.then) {
      if (a.kind == RuleAction::Kind::irrigate && has_hysteresis && a.until.text.empty()) {
        a.until = rule.until_from_hysteresis;
      }
    }
    out.rules.push_back(std::move(rule));
    out.rule_action_at.push_back(std::move(zone_at));
  }
}

// Zones and valves may be written after the rules, so this runs last.
void check_rule_refs(NodeReader& r, const Draft& d) {
  for (std::size_t i = 0; i < d.rules.size(); ++i) {
    const Rule& rule = d.rules[i];
    for (std::size_t k = 0; k < rule.then.size(); ++k) {
      const RuleAction& a = rule.then[k];
      if (a.kind != RuleAction::Kind::irrigate && a.kind != RuleAction::Kind::stop) continue;
      bool valved = false;
      for (const Actuator& act : d.actuators) {
        valved = valved || (act.type == ActuatorType::valve && act.zone == a.zone);
      }
      if (d.find_zone(a.zone) == nullptr) {
        r.error(d.rule_action_at[i][k],
                "unknown zone " + quoted(a.zone) + " in rule " + quoted(rule.name));
      } else if (!valved) {
        r.error(d.rule_action_at[i][k], "zone " + quoted(a.zone) + " of rule " + quoted(rule.name) +
                                            " has no valve; add an actuator with type: valve "
                                            "and zone: " +
                                            a.zone);
      }
    }
  }
}

// ---- programs, watering windows, rain delay (docs/rules.md, "Programs and schedules") -------

// "05:00-08:00" (local time of day; "24:00" may end a window; to < from wraps past midnight).
Result<WateringWindow> parse_window(std::string_view s) {
  const auto minutes = [](std::string_view t) -> std::optional<int> {
    if (t.size() != 5 || t[2] != ':') return std::nullopt;
    for (const std::size_t i : {0u, 1u, 3u, 4u}) {
      if (t[i] < '0' || t[i] > '9') return std::nullopt;
    }
    const int h = (t[0] - '0') * 10 + (t[1] - '0');
    const int m = (t[3] - '0') * 10 + (t[4] - '0');
    if (m > 59 || h > 24 || (h == 24 && m != 0)) return std::nullopt;
    return h * 60 + m;
  };
  const std::size_t dash = s.find('-');
  const auto from = dash == std::string_view::npos ? std::nullopt : minutes(s.substr(0, dash));
  const auto to = dash == std::string_view::npos ? std::nullopt : minutes(s.substr(dash + 1));
  if (!from || !to || *from == 24 * 60) {
    return make_error("bad_window", "expected a window like \"05:00-08:00\", got " + quoted(s));
  }
  if (*from == *to) return make_error("bad_window", "window " + quoted(s) + " is empty");
  return WateringWindow{*from, *to};
}

void read_windows(NodeReader& r, const Value& v, std::string_view where,
                  std::vector<WateringWindow>& out) {
  auto items = r.items(v, where);
  if (!items) return;
  if (items->empty()) return r.error(v.at, std::string(where) + " needs at least one window");
  for (const Value& item : *items) {
    auto text = r.text(item);
    if (!text) continue;
    if (auto w = r.report(item.at, parse_window(*text))) out.push_back(*w);
  }
}

// "-30m", "+15m" or "1h": an offset from sunrise or sunset, at most 12 h either way.
std::optional<Millis> signed_offset(NodeReader& r, const Value& v) {
  auto text = r.text(v);
  if (!text) return std::nullopt;
  std::string_view t = *text;
  const bool negative = t.starts_with('-');
  if (negative || t.starts_with('+')) t.remove_prefix(1);
  auto d = r.report(v.at, parse_duration(t));
  if (!d) return std::nullopt;
  if (*d > Millis{12h}) {
    r.error(v.at, "an offset from sunrise or sunset must be at most 12h either way");
    return std::nullopt;
  }
  return negative ? -*d : *d;
}

void read_start(NodeReader& r, const Value& v, const std::string& where, Program& p) {
  auto entries = r.entries(v, where);
  if (!entries) return;
  if (entries->size() != 1) {
    return r.error(v.at, where + " must hold exactly one of cron, sunrise or sunset");
  }
  const Entry& e = entries->front();
  ProgramStart s;
  s.line = v.at.line;
  s.column = v.at.column;
  if (e.key == "cron") {
    s.kind = ProgramStart::Kind::cron;
    auto x = expression(r, e.value);  // the same located text; rules/cron.h parses it
    if (!x) return;
    s.cron = std::move(*x);
  } else if (e.key == "sunrise" || e.key == "sunset") {
    s.kind = e.key == "sunrise" ? ProgramStart::Kind::sunrise : ProgramStart::Kind::sunset;
    auto d = signed_offset(r, e.value);
    if (!d) return;
    s.offset = *d;
  } else {
    return r.error(e.key_at,
                   "unknown start " + quoted(e.key) + "; expected cron, sunrise or sunset");
  }
  p.starts.push_back(std::move(s));
}

void read_programs(NodeReader& r, const Value& v, Draft& out) {
  auto items = r.items(v, "programs");
  if (!items) return;
  Names names("program name");
  for (std::size_t i = 0; i < items->size(); ++i) {
    const std::string where = "programs[" + std::to_string(i) + "]";
    Program p;
    std::vector<Location> zone_at;
    const std::vector<Field<Program>> fields{
        text_field("name", &Program::name, Need::required, check_id),
        {"zones",
         [&](NodeReader& r, const Value& v, Program& p) {
           auto list = r.items(v, where + ".zones");
           if (!list) return;
           if (list->empty()) return r.error(v.at, where + ".zones needs at least one zone");
           const std::vector<Field<ProgramZone>> zf{
               text_field("zone", &ProgramZone::zone, Need::required),
               {"for",
                [](NodeReader& r, const Value& v, ProgramZone& z) {
                  auto d = r.duration(v);
                  if (!d) return;
                  if (*d < 1s || *d > Millis{24h})
                    return r.error(v.at, "for " + range_message(*d, 1s, Millis{24h}));
                  z.duration = *d;
                },
                /*required=*/true},
               {"skip_if",
                [](NodeReader& r, const Value& v, ProgramZone& z) {
                  if (auto x = expression(r, v)) z.skip_if = std::move(*x);
                }},
           };
           for (std::size_t k = 0; k < list->size(); ++k) {
             ProgramZone z;
             if (!read_fields(r, (*list)[k], where + ".zones[" + std::to_string(k) + "]", zf, z)) {
               continue;
             }
             p.zones.push_back(std::move(z));
             zone_at.push_back((*list)[k].at);
           }
         },
         /*required=*/true},
        {"budget",
         [](NodeReader& r, const Value& v, Program& p) {
           auto text = r.text(v);
           if (!text) return;
           std::string_view t = *text;
           if (t.ends_with('%')) t.remove_suffix(1);
           auto n = parse_count(t);
           if (!n || *n < 1 || *n > 300) {
             return r.error(v.at,
                            "budget must be a percentage from 1% to 300%, got " + quoted(*text));
           }
           p.budget_percent = static_cast<int>(*n);
         }},
        {"skip_if",
         [](NodeReader& r, const Value& v, Program& p) {
           if (auto x = expression(r, v)) p.skip_if = std::move(*x);
         }},
        {"start",
         [&](NodeReader& r, const Value& v, Program& p) {
           if (!v.node.IsSequence()) return read_start(r, v, where + ".start", p);
           auto list = r.items(v, where + ".start");
           if (!list) return;
           for (std::size_t k = 0; k < list->size(); ++k) {
             read_start(r, (*list)[k], where + ".start[" + std::to_string(k) + "]", p);
           }
         }},
        {"windows", [&](NodeReader& r, const Value& v,
                        Program& p) { read_windows(r, v, where + ".windows", p.windows); }},
    };
    auto seen = read_fields(r, (*items)[i], where, fields, p);
    if (!seen) continue;
    names.add(r, p.name, seen->at("name"));
    out.programs.push_back(std::move(p));
    out.program_zone_at.push_back(std::move(zone_at));
    out.program_at.push_back(seen->at("name"));
  }
}

void read_rain_delay(NodeReader& r, const Value& v, RainDelay& out) {
  const std::vector<Field<RainDelay>> fields{
      {"when",
       [](NodeReader& r, const Value& v, RainDelay& d) {
         if (auto x = expression(r, v)) d.when = std::move(*x);
       },
       /*required=*/true},
      duration_field("for", &RainDelay::hold, 0ms, Millis{24h * 14}),
  };
  (void)read_fields(r, v, "rain_delay", fields, out);
}

// Zones, valves and programs may come in any order, so this runs last.
void check_program_refs(NodeReader& r, Draft& d) {
  for (std::size_t i = 0; i < d.programs.size(); ++i) {
    const Program& p = d.programs[i];
    for (std::size_t k = 0; k < p.zones.size(); ++k) {
      const std::string& zone = p.zones[k].zone;
      bool valved = false;
      for (const Actuator& act : d.actuators) {
        valved = valved || (act.type == ActuatorType::valve && act.zone == zone);
      }
      if (d.find_zone(zone) == nullptr) {
        r.error(d.program_zone_at[i][k],
                "unknown zone " + quoted(zone) + " in program " + quoted(p.name));
      } else if (!valved) {
        r.error(d.program_zone_at[i][k], "zone " + quoted(zone) + " of program " + quoted(p.name) +
                                             " has no valve; add an actuator with type: valve "
                                             "and zone: " +
                                             zone);
      }
    }
  }
  for (std::size_t i = 0; i < d.zones.size() && i < d.zone_fallback.size(); ++i) {
    const Zone& z = d.zones[i];
    const std::string& fallback = d.zone_fallback[i].program;
    if (fallback.empty()) continue;
    const Location at = d.zone_fallback[i].at;
    Program* p = nullptr;
    for (Program& x : d.programs) {
      if (x.name == fallback) p = &x;
    }
    if (p == nullptr) {
      r.error(at,
              "zone " + quoted(z.id) + ": unknown fallback_program " + quoted(fallback) +
                  "; programs: " + join_names(d.programs, [](const Program& x) { return x.name; }));
      continue;
    }
    bool has = false;
    for (ProgramZone& e : p->zones) {
      if (e.zone != z.id) continue;
      e.fallback = true;
      has = true;
    }
    if (!has) {
      r.error(at, "zone " + quoted(z.id) + ": fallback_program " + quoted(p->name) +
                      " does not water it; add {zone: " + z.id + ", for: ...} to its zones");
    }
  }
}

// ---- weather and agronomy (docs/agronomy.md, "Running it: ET-driven zones") ----------------

void read_weather(NodeReader& r, const Value& v, Draft& out) {
  auto& refs = out.weather_refs;
  const auto metric = [&refs](std::string_view key, std::string WeatherStation::*member,
                              Need need = Need::optional) -> Field<WeatherStation> {
    return {key,
            [member, &refs](NodeReader& r, const Value& v, WeatherStation& w) {
              auto s = r.text(v);
              if (!s || !r.report(v.at, check_id(*s))) return;
              w.*member = *s;
              refs.metrics.emplace_back(std::move(*s), v.at);
            },
            need == Need::required};
  };
  const std::vector<Field<WeatherStation>> fields{
      text_field("device", &WeatherStation::device, Need::required),
      metric("temp_c", &WeatherStation::temp_c, Need::required),
      metric("rh_pct", &WeatherStation::rh_pct),
      metric("wind_ms", &WeatherStation::wind_ms),
      {"wind_height_m",
       [](NodeReader& r, const Value& v, WeatherStation& w) {
         auto x = r.number(v);
         if (!x) return;
         // eq. 47 needs ln(67.8 z - 5.42) > 0; real anemometers stand 1-20 m up.
         if (*x < 0.5 || *x > 100) return r.error(v.at, "wind_height_m must be 0.5 - 100 m");
         w.wind_height_m = *x;
       }},
      metric("solar_wm2", &WeatherStation::solar_wm2),
      metric("solar_mj", &WeatherStation::solar_mj),
      metric("rain_mm", &WeatherStation::rain_mm),
      {"rain_mode",
       [](NodeReader& r, const Value& v, WeatherStation& w) {
         auto s = r.text(v);
         if (!s) return;
         if (*s == "counter") {
           w.rain_counter = true;
         } else if (*s == "interval") {
           w.rain_counter = false;
         } else {
           r.error(v.at, "unknown rain_mode " + quoted(*s) + "; expected counter or interval");
         }
       }},
  };
  auto seen = read_fields(r, v, "weather", fields, out.weather);
  if (!seen) return;
  out.weather.set = true;
  refs.device_at = seen->at("device");
  if (seen->has("solar_wm2") && seen->has("solar_mj")) {
    r.error(seen->at("solar_mj"), "give either solar_wm2 or solar_mj, not both");
  }
  if (seen->has("rain_mode") && !seen->has("rain_mm")) {
    r.error(seen->at("rain_mode"), "rain_mode needs rain_mm");
  }
}

// A number within [lo, hi] into a ZoneAgronomy member.
Field<ZoneAgronomy> ranged(std::string_view key, double ZoneAgronomy::*member, double lo, double hi,
                           Need need = Need::optional) {
  return {key,
          [key, member, lo, hi](NodeReader& r, const Value& v, ZoneAgronomy& a) {
            auto x = r.number(v);
            if (!x) return;
            if (*x < lo || *x > hi) {
              return r.error(v.at, std::string(key) + " must be between " + format_number(lo) +
                                       " and " + format_number(hi) + ", got " + format_number(*x));
            }
            a.*member = *x;
          },
          need == Need::required};
}

// The middle of FAO-56 Table 19's ranges for three textures: a start; a soil test is better.
struct SoilPreset {
  std::string_view name;
  double fc;
  double wp;
};
constexpr SoilPreset kSoilPresets[] = {
    {"sand", 0.12, 0.045},
    {"loam", 0.25, 0.12},
    {"clay", 0.36, 0.22},
};

void read_soil(NodeReader& r, const Value& v, ZoneAgronomy& a) {
  if (!v.node.IsMap()) {
    auto s = r.text(v);
    if (!s) return;
    for (const SoilPreset& p : kSoilPresets) {
      if (p.name == *s) {
        a.theta_fc = p.fc;
        a.theta_wp = p.wp;
        return;
      }
    }
    return r.error(v.at, "unknown soil " + quoted(*s) +
                             "; expected sand, loam, clay or {field_capacity, wilting_point}");
  }
  const std::vector<Field<ZoneAgronomy>> fields{
      ranged("field_capacity", &ZoneAgronomy::theta_fc, 0.01, 0.7, Need::required),
      ranged("wilting_point", &ZoneAgronomy::theta_wp, 0.0, 0.6, Need::required),
  };
  auto seen = read_fields(r, v, "soil", fields, a);
  if (seen && seen->has("field_capacity") && seen->has("wilting_point") &&
      !(a.theta_wp < a.theta_fc)) {
    r.error(seen->at("wilting_point"), "wilting_point (" + format_number(a.theta_wp) +
                                           ") must be less than field_capacity (" +
                                           format_number(a.theta_fc) + ")");
  }
}

// kc: {ini, mid, end, stages: [initial, development, mid-season, late] in days}
void read_kc(NodeReader& r, const Value& v, const std::string& where, ZoneAgronomy& a) {
  const std::vector<Field<ZoneAgronomy>> fields{
      ranged("ini", &ZoneAgronomy::kc_ini, 0.1, 2.0, Need::required),
      ranged("mid", &ZoneAgronomy::kc_mid, 0.1, 2.0, Need::required),
      ranged("end", &ZoneAgronomy::kc_end, 0.1, 2.0, Need::required),
      {"stages",
       [](NodeReader& r, const Value& v, ZoneAgronomy& a) {
         auto items = r.items(v, "kc.stages");
         if (!items) return;
         if (items->size() != 4) {
           return r.error(v.at,
                          "stages must list 4 lengths in days: initial, development, "
                          "mid-season, late");
         }
         int* days[] = {&a.l_ini, &a.l_dev, &a.l_mid, &a.l_late};
         for (std::size_t k = 0; k < 4; ++k) {
           auto n = r.count((*items)[k]);
           if (!n) continue;
           if (*n < 1 || *n > 3650) {
             r.error((*items)[k].at, "a stage's days " + range_message(*n, 1, 3650));
             continue;
           }
           *days[k] = static_cast<int>(*n);
         }
       },
       /*required=*/true},
  };
  if (read_fields(r, v, where + ".kc", fields, a)) a.custom_kc = true;
}

void read_agronomy(NodeReader& r, const Value& v, const std::string& where, ZoneAgronomy& out) {
  const std::vector<Field<ZoneAgronomy>> fields{
      {"mode",
       [](NodeReader& r, const Value& v, ZoneAgronomy& a) {
         auto s = r.text(v);
         if (!s) return;
         if (*s == "et") {
           a.et_mode = true;
         } else if (*s == "monitor") {
           a.et_mode = false;
         } else {
           r.error(v.at, "unknown mode " + quoted(*s) + "; expected et or monitor");
         }
       }},
      {"crop",
       [](NodeReader& r, const Value& v, ZoneAgronomy& a) {
         auto s = r.text(v);
         if (s && r.report(v.at, non_empty(*s))) a.crop = {std::move(*s), v.at.line, v.at.column};
       }},
      {"kc", [&where](NodeReader& r, const Value& v, ZoneAgronomy& a) { read_kc(r, v, where, a); }},
      {"planting_date",
       [](NodeReader& r, const Value& v, ZoneAgronomy& a) {
         auto s = r.text(v);
         if (!s) return;
         int y = 0, m = 0, d = 0;
         char tail = 0;
         const bool parsed = s->size() == 10 && (*s)[4] == '-' && (*s)[7] == '-' &&
                             std::sscanf(s->c_str(), "%4d-%2d-%2d%c", &y, &m, &d, &tail) == 3;
         const std::chrono::year_month_day ymd{std::chrono::year{y},
                                               std::chrono::month{static_cast<unsigned>(m)},
                                               std::chrono::day{static_cast<unsigned>(d)}};
         if (!parsed || !ymd.ok() || y < 1970) {
           return r.error(v.at, "planting_date must be a date as YYYY-MM-DD, got " + quoted(*s));
         }
         a.planting_year = y;
         a.planting_month = m;
         a.planting_day = d;
       },
       /*required=*/true},
      ranged("area_m2", &ZoneAgronomy::area_m2, 0.01, 10'000'000),
      ranged("root_depth_m", &ZoneAgronomy::root_depth_m, 0.05, 5, Need::required),
      {"soil", read_soil, /*required=*/true},
      {"p",
       [](NodeReader& r, const Value& v, ZoneAgronomy& a) {
         auto x = r.number(v);
         if (!x) return;
         if (*x < 0.05 || *x > 0.95) return r.error(v.at, "p must be between 0.05 and 0.95");
         a.p = *x;
       }},
      ranged("efficiency", &ZoneAgronomy::efficiency, 0.05, 1),
      ranged("flow_lpm", &ZoneAgronomy::flow_lpm, 0.01, 100'000),
  };
  auto seen = read_fields(r, v, where, fields, out);
  if (!seen) return;
  if (seen->has("crop") == seen->has("kc")) {
    r.error(v.at, where + " needs either crop: (a built-in crop) or kc:, not both");
  }
  if (seen->has("kc") && !seen->has("p")) {
    r.error(seen->at("kc"), "with kc: give p too (the fraction of TAW the crop takes unstressed)");
  }
  if (out.et_mode) {
    for (std::string_view key : {"area_m2", "flow_lpm"}) {
      if (!seen->has(key)) {
        r.error(seen->at("mode"), "mode: et needs " + std::string(key) + " " + in_where(where));
      }
    }
  }
}

// Devices, kinds, valves and location may come after weather: and the zones, so this runs last.
void check_weather_refs(NodeReader& r, const Draft& d) {
  if (d.weather.set) {
    const Device* station = d.find_device(d.weather.device);
    if (station == nullptr) {
      r.error(d.weather_refs.device_at, "unknown weather station " + quoted(d.weather.device) +
                                            "; it must be one of the devices");
    } else if (const DeviceKind* kind = d.find_kind(station->kind); kind != nullptr) {
      for (const auto& [metric, at] : d.weather_refs.metrics) {
        if (kind->find_metric(metric) != nullptr) continue;
        r.error(at, quoted(metric) + " is not a metric of kind " + quoted(kind->name) +
                        "; it has: " +
                        join_names(kind->metrics, [](const MetricSpec& m) { return m.name; }));
      }
    }
  }
  if (d.agronomy.empty()) return;
  if (!d.weather.set) {
    r.error(d.agronomy_at.front(),
            "a zone with agronomy: needs a weather: section (the station ET0 is computed from)");
  }
  if (!d.location.set) {
    r.error(d.agronomy_at.front(),
            "a zone with agronomy: needs location: (latitude and altitude for ET0)");
  }
  for (std::size_t i = 0; i < d.agronomy.size(); ++i) {
    const ZoneAgronomy& a = d.agronomy[i];
    if (!a.et_mode) continue;
    bool valved = false;
    for (const Actuator& act : d.actuators) {
      valved = valved || (act.type == ActuatorType::valve && act.zone == a.zone);
    }
    if (!valved) {
      r.error(d.agronomy_at[i], "zone " + quoted(a.zone) +
                                    " has mode: et but no valve; add an actuator with type: "
                                    "valve and zone: " +
                                    a.zone);
    }
  }
}

}  // namespace

Config read_config(NodeReader& r, const YAML::Node& root) {
  const std::vector<Field<Draft>> fields{
      text_field<Draft>("site", &Draft::site, Need::optional, check_site),
      text_field<Draft>("timezone", &Draft::timezone, Need::optional, timezone_ok),
      text_field<Draft>("data_dir", &Draft::data_dir, Need::optional, non_empty),
      {"mqtt", [](NodeReader& r, const Value& v, Draft& d) { read_mqtt(r, v, d.mqtt); }},
      {"http", [](NodeReader& r, const Value& v, Draft& d) { read_http(r, v, d.http); }},
      {"store", [](NodeReader& r, const Value& v, Draft& d) { read_store(r, v, d.store); }},
      {"ocop", [](NodeReader& r, const Value& v, Draft& d) { read_ocop(r, v, d.ocop); }},
      {"zones", read_zones},
      {"kinds", read_kinds},
      {"devices", read_devices},
      {"sources", read_sources},
      {"uplinks", read_uplinks},
      {"actuators", read_actuators},
      {"lines", read_lines},
      {"location",
       [](NodeReader& r, const Value& v, Draft& d) { read_location(r, v, d.location); }},
      {"rules", read_rules},
      {"weather", read_weather},
      {"programs", read_programs},
      {"watering_windows",
       [](NodeReader& r, const Value& v, Draft& d) {
         read_windows(r, v, "watering_windows", d.watering_windows);
       }},
      {"rain_delay",
       [](NodeReader& r, const Value& v, Draft& d) { read_rain_delay(r, v, d.rain_delay); }},
  };
  Draft draft;
  if (!read_fields(r, Value{root, location_of(root)}, "", fields, draft)) return {};
  check_device_refs(r, draft);
  check_actuator_refs(r, draft);
  check_rule_refs(r, draft);
  check_weather_refs(r, draft);
  check_program_refs(r, draft);
  for (const auto& check : draft.deferred) check(r, draft);

  // Defaults that depend on other keys, filled once all of them are known.
  if (draft.mqtt.client_id.empty()) draft.mqtt.client_id = "farmgate-" + draft.site;
  if (draft.store.path.empty()) draft.store.path = join_path(draft.data_dir, "farmgate.db");
  if (draft.store.journal_dir.empty()) {
    draft.store.journal_dir = join_path(draft.data_dir, "journal");
  }
  return Config(std::move(draft));
}

}  // namespace farmgate::config::detail
