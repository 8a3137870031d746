#include "rules/fao56.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

namespace farmgate::rules::fao56 {
namespace {

// Inputs and printed results of the worked examples of FAO-56 (Allen et al. 1998). The paper's
// own pages (https://www.fao.org/3/x0490e/x0490e00.htm) were not reachable from the build
// machine; the numbers were cross-checked against third-party test suites and docs that cite
// the paper's example and page (PyETo tests/test_fao.py; NCL radext_fao56 and
// refevt_hargreaves_fao56 docs). Each value is compared to the paper's printed precision:
// half a unit in the last printed digit, plus the paper's own rounding of intermediates.
void expect_printed(double got, double printed, int decimals, double slack_units = 1.0) {
  const double unit = std::pow(10.0, -decimals);
  EXPECT_NEAR(got, printed, (0.5 + slack_units) * unit) << "printed " << printed;
}

double deg(int d, int m) {
  return d + m / 60.0;
}

TEST(Fao56Test, Example2AtmosphericPressureAndPsychrometricConstantAt1800m) {
  const double p = atmospheric_pressure(1800);
  expect_printed(p, 81.8, 1, 0);
  expect_printed(psychrometric_constant(p), 0.054, 3, 0);
}

TEST(Fao56Test, Example3MeanSaturationVapourPressure) {
  expect_printed(saturation_vapour_pressure(24.5), 3.075, 3, 0);
  expect_printed(saturation_vapour_pressure(15.0), 1.705, 3, 0);
  expect_printed(mean_saturation_vapour_pressure(24.5, 15.0), 2.39, 2, 0);
}

TEST(Fao56Test, Example5ActualVapourPressureFromRelativeHumidity) {
  // Tmin 18 °C, Tmax 25 °C, RHmax 82 %, RHmin 54 %.
  expect_printed(actual_vapour_pressure_from_rh(25, 18, 82, 54), 1.70, 2, 0);
  expect_printed(actual_vapour_pressure_from_rh_max(18, 82), 1.69, 2, 0);
  expect_printed(actual_vapour_pressure_from_rh_mean(25, 18, 68), 1.78, 2, 0);
}

TEST(Fao56Test, Example8ExtraterrestrialRadiationOn3SeptemberAt20South) {
  // The brief remembered Dhaka; in the paper Example 8 is 3 September at 20°S.
  const int j = 246;
  expect_printed(inverse_relative_distance(j), 0.985, 3, 0);
  expect_printed(solar_declination(j), 0.120, 3, 0);
  const double ws = sunset_hour_angle(-20.0 * std::numbers::pi / 180.0, solar_declination(j));
  expect_printed(ws, 1.527, 3, 0);
  expect_printed(extraterrestrial_radiation_daily(-20.0, j), 32.2, 1, 0);
  // Example 9: daylight hours on the same day.
  expect_printed(daylight_hours(ws), 11.7, 1, 0);
}

TEST(Fao56Test, Example14WindSpeedAt2mFrom10m) {
  expect_printed(wind_speed_2m(3.2, 10), 2.4, 1, 0);
}

TEST(Fao56Test, Example17MonthlyEt0BangkokApril) {
  // Bangkok 13°44'N, 2 m; April: Tmax 34.8, Tmin 25.6 °C, ea 2.85 kPa, u2 2 m/s, n 8.5 h;
  // mean temperatures March 30.2 → the paper's G from March 29.2 and April 30.2 °C.
  const int j = 105;  // 15 April
  const double lat = deg(13, 44);
  const double ra = extraterrestrial_radiation_daily(lat, j);
  expect_printed(ra, 38.06, 2);
  const double n_max =
      daylight_hours(sunset_hour_angle(lat * std::numbers::pi / 180, solar_declination(j)));
  expect_printed(n_max, 12.31, 2);
  const double rs = solar_radiation_from_sunshine(8.5, n_max, ra);
  expect_printed(rs, 22.65, 2);
  const double rso = clear_sky_radiation(2, ra);
  expect_printed(rso, 28.54, 2);
  expect_printed(net_shortwave_radiation(rs), 17.44, 2);
  expect_printed(net_longwave_radiation_daily(34.8, 25.6, 2.85, rs, rso), 3.11, 2);
  expect_printed(vapour_pressure_slope(30.2), 0.246, 3, 0);
  // The paper rounds P to 101.3 kPa before γ.
  expect_printed(psychrometric_constant(atmospheric_pressure(2)), 0.0674, 4, 1);
  expect_printed(mean_saturation_vapour_pressure(34.8, 25.6), 4.42, 2, 0);
  const double g = soil_heat_flux_monthly_prev(29.2, 30.2);
  expect_printed(g, 0.14, 2, 0);
  const double et0 = et0_daily_pm({.tmax_c = 34.8,
                                   .tmin_c = 25.6,
                                   .ea_kpa = 2.85,
                                   .rs = rs,
                                   .u2_ms = 2.0,
                                   .altitude_m = 2,
                                   .latitude_deg = lat,
                                   .day_of_year = j,
                                   .g = g});
  expect_printed(et0, 5.72, 2);
}

TEST(Fao56Test, Example18DailyEt0Brussels6July) {
  // Brussels 50°48'N, 100 m; 6 July: Tmax 21.5, Tmin 12.3 °C, RHmax 84 %, RHmin 63 %,
  // wind 10 km/h at 10 m, n 9.25 h.
  const int j = 187;
  const double lat = deg(50, 48);
  const double u2 = wind_speed_2m(10.0 / 3.6, 10);
  expect_printed(u2, 2.078, 3);
  const double ea = actual_vapour_pressure_from_rh(21.5, 12.3, 84, 63);
  expect_printed(ea, 1.409, 3);
  expect_printed(mean_saturation_vapour_pressure(21.5, 12.3), 1.997, 3);
  expect_printed(vapour_pressure_slope(16.9), 0.122, 3, 0);
  expect_printed(atmospheric_pressure(100), 100.1, 1, 0);
  expect_printed(psychrometric_constant(atmospheric_pressure(100)), 0.0666, 4, 0);
  const double ra = extraterrestrial_radiation_daily(lat, j);
  expect_printed(ra, 41.09, 2);
  const double n_max =
      daylight_hours(sunset_hour_angle(lat * std::numbers::pi / 180, solar_declination(j)));
  expect_printed(n_max, 16.1, 1, 0);
  const double rs = solar_radiation_from_sunshine(9.25, n_max, ra);
  expect_printed(rs, 22.07, 2, 0);
  const double rso = clear_sky_radiation(100, ra);
  expect_printed(rso, 30.90, 2);
  expect_printed(net_shortwave_radiation(rs), 17.00, 2, 0);
  expect_printed(net_longwave_radiation_daily(21.5, 12.3, ea, rs, rso), 3.71, 2, 0);
  const double et0 = et0_daily_pm({.tmax_c = 21.5,
                                   .tmin_c = 12.3,
                                   .ea_kpa = ea,
                                   .rs = rs,
                                   .u2_ms = u2,
                                   .altitude_m = 100,
                                   .latitude_deg = lat,
                                   .day_of_year = j});
  expect_printed(et0, 3.9, 1, 0);
}

TEST(Fao56Test, Example19HourlyEt0NDiaye1October) {
  // N'Diaye, Senegal: 16°13'N, 16°15'W, 8 m; 1 October; clock zone centred on 15°W.
  // The paper prints 0.63 mm/hour for 14:00-15:00 and 0.0 for 02:00-03:00. These printed
  // values come from memory of the paper; its text was not retrievable here (see the report).
  const HourlyWeather day{.t_c = 38,
                          .rh_pct = 52,
                          .u2_ms = 3.3,
                          .rs = 2.450,
                          .altitude_m = 8,
                          .latitude_deg = deg(16, 13),
                          .longitude_deg = -deg(16, 15),
                          .zone_meridian_deg = -15,
                          .day_of_year = 274,
                          .midpoint_h = 14.5};
  const double ra = extraterrestrial_radiation_hourly(day.latitude_deg, day.longitude_deg,
                                                      day.zone_meridian_deg, 274, 14.5);
  expect_printed(ra, 3.543, 3, 0);
  expect_printed(clear_sky_radiation(8, ra), 2.658, 3, 0);
  expect_printed(et0_hourly_pm(day), 0.63, 2);

  HourlyWeather night = day;
  night.t_c = 28;
  night.rh_pct = 90;
  night.u2_ms = 1.9;
  night.rs = 0;
  night.midpoint_h = 2.5;
  night.night_rs_over_rso = 0.8;
  EXPECT_EQ(
      extraterrestrial_radiation_hourly(night.latitude_deg, night.longitude_deg, -15, 274, 2.5),
      0.0);
  expect_printed(et0_hourly_pm(night), 0.0, 2);
}

TEST(Fao56Test, HourlyGroundHeatIsATenthOfRnByDayAndHalfByNight) {
  EXPECT_DOUBLE_EQ(soil_heat_flux_hourly(1.749, true), 0.1749);
  EXPECT_DOUBLE_EQ(soil_heat_flux_hourly(-0.1, false), -0.05);
}

TEST(Fao56Test, Example20HargreavesLyonJuly) {
  // Lyon 45°43'N, 15 July (J 196): Tmax 26.6, Tmin 14.8 °C; Ra 40.55 MJ = 16.5 mm/day;
  // the paper's Hargreaves ET0 is 5.0 mm/day.
  const double ra = extraterrestrial_radiation_daily(deg(45, 43), 196);
  expect_printed(ra, 40.55, 2, 0);
  expect_printed(0.408 * ra, 16.5, 1, 0);
  expect_printed(et0_hargreaves(20.7, 26.6, 14.8, ra), 5.0, 1, 0);
}

TEST(Fao56Test, HargreavesNeverTakesTheRootOfANegativeRange) {
  EXPECT_EQ(et0_hargreaves(20, 19, 21, 30), 0.0);
}

TEST(Fao56Test, CropCoefficientFollowsTheFourStages) {
  const CropStages c{.kc_ini = 0.3,
                     .kc_mid = 1.2,
                     .kc_end = 0.6,
                     .l_ini = 10,
                     .l_dev = 30,
                     .l_mid = 40,
                     .l_late = 20};
  EXPECT_DOUBLE_EQ(crop_coefficient(c, -5), 0.3);
  EXPECT_DOUBLE_EQ(crop_coefficient(c, 0), 0.3);
  EXPECT_DOUBLE_EQ(crop_coefficient(c, 9), 0.3);
  EXPECT_DOUBLE_EQ(crop_coefficient(c, 10), 0.3);                    // development starts
  EXPECT_DOUBLE_EQ(crop_coefficient(c, 25), 0.3 + 15.0 / 30 * 0.9);  // eq. 66 halfway: 0.75
  EXPECT_DOUBLE_EQ(crop_coefficient(c, 40), 1.2);
  EXPECT_DOUBLE_EQ(crop_coefficient(c, 79), 1.2);
  EXPECT_DOUBLE_EQ(crop_coefficient(c, 90), 1.2 + 10.0 / 20 * -0.6);  // late stage halfway: 0.9
  EXPECT_NEAR(crop_coefficient(c, 99), 1.2 - 19.0 / 20 * 0.6, 1e-12);
  EXPECT_NEAR(crop_coefficient(c, 500), crop_coefficient(c, 99), 1e-12);
}

TEST(Fao56Test, ClimateAdjustmentOfKcMid) {
  // Table 12's climate needs no adjustment.
  EXPECT_DOUBLE_EQ(adjust_kc_for_climate(1.15, 2.0, 45, 0.6), 1.15);
  // A humid, calm Mekong delta day lowers Kc_mid: 1.20 + (0.04(1.5-2) - 0.004(70-45))(1/3)^0.3.
  EXPECT_NEAR(adjust_kc_for_climate(1.20, 1.5, 70, 1.0),
              1.20 + (-0.02 - 0.1) * std::pow(1.0 / 3.0, 0.3), 1e-12);
  EXPECT_DOUBLE_EQ(adjust_kc_for_climate(0.40, 5, 20, 2), 0.40);
}

TEST(Fao56Test, BuiltinCropsAreWellFormed) {
  ASSERT_GE(builtin_crops().size(), 5u);
  for (const CropEntry& c : builtin_crops()) {
    SCOPED_TRACE(std::string(c.name));
    EXPECT_FALSE(c.source.empty());
    EXPECT_GT(c.stages.l_ini, 0);
    EXPECT_GT(c.stages.l_dev, 0);
    EXPECT_GT(c.stages.l_mid, 0);
    EXPECT_GT(c.stages.l_late, 0);
    EXPECT_GT(c.stages.kc_mid, 0.3);
  }
  const auto rice = find_crop("rice");
  ASSERT_TRUE(rice);
  EXPECT_DOUBLE_EQ(rice->kc_mid, 1.20);
  EXPECT_FALSE(find_crop("durian"));
}

}  // namespace
}  // namespace farmgate::rules::fao56
