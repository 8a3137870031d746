#include "rules/fao56.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>

namespace farmgate::rules::fao56 {
namespace {

constexpr double kPi = std::numbers::pi;
constexpr double kSolarConstant = 0.0820;   // Gsc, MJ m-2 min-1
constexpr double kSigmaDaily = 4.903e-9;    // Stefan-Boltzmann, MJ K-4 m-2 day-1
constexpr double kSigmaHourly = 2.043e-10;  // the same per hour
constexpr double kMjToMm = 0.408;           // 1 / λ, mm per MJ m-2

double rad(double deg) {
  return deg * kPi / 180.0;
}
double kelvin4(double t_c) {
  return std::pow(t_c + 273.16, 4);
}

// The (0.34 - 0.14 √ea)(1.35 Rs/Rso - 0.35) part of eq. 39.
double longwave_factor(double ea, double rs_over_rso) {
  const double ratio = std::clamp(rs_over_rso, 0.0, 1.0);
  return (0.34 - 0.14 * std::sqrt(ea)) * (1.35 * ratio - 0.35);
}

}  // namespace

double atmospheric_pressure(double altitude_m) {
  return 101.3 * std::pow((293.0 - 0.0065 * altitude_m) / 293.0, 5.26);
}

double psychrometric_constant(double pressure_kpa) {
  return 0.665e-3 * pressure_kpa;
}

double saturation_vapour_pressure(double t_c) {
  return 0.6108 * std::exp(17.27 * t_c / (t_c + 237.3));
}

double mean_saturation_vapour_pressure(double tmax_c, double tmin_c) {
  return (saturation_vapour_pressure(tmax_c) + saturation_vapour_pressure(tmin_c)) / 2.0;
}

double vapour_pressure_slope(double t_c) {
  return 4098.0 * saturation_vapour_pressure(t_c) / std::pow(t_c + 237.3, 2);
}

double actual_vapour_pressure_from_dewpoint(double tdew_c) {
  return saturation_vapour_pressure(tdew_c);
}

double actual_vapour_pressure_from_rh(double tmax_c, double tmin_c, double rh_max_pct,
                                      double rh_min_pct) {
  return (saturation_vapour_pressure(tmin_c) * rh_max_pct / 100.0 +
          saturation_vapour_pressure(tmax_c) * rh_min_pct / 100.0) /
         2.0;
}

double actual_vapour_pressure_from_rh_max(double tmin_c, double rh_max_pct) {
  return saturation_vapour_pressure(tmin_c) * rh_max_pct / 100.0;
}

double actual_vapour_pressure_from_rh_mean(double tmax_c, double tmin_c, double rh_mean_pct) {
  return rh_mean_pct / 100.0 * mean_saturation_vapour_pressure(tmax_c, tmin_c);
}

double inverse_relative_distance(int day_of_year) {
  return 1.0 + 0.033 * std::cos(2.0 * kPi / 365.0 * day_of_year);
}

double solar_declination(int day_of_year) {
  return 0.409 * std::sin(2.0 * kPi / 365.0 * day_of_year - 1.39);
}

double sunset_hour_angle(double latitude_rad, double declination_rad) {
  // Clamped so that polar day (π) and polar night (0) come out instead of NaN.
  const double c = std::clamp(-std::tan(latitude_rad) * std::tan(declination_rad), -1.0, 1.0);
  return std::acos(c);
}

double daylight_hours(double sunset_hour_angle_rad) {
  return 24.0 / kPi * sunset_hour_angle_rad;
}

double extraterrestrial_radiation_daily(double latitude_deg, int day_of_year) {
  const double phi = rad(latitude_deg);
  const double dr = inverse_relative_distance(day_of_year);
  const double delta = solar_declination(day_of_year);
  const double ws = sunset_hour_angle(phi, delta);
  return 24.0 * 60.0 / kPi * kSolarConstant * dr *
         (ws * std::sin(phi) * std::sin(delta) + std::cos(phi) * std::cos(delta) * std::sin(ws));
}

double seasonal_correction(int day_of_year) {
  const double b = 2.0 * kPi * (day_of_year - 81) / 364.0;
  return 0.1645 * std::sin(2 * b) - 0.1255 * std::cos(b) - 0.025 * std::sin(b);
}

double extraterrestrial_radiation_hourly(double latitude_deg, double longitude_deg,
                                         double zone_meridian_deg, int day_of_year,
                                         double midpoint_h, double period_h) {
  const double phi = rad(latitude_deg);
  const double dr = inverse_relative_distance(day_of_year);
  const double delta = solar_declination(day_of_year);
  const double ws = sunset_hour_angle(phi, delta);
  // eq. 31 counts longitudes in degrees west of Greenwich: Lz - Lm = east_m - east_z.
  const double lz_minus_lm = longitude_deg - zone_meridian_deg;
  const double w =
      kPi / 12.0 * ((midpoint_h + 0.06667 * lz_minus_lm + seasonal_correction(day_of_year)) - 12.0);
  const double w1 = std::clamp(w - kPi * period_h / 24.0, -ws, ws);  // eq. 29
  const double w2 = std::clamp(w + kPi * period_h / 24.0, -ws, ws);  // eq. 30
  if (w2 <= w1) return 0.0;
  return 12.0 * 60.0 / kPi * kSolarConstant * dr *
         ((w2 - w1) * std::sin(phi) * std::sin(delta) +
          std::cos(phi) * std::cos(delta) * (std::sin(w2) - std::sin(w1)));
}

double solar_radiation_from_sunshine(double sunshine_h, double daylight_h, double ra, double as,
                                     double bs) {
  return (as + bs * sunshine_h / daylight_h) * ra;
}

double clear_sky_radiation(double altitude_m, double ra) {
  return (0.75 + 2e-5 * altitude_m) * ra;
}

double net_shortwave_radiation(double rs, double albedo) {
  return (1.0 - albedo) * rs;
}

double net_longwave_radiation_daily(double tmax_c, double tmin_c, double ea, double rs,
                                    double rso) {
  const double ratio = rso > 0 ? rs / rso : 1.0;
  return kSigmaDaily * (kelvin4(tmax_c) + kelvin4(tmin_c)) / 2.0 * longwave_factor(ea, ratio);
}

double net_longwave_radiation_hourly(double t_c, double ea, double rs_over_rso) {
  return kSigmaHourly * kelvin4(t_c) * longwave_factor(ea, rs_over_rso);
}

double wind_speed_2m(double wind_ms, double measured_at_m) {
  return wind_ms * 4.87 / std::log(67.8 * measured_at_m - 5.42);
}

double soil_heat_flux_monthly(double t_prev_month_c, double t_next_month_c) {
  return 0.07 * (t_next_month_c - t_prev_month_c);
}

double soil_heat_flux_monthly_prev(double t_prev_month_c, double t_this_month_c) {
  return 0.14 * (t_this_month_c - t_prev_month_c);
}

double soil_heat_flux_hourly(double rn_hourly, bool daytime) {
  return (daytime ? 0.1 : 0.5) * rn_hourly;
}

double et0_daily_pm(const DailyWeather& w) {
  const double t = (w.tmax_c + w.tmin_c) / 2.0;
  const double delta = vapour_pressure_slope(t);
  const double gamma = psychrometric_constant(atmospheric_pressure(w.altitude_m));
  const double es = mean_saturation_vapour_pressure(w.tmax_c, w.tmin_c);
  const double ra = extraterrestrial_radiation_daily(w.latitude_deg, w.day_of_year);
  const double rso = clear_sky_radiation(w.altitude_m, ra);
  const double rn = net_shortwave_radiation(w.rs) -
                    net_longwave_radiation_daily(w.tmax_c, w.tmin_c, w.ea_kpa, w.rs, rso);
  return (kMjToMm * delta * (rn - w.g) + gamma * 900.0 / (t + 273.0) * w.u2_ms * (es - w.ea_kpa)) /
         (delta + gamma * (1.0 + 0.34 * w.u2_ms));
}

double et0_hourly_pm(const HourlyWeather& w) {
  const double e0 = saturation_vapour_pressure(w.t_c);
  const double ea = e0 * w.rh_pct / 100.0;
  const double delta = vapour_pressure_slope(w.t_c);
  const double gamma = psychrometric_constant(atmospheric_pressure(w.altitude_m));
  const double ra = extraterrestrial_radiation_hourly(
      w.latitude_deg, w.longitude_deg, w.zone_meridian_deg, w.day_of_year, w.midpoint_h);
  const bool daytime = ra > 0;
  const double rso = clear_sky_radiation(w.altitude_m, ra);
  const double ratio = daytime && rso > 0 ? w.rs / rso : w.night_rs_over_rso;
  const double rn = net_shortwave_radiation(w.rs) - net_longwave_radiation_hourly(w.t_c, ea, ratio);
  const double g = soil_heat_flux_hourly(rn, daytime);
  return (kMjToMm * delta * (rn - g) + gamma * 37.0 / (w.t_c + 273.0) * w.u2_ms * (e0 - ea)) /
         (delta + gamma * (1.0 + 0.34 * w.u2_ms));
}

double et0_hargreaves(double tmean_c, double tmax_c, double tmin_c, double ra) {
  return 0.0023 * (tmean_c + 17.8) * std::sqrt(std::max(0.0, tmax_c - tmin_c)) * kMjToMm * ra;
}

double crop_coefficient(const CropStages& c, int day) {
  const double i = std::clamp(day, 0, std::max(0, c.season_days() - 1));
  const double dev_start = c.l_ini;
  const double mid_start = dev_start + c.l_dev;
  const double late_start = mid_start + c.l_mid;
  if (i < dev_start) return c.kc_ini;
  if (i < mid_start) return c.kc_ini + (i - dev_start) / c.l_dev * (c.kc_mid - c.kc_ini);
  if (i < late_start) return c.kc_mid;
  return c.kc_mid + (i - late_start) / c.l_late * (c.kc_end - c.kc_mid);
}

double adjust_kc_for_climate(double kc_table, double u2_ms, double rh_min_pct, double height_m) {
  if (kc_table < 0.45) return kc_table;  // the paper applies eq. 62 only to Kc ≥ 0.45
  const double u2 = std::clamp(u2_ms, 1.0, 6.0);
  const double rh = std::clamp(rh_min_pct, 20.0, 80.0);
  const double h = std::clamp(height_m, 0.1, 10.0);
  return kc_table + (0.04 * (u2 - 2.0) - 0.004 * (rh - 45.0)) * std::pow(h / 3.0, 0.3);
}

namespace {

constexpr std::array kCrops{
    CropEntry{"rice",
              "Table 12 'Rice'; Table 11 'Rice', tropics (30/30/60/30 days)",
              {1.05, 1.20, 0.75, 30, 30, 60, 30}},
    CropEntry{"citrus",
              "Table 12 'Citrus, no ground cover, 70 % canopy'; Table 11 'Citrus' "
              "(60/90/120/95 days); also for pomelo",
              {0.70, 0.65, 0.70, 60, 90, 120, 95}},
    CropEntry{"coffee",
              "Table 12 'Coffee, bare ground cover'; perennial, stages spread over a year "
              "(farmgate's choice: 60/90/120/95 days like citrus)",
              {0.90, 0.95, 0.95, 60, 90, 120, 95}},
    CropEntry{"sweet_pepper",
              "Table 12 'Peppers, sweet (bell)'; Table 11 'Peppers' (25/35/40/20 days). Black "
              "pepper (Piper nigrum) has no FAO-56 row",
              {0.60, 1.05, 0.90, 25, 35, 40, 20}},
    CropEntry{"vegetables",
              "Table 12 'a. Small vegetables' (1.05 / 0.95) with Kc_ini 0.7; stages of Table "
              "11 'Cabbage' (40/60/50/15 days)",
              {0.70, 1.05, 0.95, 40, 60, 50, 15}},
    CropEntry{"tomato",
              "Table 12 'Tomato'; Table 11 'Tomato' (30/40/40/25 days)",
              {0.60, 1.15, 0.80, 30, 40, 40, 25}},
};

}  // namespace

std::span<const CropEntry> builtin_crops() {
  return kCrops;
}

std::optional<CropStages> find_crop(std::string_view name) {
  for (const CropEntry& c : kCrops) {
    if (c.name == name) return c.stages;
  }
  return std::nullopt;
}

}  // namespace farmgate::rules::fao56
