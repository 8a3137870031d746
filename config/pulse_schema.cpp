#include <cstdio>
#include <string>

#include "config/source_schema.h"
#include "config/units.h"

namespace farmgate::config {

const char* to_string(PulseBias b) {
  switch (b) {
    case PulseBias::as_is:
      return "as_is";
    case PulseBias::disable:
      return "disable";
    case PulseBias::pull_up:
      return "pull_up";
    case PulseBias::pull_down:
      return "pull_down";
  }
  return "?";
}

namespace detail {
namespace {

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

}  // namespace

bool read_pulse_source(NodeReader& r, const Value& item, const std::string& where, PulseSource& out,
                       DeferredChecks& later) {
  const std::vector<Field<PulseSource>> fields{
      text_field("name", &PulseSource::name, Need::required, check_id),
      known_field<PulseSource>("type"),
      text_field("device", &PulseSource::device, Need::required, check_id),
      {"chip",
       [](NodeReader& r, const Value& v, PulseSource& p) {
         auto s = r.text(v);
         if (!s) return;
         if (s->empty()) return r.error(v.at, "chip must not be empty");
         p.chip = std::move(*s);
         p.chip_given = true;
       }},
      {"line",
       [](NodeReader& r, const Value& v, PulseSource& p) {
         auto s = r.text(v);
         if (!s) return;
         if (s->empty()) return r.error(v.at, "line must be an offset on the chip or a line name");
         if (!all_digits(*s)) {
           p.line_name = std::move(*s);
           return;
         }
         // The character device numbers lines per chip; no chip has more than a few hundred.
         if (s->size() > 5 || std::stoul(*s) > 65535) {
           return r.error(v.at, "line offset must be 0 - 65535, got " + *s);
         }
         p.offset = static_cast<unsigned>(std::stoul(*s));
       },
       /*required=*/true},
      {"k_factor",
       [](NodeReader& r, const Value& v, PulseSource& p) {
         auto x = r.number(v);
         if (!x) return;
         // Meters sold for farm pipes range from ~1 (big woltmann) to a few thousand pulses/L.
         if (!(*x > 0) || *x > 100'000) {
           return r.error(v.at,
                          "k_factor (pulses per litre) must be more than 0 and at most "
                          "100000");
         }
         p.k_factor = *x;
       },
       /*required=*/true},
      duration_field("interval", &PulseSource::interval, 1s, Millis{1h}),
      duration_field("debounce", &PulseSource::debounce, 0ms, Millis{1s}),
      duration_field("idle_after", &PulseSource::idle_after, 100ms, Millis{10min}),
      duration_field("save_interval", &PulseSource::save_interval, 1s, Millis{24h}),
      {"bias",
       [](NodeReader& r, const Value& v, PulseSource& p) {
         auto s = r.text(v);
         if (!s) return;
         for (PulseBias b :
              {PulseBias::as_is, PulseBias::disable, PulseBias::pull_up, PulseBias::pull_down}) {
           if (*s == to_string(b)) {
             p.bias = b;
             return;
           }
         }
         r.error(v.at, "unknown bias " + quoted(*s) +
                           "; expected one of: as_is, disable, pull_up, pull_down");
       }},
      text_field("rate", &PulseSource::rate, Need::optional, check_id),
      text_field("total", &PulseSource::total, Need::optional, check_id),
  };
  auto seen = read_fields(r, item, where + " (gpio_pulse)", fields, out);
  if (!seen) return false;
  if (out.debounce >= out.idle_after && seen->has("debounce")) {
    r.error(seen->at("debounce"),
            "debounce must be shorter than idle_after (" + format_duration(out.idle_after) + ")");
  }
  if (out.rate == out.total) {
    r.error(seen->at("total"), "rate and total must be different metrics");
  }
  // The device and its kind may be written after the sources.
  const Location device_at = seen->at("device");
  const Location rate_at = seen->has("rate") ? seen->at("rate") : device_at;
  const Location total_at = seen->has("total") ? seen->at("total") : device_at;
  later.push_back([device = out.device, rate = out.rate, total = out.total, device_at, rate_at,
                   total_at](NodeReader& r, const Config& c) {
    if (device.empty()) return;
    const Device* d = c.find_device(device);
    if (d == nullptr) {
      return r.error(device_at, "unknown device " + quoted(device) +
                                    " for the pulse meter; it must be one of the devices");
    }
    const DeviceKind* kind = c.find_kind(d->kind);
    if (kind == nullptr) return;  // reported with the device
    const auto metric_ok = [&](const std::string& metric, Location at, const char* key) {
      if (kind->find_metric(metric) != nullptr) return;
      std::string names;
      for (const auto& m : kind->metrics) names += (names.empty() ? "" : ", ") + m.name;
      r.error(at, std::string(key) + " " + quoted(metric) + " is not a metric of kind " +
                      quoted(kind->name) + " (device " + quoted(device) + "); it has: " + names +
                      (at.line == device_at.line && at.column == device_at.column
                           ? "; name the kind's metrics with " + std::string(key) + ": ..."
                           : ""));
    };
    metric_ok(rate, rate_at, "rate");
    metric_ok(total, total_at, "total");
  });
  return true;
}

}  // namespace detail
}  // namespace farmgate::config
