// The supervisor's rules, one behaviour per test, on simulated relays (100 ms to answer, 5 s
// confirm timeout) and a fake clock: pump `pump` (max 25 min, min_off 2 min) and valves
// `valve-z1`, `valve-z2` (max 30 min) on line `main` (3 s start and close delays).
#include "actuators/supervisor.h"

#include <gtest/gtest.h>

#include "actuators/test_rig.h"

namespace farmgate::actuators {
namespace {

using namespace farmgate::actuators::testing;

std::vector<std::string> ids_of(const std::vector<Command>& trace) {
  std::vector<std::string> out;
  for (const auto& c : trace) out.push_back(c.id + (c.on ? " ON" : " OFF"));
  return out;
}

TEST(SupervisorTest, StartDrivesEveryActuatorOffPumpFirst) {
  Rig rig;
  ASSERT_TRUE(rig.sup->start().ok());
  rig.sup->take_control();
  EXPECT_EQ(ids_of(rig.trace),
            (std::vector<std::string>{"pump OFF", "valve-z1 OFF", "valve-z2 OFF"}));
  rig.sched.advance(1s);
  EXPECT_TRUE(rig.sup->quiescent());
}

TEST(SupervisorTest, RefusesCommandsUntilItHasTakenControl) {
  Rig rig;
  ASSERT_TRUE(rig.sup->start().ok());
  EXPECT_TRUE(rig.trace.empty()) << "nothing is sent before the devices can be reached";
  auto r = rig.sup->irrigate("z1", 1min, RunReason::manual, "a");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "not_ready");
  rig.sup->take_control();
  EXPECT_EQ(rig.trace.size(), 3u);
}

TEST(SupervisorTest, ValveOpensFirstPumpStartsAfterDelayAndStopsFirst) {
  Rig rig;
  rig.start();
  rig.sched.advance(2min);  // the pump's min_off counts from the start
  auto grant = rig.sup->irrigate("z1", 10min, RunReason::manual, "lan");
  ASSERT_TRUE(grant.ok()) << grant.error().message;
  EXPECT_EQ(grant->duration, Millis{10min});
  rig.sched.advance(10min + 10s);
  ASSERT_EQ(rig.trace.size(), 4u);
  const Millis t0 = rig.trace[0].at;
  EXPECT_EQ(ids_of(rig.trace),
            (std::vector<std::string>{"valve-z1 ON", "pump ON", "pump OFF", "valve-z1 OFF"}));
  EXPECT_EQ(rig.trace[1].at - t0, Millis{3s});
  EXPECT_EQ(rig.trace[2].at - t0, Millis{3s + 10min});
  // The valve closes valve_close_delay after the pump confirmed OFF (100 ms later).
  EXPECT_EQ(rig.trace[3].at - t0, Millis{3s + 10min + 100ms + 3s});
  // Device-level auto-off: the pump's lease ends with the run, the valve's after the pump's
  // delays and its confirm time.
  EXPECT_EQ(rig.trace[1].lease, Millis{10min});
  EXPECT_EQ(rig.trace[0].lease, Millis{10min + 3s + 3s + 5s});
  ASSERT_EQ(rig.observer.finished.size(), 1u);
  const RunRecord& run = rig.observer.finished[0];
  EXPECT_EQ(run.outcome, "completed");
  EXPECT_EQ(run.zone, "z1");
  EXPECT_EQ(run.who, "lan");
  EXPECT_EQ(run.reason, RunReason::manual);
  EXPECT_EQ(run.actuators, (std::vector<std::string>{"valve-z1", "pump"}));
  EXPECT_EQ(run.end - run.start, Millis{3s + 10min + 100ms + 3s + 100ms});
  EXPECT_TRUE(rig.sup->quiescent());
}

TEST(SupervisorTest, ACallerThatKeepsAskingNeverGetsMoreThanMaxRuntimeInOneRun) {
  Rig rig;
  rig.start();
  SteadyTime pump_on{};
  Millis longest{0};
  int runs = 0;
  for (int i = 0; i < 4 * 3600; ++i) {  // asks every second for four hours
    auto grant = rig.sup->irrigate("z1", 24h, RunReason::rule, "rule:dry");
    if (grant) {
      ++runs;
      EXPECT_EQ(grant->duration, Millis{25min});
    }
    rig.sched.advance(1s);
    const bool on = rig.on("pump");
    if (on && pump_on == SteadyTime{}) pump_on = rig.sched.now();
    if (!on && pump_on != SteadyTime{}) {
      longest = std::max(longest, std::chrono::duration_cast<Millis>(rig.sched.now() - pump_on));
      pump_on = {};
    }
  }
  EXPECT_GE(runs, 4);
  EXPECT_LE(longest, Millis{25min});
  EXPECT_GT(longest, Millis{24min});
  for (const auto& r : rig.observer.finished) EXPECT_LE(r.granted, Millis{25min});
}

TEST(SupervisorTest, MinOffRefusalSaysHowLongThePumpRested) {
  Rig rig;
  rig.start();
  rig.sched.advance(2min);
  ASSERT_TRUE(rig.sup->irrigate("z1", 1min, RunReason::manual, "a").ok());
  rig.sched.advance(1min + 10s);  // pump confirmed off at 3.1 s + 1 min
  ASSERT_FALSE(rig.on("pump"));
  rig.sched.advance(30s);
  auto r = rig.sup->irrigate("z2", 1min, RunReason::manual, "a");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "min_off");
  EXPECT_EQ(r.error().message, "min_off: pump rested 36 s of 120 s");
}

TEST(SupervisorTest, MaxOpenValvesRefusesASecondZone) {
  Rig rig;
  rig.start();
  rig.sched.advance(2min);
  ASSERT_TRUE(rig.sup->irrigate("z1", 5min, RunReason::manual, "a").ok());
  auto r = rig.sup->irrigate("z2", 5min, RunReason::manual, "a");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "max_open_valves: line main already has 1 open valve (valve-z1)");
  auto again = rig.sup->irrigate("z1", 5min, RunReason::manual, "a");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().message, "busy: zone z1 is already being watered (run 1)");
}

TEST(SupervisorTest, TwoZonesShareThePumpWhenTheLineAllowsIt) {
  Rig rig(2);
  rig.start();
  rig.sched.advance(2min);
  ASSERT_TRUE(rig.sup->irrigate("z1", 10min, RunReason::manual, "a").ok());
  rig.sched.advance(1min);
  auto second = rig.sup->irrigate("z2", 20min, RunReason::manual, "a");
  ASSERT_TRUE(second.ok()) << second.error().message;
  // It fits inside the pump's running lease.
  EXPECT_EQ(second->duration, Millis{9min});
  rig.sched.advance(5min);
  // z1 ends while z2 carries the pump: z1's valve closes without stopping the pump.
  ASSERT_TRUE(rig.sup->stop_zone("z1", "enough", "farmer").ok());
  rig.sched.advance(1s);
  EXPECT_TRUE(rig.on("pump"));
  EXPECT_FALSE(rig.on("valve-z1"));
  EXPECT_TRUE(rig.on("valve-z2"));
  rig.sched.advance(10min);
  EXPECT_TRUE(rig.sup->quiescent());
}

TEST(SupervisorTest, UnknownZoneAndBadDurationAreRefused) {
  Rig rig;
  rig.start();
  EXPECT_EQ(rig.sup->irrigate("z9", 1min, RunReason::manual, "a").error().message,
            "unknown_zone: no valve waters zone 'z9'");
  EXPECT_EQ(rig.sup->irrigate("z1", 0ms, RunReason::manual, "a").error().code, "invalid");
  EXPECT_EQ(rig.sup->stop_zone("z1", "x", "a").error().message,
            "not_running: zone z1 is not being watered");
}

TEST(SupervisorTest, StopZoneStopsThePumpAtOnceAndTheValveAfterTheDelay) {
  Rig rig;
  rig.start();
  rig.sched.advance(2min);
  ASSERT_TRUE(rig.sup->irrigate("z1", 10min, RunReason::manual, "a").ok());
  rig.sched.advance(1min);
  rig.trace.clear();
  const Millis at = rig.elapsed();
  ASSERT_TRUE(rig.sup->stop_zone("z1", "rain", "farmer").ok());
  ASSERT_EQ(ids_of(rig.trace), (std::vector<std::string>{"pump OFF"}));
  EXPECT_EQ(rig.trace[0].at, at);  // an OFF to a pump never waits
  rig.sched.advance(10s);
  ASSERT_EQ(ids_of(rig.trace), (std::vector<std::string>{"pump OFF", "valve-z1 OFF"}));
  EXPECT_EQ(rig.trace[1].at - at, Millis{3100ms});
  ASSERT_EQ(rig.observer.finished.size(), 1u);
  EXPECT_EQ(rig.observer.finished[0].outcome, "stopped");
  EXPECT_EQ(rig.observer.finished[0].detail, "rain (farmer)");
}

TEST(SupervisorTest, StopBeforeThePumpStartsNeverStartsIt) {
  Rig rig;
  rig.start();
  rig.sched.advance(2min);
  ASSERT_TRUE(rig.sup->irrigate("z1", 10min, RunReason::manual, "a").ok());
  rig.sched.advance(1s);
  ASSERT_TRUE(rig.sup->stop_zone("z1", "changed my mind", "a").ok());
  rig.sched.advance(1min);
  EXPECT_EQ(ids_of(rig.trace), (std::vector<std::string>{"valve-z1 ON", "valve-z1 OFF"}));
}

TEST(SupervisorTest, ARelayThatNeverAnswersRaisesAnAlarmAndGetsNoSecondOn) {
  Rig rig;
  rig.start();
  rig.sched.advance(2min);
  rig.relay("valve-z1").set_dead(true);
  ASSERT_TRUE(rig.sup->irrigate("z1", 10min, RunReason::manual, "a").ok());
  rig.sched.advance(5s);
  EXPECT_EQ(rig.events.count("actuator_not_responding"), 1);
  rig.sched.advance(5s);  // the OFF that follows goes unanswered too; then the run is over
  ASSERT_EQ(rig.observer.finished.size(), 1u);
  EXPECT_EQ(rig.observer.finished[0].outcome, "failed");
  auto r = rig.sup->irrigate("z1", 10min, RunReason::manual, "a");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "fault: valve-z1 is not responding; waiting for it to confirm OFF");
  rig.sched.advance(1h);
  int ons = 0, offs = 0;
  for (const auto& c : rig.trace) {
    if (c.id == "pump" && c.on) ADD_FAILURE() << "pump switched on with a dead valve";
    if (c.id == "valve-z1") (c.on ? ons : offs) += 1;
  }
  EXPECT_EQ(ons, 1);
  EXPECT_GE(offs, 5);                                         // OFF is retried with backoff
  EXPECT_EQ(rig.events.count("actuator_not_responding"), 1);  // one alarm per fault
  // The relay comes back: the retried OFF is confirmed and the zone may run again.
  rig.relay("valve-z1").set_dead(false);
  rig.sched.advance(2min);
  EXPECT_EQ(rig.events.count("actuator_recovered"), 1);
  EXPECT_TRUE(rig.sup->irrigate("z1", 1min, RunReason::manual, "a").ok());
}

TEST(SupervisorTest, APumpThatDoesNotConfirmOnIsTakenOffAndItsValveWaits) {
  Rig rig;
  rig.start();
  rig.sched.advance(2min);
  rig.relay("pump").set_mute(true);  // obeys, never says so
  ASSERT_TRUE(rig.sup->irrigate("z1", 10min, RunReason::manual, "a").ok());
  rig.sched.advance(3s + 5s);
  EXPECT_EQ(rig.events.count("actuator_not_responding"), 1);
  EXPECT_FALSE(rig.on("pump"));
  // The pump may still be running: the valve stays open for it...
  rig.sched.advance(5min);
  EXPECT_TRUE(rig.on("valve-z1"));
  // ...until the valve's own auto-off (its lease) closes it.
  rig.sched.advance(10min);
  EXPECT_FALSE(rig.on("valve-z1"));
  EXPECT_FALSE(rig.relay("valve-z1").physically_on());
  EXPECT_EQ(rig.events.count("device_off"), 1);
  EXPECT_EQ(rig.observer.finished.at(0).outcome, "failed");
}

TEST(SupervisorTest, TheValveHardLimitHoldsWhenTheDeviceLayerIsGone) {
  Rig rig;
  rig.start();
  rig.sched.advance(2min);
  rig.relay("pump").set_mute(true);
  ASSERT_TRUE(rig.sup->irrigate("z1", 10min, RunReason::manual, "a").ok());
  rig.sched.advance(1min);
  rig.relay("valve-z1").press(true);  // switched on again at the device: its auto-off is gone
  rig.sched.advance(29min - 1s);
  EXPECT_TRUE(rig.on("valve-z1"));
  EXPECT_EQ(rig.events.count("max_runtime_hit"), 0);
  rig.sched.advance(1s);
  EXPECT_FALSE(rig.on("valve-z1"));
  EXPECT_EQ(rig.events.count("max_runtime_hit"), 1);
  rig.sched.advance(1s);
  EXPECT_FALSE(rig.relay("valve-z1").physically_on());
}

TEST(SupervisorTest, AValveThatSwitchesItselfOffStopsThePumpAtOnce) {
  Rig rig;
  rig.start();
  rig.sched.advance(2min);
  ASSERT_TRUE(rig.sup->irrigate("z1", 10min, RunReason::manual, "a").ok());
  rig.sched.advance(1min);
  ASSERT_TRUE(rig.on("pump"));
  rig.trace.clear();
  rig.relay("valve-z1").press(false);
  rig.sched.advance(Millis{0});
  ASSERT_EQ(ids_of(rig.trace), (std::vector<std::string>{"pump OFF"}));
  EXPECT_EQ(rig.events.count("device_off"), 1);
  ASSERT_EQ(rig.events.count("interlock"), 1);
  EXPECT_EQ(rig.events.events.back().message,
            "interlock: no open valve on line main; pump switched off");
  rig.sched.advance(1s);
  ASSERT_EQ(rig.observer.finished.size(), 1u);
  EXPECT_EQ(rig.observer.finished[0].outcome, "device_off");
}

TEST(SupervisorTest, AnUnaskedOnIsSwitchedOffWithAnAlarm) {
  Rig rig;
  rig.start();
  rig.relay("pump").press(true);
  rig.sched.advance(Millis{0});
  EXPECT_EQ(rig.events.count("unexpected_on"), 1);
  ASSERT_EQ(ids_of(rig.trace), (std::vector<std::string>{"pump OFF"}));
  rig.sched.advance(1s);
  EXPECT_FALSE(rig.relay("pump").physically_on());
}

TEST(SupervisorTest, SafeStateSwitchesEverythingOffNowPumpFirst) {
  Rig rig;
  rig.start();
  rig.sched.advance(2min);
  ASSERT_TRUE(rig.sup->irrigate("z1", 10min, RunReason::schedule, "schedule:morning").ok());
  rig.sched.advance(1min);
  rig.trace.clear();
  rig.sup->safe_state("SIGTERM");
  EXPECT_EQ(ids_of(rig.trace),
            (std::vector<std::string>{"pump OFF", "valve-z1 OFF", "valve-z2 OFF"}));
  ASSERT_EQ(rig.observer.finished.size(), 1u);
  EXPECT_EQ(rig.observer.finished[0].outcome, "safe_state");
  EXPECT_EQ(rig.observer.finished[0].detail, "SIGTERM");
  rig.sched.advance(1s);
  for (const char* id : {"pump", "valve-z1", "valve-z2"}) {
    EXPECT_FALSE(rig.relay(id).physically_on()) << id;
  }
}

TEST(SupervisorTest, StopAllEndsEveryRunInTheNormalOrder) {
  Rig rig;
  rig.start();
  rig.sched.advance(2min);
  ASSERT_TRUE(rig.sup->irrigate("z2", 10min, RunReason::remote, "mqtt").ok());
  rig.sched.advance(1min);
  rig.trace.clear();
  rig.sup->stop_all("operator");
  rig.sched.advance(10s);
  EXPECT_EQ(ids_of(rig.trace), (std::vector<std::string>{"pump OFF", "valve-z2 OFF"}));
  EXPECT_EQ(rig.trace[1].at - rig.trace[0].at, Millis{3100ms});
  EXPECT_TRUE(rig.sup->quiescent());
}

TEST(SupervisorTest, DeviceAutoOffEndsTheRunAndStopsEverything) {
  Rig rig;
  rig.start();
  rig.sched.advance(2min);
  ASSERT_TRUE(rig.sup->irrigate("z1", 10min, RunReason::manual, "a").ok());
  // The pump's device lease equals the run; the supervisor's own stop comes at the same
  // instant. Either way the run ends and nothing is left on.
  rig.sched.advance(11min);
  EXPECT_TRUE(rig.sup->quiescent());
  for (const char* id : {"pump", "valve-z1"}) EXPECT_FALSE(rig.relay(id).physically_on()) << id;
}

TEST(SupervisorTest, RunReasonsRoundTrip) {
  for (auto r : {RunReason::rule, RunReason::schedule, RunReason::manual, RunReason::remote}) {
    EXPECT_EQ(parse_run_reason(to_string(r)), r);
  }
  EXPECT_EQ(parse_run_reason("whim"), std::nullopt);
}

}  // namespace
}  // namespace farmgate::actuators
