// Programs through the Schedules facade: zones in sequence, budget, skip_if, watering windows,
// rain delay (automatic and by hand), refusals, the zone fallback with the rule Engine, and a
// clock that is not synchronised; on a FakeClock with a recording ActionSink.
#include "rules/schedules.h"

#include <gtest/gtest.h>

#include "config/test_util.h"
#include "rules/history.h"
#include "rules/schedules_test_sink.h"

namespace farmgate::rules {
namespace {

using namespace std::chrono_literals;
using config::testing::load_ok;
using testing::RecordingSink;

// Two zones on one line, a soil probe in z1 and a rain gauge for the site; `extra` follows.
std::string farm(const std::string& extra, const std::string& zones_extra = "") {
  return R"(site: demo-farm
timezone: UTC
zones:
  - {id: z1)" +
         zones_extra +
         R"(}
  - {id: z2}
kinds:
  soil:
    moisture: {unit: "%", min: 0, max: 100}
  rain:
    mm_24h: {unit: mm, min: 0, max: 500}
devices:
  - {id: soil-z1, kind: soil, zone: z1}
  - {id: gauge, kind: rain}
actuators:
  - {id: pump, type: pump, line: main, max_runtime: 25m, driver: {type: simulated}}
  - {id: valve-z1, type: valve, line: main, zone: z1, max_runtime: 30m, driver: {type: simulated}}
  - {id: valve-z2, type: valve, line: main, zone: z2, max_runtime: 30m, driver: {type: simulated}}
lines:
  - {id: main}
)" + extra;
}

const std::string kMorning = R"(programs:
  - name: morning
    zones: [{zone: z1, for: 15m}, {zone: z2, for: 10m}]
    start: {cron: "0 5 * * *"}
)";

class ProgramTest : public ::testing::Test {
 protected:
  // The clock starts at 2026-01-01 04:59:00 UTC (FakeClock starts at midnight).
  void start(const std::string& yaml, ZoneInputsBad probe = {}) {
    config_ = load_ok(yaml);
    clock_.advance(4h + 59min);
    schedules_ = std::make_unique<Schedules>(config_, clock_, sink_, log_, history_, probe);
    schedules_->tick();
  }
  void run_for(Millis d) {
    for (Millis t{0}; t < d; t += 1s) {
      clock_.advance(1s);
      history_.set_now(clock_.now());
      schedules_->tick();
    }
  }
  void reading(const std::string& device, const std::string& metric, double v) {
    Reading r;
    r.device = device;
    r.zone = device == "soil-z1" ? "z1" : "";
    r.kind = device == "soil-z1" ? "soil" : "rain";
    r.metric = metric;
    r.value = v;
    r.time = clock_.now();
    history_.add(r);
  }
  ProgramState state() const { return schedules_->states().at(0); }

  FakeClock clock_;
  RecordingSink sink_{clock_};
  MemoryLogger log_;
  History history_{1h};
  config::Config config_;
  std::unique_ptr<Schedules> schedules_;
};

TEST_F(ProgramTest, RunsZonesOneAfterAnother) {
  start(farm(kMorning));
  EXPECT_EQ(state().next_start, clock_.now() + 1min);
  run_for(1min);
  EXPECT_EQ(state().state, "running");
  EXPECT_EQ(state().zone, "z1");
  run_for(30min);
  EXPECT_EQ(sink_.calls, (std::vector<std::string>{"05:00:00 irrigate z1 900s program:morning",
                                                   "05:15:00 irrigate z2 600s program:morning"}));
  EXPECT_EQ(state().state, "idle");
  EXPECT_EQ(state().detail, "finished");
  EXPECT_TRUE(sink_.alarms.empty());
}

TEST_F(ProgramTest, BudgetScalesEveryDuration) {
  start(farm(R"(programs:
  - name: morning
    zones: [{zone: z1, for: 15m}, {zone: z2, for: 10m}]
    budget: 50%
    start: {cron: "0 5 * * *"}
)"));
  run_for(20min);
  EXPECT_EQ(sink_.calls, (std::vector<std::string>{"05:00:00 irrigate z1 450s program:morning",
                                                   "05:07:30 irrigate z2 300s program:morning"}));
}

TEST_F(ProgramTest, SkipIfSkipsAMoistZoneButUnknownWaters) {
  start(farm(R"(programs:
  - name: morning
    zones: [{zone: z1, for: 15m}, {zone: z2, for: 10m}]
    skip_if: "z1.soil.moisture > 40"
    start: {cron: "0 5,6 * * *"}
)"));
  reading("soil-z1", "moisture", 45);
  run_for(20min);
  // The program's skip_if applies to each entry: z2 reads z1's probe too here.
  EXPECT_TRUE(sink_.calls.empty());
  // At 06:00 the probe has been silent for an hour: stale, so unknown, so the zones water.
  run_for(45min);
  EXPECT_EQ(sink_.calls, (std::vector<std::string>{"06:00:00 irrigate z1 900s program:morning"}));
}

TEST_F(ProgramTest, AZoneEntrysOwnSkipIfWins) {
  start(farm(R"(programs:
  - name: morning
    zones: [{zone: z1, for: 15m, skip_if: "z1.soil.moisture > 40"}, {zone: z2, for: 10m}]
    start: {cron: "0 5 * * *"}
)"));
  reading("soil-z1", "moisture", 45);
  run_for(5min);
  EXPECT_EQ(sink_.calls, (std::vector<std::string>{"05:00:00 irrigate z2 600s program:morning"}));
}

TEST_F(ProgramTest, AWindowEndingMidZoneStopsItAndTheProgram) {
  start(farm(kMorning + "    windows: [\"05:00-05:20\"]\n"));
  run_for(40min);
  EXPECT_EQ(sink_.calls, (std::vector<std::string>{
                             "05:00:00 irrigate z1 900s program:morning",
                             "05:15:00 irrigate z2 600s program:morning",
                             "05:20:00 stop z2 (watering window ended) program:morning",
                         }));
  EXPECT_EQ(state().state, "idle");
}

TEST_F(ProgramTest, AStartOutsideTheTopLevelWindowsDoesNotRun) {
  start(farm(kMorning + "watering_windows: [\"16:00-18:00\", \"06:00-08:00\"]\n"));
  run_for(10min);
  EXPECT_TRUE(sink_.calls.empty());
  EXPECT_EQ(state().detail,
            "cron 0 5 * * * at 2026-01-01 05:00: not started, outside the "
            "watering windows");
}

TEST_F(ProgramTest, RainDelaySkipsStartsUntilItHasPassed) {
  start(farm(kMorning + "rain_delay: {when: \"site.rain.mm_24h > 5\", for: 20h}\n"));
  reading("gauge", "mm_24h", 8);
  run_for(30min);
  EXPECT_TRUE(sink_.calls.empty());
  EXPECT_EQ(sink_.alarms, (std::vector<std::string>{"info rain_delay"}));
  EXPECT_TRUE(schedules_->rain_delay_until().has_value());
  // The gauge goes silent (stale after 30 min: unknown extends nothing); the delay ends 20 h
  // after the last true reading, before the next morning's start.
  run_for(24h);
  ASSERT_EQ(sink_.calls.size(), 2u);
  EXPECT_EQ(sink_.calls[0], "05:00:00 irrigate z1 900s program:morning");
  EXPECT_FALSE(schedules_->rain_delay_until().has_value());
}

TEST_F(ProgramTest, RainDuringAProgramStopsItBeforeTheNextZone) {
  start(farm(kMorning + "rain_delay: {when: \"site.rain.mm_24h > 5\"}\n"));
  run_for(5min);
  reading("gauge", "mm_24h", 12);
  run_for(20min);
  EXPECT_EQ(sink_.calls, (std::vector<std::string>{"05:00:00 irrigate z1 900s program:morning"}));
  EXPECT_EQ(state().detail,
            "rain delay until 2026-01-02 05:24; last: stopped before zone z2: rain delay");
}

TEST_F(ProgramTest, ARainDelayByHandRefusesRunNow) {
  start(farm(kMorning));
  schedules_->delay_for_rain(clock_.now() + 2h);
  run_for(10min);
  EXPECT_TRUE(sink_.calls.empty());
  const auto r = schedules_->run_now("morning");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "a rain delay is in force");
  schedules_->clear_rain_delay();
  EXPECT_TRUE(schedules_->run_now("morning").ok());
  EXPECT_EQ(sink_.calls.size(), 1u);
  EXPECT_EQ(schedules_->run_now("nope").error().code, "unknown_program");
}

TEST_F(ProgramTest, ARefusedZoneIsAskedAgain) {
  start(farm(kMorning));
  sink_.refuse_with = "line main is busy";
  run_for(1min);
  EXPECT_EQ(state().state, "waiting");
  EXPECT_EQ(state().detail, "zone z1 refused: line main is busy");
  run_for(30s);
  sink_.refuse_with.clear();
  run_for(15s);
  EXPECT_EQ(sink_.calls, (std::vector<std::string>{"05:00:40 irrigate z1 900s program:morning"}));
}

TEST_F(ProgramTest, AZoneRefusedTooLongIsSkippedWithAnAlarm) {
  start(farm(kMorning));
  sink_.refuse_with = "pump rests";
  run_for(31min);
  EXPECT_EQ(sink_.alarms, (std::vector<std::string>{"warning program_refused"}));
  EXPECT_EQ(state().zone, "z2");
}

TEST_F(ProgramTest, AnUnsynchronisedClockStartsNothing) {
  config_ = load_ok(farm(kMorning));
  clock_.set_wall(from_epoch_ms(4 * 3'600'000));  // 1970-01-01 04:00
  schedules_ = std::make_unique<Schedules>(config_, clock_, sink_, log_, history_);
  run_for(2h);
  EXPECT_TRUE(sink_.calls.empty());
  EXPECT_EQ(state().detail, "waiting for the clock to be synchronised");
  EXPECT_FALSE(state().next_start.has_value());
  EXPECT_FALSE(schedules_->run_now("morning").ok());
}

TEST_F(ProgramTest, ABigClockJumpRaisesScheduleSkipped) {
  start(farm(kMorning));
  clock_.set_wall(clock_.now() + 3h);  // 04:59 → 07:59: 05:00 is 2 h 59 min old
  run_for(2s);
  EXPECT_TRUE(sink_.calls.empty());
  EXPECT_EQ(sink_.alarms, (std::vector<std::string>{"warning schedule_skipped"}));
}

TEST_F(ProgramTest, ASmallClockJumpRunsTheMissedStartLate) {
  start(farm(kMorning));
  clock_.set_wall(clock_.now() + 1h);  // 04:59 → 05:59
  run_for(1s);
  EXPECT_EQ(sink_.calls, (std::vector<std::string>{"05:59:01 irrigate z1 900s program:morning"}));
  EXPECT_TRUE(sink_.alarms.empty());
}

TEST_F(ProgramTest, FallbackProgramWatersOnlyWhileTheZonesRulesAreBlind) {
  bool blind = false;
  start(farm(R"(programs:
  - name: backup
    zones: [{zone: z1, for: 15m}, {zone: z2, for: 10m}]
    start: {cron: "0 5,6 * * *"}
)",
             ", fallback_program: backup"),
        [&](const std::string& zone) { return zone == "z1" && blind; });
  run_for(30min);
  // z1's rules are in charge: only z2 (which has no fallback) runs.
  EXPECT_EQ(sink_.calls, (std::vector<std::string>{"05:00:00 irrigate z2 600s program:backup"}));
  blind = true;
  run_for(40min);
  EXPECT_EQ(sink_.calls.at(1), "06:00:00 irrigate z1 900s program:backup");
}

TEST_F(ProgramTest, EngineReportsADeadSensorAndTheFallbackWaters) {
  const std::string yaml = farm(R"(rules:
  - name: dry
    hysteresis: {value: z1.soil.moisture, start_below: 30, stop_above: 45}
    then: {irrigate: {zone: z1, for: 20m}}
programs:
  - name: backup
    zones: [{zone: z1, for: 15m}]
    start: {cron: "0 5 * * *"}
)",
                                ", fallback_program: backup");
  config_ = load_ok(yaml);
  clock_.advance(4h + 50min);
  Engine engine(config_, clock_, sink_, log_);
  schedules_ =
      std::make_unique<Schedules>(config_, clock_, sink_, log_, engine.history(),
                                  [&](const std::string& z) { return engine.zone_inputs_bad(z); });
  // The probe never reports: after the start-up grace the rule is blind.
  EXPECT_FALSE(engine.zone_inputs_bad("z1"));
  for (int i = 0; i < 11 * 60; ++i) {
    clock_.advance(1s);
    engine.tick();
    schedules_->tick();
  }
  EXPECT_TRUE(engine.zone_inputs_bad("z1"));
  EXPECT_FALSE(engine.zone_inputs_bad("z2"));
  EXPECT_EQ(sink_.calls, (std::vector<std::string>{"05:00:00 irrigate z1 900s program:backup"}));
}

TEST_F(ProgramTest, NextRunIsTheSoonestStartOfAProgramThatWatersTheZone) {
  start(farm(kMorning + R"(  - name: evening
    zones: [{zone: z2, for: 5m}]
    start: {cron: "0 18 * * *"}
)"));
  auto z1 = schedules_->next_run("z1");
  ASSERT_TRUE(z1);
  EXPECT_EQ(z1->program, "morning");
  EXPECT_EQ(z1->at, clock_.now() + 1min);
  run_for(2h);  // morning has run: z1's next is tomorrow, z2's is this evening
  z1 = schedules_->next_run("z1");
  ASSERT_TRUE(z1);
  EXPECT_EQ(z1->at - clock_.now(), 22h + 1min);
  const auto z2 = schedules_->next_run("z2");
  ASSERT_TRUE(z2);
  EXPECT_EQ(z2->program, "evening");
  EXPECT_EQ(z2->at - clock_.now(), 11h + 1min);
  EXPECT_FALSE(schedules_->next_run("nowhere"));
}

TEST_F(ProgramTest, NextRunLeavesOutAFallbackWhileTheRulesDecideAndWaitsOutRain) {
  bool blind = false;
  start(farm(R"(programs:
  - name: backup
    zones: [{zone: z1, for: 15m}]
    start: {cron: "0 5 * * *"}
)",
             ", fallback_program: backup"),
        [&](const std::string& zone) { return zone == "z1" && blind; });
  EXPECT_FALSE(schedules_->next_run("z1"));
  blind = true;
  ASSERT_TRUE(schedules_->next_run("z1"));
  schedules_->delay_for_rain(clock_.now() + 3h);
  EXPECT_EQ(schedules_->next_run("z1")->at, clock_.now() + 3h);
}

}  // namespace
}  // namespace farmgate::rules
