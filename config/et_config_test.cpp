// The weather: section and the zones' agronomy: blocks: what is read (soil presets, explicit Kc,
// defaults), and each mistake with the message `farmgate check` prints.
#include <gtest/gtest.h>

#include "config/loader.h"
#include "config/test_util.h"

namespace farmgate::config {
namespace {

using namespace farmgate::config::testing;

// Lines 1-21: a farm with a weather station and a valve on z1; zones and weather follow.
std::string farm_with(std::string_view rest) {
  return yaml(R"(
site: demo-farm
location: {latitude: 10.03, longitude: 105.78, altitude_m: 3}
kinds:
  soil:
    moisture: {unit: "%", min: 0, max: 100}
  weather:
    temp: {unit: "°C", min: -20, max: 60}
    rh: {unit: "%", min: 0, max: 100}
    wind: {unit: "m/s", min: 0, max: 60}
    solar: {unit: "W/m²", min: 0, max: 1500}
    rain: {unit: mm, min: 0, max: 100000}
devices:
  - {id: soil-z1, kind: soil, zone: z1}
  - {id: station, kind: weather}
actuators:
  - {id: pump, type: pump, line: main, max_runtime: 30m, driver: {type: simulated}}
  - {id: valve-z1, type: valve, line: main, zone: z1, max_runtime: 40m, driver: {type: simulated}}
lines:
  - id: main
weather: {device: station, temp_c: temp, rh_pct: rh, wind_ms: wind, solar_wm2: solar}
)") + yaml(rest);
}

TEST(EtConfigTest, ReadsAStationAndAnEtZone) {
  const Config c = load_ok(farm_with(R"(
zones:
  - id: z1
    agronomy:
      mode: et
      crop: citrus
      planting_date: 2025-06-01
      area_m2: 500
      root_depth_m: 0.8
      soil: loam
      efficiency: 0.85
      flow_lpm: 40
  - id: z2
)"));
  EXPECT_TRUE(c.weather.set);
  EXPECT_EQ(c.weather.device, "station");
  EXPECT_EQ(c.weather.temp_c, "temp");
  EXPECT_EQ(c.weather.solar_wm2, "solar");
  EXPECT_EQ(c.weather.wind_height_m, 2.0);
  EXPECT_FALSE(c.weather.rain_counter);
  ASSERT_EQ(c.agronomy.size(), 1u);
  const ZoneAgronomy& a = c.agronomy[0];
  EXPECT_EQ(a.zone, "z1");
  EXPECT_TRUE(a.et_mode);
  EXPECT_EQ(a.crop.text, "citrus");
  EXPECT_EQ(a.crop.line, 25);
  EXPECT_FALSE(a.custom_kc);
  EXPECT_EQ(a.planting_year, 2025);
  EXPECT_EQ(a.planting_month, 6);
  EXPECT_EQ(a.planting_day, 1);
  EXPECT_DOUBLE_EQ(a.area_m2, 500);
  EXPECT_DOUBLE_EQ(a.root_depth_m, 0.8);
  EXPECT_DOUBLE_EQ(a.theta_fc, 0.25);
  EXPECT_DOUBLE_EQ(a.theta_wp, 0.12);
  EXPECT_FALSE(a.p.has_value()) << "p comes from the crop";
  EXPECT_DOUBLE_EQ(a.efficiency, 0.85);
  EXPECT_DOUBLE_EQ(a.flow_lpm, 40);
}

TEST(EtConfigTest, ReadsExplicitKcSoilAndACountingRainGauge) {
  const Config c = load_ok(yaml(R"(
site: demo-farm
location: {latitude: 10.03, longitude: 105.78}
kinds:
  th:
    t: {unit: "°C", min: -20, max: 60}
    rain: {unit: mm, min: 0, max: 100000}
devices:
  - {id: thermo, kind: th}
weather: {device: thermo, temp_c: t, rain_mm: rain, rain_mode: counter}
zones:
  - id: z1
    agronomy:
      kc: {ini: 0.5, mid: 1.1, end: 0.7, stages: [20, 30, 40, 15]}
      p: 0.4
      planting_date: 2026-01-10
      root_depth_m: 0.4
      soil: {field_capacity: 0.3, wilting_point: 0.15}
)"));
  EXPECT_TRUE(c.weather.rain_counter);
  EXPECT_TRUE(c.weather.rh_pct.empty()) << "only a thermometer: Hargreaves";
  ASSERT_EQ(c.agronomy.size(), 1u);
  const ZoneAgronomy& a = c.agronomy[0];
  EXPECT_FALSE(a.et_mode) << "mode defaults to monitor";
  EXPECT_TRUE(a.custom_kc);
  EXPECT_TRUE(a.crop.text.empty());
  EXPECT_DOUBLE_EQ(a.kc_mid, 1.1);
  EXPECT_EQ(a.l_ini, 20);
  EXPECT_EQ(a.l_late, 15);
  EXPECT_EQ(a.p, 0.4);
  EXPECT_DOUBLE_EQ(a.theta_fc, 0.3);
  EXPECT_DOUBLE_EQ(a.theta_wp, 0.15);
  EXPECT_DOUBLE_EQ(a.efficiency, 0.9);
}

TEST(EtConfigTest, EachAgronomyMistakeIsReportedWhereItIs) {
  const auto errors = errors_of(farm_with(R"(
zones:
  - id: z1
    agronomy:
      mode: et
      crop: citrus
      kc: {ini: 0.5, mid: 1.1, end: 0.7, stages: [20, 30, 40]}
      planting_date: 2025-02-30
      root_depth_m: 9
      soil: peat
      p: 1.5
  - id: z2
    agronomy:
      mode: water
      crop: rice
      planting_date: 2025-06-01
      root_depth_m: 0.3
      soil: {field_capacity: 0.1, wilting_point: 0.2}
      efficiency: 0
)"));
  // Sorted by place, as farmgate check prints them.
  const std::vector<std::string> expected{
      "farm.yaml:24:7: zones[0].agronomy needs either crop: (a built-in crop) or kc:, not both",
      "farm.yaml:24:13: mode: et needs area_m2 in zones[0].agronomy",
      "farm.yaml:24:13: mode: et needs flow_lpm in zones[0].agronomy",
      "farm.yaml:26:50: stages must list 4 lengths in days: initial, development, mid-season, "
      "late",
      "farm.yaml:27:22: planting_date must be a date as YYYY-MM-DD, got '2025-02-30'",
      "farm.yaml:28:21: root_depth_m must be between 0.05 and 5, got 9",
      "farm.yaml:29:13: unknown soil 'peat'; expected sand, loam, clay or {field_capacity, "
      "wilting_point}",
      "farm.yaml:30:10: p must be between 0.05 and 0.95",
      "farm.yaml:33:13: unknown mode 'water'; expected et or monitor",
      "farm.yaml:37:50: wilting_point (0.2) must be less than field_capacity (0.1)",
      "farm.yaml:38:19: efficiency must be between 0.05 and 1, got 0",
  };
  EXPECT_EQ(errors, expected);
}

TEST(EtConfigTest, WeatherStationMustExistAndHaveTheMetrics) {
  const auto errors = errors_of(yaml(R"(
site: demo-farm
kinds:
  th:
    t: {unit: "°C", min: -20, max: 60}
devices:
  - {id: thermo, kind: th}
weather: {device: thermo, temp_c: t, rh_pct: humidity, solar_wm2: s, solar_mj: e}
zones:
  - id: z1
    agronomy: {crop: rice, planting_date: 2026-01-10, root_depth_m: 0.3, soil: clay}
)"));
  const std::vector<std::string> expected{
      "farm.yaml:7:46: 'humidity' is not a metric of kind 'th'; it has: t",
      "farm.yaml:7:67: 's' is not a metric of kind 'th'; it has: t",
      "farm.yaml:7:80: give either solar_wm2 or solar_mj, not both",
      "farm.yaml:7:80: 'e' is not a metric of kind 'th'; it has: t",
      "farm.yaml:10:15: a zone with agronomy: needs location: (latitude and altitude for ET0)",
  };
  EXPECT_EQ(errors, expected);
}

TEST(EtConfigTest, AnEtZoneNeedsAStationALocationAndAValve) {
  const auto errors = errors_of(yaml(R"(
site: demo-farm
zones:
  - id: z1
    agronomy:
      mode: et
      crop: rice
      planting_date: 2026-01-10
      root_depth_m: 0.3
      soil: clay
      area_m2: 100
      flow_lpm: 10
weather: {device: nowhere, temp_c: t}
)"));
  const std::vector<std::string> expected{
      "farm.yaml:5:7: a zone with agronomy: needs location: (latitude and altitude for ET0)",
      "farm.yaml:5:7: zone 'z1' has mode: et but no valve; add an actuator with type: valve and "
      "zone: z1",
      "farm.yaml:12:19: unknown weather station 'nowhere'; it must be one of the devices",
  };
  EXPECT_EQ(errors, expected);
}

}  // namespace
}  // namespace farmgate::config
