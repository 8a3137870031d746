#include "rules/et_runtime.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>

#include "core/event.h"
#include "rules/water_balance.h"

namespace farmgate::rules {
namespace {

using namespace std::chrono_literals;

constexpr const char* kComponent = "et";
// W m-2 held for an hour, in MJ m-2.
constexpr double kWm2HourToMj = 3600e-6;

struct CropP {
  std::string_view crop;
  double p;
};
// FAO-56 Table 22, p for ETc ≈ 5 mm/day: rice 0.20, citrus 0.50, coffee 0.40, sweet peppers
// 0.30, cabbage (our "vegetables") 0.45, tomato 0.40.
constexpr CropP kCropP[] = {
    {"rice", 0.20},         {"citrus", 0.50},     {"coffee", 0.40},
    {"sweet_pepper", 0.30}, {"vegetables", 0.45}, {"tomato", 0.40},
};

std::string fixed(double x, int decimals = 2) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, x);
  return buf;
}

std::string date_of(const LocalTime& t) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", t.year, t.month, t.day);
  return buf;
}

// Whole days from the planting date to the local date `t`.
int days_after(const config::ZoneAgronomy& a, const LocalTime& t) {
  using namespace std::chrono;
  const sys_days planted{year{a.planting_year} / month{static_cast<unsigned>(a.planting_month)} /
                         day{static_cast<unsigned>(a.planting_day)}};
  const sys_days today{year{t.year} / month{static_cast<unsigned>(t.month)} /
                       day{static_cast<unsigned>(t.day)}};
  return static_cast<int>((today - planted).count());
}

void add(double& sum, double& mx, double& mn, int& n, double v) {
  mx = n == 0 ? v : std::max(mx, v);
  mn = n == 0 ? v : std::min(mn, v);
  sum += v;
  ++n;
}

}  // namespace

std::optional<double> crop_depletion_fraction(std::string_view crop) {
  for (const CropP& c : kCropP) {
    if (c.crop == crop) return c.p;
  }
  return std::nullopt;
}

std::vector<config::ConfigError> check_et(const config::Config& c) {
  std::vector<config::ConfigError> errors;
  for (const config::ZoneAgronomy& a : c.agronomy) {
    if (a.custom_kc || a.crop.text.empty()) continue;
    std::string message;
    if (!fao56::find_crop(a.crop.text)) {
      std::string names;
      for (const auto& e : fao56::builtin_crops()) {
        names += (names.empty() ? "" : ", ") + std::string(e.name);
      }
      message = "unknown crop '" + a.crop.text + "' in zone '" + a.zone +
                "'; built-in crops: " + names + " (or give kc: and p:)";
    } else if (!a.p && !crop_depletion_fraction(a.crop.text)) {
      message = "crop '" + a.crop.text + "' has no built-in p; give p: in zone '" + a.zone + "'";
    }
    if (!message.empty()) {
      errors.push_back({c.source_file, a.crop.line, a.crop.column, std::move(message)});
    }
  }
  return errors;
}

const char* to_string(Et0Method m) {
  return m == Et0Method::penman_monteith ? "penman_monteith" : "hargreaves";
}

EtRuntime::EtRuntime(const config::Config& c, SiteTime time, Clock& clock, ActionSink& sink,
                     Logger& log, Emit emit)
    : config_(c),
      time_(std::move(time)),
      clock_(clock),
      sink_(sink),
      log_(log),
      emit_(std::move(emit)) {
  for (const config::ZoneAgronomy& a : c.agronomy) {
    Zone z;
    z.cfg = a;
    if (a.custom_kc) {
      z.stages = {a.kc_ini, a.kc_mid, a.kc_end, a.l_ini, a.l_dev, a.l_mid, a.l_late};
    } else {
      z.stages = fao56::find_crop(a.crop.text).value_or(fao56::CropStages{});
    }
    z.p_fixed = a.p.has_value();
    z.p_table = a.p.value_or(crop_depletion_fraction(a.crop.text).value_or(0.5));
    z.taw = fao56::total_available_water(a.theta_fc, a.theta_wp, a.root_depth_m);
    z.raw = fao56::readily_available_water(z.p_table, z.taw);
    zones_.push_back(std::move(z));
  }
}

void EtRuntime::on_reading(const Reading& r) {
  const config::WeatherStation& w = config_.weather;
  if (!w.set || r.device != w.device || r.quality != Quality::good) return;
  if (to_epoch_ms(r.time) < kPlausibleEpochMs || !std::isfinite(r.value)) return;
  const Timestamp midnight = time_.local_midnight(r.time);
  // A day already closed keeps its ET0; a reading far ahead of the clock is not trusted.
  if (current_day_ && midnight < *current_day_) return;
  if (r.time > clock_.now() + Millis{10min}) return;
  const auto index = std::clamp<std::int64_t>((r.time - midnight) / Millis{1h}, 0, 24);
  Hour& h = days_[midnight][static_cast<std::size_t>(index)];
  double unused_max = 0, unused_min = 0;
  if (r.metric == w.temp_c) {
    add(h.t_sum, h.t_max, h.t_min, h.t_n, r.value);
  } else if (!w.rh_pct.empty() && r.metric == w.rh_pct) {
    add(h.rh_sum, h.rh_max, h.rh_min, h.rh_n, std::clamp(r.value, 0.0, 100.0));
  } else if (!w.wind_ms.empty() && r.metric == w.wind_ms) {
    add(h.wind_sum, unused_max, unused_min, h.wind_n, std::max(r.value, 0.0));
  } else if ((!w.solar_wm2.empty() && r.metric == w.solar_wm2) ||
             (!w.solar_mj.empty() && r.metric == w.solar_mj)) {
    add(h.solar_sum, unused_max, unused_min, h.solar_n, std::max(r.value, 0.0));
  } else if (!w.rain_mm.empty() && r.metric == w.rain_mm) {
    if (!w.rain_counter) {
      h.rain_mm += std::max(r.value, 0.0);
      return;
    }
    // A counter that went down was reset (a station reboot): what it shows fell since then.
    if (last_rain_total_)
      h.rain_mm +=
          r.value >= *last_rain_total_ ? r.value - *last_rain_total_ : std::max(r.value, 0.0);
    last_rain_total_ = r.value;
  }
}

void EtRuntime::tick() {
  if (!clock_.synchronised()) return;
  const Timestamp now = clock_.now();
  const Timestamp midnight = time_.local_midnight(now);
  const Timestamp hour = midnight + (now - midnight) / Millis{1h} * Millis{1h};
  if (current_hour_ && hour > *current_hour_) close_hour(*current_hour_);
  current_hour_ = hour;
  if (!current_day_) {
    current_day_ = midnight;
  } else if (midnight > *current_day_) {
    // Every day before today, in order: usually only yesterday.
    while (!days_.empty() && days_.begin()->first < midnight) {
      auto node = days_.extract(days_.begin());
      const Timestamp end = time_.local_midnight(node.key() + Millis{26h});
      close_day(node.key(), node.mapped(), std::min(end, midnight));
    }
    current_day_ = midnight;
  }
  for (Zone& z : zones_) maybe_irrigate(z, now);
}

void EtRuntime::on_run_finished(const std::string& zone, double litres) {
  for (Zone& z : zones_) {
    if (z.cfg.zone != zone) continue;
    z.run.reset();
    if (z.cfg.area_m2 <= 0) {
      log_.warn(kComponent, "zone " + zone + " has no area_m2: its run's " + fixed(litres, 0) +
                                " L are not in the balance");
      return;
    }
    const double net_mm = std::max(litres, 0.0) * z.cfg.efficiency / z.cfg.area_m2;
    z.depletion = std::max(0.0, z.depletion - net_mm);
    log_.info(kComponent, "zone " + zone + ": " + fixed(litres, 0) + " L = " + fixed(net_mm) +
                              " mm net; depletion now " + fixed(z.depletion) + " mm");
    emit(zone, "depletion_mm", z.depletion, clock_.now());
    return;
  }
}

std::vector<EtRuntime::ZoneState> EtRuntime::zones() const {
  std::vector<ZoneState> out;
  for (const Zone& z : zones_) {
    out.push_back(
        {z.cfg.zone, z.cfg.et_mode, z.kc, z.etc, z.depletion, z.raw, z.taw, z.run.has_value()});
  }
  return out;
}

double EtRuntime::hour_rs_mj(const Hour& h) const {
  if (h.solar_n == 0) return 0;
  // W/m²: the hour's mean held for the hour. MJ per reading: the hour's sum.
  return config_.weather.solar_wm2.empty() ? h.solar_sum : h.solar_sum / h.solar_n * kWm2HourToMj;
}

// Hourly Penman-Monteith (eq. 53) for an hour with every input; published as et0_hour_mm.
void EtRuntime::close_hour(Timestamp hour_start) {
  const Timestamp midnight = time_.local_midnight(hour_start);
  const auto it = days_.find(midnight);
  if (it == days_.end()) return;
  const auto index = (hour_start - midnight) / Millis{1h};
  if (index < 0 || index > 24) return;
  const Hour& h = it->second[static_cast<std::size_t>(index)];
  const config::WeatherStation& w = config_.weather;
  if (h.t_n == 0 || h.rh_n == 0 || h.wind_n == 0 || h.solar_n == 0) return;
  const LocalTime local = time_.to_local(hour_start);
  fao56::HourlyWeather hw;
  hw.t_c = h.t_sum / h.t_n;
  hw.rh_pct = h.rh_sum / h.rh_n;
  hw.u2_ms = fao56::wind_speed_2m(h.wind_sum / h.wind_n, w.wind_height_m);
  hw.rs = hour_rs_mj(h);
  hw.altitude_m = config_.location.altitude_m;
  hw.latitude_deg = config_.location.latitude;
  hw.longitude_deg = config_.location.longitude;
  // The clock's meridian from its offset (105°E at UTC+7); during DST this is an hour off.
  hw.zone_meridian_deg = time_.utc_offset(hour_start).count() / 3600.0 * 15.0;
  hw.day_of_year = local.day_of_year;
  hw.midpoint_h = local.hour + local.minute / 60.0 + 0.5;
  emit("", "et0_hour_mm", fao56::et0_hourly_pm(hw), hour_start + Millis{1h});
}

std::optional<EtDay> EtRuntime::compute_day(Timestamp day_start, const Day& day) const {
  const config::WeatherStation& w = config_.weather;
  int t_hours = 0, rh_hours = 0, wind_hours = 0, solar_hours = 0;
  EtDay out;
  out.start = day_start;
  double rh_max = 0, rh_min = 0, wind_sum = 0, rs_sum = 0;
  for (const Hour& h : day) {
    out.rain_mm += h.rain_mm;
    if (h.t_n > 0) {
      out.tmax_c = t_hours == 0 ? h.t_max : std::max(out.tmax_c, h.t_max);
      out.tmin_c = t_hours == 0 ? h.t_min : std::min(out.tmin_c, h.t_min);
      ++t_hours;
    }
    if (h.rh_n > 0) {
      rh_max = rh_hours == 0 ? h.rh_max : std::max(rh_max, h.rh_max);
      rh_min = rh_hours == 0 ? h.rh_min : std::min(rh_min, h.rh_min);
      ++rh_hours;
    }
    if (h.wind_n > 0) {
      wind_sum += h.wind_sum / h.wind_n;
      ++wind_hours;
    }
    if (h.solar_n > 0) {
      rs_sum += hour_rs_mj(h);
      ++solar_hours;
    }
  }
  if (t_hours < kMinHours) return std::nullopt;
  const LocalTime local = time_.to_local(day_start);
  out.day_of_year = local.day_of_year;
  out.ra_mj = fao56::extraterrestrial_radiation_daily(config_.location.latitude, local.day_of_year);
  if (rh_hours >= kMinHours) {
    out.rh_max_pct = rh_max;
    out.rh_min_pct = rh_min;
  }
  if (wind_hours >= kMinHours) out.wind_ms = wind_sum / wind_hours;
  // Missing hours are taken to be like the average present one (a dropped reading, not a dark
  // hour), so a day with 22 hours of data is scaled up to 24.
  if (solar_hours >= kMinHours) out.rs_mj = rs_sum * 24.0 / solar_hours;
  if (out.rh_max_pct && out.wind_ms && out.rs_mj) {
    fao56::DailyWeather dw;
    dw.tmax_c = out.tmax_c;
    dw.tmin_c = out.tmin_c;
    dw.ea_kpa = fao56::actual_vapour_pressure_from_rh(out.tmax_c, out.tmin_c, rh_max, rh_min);
    dw.rs = *out.rs_mj;
    dw.u2_ms = fao56::wind_speed_2m(*out.wind_ms, w.wind_height_m);
    dw.altitude_m = config_.location.altitude_m;
    dw.latitude_deg = config_.location.latitude;
    dw.day_of_year = local.day_of_year;
    out.method = Et0Method::penman_monteith;
    out.et0_mm = fao56::et0_daily_pm(dw);
  } else {
    out.method = Et0Method::hargreaves;
    out.et0_mm =
        fao56::et0_hargreaves((out.tmax_c + out.tmin_c) / 2, out.tmax_c, out.tmin_c, out.ra_mj);
  }
  out.et0_mm = std::max(out.et0_mm, 0.0);
  return out;
}

void EtRuntime::close_day(Timestamp day_start, const Day& day, Timestamp day_end) {
  const std::string date = date_of(time_.to_local(day_start));
  auto result = compute_day(day_start, day);
  if (!result) {
    // Without ET0 the balance cannot move; say so rather than guess.
    log_.warn(kComponent, date + ": fewer than " + std::to_string(kMinHours) +
                              " hours of temperature readings from " + config_.weather.device +
                              "; no ET0, depletion unchanged");
    return;
  }
  result->end = day_end;
  log_.info(kComponent, date + ": ET0 " + fixed(result->et0_mm) + " mm (" +
                            to_string(result->method) + "), rain " + fixed(result->rain_mm, 1) +
                            " mm");
  emit("", "et0_mm", result->et0_mm, day_end);
  emit("", "et0_method", result->method == Et0Method::penman_monteith ? 1 : 2, day_end, "");
  for (Zone& z : zones_) update_zone(z, *result);
  last_day_ = std::move(result);
}

void EtRuntime::update_zone(Zone& z, const EtDay& day) {
  const LocalTime local = time_.to_local(day.start);
  z.kc = fao56::crop_coefficient(z.stages, days_after(z.cfg, local));
  const double etc = z.kc * day.et0_mm;
  const double p = z.p_fixed ? z.p_table : fao56::depletion_fraction_for_etc(z.p_table, etc);
  z.raw = fao56::readily_available_water(p, z.taw);
  // Past RAW the crop is stressed and uses less (eq. 80, 84).
  const double ks = fao56::water_stress_coefficient(z.depletion, z.taw, z.raw);
  z.etc = ks * etc;
  fao56::DayWater water;
  water.precipitation_mm = day.rain_mm;
  water.etc_mm = z.etc;
  z.depletion = fao56::update_depletion(z.depletion, water, z.taw).depletion_mm;
  const std::string& id = z.cfg.zone;
  emit(id, "et0_mm", day.et0_mm, day.end);
  emit(id, "kc", z.kc, day.end, "");
  emit(id, "etc_mm", z.etc, day.end);
  emit(id, "depletion_mm", z.depletion, day.end);
  emit(id, "raw_mm", z.raw, day.end);
  emit(id, "taw_mm", z.taw, day.end);
}

void EtRuntime::maybe_irrigate(Zone& z, Timestamp now) {
  if (!z.cfg.et_mode) return;
  const std::string& id = z.cfg.zone;
  if (z.run) {
    if (now < z.run_ends + kRunReportGrace) return;
    sink_.alarm(Severity::warning, "et_run_unaccounted",
                "the ET run of zone " + id +
                    " ended without a reported volume; the balance "
                    "does not know what it delivered");
    z.run.reset();
  }
  if (now < z.retry_at || z.depletion <= 0 || z.depletion < z.raw) return;
  if (sink_.zone_running(id)) return;  // someone else is watering it; on_run_finished tells
  auto plan = fao56::plan_irrigation(z.depletion, z.cfg.area_m2, z.cfg.efficiency, z.cfg.flow_lpm);
  if (!plan) {
    log_.error(kComponent, "zone " + id + ": " + plan.error().message);
    z.retry_at = now + kRetryAfterRefusal;
    return;
  }
  const Millis duration = std::min(plan->duration, kMaxRun);
  auto run = sink_.irrigate(id, duration, "et:" + id);
  if (!run) {
    log_.warn(kComponent, "zone " + id + ": run refused (" + run.error().message +
                              "); asking again in a minute");
    z.retry_at = now + kRetryAfterRefusal;
    return;
  }
  log_.info(kComponent, "zone " + id + ": depletion " + fixed(z.depletion) + " mm ≥ RAW " +
                            fixed(z.raw) + " mm; " + fixed(plan->litres, 0) + " L over " +
                            fixed(plan->minutes, 1) + " min");
  z.run = *run;
  z.run_ends = now + duration;
}

void EtRuntime::emit(const std::string& zone, const std::string& metric, double value, Timestamp t,
                     const std::string& unit) {
  if (!emit_) return;
  Reading r;
  r.device = "et";
  r.zone = zone;
  r.kind = "et";
  r.metric = metric;
  r.value = value;
  r.unit = unit;
  r.time = t;
  emit_(r);
}

}  // namespace farmgate::rules
