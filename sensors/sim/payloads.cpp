#include "sensors/sim/payloads.h"

#include <charconv>
#include <cstdio>
#include <utility>

namespace farmgate::sim {
namespace {

void append_fixed(std::string& out, double v, int decimals) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed, decimals);
  if (ec == std::errc{}) out.append(buf, end);
}

void append_int(std::string& out, std::int64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  if (ec == std::errc{}) out.append(buf, end);
}

constexpr std::size_t kTooLargeBytes = 1 << 20;

}  // namespace

std::string_view kind_name(MessageKind kind) {
  switch (kind) {
    case MessageKind::good:
      return "good";
    case MessageKind::invalid_json:
      return "invalid_json";
    case MessageKind::not_object:
      return "not_object";
    case MessageKind::wrong_type:
      return "wrong_type";
    case MessageKind::nan:
      return "nan";
    case MessageKind::out_of_range:
      return "out_of_range";
    case MessageKind::too_large:
      return "too_large";
    case MessageKind::unknown_topic:
      return "unknown_topic";
    case MessageKind::unknown_device:
      return "unknown_device";
  }
  return "unknown";
}

std::vector<SimDevice> reference_devices() {
  return {{"soil-z1", "z1"}, {"soil-z2", "z2"}};
}

std::vector<SimDevice> load_devices(int n, const std::vector<std::string>& zones) {
  std::vector<SimDevice> out;
  out.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    char id[32];
    std::snprintf(id, sizeof id, "soil-%04d", i + 1);
    out.push_back(
        {id, zones.empty() ? std::string{} : zones[static_cast<std::size_t>(i) % zones.size()]});
  }
  return out;
}

std::string telemetry_topic(const SimDevice& device) {
  return "farm/" + device.zone + "/" + device.id + "/telemetry";
}

std::string telemetry_payload(const SoilSample& s, std::int64_t ts_ms) {
  std::string out;
  out.reserve(80);
  out += "{\"moisture\": ";
  append_fixed(out, s.moisture, 1);
  out += ", \"temp_c\": ";
  append_fixed(out, s.temp_c, 1);
  out += ", \"ec\": ";
  append_fixed(out, s.ec, 2);
  out += ", \"ts\": ";
  append_int(out, ts_ms);
  out += '}';
  return out;
}

std::string flow_payload(const FlowSample& flow, std::int64_t ts_ms) {
  std::string out;
  out.reserve(64);
  out += "{\"rate\": ";
  append_fixed(out, flow.rate_lpm, 1);
  out += ", \"total\": ";
  append_fixed(out, flow.total_litres, 1);
  out += ", \"ts\": ";
  append_int(out, ts_ms);
  out += '}';
  return out;
}

std::string tank_payload(double level_percent, std::int64_t ts_ms) {
  std::string out;
  out.reserve(48);
  out += "{\"level\": ";
  append_fixed(out, level_percent, 1);
  out += ", \"ts\": ";
  append_int(out, ts_ms);
  out += '}';
  return out;
}

MessageStream::MessageStream(StreamOptions options) : opt_(std::move(options)) {
  if (opt_.sampler) return;
  models_.reserve(opt_.devices.size());
  for (std::size_t k = 0; k < opt_.devices.size(); ++k) {
    models_.emplace_back(opt_.soil, device_seed(opt_.seed, k), opt_.start);
  }
}

Message MessageStream::next() {
  ++produced_;
  if (opt_.bad_every > 0 && produced_ % opt_.bad_every == 0) {
    MessageKind kind = kBadKinds[bad_ % kBadKinds.size()];
    ++bad_;
    return bad(kind);
  }
  std::size_t n = opt_.devices.size();
  std::size_t k = good_ % n;
  std::int64_t j = static_cast<std::int64_t>(good_ / n);
  ++good_;
  std::int64_t ts = to_epoch_ms(opt_.start) + j * opt_.interval.count();
  SoilSample s =
      opt_.sampler ? opt_.sampler(k, from_epoch_ms(ts)) : models_[k].sample(from_epoch_ms(ts));
  return {MessageKind::good, telemetry_topic(opt_.devices[k]), telemetry_payload(s, ts), ts,
          static_cast<int>(k)};
}

Timestamp MessageStream::next_reading_time() const {
  return opt_.start + static_cast<std::int64_t>(good_ / opt_.devices.size()) * opt_.interval;
}

Message MessageStream::bad(MessageKind kind) {
  // A bad message is sent as the device whose turn is next, one millisecond after the reading it
  // would take: should the gateway wrongly accept one, it shows up as an extra point upstream
  // instead of silently overwriting a good one.
  const SimDevice& dev = opt_.devices[good_ % opt_.devices.size()];
  std::int64_t ts = to_epoch_ms(opt_.start) +
                    static_cast<std::int64_t>(good_ / opt_.devices.size()) * opt_.interval.count() +
                    1;
  std::string ts_text;
  append_int(ts_text, ts);
  SoilSample plausible{31.5, 27.1, 0.8};

  Message m;
  m.kind = kind;
  m.topic = telemetry_topic(dev);
  switch (kind) {
    case MessageKind::good:
    case MessageKind::invalid_json:
      m.payload = "{\"moisture\": 3";
      break;
    case MessageKind::not_object:
      m.payload = "[1,2]";
      break;
    case MessageKind::wrong_type:
      m.payload = "{\"moisture\":\"wet\",\"ts\":" + ts_text + "}";
      break;
    case MessageKind::nan:
      m.payload = "{\"moisture\": NaN, \"temp_c\": 27.1, \"ec\": 0.8, \"ts\": " + ts_text + "}";
      break;
    case MessageKind::out_of_range:
      m.payload = "{\"moisture\": 150, \"temp_c\": 27.1, \"ec\": 0.8, \"ts\": " + ts_text + "}";
      break;
    case MessageKind::too_large: {
      m.payload = "{\"moisture\": 31.5, \"pad\": \"";
      m.payload.append(kTooLargeBytes - m.payload.size() - 2, 'x');
      m.payload += "\"}";
      break;
    }
    // These two always name the first device's zone: farm/z1/soil-z1/diagnostics and
    // farm/z1/ghost-9/telemetry with the reference devices.
    case MessageKind::unknown_topic:
      m.topic = "farm/" + opt_.devices[0].zone + "/" + opt_.devices[0].id + "/diagnostics";
      m.payload = telemetry_payload(plausible, ts);
      break;
    case MessageKind::unknown_device:
      m.topic = "farm/" + opt_.devices[0].zone + "/ghost-9/telemetry";
      m.payload = telemetry_payload(plausible, ts);
      break;
  }
  return m;
}

}  // namespace farmgate::sim
