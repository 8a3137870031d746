// Engine: hysteresis, hold, cooldown, skip while running, unknown inputs, stale sensors mid-run,
// time-of-day rules and an unsynchronised clock; on a FakeClock with a recording ActionSink.
#include "rules/engine.h"

#include <gtest/gtest.h>

#include <map>

#include "config/test_util.h"
#include "rules/rules_test_farm.h"

namespace farmgate::rules {
namespace {

using namespace std::chrono_literals;
using config::testing::load_ok;
using testing::farm_yaml;

// Records what the engine asks for and plays a supervisor: a run lasts its duration on the
// clock unless stopped; refuse_with makes the next irrigations fail.
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
  Result<void> stop(const std::string& zone, const std::string& why,
                    const std::string& who) override {
    calls.push_back("stop " + zone + " (" + why + ") " + who);
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
  void alarm(Severity s, const std::string& code, const std::string& message) override {
    alarms.push_back(std::string(to_string(s)) + " " + code);
    alarm_messages.push_back(message);
  }
  void publish(const std::string& topic, const std::string& payload, bool retain) override {
    calls.push_back("publish " + topic + " " + payload + (retain ? " retained" : ""));
  }

  std::vector<std::string> calls;
  std::vector<std::string> alarms;
  std::vector<std::string> alarm_messages;
  std::map<std::string, Timestamp> running_until;
  std::map<std::string, std::uint64_t> running_id;  // the zone's latest run
  std::string refuse_with;

 private:
  const Clock& clock_;
  std::uint64_t next_id_ = 0;
};

class EngineTest : public ::testing::Test {
 protected:
  void start(const std::string& rules, const std::string& timezone = "UTC") {
    config_ = load_ok(farm_yaml(rules, timezone));
    engine_ = std::make_unique<Engine>(config_, clock_, sink_, log_);
  }
  void moisture(double v, const std::string& device = "soil-z1") {
    Reading r;
    r.device = device;
    r.zone = device == "soil-z1" ? "z1" : "z2";
    r.kind = "soil";
    r.metric = "moisture";
    r.value = v;
    r.unit = "%";
    r.time = clock_.now();
    engine_->on_reading(r);
  }
  // Advances the clock second by second, ticking like the gateway does.
  void run_for(Millis d) {
    for (Millis t{0}; t < d; t += 1s) {
      clock_.advance(1s);
      engine_->tick();
    }
  }
  std::string state() const { return engine_->states().at(0).state; }

  FakeClock clock_;
  RecordingSink sink_{clock_};
  MemoryLogger log_;
  config::Config config_;
  std::unique_ptr<Engine> engine_;
};

const std::string kHysteresis = R"(rules:
  - name: dry
    hysteresis: {value: z1.soil.moisture, start_below: 30, stop_above: 45}
    then: {irrigate: {zone: z1, for: 20m}}
)";

TEST_F(EngineTest, HysteresisWatersBelow30AndStopsAt45) {
  start(kHysteresis);
  moisture(35);
  EXPECT_TRUE(sink_.calls.empty());
  clock_.advance(1min);
  moisture(29);
  ASSERT_EQ(sink_.calls, (std::vector<std::string>{"irrigate z1 1200s rule:dry"}));
  EXPECT_EQ(state(), "fired");
  clock_.advance(1min);
  moisture(38);
  clock_.advance(1min);
  moisture(44.9);
  EXPECT_EQ(sink_.calls.size(), 1u);
  clock_.advance(1min);
  moisture(45);
  ASSERT_EQ(sink_.calls.size(), 2u);
  EXPECT_EQ(sink_.calls[1], "stop z1 (until: z1.soil.moisture >= 45) rule:dry");
  EXPECT_TRUE(sink_.alarms.empty());
}

TEST_F(EngineTest, UntilStopsOnlyTheRunTheRuleStarted) {
  start(kHysteresis);
  moisture(25);
  ASSERT_EQ(sink_.calls.size(), 1u);
  // The rule's run ends by its duration; a person then starts another run in the zone.
  clock_.advance(20min);
  engine_->tick();
  sink_.running_until["z1"] = clock_.now() + 10min;
  moisture(50);
  EXPECT_EQ(sink_.calls.size(), 1u);  // no stop
}

TEST_F(EngineTest, UntilLeavesAnotherRunStartedRightAfterTheRulesWasStoppedEarly) {
  start(kHysteresis);
  moisture(25);
  ASSERT_EQ(sink_.calls.size(), 1u);
  // A person stops the rule's run 2 minutes in and, before the engine looks again, starts their
  // own run in the zone: the zone is busy and the rule's 20 minutes are not over.
  clock_.advance(2min);
  sink_.running_until["z1"] = clock_.now() + 10min;
  sink_.running_id["z1"] = 999;
  moisture(50);  // the rule's `until` is true now
  EXPECT_EQ(sink_.calls.size(), 1u) << "the person's run must not be stopped by the rule";
}

TEST_F(EngineTest, HoldWaitsUntilConditionHeldContinuously) {
  start(R"(rules:
  - name: dry
    when: z1.soil.moisture < 30
    for: 10m
    then: {irrigate: {zone: z1, for: 5m}}
)");
  moisture(25);
  run_for(5min);
  EXPECT_EQ(state(), "holding");
  moisture(31);  // interrupted: the hold starts again
  run_for(1s);
  moisture(25);
  run_for(9min);
  EXPECT_TRUE(sink_.calls.empty());
  moisture(25);
  run_for(1min);
  EXPECT_EQ(sink_.calls, (std::vector<std::string>{"irrigate z1 300s rule:dry"}));
}

TEST_F(EngineTest, CooldownLimitsRefiring) {
  start(R"(rules:
  - name: dry
    when: z1.soil.moisture < 30
    cooldown: 1h
    then: {irrigate: {zone: z1, for: 5m}}
)");
  moisture(25);
  EXPECT_EQ(sink_.calls.size(), 1u);
  // Still dry after the run: level-triggered, it fires again, but only after the cooldown.
  for (int i = 0; i < 11; ++i) {
    run_for(5min);
    moisture(25);
  }
  EXPECT_EQ(sink_.calls.size(), 1u);
  EXPECT_EQ(state(), "cooldown");
  run_for(5min);
  moisture(25);
  EXPECT_EQ(sink_.calls.size(), 2u);
  // False then true again within the cooldown: still no firing.
  moisture(40);
  clock_.advance(1min);
  moisture(20);
  EXPECT_EQ(sink_.calls.size(), 2u);
}

TEST_F(EngineTest, WithoutCooldownFiresOncePerTruePeriod) {
  start(R"(rules:
  - name: dry
    when: z1.soil.moisture < 30
    then: [{alarm: {message: dry soil, severity: warning}}, {publish: {topic: farm/dry, payload: "1", retain: true}}]
)");
  moisture(25);
  run_for(10s);
  moisture(24);
  EXPECT_EQ(sink_.alarms, (std::vector<std::string>{"warning rule:dry"}));
  EXPECT_EQ(sink_.calls, (std::vector<std::string>{"publish farm/dry 1 retained"}));
  moisture(40);
  moisture(20);
  EXPECT_EQ(sink_.alarms.size(), 2u);
}

TEST_F(EngineTest, SkipsIrrigateWhileZoneRunning) {
  start(kHysteresis);
  sink_.running_until["z1"] = clock_.now() + 10min;
  moisture(25);
  EXPECT_TRUE(sink_.calls.empty());
  EXPECT_TRUE(sink_.alarms.empty());
  EXPECT_EQ(state(), "fired");
}

TEST_F(EngineTest, ARefusalIsAskedAgainAfterAMinuteAndWarnedOnce) {
  start(R"(rules:
  - name: dry
    when: z1.soil.moisture < 30
    cooldown: 10m
    then: {irrigate: {zone: z1, for: 5m}}
)");
  sink_.refuse_with = "min_off: pump rests until 00:02";
  moisture(25);
  EXPECT_EQ(sink_.calls.size(), 1u);
  run_for(Engine::kRetryAfterRefusal - 1s);
  EXPECT_EQ(sink_.calls.size(), 1u) << "not before the retry delay";
  EXPECT_EQ(state(), "refused");
  run_for(1s);
  EXPECT_EQ(sink_.calls.size(), 2u) << "a refused firing waits no cooldown";
  EXPECT_EQ(sink_.alarms, (std::vector<std::string>{"warning rule_refused"}))
      << "one warning until an irrigation is granted";
  EXPECT_NE(sink_.alarm_messages[0].find("min_off"), std::string::npos);
  sink_.refuse_with.clear();
  run_for(1min);
  EXPECT_EQ(sink_.calls.size(), 3u);
  EXPECT_TRUE(sink_.zone_running("z1"));
  run_for(6min);
  EXPECT_EQ(sink_.calls.size(), 3u) << "a granted firing waits its cooldown";
}

TEST_F(EngineTest, UnknownInputDoesNotFireAndAlarmsOnce) {
  start(kHysteresis);
  engine_->tick();  // no reading yet: unknown
  run_for(10s);
  EXPECT_TRUE(sink_.calls.empty());
  EXPECT_TRUE(sink_.alarms.empty()) << "right after a start no sensor has reported yet";
  EXPECT_EQ(state(), "unknown");
  run_for(Engine::kStartupGrace);
  EXPECT_EQ(sink_.alarms, (std::vector<std::string>{"warning rule_input_bad"}));
  EXPECT_NE(sink_.alarm_messages[0].find("z1.soil.moisture"), std::string::npos);
  EXPECT_EQ(state(), "unknown");
  moisture(40);
  EXPECT_EQ(sink_.alarms,
            (std::vector<std::string>{"warning rule_input_bad", "info rule_input_ok"}));
  // Stale after 30 min without a reading: unknown again, one more alarm.
  run_for(40min);
  EXPECT_EQ(sink_.alarms.size(), 3u);
  EXPECT_EQ(sink_.alarms[2], "warning rule_input_bad");
  EXPECT_EQ(state(), "unknown");
}

TEST_F(EngineTest, StaleSensorMidRunNeitherStopsNorExtendsTheRun) {
  start(R"(rules:
  - name: dry
    hysteresis: {value: z1.soil.moisture, start_below: 30, stop_above: 45}
    then: {irrigate: {zone: z1, for: 50m}}
)");
  moisture(25);
  ASSERT_EQ(sink_.calls.size(), 1u);
  // The probe dies: no more readings. After 30 min the series is stale and `until` unknown; the
  // run goes on to its 50 minutes, then ends, and the rule starts no other run on the dead sensor.
  run_for(31min);
  EXPECT_EQ(state(), "unknown");
  EXPECT_EQ(sink_.alarms, (std::vector<std::string>{"warning rule_input_bad"}));
  run_for(18min);
  EXPECT_TRUE(sink_.zone_running("z1"));
  run_for(1min);
  EXPECT_FALSE(sink_.zone_running("z1"));
  run_for(3h);
  EXPECT_EQ(sink_.calls.size(), 1u);  // no stop, no second irrigate
  EXPECT_EQ(sink_.alarms.size(), 1u);
}

TEST_F(EngineTest, ExpressionThatDoesNotCompileIsAProgrammingError) {
  const config::Config c = load_ok(farm_yaml(R"(rules:
  - name: dry
    when: z9.soil.moisture < 30
    then: {irrigate: {zone: z1, for: 5m}}
)"));
  EXPECT_THROW(Engine(c, clock_, sink_, log_), std::logic_error);
}

TEST_F(EngineTest, TimeOfDayRuleInUtc) {
  start(R"(rules:
  - name: morning
    when: between(time(), 05:00, 08:00)
    then: {irrigate: {zone: z2, for: 10m}}
)");
  // The fake clock starts at 2026-01-01T00:00Z.
  run_for(4h + 59min);
  EXPECT_TRUE(sink_.calls.empty());
  run_for(1min);
  EXPECT_EQ(sink_.calls, (std::vector<std::string>{"irrigate z2 600s rule:morning"}));
  run_for(3h);
  EXPECT_EQ(sink_.calls.size(), 1u);  // once per morning
}

TEST_F(EngineTest, TimeOfDayRuleInHoChiMinh) {
  // 05:00 in Ho Chi Minh City is 22:00Z the day before.
  start(R"(rules:
  - name: morning
    when: between(time(), 05:00, 08:00)
    then: {irrigate: {zone: z2, for: 10m}}
)",
        "Asia/Ho_Chi_Minh");
  clock_.set_wall(clock_.now() - 2h - 1s);  // 21:59:59Z = 04:59:59 local
  engine_->tick();
  EXPECT_TRUE(sink_.calls.empty());
  run_for(1s);
  EXPECT_EQ(sink_.calls.size(), 1u);
}

TEST_F(EngineTest, NoCalendarRuleFiresBeforeClockSynchronised) {
  clock_.set_wall(from_epoch_ms(6 * 3600'000));  // 1970-01-01T06:00Z, a Pi after boot
  start(R"(rules:
  - name: morning
    when: between(time(), 05:00, 08:00)
    then: {irrigate: {zone: z2, for: 10m}}
)");
  run_for(Engine::kStartupGrace + 10s);
  EXPECT_TRUE(sink_.calls.empty());
  EXPECT_EQ(state(), "unknown");
  EXPECT_EQ(sink_.alarms, (std::vector<std::string>{"warning rule_input_bad"}))
      << "a clock still unsynchronised after the start-up grace is worth an alarm";
}

TEST_F(EngineTest, UnsyncedReadingsAreNotUsed) {
  start(kHysteresis);
  Reading r;
  r.device = "soil-z1";
  r.metric = "moisture";
  r.value = 10;
  r.time = clock_.now();
  r.quality = Quality::clock_unsynced;
  engine_->on_reading(r);
  EXPECT_TRUE(sink_.calls.empty());
}

TEST_F(EngineTest, HistoryIsTheDataView) {
  start(kHysteresis);
  moisture(40);
  EXPECT_EQ(engine_->history().latest({"soil-z1", "moisture"}).value, 40);
  ASSERT_EQ(engine_->health().size(), 1u);
  EXPECT_TRUE(engine_->health()[0].healthy);
}

}  // namespace
}  // namespace farmgate::rules
