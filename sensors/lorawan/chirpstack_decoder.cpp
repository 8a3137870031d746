#include "sensors/lorawan/chirpstack_decoder.h"

#include <boost/json/parser.hpp>
#include <boost/json/value.hpp>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <vector>

namespace farmgate::sensors {
namespace {

namespace json = boost::json;

// Readings may be stamped at most this far ahead of a synchronised gateway clock.
constexpr std::int64_t kMaxFutureMs = 24LL * 3600 * 1000;

Error fail(std::string code, std::string_view where, std::string_view what) {
  return make_error(std::move(code), std::string(where) + ": " + std::string(what));
}

std::string format(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

// "a string", "true", ... for "expected X, got Y".
std::string describe(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null:
      return "null";
    case json::kind::bool_:
      return v.get_bool() ? "true" : "false";
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_:
      return "a number";
    case json::kind::string:
      return "a string";
    case json::kind::array:
      return "an array";
    case json::kind::object:
      return "an object";
  }
  return "something else";
}

std::optional<std::string> normalise_eui(std::string_view text) {
  if (text.size() != 16) return std::nullopt;
  std::string out(text);
  for (char& c : out) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return std::nullopt;
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

// A JSON number, or a string that holds exactly one (finite).
std::optional<double> as_number(const json::value& v) {
  if (v.is_double()) return v.get_double();
  if (v.is_int64()) return static_cast<double>(v.get_int64());
  if (v.is_uint64()) return static_cast<double>(v.get_uint64());
  if (v.is_string()) {
    const json::string& s = v.get_string();
    double x = 0;
    const char* end = s.data() + s.size();
    auto [ptr, ec] = std::from_chars(s.data(), end, x);
    if (ec != std::errc() || ptr != end || s.empty() || !std::isfinite(x)) return std::nullopt;
    return x;
  }
  return std::nullopt;
}

// A member that must be a JSON number (the protobuf mapping never quotes 32-bit numbers).
Result<std::optional<double>> number_member(const json::object& o, std::string_view key,
                                            const std::string& where) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr || v->is_null()) return std::optional<double>{};
  if (v->is_string() || !as_number(*v)) {
    return fail("wrong_type", where, "expected a number, got " + describe(*v));
  }
  return std::optional<double>{as_number(*v)};
}

Result<std::optional<std::uint32_t>> uint32_member(const json::object& o, std::string_view key,
                                                   const std::string& where) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr || v->is_null()) return std::optional<std::uint32_t>{};
  std::int64_t n = -1;
  if (v->is_int64()) n = v->get_int64();
  if (v->is_uint64() && v->get_uint64() <= std::numeric_limits<std::uint32_t>::max()) {
    n = static_cast<std::int64_t>(v->get_uint64());
  }
  if (n < 0 || n > std::numeric_limits<std::uint32_t>::max()) {
    return fail("wrong_type", where,
                "expected a whole number 0..4294967295, got " +
                    (v->is_number() ? format(v->to_number<double>()) : describe(*v)));
  }
  return std::optional<std::uint32_t>{static_cast<std::uint32_t>(n)};
}

Result<std::string> string_member(const json::object& o, std::string_view key,
                                  const std::string& where) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr || v->is_null()) return std::string();
  if (!v->is_string()) return fail("wrong_type", where, "expected a string, got " + describe(*v));
  return std::string(v->get_string());
}

Result<bool> bool_member(const json::object& o, std::string_view key, const std::string& where) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr || v->is_null()) return false;
  if (!v->is_bool())
    return fail("wrong_type", where, "expected true or false, got " + describe(*v));
  return v->get_bool();
}

// Follows a dotted path into the decoded object. nullopt: not there (or null), which is how a
// codec says a probe is missing.
Result<const json::value*> lookup(const json::object& object, std::string_view path) {
  const json::object* at = &object;
  std::string where = "object";
  std::size_t start = 0;
  for (;;) {
    const std::size_t dot = path.find('.', start);
    const std::string_view key = path.substr(start, dot - start);
    const json::value* v = at->if_contains(key);
    where += ".";
    where += key;
    if (v == nullptr || v->is_null()) return static_cast<const json::value*>(nullptr);
    if (dot == std::string_view::npos) return v;
    if (!v->is_object()) {
      return fail("wrong_type", where,
                  "expected an object holding '" +
                      std::string(path.substr(dot + 1, path.find('.', dot + 1) - dot - 1)) +
                      "', got " + describe(*v));
    }
    at = &v->get_object();
    start = dot + 1;
  }
}

bool plausible(Timestamp t, Timestamp received, bool clock_synchronised) {
  const std::int64_t ms = to_epoch_ms(t);
  return ms >= kPlausibleEpochMs &&
         (!clock_synchronised || ms <= to_epoch_ms(received) + kMaxFutureMs);
}

int digits(std::string_view s, std::size_t pos, std::size_t n) {
  if (pos + n > s.size()) return -1;
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return -1;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

}  // namespace

const char* to_string(LorawanEvent e) {
  switch (e) {
    case LorawanEvent::up:
      return "up";
    case LorawanEvent::status:
      return "status";
    case LorawanEvent::join:
      return "join";
  }
  return "?";
}

std::optional<Timestamp> parse_rfc3339(std::string_view s) {
  // YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)
  const int year = digits(s, 0, 4), month = digits(s, 5, 2), day = digits(s, 8, 2);
  const int hour = digits(s, 11, 2), minute = digits(s, 14, 2), second = digits(s, 17, 2);
  if (year < 0 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0) return std::nullopt;
  if (s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
      s[13] != ':' || s[16] != ':') {
    return std::nullopt;
  }
  const std::chrono::year_month_day ymd{std::chrono::year{year},
                                        std::chrono::month{static_cast<unsigned>(month)},
                                        std::chrono::day{static_cast<unsigned>(day)}};
  if (!ymd.ok() || hour > 23 || minute > 59 || second > 60) return std::nullopt;
  std::size_t pos = 19;
  int millis = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    const std::size_t first = pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (pos - first < 3) millis = millis * 10 + (s[pos] - '0');
      ++pos;
    }
    if (pos == first) return std::nullopt;
    for (std::size_t n = pos - first; n < 3; ++n) millis *= 10;
  }
  if (pos >= s.size()) return std::nullopt;
  int offset_minutes = 0;
  if (s[pos] == 'Z' || s[pos] == 'z') {
    ++pos;
  } else if (s[pos] == '+' || s[pos] == '-') {
    const int oh = digits(s, pos + 1, 2), om = digits(s, pos + 4, 2);
    if (oh < 0 || om < 0 || s[pos + 3] != ':' || oh > 23 || om > 59) return std::nullopt;
    offset_minutes = (s[pos] == '+' ? 1 : -1) * (oh * 60 + om);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  const auto t = std::chrono::sys_days{ymd} + std::chrono::hours{hour} +
                 std::chrono::minutes{minute - offset_minutes} + std::chrono::seconds{second} +
                 std::chrono::milliseconds{millis};
  return std::chrono::time_point_cast<Millis>(t);
}

ChirpstackDecoder::ChirpstackDecoder(const config::ChirpstackSource& source,
                                     const config::Config& config)
    : source_(source), calibrator_(config) {
  for (const auto& m : source.devices) {
    const config::Device* device = config.find_device(m.device);
    if (device == nullptr) continue;
    const config::DeviceKind* kind = config.find_kind(device->kind);
    if (kind == nullptr) continue;
    by_eui_.emplace(m.dev_eui, Target{&m, device, kind});
  }
}

std::vector<std::string> ChirpstackDecoder::filters() const {
  std::vector<std::string> out;
  for (const char* event : {"up", "status", "join"}) {
    out.push_back(source_.topic_prefix + "/+/device/+/event/" + event);
  }
  return out;
}

Result<DecodedLorawan> ChirpstackDecoder::decode(std::string_view topic, std::string_view payload,
                                                 Timestamp received,
                                                 bool clock_synchronised) const {
  if (payload.size() > source_.max_payload_bytes) {
    return fail("too_large", "payload",
                std::to_string(payload.size()) + " bytes, more than the " +
                    std::to_string(source_.max_payload_bytes) + " allowed");
  }

  // ---- topic: <prefix>/<application>/device/<devEUI>/event/<event>
  const std::string expected_form =
      "expected " + source_.topic_prefix + "/APPLICATION_ID/device/DEV_EUI/event/(up|status|join)";
  if (topic.size() <= source_.topic_prefix.size() || !topic.starts_with(source_.topic_prefix) ||
      topic[source_.topic_prefix.size()] != '/') {
    return fail("unknown_topic", "topic", expected_form);
  }
  std::vector<std::string_view> levels;
  for (std::string_view rest = topic.substr(source_.topic_prefix.size() + 1);;) {
    const std::size_t slash = rest.find('/');
    levels.push_back(rest.substr(0, slash));
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }
  if (levels.size() != 5 || levels[0].empty() || levels[1] != "device" || levels[3] != "event") {
    return fail("unknown_topic", "topic", expected_form);
  }
  DecodedLorawan out;
  if (levels[4] == "up") {
    out.event = LorawanEvent::up;
  } else if (levels[4] == "status") {
    out.event = LorawanEvent::status;
  } else if (levels[4] == "join") {
    out.event = LorawanEvent::join;
  } else {
    return fail("unknown_topic", "topic", expected_form);
  }
  const auto topic_eui = normalise_eui(levels[2]);
  if (!topic_eui) return fail("bad_dev_eui", "topic", "the devEUI level is not 16 hex digits");

  // ---- payload
  json::parser parser;
  boost::system::error_code ec;
  const std::size_t consumed = parser.write(payload.data(), payload.size(), ec);
  if (ec) {
    return fail("invalid_json", "payload at byte " + std::to_string(consumed),
                "not JSON (" + ec.message() + ")");
  }
  const json::value doc = parser.release();
  if (!doc.is_object()) {
    return fail("not_object", "payload", "expected a JSON object, got " + describe(doc));
  }
  const json::object& event = doc.get_object();

  const json::value* info = event.if_contains("deviceInfo");
  if (info == nullptr || info->is_null()) return fail("missing_field", "deviceInfo", "missing");
  if (!info->is_object()) {
    return fail("wrong_type", "deviceInfo", "expected an object, got " + describe(*info));
  }
  const json::value* eui_value = info->get_object().if_contains("devEui");
  if (eui_value == nullptr) return fail("missing_field", "deviceInfo.devEui", "missing");
  if (!eui_value->is_string()) {
    return fail("wrong_type", "deviceInfo.devEui",
                "expected a string, got " + describe(*eui_value));
  }
  const auto eui = normalise_eui(eui_value->get_string());
  if (!eui) return fail("bad_dev_eui", "deviceInfo.devEui", "not 16 hex digits");
  if (*eui != *topic_eui) {
    return fail("dev_eui_mismatch", "deviceInfo.devEui",
                *eui + " is not the topic's " + *topic_eui);
  }
  out.dev_eui = *eui;
  auto name = string_member(info->get_object(), "deviceName", "deviceInfo.deviceName");
  if (!name) return name.error();
  out.device_name = std::move(*name);

  auto dedup = string_member(event, "deduplicationId", "deduplicationId");
  if (!dedup) return dedup.error();
  out.deduplication_id = std::move(*dedup);

  out.time = received;
  if (const json::value* t = event.if_contains("time"); t != nullptr && t->is_string()) {
    if (auto stamp = parse_rfc3339(t->get_string());
        stamp && plausible(*stamp, received, clock_synchronised)) {
      out.time = *stamp;
      out.time_from_event = true;
    }
  }
  // The server's clock stamped it; otherwise ours, which may not be set yet.
  const Quality quality =
      out.time_from_event || clock_synchronised ? Quality::good : Quality::clock_unsynced;

  if (out.event == LorawanEvent::join) {
    auto addr = string_member(event, "devAddr", "devAddr");
    if (!addr) return addr.error();
    out.dev_addr = std::move(*addr);
  }

  const json::object* object = nullptr;
  if (out.event == LorawanEvent::up) {
    auto f_cnt = uint32_member(event, "fCnt", "fCnt");
    if (!f_cnt) return f_cnt.error();
    out.f_cnt = f_cnt->value_or(0);
    auto f_port = uint32_member(event, "fPort", "fPort");
    if (!f_port) return f_port.error();
    out.f_port = *f_port;

    if (const json::value* rx = event.if_contains("rxInfo"); rx != nullptr && !rx->is_null()) {
      if (!rx->is_array())
        return fail("wrong_type", "rxInfo", "expected an array, got " + describe(*rx));
      const json::array& gateways = rx->get_array();
      for (std::size_t i = 0; i < gateways.size(); ++i) {
        const std::string where = "rxInfo[" + std::to_string(i) + "]";
        if (!gateways[i].is_object()) {
          return fail("wrong_type", where, "expected an object, got " + describe(gateways[i]));
        }
        auto rssi = number_member(gateways[i].get_object(), "rssi", where + ".rssi");
        if (!rssi) return rssi.error();
        auto snr = number_member(gateways[i].get_object(), "snr", where + ".snr");
        if (!snr) return snr.error();
        if (*rssi && (!out.rssi || **rssi > *out.rssi)) out.rssi = *rssi;
        if (*snr && (!out.snr || **snr > *out.snr)) out.snr = *snr;
      }
    }
    if (const json::value* o = event.if_contains("object"); o != nullptr && !o->is_null()) {
      if (!o->is_object())
        return fail("wrong_type", "object", "expected an object, got " + describe(*o));
      object = &o->get_object();
    }
  } else if (out.event == LorawanEvent::status) {
    auto margin = number_member(event, "margin", "margin");
    if (!margin) return margin.error();
    if (*margin) out.margin = static_cast<int>(std::lround(**margin));
    auto level = number_member(event, "batteryLevel", "batteryLevel");
    if (!level) return level.error();
    auto unavailable = bool_member(event, "batteryLevelUnavailable", "batteryLevelUnavailable");
    if (!unavailable) return unavailable.error();
    auto external = bool_member(event, "externalPowerSource", "externalPowerSource");
    if (!external) return external.error();
    // The JSON mapping writes batteryLevel 0 even when the device cannot measure it or runs on
    // mains; only a level the device actually reported is a battery level.
    if (*level && !*unavailable && !*external && **level >= 0 && **level <= 100) {
      out.battery = *level;
    }
  }

  const auto target = by_eui_.find(out.dev_eui);
  if (target == by_eui_.end()) return out;
  const Target& t = target->second;
  out.mapping = t.mapping;
  out.device = t.device;

  const auto refuse = [&](Error e) {
    out.readings.clear();
    out.refused = std::move(e);
    return out;
  };
  // The battery as health, whether or not the kind stores it as a reading.
  if (object != nullptr) {
    auto b = lookup(*object, t.mapping->battery_path);
    if (b && *b != nullptr) {
      if (auto x = as_number(**b); x && *x >= 0 && *x <= 100) out.battery = x;
    }
  }
  if (out.event == LorawanEvent::join) return out;

  ReadingBatch raw_readings;  // of calibrated metrics, after the batch's own readings
  for (const config::MetricSpec& spec : t.kind->metrics) {
    std::optional<double> value;
    std::string where;
    if (spec.name == "rssi") {
      value = out.rssi;
      where = "rxInfo";
    } else if (spec.name == "snr") {
      value = out.snr;
      where = "rxInfo";
    } else if (out.event == LorawanEvent::status) {
      if (spec.name != "battery") continue;
      value = out.battery;
      where = "batteryLevel";
    } else {
      if (object == nullptr) continue;
      const std::string_view path = t.mapping->path_of(spec.name);
      auto found = lookup(*object, path);
      if (!found) return refuse(found.error());
      if (*found == nullptr) continue;
      where = "object." + std::string(path);
      value = as_number(**found);
      if (!value) {
        return refuse(
            fail("wrong_type", where, spec.name + " must be a number, got " + describe(**found)));
      }
    }
    if (!value) continue;
    // Calibrated as every source does (sensors/calibration.h), then checked: the range is the
    // calibrated value's.
    const double raw = *value;
    const double calibrated = calibrator_.value(t.device->id, spec.name, raw);
    const bool has_rule = t.device->calibration.find(spec.name) != nullptr;
    if (!std::isfinite(calibrated) || calibrated < spec.min || calibrated > spec.max) {
      return refuse(fail("out_of_range", where,
                         spec.name + " " + format(calibrated) +
                             (has_rule ? " (raw " + format(raw) + ")" : std::string()) +
                             " is outside " + format(spec.min) + ".." + format(spec.max) + " " +
                             spec.unit));
    }
    out.readings.push_back(Reading{t.device->id, t.device->zone, t.kind->name, spec.name,
                                   calibrated, spec.unit, out.time, quality});
    if (has_rule) {
      raw_readings.push_back(Reading{t.device->id, t.device->zone, t.kind->name,
                                     Calibrator::raw_metric(spec.name), raw, "", out.time,
                                     quality});
    }
  }
  out.readings.insert(out.readings.end(), raw_readings.begin(), raw_readings.end());
  return out;
}

}  // namespace farmgate::sensors
