// FAO-56 reference evapotranspiration (Allen, Pereira, Raes & Smith 1998, "Crop
// evapotranspiration", FAO Irrigation and Drainage Paper 56): every intermediate of the
// Penman-Monteith method as its own function, numbered after the paper's equations, then daily
// and hourly ET0, Hargreaves, and crop coefficients by growth stage. The root-zone water
// balance of chapter 8 is in rules/water_balance.h. Formulas and units: docs/agronomy.md.
//
// Units throughout: °C, kPa, m s-1, MJ m-2 per day (or per hour for the hourly functions),
// mm per day (or hour), metres, degrees for latitude and longitude (north and east positive).
// Pure functions; any thread.
#pragma once

#include <optional>
#include <span>
#include <string_view>

namespace farmgate::rules::fao56 {

// ---- atmosphere and humidity (chapter 3) ----
double atmospheric_pressure(double altitude_m);                        // eq. 7, kPa
double psychrometric_constant(double pressure_kpa);                    // eq. 8, kPa °C-1
double saturation_vapour_pressure(double t_c);                         // eq. 11, e°(T), kPa
double mean_saturation_vapour_pressure(double tmax_c, double tmin_c);  // eq. 12, es
double vapour_pressure_slope(double t_c);                              // eq. 13, Δ, kPa °C-1
double actual_vapour_pressure_from_dewpoint(double tdew_c);            // eq. 14, ea
double actual_vapour_pressure_from_rh(double tmax_c, double tmin_c, double rh_max_pct,
                                      double rh_min_pct);                     // eq. 17
double actual_vapour_pressure_from_rh_max(double tmin_c, double rh_max_pct);  // eq. 18
double actual_vapour_pressure_from_rh_mean(double tmax_c, double tmin_c,
                                           double rh_mean_pct);  // eq. 19

// ---- radiation (chapter 3) ----
double inverse_relative_distance(int day_of_year);                              // eq. 23, dr
double solar_declination(int day_of_year);                                      // eq. 24, δ, rad
double sunset_hour_angle(double latitude_rad, double declination_rad);          // eq. 25, ωs, rad
double daylight_hours(double sunset_hour_angle_rad);                            // eq. 34, N, h
double extraterrestrial_radiation_daily(double latitude_deg, int day_of_year);  // eq. 21, Ra
double seasonal_correction(int day_of_year);                                    // eq. 32-33, Sc, h
// Ra for a period of `period_h` hours whose midpoint is `midpoint_h` on the local standard
// clock (eq. 28-31). The clock's zone is centred on `zone_meridian_deg` (east positive: 105
// for Vietnam's UTC+7). Zero while the sun is below the horizon; clipped at sunrise/sunset.
double extraterrestrial_radiation_hourly(double latitude_deg, double longitude_deg,
                                         double zone_meridian_deg, int day_of_year,
                                         double midpoint_h, double period_h = 1.0);
double solar_radiation_from_sunshine(double sunshine_h, double daylight_h, double ra,
                                     double as = 0.25, double bs = 0.50);  // eq. 35, Rs
double clear_sky_radiation(double altitude_m, double ra);                  // eq. 37, Rso
double net_shortwave_radiation(double rs, double albedo = 0.23);           // eq. 38, Rns
// eq. 39 (daily): Rs/Rso is capped at 1.
double net_longwave_radiation_daily(double tmax_c, double tmin_c, double ea, double rs, double rso);
// eq. 39 with the hourly σ (2.043e-10 MJ K-4 m-2 h-1) and the hour's mean temperature. At night
// Rs/Rso is unknown: pass the ratio from 2-3 hours before sunset, as the paper advises.
double net_longwave_radiation_hourly(double t_c, double ea, double rs_over_rso);

// ---- wind and soil heat (chapter 3) ----
double wind_speed_2m(double wind_ms, double measured_at_m);  // eq. 47, u2
// eq. 43 (months i-1 and i+1 known) and eq. 44 (only month i-1 known), MJ m-2 day-1. For a
// day or ten days G ≈ 0 (eq. 42).
double soil_heat_flux_monthly(double t_prev_month_c, double t_next_month_c);
double soil_heat_flux_monthly_prev(double t_prev_month_c, double t_this_month_c);
double soil_heat_flux_hourly(double rn_hourly, bool daytime);  // eq. 45 (0.1 Rn), 46 (0.5 Rn)

// ---- reference evapotranspiration (chapter 4) ----
struct DailyWeather {
  double tmax_c = 0;
  double tmin_c = 0;
  double ea_kpa = 0;  // from one of the actual_vapour_pressure_* functions
  double rs = 0;      // measured, or solar_radiation_from_sunshine()
  double u2_ms = 0;   // at 2 m; see wind_speed_2m()
  double altitude_m = 0;
  double latitude_deg = 0;
  int day_of_year = 1;  // of the day, or of the middle of the month for monthly means
  double g = 0;         // soil heat flux; 0 for days, eq. 43/44 for months
};
// eq. 6, mm day-1. Δ at the mean of Tmax and Tmin, es by eq. 12, Rn = Rns - Rnl.
double et0_daily_pm(const DailyWeather& w);

struct HourlyWeather {
  double t_c = 0;     // mean of the hour
  double rh_pct = 0;  // mean of the hour; ea = e°(T) RH/100 (eq. 54)
  double u2_ms = 0;
  double rs = 0;  // MJ m-2 hour-1
  double altitude_m = 0;
  double latitude_deg = 0;
  double longitude_deg = 0;      // east positive
  double zone_meridian_deg = 0;  // centre of the local standard time zone, east positive
  int day_of_year = 1;
  double midpoint_h = 12;          // local standard clock, e.g. 14.5 for 14:00-15:00
  double night_rs_over_rso = 0.8;  // Rs/Rso to use while the sun is down
};
// eq. 53, mm hour-1, G by eq. 45/46. Daytime is when hourly Ra > 0.
double et0_hourly_pm(const HourlyWeather& w);

// eq. 52, mm day-1; Ra in MJ m-2 day-1 (converted to mm by 0.408 inside).
double et0_hargreaves(double tmean_c, double tmax_c, double tmin_c, double ra);

// ---- crop coefficients (chapter 6) ----
struct CropStages {
  double kc_ini = 0;
  double kc_mid = 0;
  double kc_end = 0;
  int l_ini = 0;  // days in each stage (Table 11)
  int l_dev = 0;
  int l_mid = 0;
  int l_late = 0;

  int season_days() const { return l_ini + l_dev + l_mid + l_late; }
};
// Kc on `day` days after planting (0 = planting day), Fig. 25 / eq. 66: flat Kc_ini, linear to
// Kc_mid over the development stage, flat Kc_mid, linear to Kc_end over the late stage. Days
// before 0 read as 0 and days past the season as its last day.
double crop_coefficient(const CropStages& crop, int day);
// eq. 62: Kc_mid or Kc_end (when ≥ 0.45) from Table 12's sub-humid climate (RHmin 45 %,
// u2 2 m/s) to the site's, for a crop `height_m` tall.
double adjust_kc_for_climate(double kc_table, double u2_ms, double rh_min_pct, double height_m);

struct CropEntry {
  std::string_view name;
  std::string_view source;  // the FAO-56 Table 12 / Table 11 rows the numbers come from
  CropStages stages;
};
// A small built-in table for crops common in Vietnam (docs/agronomy.md lists it).
std::span<const CropEntry> builtin_crops();
std::optional<CropStages> find_crop(std::string_view name);

}  // namespace farmgate::rules::fao56
