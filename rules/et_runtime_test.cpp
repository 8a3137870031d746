// EtRuntime on a FakeClock: a synthetic week of Cần Thơ weather gives the ET0 fao56.h computes
// from the same aggregates; Hargreaves with only a thermometer; rain refills no further than
// field capacity; a run at RAW with the right volume and duration; refusals are retried after a
// minute; an unsynchronised clock does nothing. Also check_et's located crop errors.
#include "rules/et_runtime.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numbers>

#include "config/test_util.h"
#include "rules/water_balance.h"

namespace farmgate::rules {
namespace {

using namespace std::chrono;
using namespace std::chrono_literals;
using config::testing::load_ok;
using config::testing::yaml;

constexpr double kLatitude = 10.03;

// Plays the supervisor: a run lasts its duration on the clock; refuse_with refuses the next ones.
class RecordingSink final : public ActionSink {
 public:
  explicit RecordingSink(const Clock& clock) : clock_(clock) {}

  Result<std::uint64_t> irrigate(const std::string& zone, Millis duration,
                                 const std::string& who) override {
    calls.push_back("irrigate " + zone + " " + std::to_string(duration.count() / 1000) + "s " +
                    who);
    if (!refuse_with.empty()) return make_error("refused", refuse_with);
    running_until[zone] = clock_.now() + duration;
    running_id[zone] = ++next_id_;
    return next_id_;
  }
  Result<void> stop(const std::string& zone, const std::string&, const std::string&) override {
    running_until.erase(zone);
    return {};
  }
  bool zone_running(const std::string& zone) const override {
    const auto it = running_until.find(zone);
    return it != running_until.end() && clock_.now() < it->second;
  }
  bool run_active(std::uint64_t run_id) const override {
    for (const auto& [zone, id] : running_id) {
      if (id == run_id && zone_running(zone)) return true;
    }
    return false;
  }
  void alarm(Severity, const std::string& code, const std::string&) override {
    alarms.push_back(code);
  }
  void publish(const std::string&, const std::string&, bool) override {}

  std::vector<std::string> calls;
  std::vector<std::string> alarms;
  std::map<std::string, Timestamp> running_until;
  std::map<std::string, std::uint64_t> running_id;  // the zone's latest run
  std::string refuse_with;

 private:
  const Clock& clock_;
  std::uint64_t next_id_ = 0;
};

// Lines 1-17: a farm in Cần Thơ with a weather station, then `weather:` and `zones:` as given.
std::string farm(std::string_view weather, std::string_view zones) {
  return yaml(R"(
site: demo-farm
timezone: Asia/Ho_Chi_Minh
location: {latitude: 10.03, longitude: 105.78, altitude_m: 3}
kinds:
  weather:
    temp: {unit: "°C", min: -20, max: 60}
    rh: {unit: "%", min: 0, max: 100}
    wind: {unit: "m/s", min: 0, max: 60}
    solar: {unit: "W/m²", min: 0, max: 1500}
    rain: {unit: mm, min: 0, max: 100000}
devices:
  - {id: station, kind: weather}
actuators:
  - {id: pump, type: pump, line: main, max_runtime: 2h, driver: {type: simulated}}
  - {id: valve-z1, type: valve, line: main, zone: z1, max_runtime: 2h, driver: {type: simulated}}
lines:
  - id: main
)") + yaml(weather) +
         yaml(zones);
}

constexpr std::string_view kFullStation =
    "weather: {device: station, temp_c: temp, rh_pct: rh, wind_ms: wind, wind_height_m: 10, "
    "solar_wm2: solar, rain_mm: rain}\n";

constexpr std::string_view kMonitorZone = R"(
zones:
  - id: z1
    agronomy: {crop: vegetables, planting_date: 2026-01-15, root_depth_m: 0.4, soil: loam}
)";

// 2026-03-01 00:00 in Cần Thơ (UTC+7).
Timestamp local_day_start(int day_index) {
  return Timestamp{sys_days{2026y / February / 28} + 17h + days{day_index}};
}

// The synthetic weather at `t`: a warm dry-season day that gets a little hotter each day.
struct Sample {
  double temp, rh, wind, solar;
};
Sample weather_at(Timestamp t) {
  const double h = duration<double, std::ratio<3600>>(t - local_day_start(0)).count();
  const double day = std::floor(h / 24);
  const double hour = h - day * 24;
  const double wave = std::sin(2 * std::numbers::pi * (hour - 9) / 24);  // top at 15:00
  Sample s;
  s.temp = 27 + 0.3 * day + 5 * wave;
  s.rh = 72 - 18 * wave;
  s.wind = 3.0 + 1.0 * wave;
  s.solar = hour > 6 && hour < 18 ? 880 * std::sin(std::numbers::pi * (hour - 6) / 12) : 0;
  return s;
}

class EtRuntimeTest : public ::testing::Test {
 protected:
  void start(const std::string& text) {
    config_ = load_ok(text);
    auto tz = SiteTime::load(config_.timezone);
    ASSERT_TRUE(tz) << tz.error().message;
    et_ = std::make_unique<EtRuntime>(config_, std::move(*tz), clock_, sink_, log_,
                                      [this](const Reading& r) { emitted_.push_back(r); });
    et_->tick();
  }

  Reading reading(const std::string& metric, double value) const {
    Reading r;
    r.device = "station";
    r.kind = "weather";
    r.metric = metric;
    r.value = value;
    r.time = clock_.now();
    r.quality = clock_.synchronised() ? Quality::good : Quality::clock_unsynced;
    return r;
  }

  // Every 10 minutes for `n` days: the station's readings (only temperature when `thermometer`),
  // `rain_mm` spread over the day's first hour, then a tick.
  void run_days(int n, bool thermometer = false, double rain_mm = 0) {
    for (int step = 0; step < n * 144; ++step) {
      clock_.advance(10min);
      const Sample s = weather_at(clock_.now());
      et_->on_reading(reading("temp", s.temp));
      if (!thermometer) {
        et_->on_reading(reading("rh", s.rh));
        et_->on_reading(reading("wind", s.wind));
        et_->on_reading(reading("solar", s.solar));
      }
      if (rain_mm > 0 && step % 144 < 6) et_->on_reading(reading("rain", rain_mm / 6));
      et_->tick();
    }
  }

  // Emitted values of one metric of one zone ("" = the site), in order.
  std::vector<double> emitted(const std::string& metric, const std::string& zone = "") const {
    std::vector<double> out;
    for (const Reading& r : emitted_) {
      if (r.metric == metric && r.zone == zone) out.push_back(r.value);
    }
    return out;
  }

  // The aggregates of local day `d` straight from the samples, as a farmer's spreadsheet would.
  struct Aggregates {
    double tmax = -100, tmin = 100, rh_max = 0, rh_min = 100, wind = 0, rs = 0;
  };
  static Aggregates aggregates(int d) {
    Aggregates a;
    for (int k = 1; k <= 144; ++k) {
      const Timestamp t = local_day_start(d) + Millis{10min} * k;
      if (k == 144) break;  // 24:00 belongs to the next day
      const Sample s = weather_at(t);
      a.tmax = std::max(a.tmax, s.temp);
      a.tmin = std::min(a.tmin, s.temp);
      a.rh_max = std::max(a.rh_max, s.rh);
      a.rh_min = std::min(a.rh_min, s.rh);
      a.wind += s.wind / 143;
      a.rs += s.solar * 600e-6;  // W m-2 for 10 minutes, in MJ m-2
    }
    // The 00:00 sample of the day (stamped at the start) came with the previous day's loop.
    const Sample s0 = weather_at(local_day_start(d));
    if (d > 0) {
      a.tmax = std::max(a.tmax, s0.temp);
      a.tmin = std::min(a.tmin, s0.temp);
      a.rh_max = std::max(a.rh_max, s0.rh);
      a.rh_min = std::min(a.rh_min, s0.rh);
    }
    return a;
  }

  FakeClock clock_{local_day_start(0)};
  RecordingSink sink_{clock_};
  MemoryLogger log_;
  config::Config config_;
  std::unique_ptr<EtRuntime> et_;
  std::vector<Reading> emitted_;
};

TEST_F(EtRuntimeTest, AWeekInCanThoGivesTheDailyPenmanMonteithOfItsAggregates) {
  start(farm(kFullStation, kMonitorZone));
  run_days(7);
  const auto et0 = emitted("et0_mm");
  ASSERT_EQ(et0.size(), 7u) << "one ET0 per local day, at the midnight that ends it";
  EXPECT_EQ(emitted("et0_method"), std::vector<double>(7, 1.0)) << "1 = Penman-Monteith";
  for (int d = 0; d < 7; ++d) {
    const Aggregates a = aggregates(d);
    fao56::DailyWeather w;
    w.tmax_c = a.tmax;
    w.tmin_c = a.tmin;
    w.ea_kpa = fao56::actual_vapour_pressure_from_rh(a.tmax, a.tmin, a.rh_max, a.rh_min);
    w.rs = a.rs;
    w.u2_ms = fao56::wind_speed_2m(a.wind, 10);
    w.altitude_m = 3;
    w.latitude_deg = kLatitude;
    w.day_of_year = 60 + d;  // 1 March 2026
    const double expected = fao56::et0_daily_pm(w);
    EXPECT_NEAR(et0[d], expected, 0.1) << "day " << d;
    EXPECT_GT(expected, 3.0);
    EXPECT_LT(expected, 7.0);
  }
  ASSERT_TRUE(et_->last_day());
  EXPECT_EQ(et_->last_day()->method, Et0Method::penman_monteith);
  EXPECT_EQ(et_->last_day()->day_of_year, 66);
  EXPECT_EQ(et_->last_day()->end, local_day_start(7));
  // Hourly ET0 (eq. 53) for every complete hour: 24 a day; positive by day, ~0 at night.
  const auto hourly = emitted("et0_hour_mm");
  EXPECT_GE(hourly.size(), 7u * 24 - 1);
  EXPECT_GT(*std::max_element(hourly.begin(), hourly.end()), 0.3);
}

TEST_F(EtRuntimeTest, ETcIsKcTimesET0AndDepletionAddsUp) {
  start(farm(kFullStation, kMonitorZone));
  run_days(3);
  const auto et0 = emitted("et0_mm", "z1");
  const auto etc = emitted("etc_mm", "z1");
  const auto kc = emitted("kc", "z1");
  const auto dep = emitted("depletion_mm", "z1");
  ASSERT_EQ(etc.size(), 3u);
  // Planted 15 January: 1 March is day 45, in the development stage (40..100) of vegetables.
  const fao56::CropStages veg = *fao56::find_crop("vegetables");
  EXPECT_DOUBLE_EQ(kc[0], fao56::crop_coefficient(veg, 45));
  EXPECT_GT(kc[1], kc[0]);
  for (int d = 0; d < 3; ++d) EXPECT_NEAR(etc[d], kc[d] * et0[d], 1e-9);
  EXPECT_NEAR(dep[2], etc[0] + etc[1] + etc[2], 1e-9);
  // TAW of loam (0.25 - 0.12) over 0.4 m.
  EXPECT_NEAR(emitted("taw_mm", "z1").back(), 52.0, 1e-9);
  EXPECT_TRUE(sink_.calls.empty()) << "mode: monitor never waters";
}

TEST_F(EtRuntimeTest, OnlyATemperatureSensorFallsBackToHargreaves) {
  start(farm("weather: {device: station, temp_c: temp}\n", kMonitorZone));
  run_days(2, /*thermometer=*/true);
  const auto et0 = emitted("et0_mm");
  ASSERT_EQ(et0.size(), 2u);
  EXPECT_EQ(emitted("et0_method"), std::vector<double>(2, 2.0)) << "2 = Hargreaves";
  for (int d = 0; d < 2; ++d) {
    const Aggregates a = aggregates(d);
    const double ra = fao56::extraterrestrial_radiation_daily(kLatitude, 60 + d);
    EXPECT_NEAR(et0[d], fao56::et0_hargreaves((a.tmax + a.tmin) / 2, a.tmax, a.tmin, ra), 1e-9);
  }
  EXPECT_TRUE(emitted("et0_hour_mm").empty()) << "hourly PM needs every input";
}

TEST_F(EtRuntimeTest, RainRefillsUpToFieldCapacityAndNoFurther) {
  start(farm(kFullStation, kMonitorZone));
  run_days(3);
  const double before = et_->zones()[0].depletion_mm;
  ASSERT_GT(before, 10);
  run_days(1, false, /*rain_mm=*/4);
  const double etc = emitted("etc_mm", "z1").back();
  EXPECT_NEAR(et_->zones()[0].depletion_mm, before - 4 + etc, 1e-9) << "small rain: all of it";
  run_days(1, false, /*rain_mm=*/120);
  EXPECT_EQ(et_->zones()[0].depletion_mm, 0) << "at field capacity, the rest drains";
  EXPECT_EQ(emitted("depletion_mm", "z1").back(), 0);
}

TEST_F(EtRuntimeTest, RainCounterIsDifferencedAndSurvivesAReset) {
  start(farm("weather: {device: station, temp_c: temp, rain_mm: rain, rain_mode: counter}\n",
             kMonitorZone));
  for (double total : {500.0, 502.0, 505.0, 1.0, 3.0}) {
    clock_.advance(10min);
    et_->on_reading(reading("rain", total));
  }
  run_days(1, /*thermometer=*/true);
  ASSERT_TRUE(et_->last_day());
  EXPECT_DOUBLE_EQ(et_->last_day()->rain_mm, 2 + 3 + 1 + 2) << "the reset counts from zero";
}

// Sand over 0.2 m: TAW 15 mm; p 0.4: RAW 6 mm. 200 m², 90 % efficient, 20 L/min.
constexpr std::string_view kEtZone = R"(
zones:
  - id: z1
    agronomy:
      mode: et
      crop: vegetables
      planting_date: 2026-01-15
      root_depth_m: 0.2
      soil: sand
      p: 0.4
      area_m2: 200
      efficiency: 0.9
      flow_lpm: 20
)";

TEST_F(EtRuntimeTest, DepletionAtRawAsksForARunThatRefillsToFieldCapacity) {
  start(farm(kFullStation, kEtZone));
  auto z = et_->zones()[0];
  EXPECT_NEAR(z.taw_mm, 15, 1e-9);
  EXPECT_NEAR(z.raw_mm, 6, 1e-9);
  // Day by day until the balance first reaches RAW: the run is asked for at that midnight.
  int days = 0;
  while (sink_.calls.empty() && days < 5) {
    run_days(1);
    ++days;
  }
  ASSERT_EQ(sink_.calls.size(), 1u);
  EXPECT_EQ(days, 2) << "about 3.5 mm a day against a RAW of 6";
  z = et_->zones()[0];
  EXPECT_GE(z.depletion_mm, 6);
  EXPECT_TRUE(z.run_pending);
  const auto plan = fao56::plan_irrigation(z.depletion_mm, 200, 0.9, 20);
  ASSERT_TRUE(plan);
  EXPECT_NEAR(plan->litres, z.depletion_mm * 200 / 0.9, 1e-9);
  EXPECT_EQ(sink_.calls[0],
            "irrigate z1 " + std::to_string(plan->duration.count() / 1000) + "s et:z1");
  // Asked once, not again while it runs.
  clock_.advance(10min);
  et_->tick();
  EXPECT_EQ(sink_.calls.size(), 1u);
  et_->on_run_finished("z1", plan->litres);
  EXPECT_NEAR(et_->zones()[0].depletion_mm, 0, 1e-9);
  EXPECT_FALSE(et_->zones()[0].run_pending);
  EXPECT_NEAR(emitted("depletion_mm", "z1").back(), 0, 1e-9);
}

TEST_F(EtRuntimeTest, ARunLongerThanADayIsCappedAt24Hours) {
  std::string zones(kEtZone);
  zones.replace(zones.find("flow_lpm: 20"), 12, "flow_lpm: 0.5");
  start(farm(kFullStation, zones));
  run_days(2);
  ASSERT_EQ(sink_.calls.size(), 1u);
  EXPECT_EQ(sink_.calls[0], "irrigate z1 86400s et:z1") << "about 3000 min at 0.5 L/min";
}

TEST_F(EtRuntimeTest, ARefusedRunIsAskedForAgainAfterAMinute) {
  start(farm(kFullStation, kEtZone));
  sink_.refuse_with = "rain delay";
  run_days(2);
  ASSERT_EQ(sink_.calls.size(), 1u);
  clock_.advance(30s);
  et_->tick();
  EXPECT_EQ(sink_.calls.size(), 1u);
  clock_.advance(31s);
  sink_.refuse_with.clear();
  et_->tick();
  ASSERT_EQ(sink_.calls.size(), 2u);
  EXPECT_TRUE(et_->zones()[0].run_pending);
}

TEST_F(EtRuntimeTest, ARunNeverReportedIsForgottenWithAWarning) {
  start(farm(kFullStation, kEtZone));
  run_days(2);
  ASSERT_EQ(sink_.calls.size(), 1u);
  clock_.advance(Millis{3h});
  et_->tick();
  EXPECT_EQ(sink_.alarms, std::vector<std::string>{"et_run_unaccounted"});
  EXPECT_EQ(sink_.calls.size(), 2u) << "the zone is still dry: asked again";
}

TEST_F(EtRuntimeTest, UnsyncedClockDoesNothing) {
  clock_.set_wall(from_epoch_ms(86'400'000));  // 1970-01-02: a Pi without RTC
  start(farm(kFullStation, kEtZone));
  run_days(4);
  EXPECT_TRUE(emitted_.empty());
  EXPECT_TRUE(sink_.calls.empty());
  EXPECT_FALSE(et_->last_day());
  EXPECT_EQ(et_->zones()[0].depletion_mm, 0);
}

TEST_F(EtRuntimeTest, ADayWithTooFewReadingsLeavesTheBalanceAlone) {
  start(farm(kFullStation, kMonitorZone));
  clock_.advance(Millis{12h});  // the gateway started at noon: half a day of readings
  et_->tick();
  run_days(2);
  EXPECT_EQ(emitted("et0_mm").size(), 1u) << "only the full day";
  const auto lines = log_.lines();
  EXPECT_TRUE(std::any_of(lines.begin(), lines.end(), [](const std::string& l) {
    return l.find("2026-03-01: fewer than 20 hours") != std::string::npos;
  }));
}

TEST(CheckEtTest, UnknownCropIsReportedAtItsPlace) {
  const config::Config c = load_ok(farm(kFullStation, R"(
zones:
  - id: z1
    agronomy: {crop: durian, planting_date: 2026-01-15, root_depth_m: 0.4, soil: loam}
)"));
  const auto errors = check_et(c);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].to_string(),
            "farm.yaml:21:22: unknown crop 'durian' in zone 'z1'; built-in crops: rice, citrus, "
            "coffee, sweet_pepper, vegetables, tomato (or give kc: and p:)");
}

TEST(CheckEtTest, EveryBuiltInCropHasAP) {
  for (const auto& crop : fao56::builtin_crops()) {
    EXPECT_TRUE(crop_depletion_fraction(crop.name)) << crop.name;
  }
}

}  // namespace
}  // namespace farmgate::rules
