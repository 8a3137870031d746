#include <cmath>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "config/source_schema.h"

namespace farmgate::config {

const std::vector<SoilMoisturePreset>& soil_moisture_presets() {
  // Air-dry: roughly the residual water content; saturated: the total porosity (Rawls, Brakensiek
  // and Saxton 1982, texture-class means). Peat from typical fen/bog peat figures. Rounded: a
  // probe's own scatter is larger than the difference.
  static const std::vector<SoilMoisturePreset> presets{
      {"sand", 2, 44},       {"loamy_sand", 4, 44}, {"sandy_loam", 4, 45},
      {"loam", 3, 46},       {"silt_loam", 2, 50},  {"clay_loam", 8, 46},
      {"silty_clay", 6, 48}, {"clay", 9, 48},       {"peat", 10, 85},
  };
  return presets;
}

const SoilMoisturePreset* find_soil_moisture_preset(std::string_view name) {
  for (const auto& p : soil_moisture_presets()) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

namespace detail {
namespace {

// What one metric's mapping said, before it is turned into a line.
struct Written {
  std::optional<double> raw_dry, raw_wet, raw_1, value_1, raw_2, value_2, scale, offset;
  std::optional<std::string> soil;
};

Field<Written> number(std::string_view key, std::optional<double> Written::*member) {
  return {key, [member](NodeReader& r, const Value& v, Written& w) {
            if (auto x = r.number(v)) w.*member = *x;
          }};
}

// The three forms and their keys; a metric uses exactly one.
struct Form {
  std::string_view name;
  std::vector<std::string_view> keys;
};
const std::vector<Form>& forms() {
  static const std::vector<Form> all{
      {"raw_dry/raw_wet", {"raw_dry", "raw_wet", "soil"}},
      {"raw_1/value_1/raw_2/value_2", {"raw_1", "value_1", "raw_2", "value_2"}},
      {"offset/scale", {"offset", "scale"}},
  };
  return all;
}

std::string preset_names() {
  std::string out;
  for (const auto& p : soil_moisture_presets())
    out += (out.empty() ? "" : ", ") + std::string(p.name);
  return out;
}

// Turns what was written into value = raw * scale + offset. False after reporting why not.
bool read_metric(NodeReader& r, const Entry& e, const std::string& where, MetricCalibration& out) {
  const std::vector<Field<Written>> fields{
      number("raw_dry", &Written::raw_dry),
      number("raw_wet", &Written::raw_wet),
      {"soil",
       [](NodeReader& r, const Value& v, Written& w) {
         auto s = r.text(v);
         if (!s) return;
         if (find_soil_moisture_preset(*s) == nullptr) {
           return r.error(v.at,
                          "unknown soil " + quoted(*s) + "; expected one of: " + preset_names());
         }
         w.soil = std::move(*s);
       }},
      number("raw_1", &Written::raw_1),
      number("value_1", &Written::value_1),
      number("raw_2", &Written::raw_2),
      number("value_2", &Written::value_2),
      number("scale", &Written::scale),
      number("offset", &Written::offset),
  };
  const std::string here = where + "." + e.key;
  Written w;
  auto seen = read_fields(r, e.value, here, fields, w);
  if (!seen) return false;

  // Which form: the first key written decides; a key of another form is the mistake.
  const Form* form = nullptr;
  bool mixed = false;
  for (const Form& f : forms()) {
    std::optional<std::string_view> used;
    for (std::string_view key : f.keys) {
      if (seen->has(key)) used = key;
    }
    if (!used) continue;
    if (form == nullptr) {
      form = &f;
      continue;
    }
    r.error(seen->at(*used), "cannot mix " + std::string(form->name) + " with " +
                                 std::string(f.name) + " " + in_where(here) +
                                 "; a metric is calibrated one way");
    mixed = true;
  }
  if (form == nullptr) {
    // Only unknown keys: those were reported, and say more than "empty" would.
    if (e.value.node.IsMap() && e.value.node.size() > 0) return false;
    r.error(e.value.at, "empty calibration " + in_where(here) +
                            "; give raw_dry and raw_wet, raw_1/value_1/raw_2/value_2, or "
                            "offset and/or scale");
    return false;
  }
  if (mixed) return false;
  const auto need = [&](std::initializer_list<std::string_view> keys) {
    bool ok = true;
    for (std::string_view key : keys) {
      if (seen->has(key)) continue;
      r.error(e.value.at, "missing " + std::string(key) + " " + in_where(here) + " (" +
                              std::string(form->name) + " needs every one of them)");
      ok = false;
    }
    return ok;
  };
  // Two points (r1, v1), (r2, v2) as a line; equal raws would divide by zero.
  const auto through = [&](double r1, double v1, double r2, double v2, std::string_view r1_key,
                           std::string_view r2_key) {
    if (r1 == r2) {
      r.error(seen->at(r2_key), std::string(r2_key) + " must differ from " + std::string(r1_key) +
                                    " (both " + format_number(r1) + ") " + in_where(here) +
                                    ": two equal points give no line");
      return false;
    }
    out.form = MetricCalibration::Form::two_point;
    out.scale = (v2 - v1) / (r2 - r1);
    out.offset = v1 - r1 * out.scale;
    return true;
  };
  if (form == &forms()[0]) {
    if (!need({"raw_dry", "raw_wet"}) || !w.raw_dry || !w.raw_wet) return false;
    double dry = 0, wet = 100;
    if (w.soil) {
      const SoilMoisturePreset* p = find_soil_moisture_preset(*w.soil);
      dry = p->dry_percent;
      wet = p->saturated_percent;
      out.soil = *w.soil;
    } else if (seen->has("soil")) {
      return false;  // an unknown soil, already reported
    }
    return through(*w.raw_dry, dry, *w.raw_wet, wet, "raw_dry", "raw_wet");
  }
  if (form == &forms()[1]) {
    if (!need({"raw_1", "value_1", "raw_2", "value_2"})) return false;
    if (!w.raw_1 || !w.value_1 || !w.raw_2 || !w.value_2) return false;
    return through(*w.raw_1, *w.value_1, *w.raw_2, *w.value_2, "raw_1", "raw_2");
  }
  if (w.scale && *w.scale == 0) {
    r.error(seen->at("scale"),
            "scale must not be 0 " + in_where(here) + ": every raw value would read the same");
    return false;
  }
  out.form = MetricCalibration::Form::offset_scale;
  out.scale = w.scale.value_or(1);
  out.offset = w.offset.value_or(0);
  return true;
}

}  // namespace

void read_calibration(NodeReader& r, const Value& v, const std::string& where, Calibration& out,
                      DeferredChecks& later) {
  auto entries = r.entries(v, where);
  if (!entries) return;
  out.line = v.at.line;
  out.column = v.at.column;
  for (const Entry& e : *entries) {
    if (!r.report(e.key_at, check_id(e.key))) continue;
    MetricCalibration m;
    m.metric = e.key;
    m.line = e.key_at.line;
    m.column = e.key_at.column;
    if (read_metric(r, e, where, m)) out.metrics.push_back(std::move(m));
  }
  if (out.metrics.empty()) return;
  // The device's kind may be defined after it: its metrics are checked once all is read. The
  // device is found again by where its calibration: was written, since its id may come later in
  // its own mapping and the Device is moved before the checks run.
  const Location at = v.at;
  later.push_back([at](NodeReader& r, const Config& c) {
    for (const Device& d : c.devices) {
      if (d.calibration.line != at.line || d.calibration.column != at.column) continue;
      const DeviceKind* kind = c.find_kind(d.kind);
      if (kind == nullptr) return;  // reported with the device
      for (const MetricCalibration& m : d.calibration.metrics) {
        if (kind->find_metric(m.metric) != nullptr) continue;
        std::string names;
        for (const auto& spec : kind->metrics) names += (names.empty() ? "" : ", ") + spec.name;
        r.error({m.line, m.column}, "cannot calibrate " + quoted(m.metric) + " of device " +
                                        quoted(d.id) + ": it is not a metric of kind " +
                                        quoted(kind->name) + "; it has: " + names);
      }
      return;
    }
  });
}

}  // namespace detail
}  // namespace farmgate::config
