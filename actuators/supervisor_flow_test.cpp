// Flow verification on line main with a flow meter `flow-main` (rate in L/min every 10 s, and a
// litre counter): no flow stops the run, too much flow stops it, flow with everything off is a
// leak, and every run gets its volume. Same plant and fake clock as supervisor_test.cpp.
#include <gtest/gtest.h>

#include "actuators/flow_watch.h"
#include "actuators/supervisor.h"
#include "actuators/test_rig.h"

namespace farmgate::actuators {
namespace {

using namespace farmgate::actuators::testing;

config::FlowCheck meter(bool with_total = false) {
  config::FlowCheck f;
  f.meter = "flow-main";
  f.rate = "rate";
  if (with_total) f.total = "total";
  f.min_lpm = 2;
  f.verify_after = 30s;
  f.max_lpm = 60;
  f.leak_lpm = 0.5;
  f.leak_after = 60s;
  f.lockout = 10min;
  return f;
}

Reading flow(const std::string& metric, double v) {
  return Reading{"flow-main", "", "flow", metric, v, metric == "rate" ? "L/min" : "L", {}, {}};
}

// Advances the rig in 10 s steps, the meter reporting `lpm()` at each step.
template <class F>
void pump_for(Rig& rig, Millis d, F lpm) {
  for (Millis t{0}; t < d; t += 10s) {
    rig.sched.advance(10s);
    rig.sup->on_reading(flow("rate", lpm()));
  }
}

struct FlowRig : Rig {
  explicit FlowRig(bool with_total = false) : Rig(1, meter(with_total)) {
    start();
    sched.advance(2min);  // the pump's min_off
    trace.clear();
  }
};

TEST(SupervisorFlowTest, NoFlowAfterThePumpStartsStopsTheRunAndLocksTheLine) {
  FlowRig rig;
  ASSERT_TRUE(rig.sup->irrigate("z1", 10min, RunReason::rule, "rule:dry").ok());
  pump_for(rig, 2min, [] { return 0.0; });  // a dry well
  EXPECT_EQ(rig.events.count("no_flow"), 1);
  ASSERT_EQ(rig.observer.finished.size(), 1u);
  EXPECT_EQ(rig.observer.finished[0].outcome, "no_flow");
  EXPECT_FALSE(rig.on("pump"));
  // The pump stopped 30 s after it was confirmed ON (3 s delay + 100 ms), not at the run's end.
  ASSERT_GE(rig.trace.size(), 3u);
  EXPECT_EQ(rig.trace[2].id, "pump");
  EXPECT_FALSE(rig.trace[2].on);
  EXPECT_LE(rig.trace[2].at - rig.trace[1].at, Millis{30s + 10s});
  auto again = rig.sup->irrigate("z1", 10min, RunReason::manual, "farmer");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, "no_flow");
  EXPECT_NE(again.error().message.find("line main is locked"), std::string::npos)
      << again.error().message;
  rig.sched.advance(10min);
  EXPECT_TRUE(rig.sup->irrigate("z1", 1min, RunReason::manual, "farmer").ok())
      << "the lockout ends";
}

TEST(SupervisorFlowTest, ASilentMeterCountsAsNoFlow) {
  FlowRig rig;
  ASSERT_TRUE(rig.sup->irrigate("z1", 10min, RunReason::rule, "rule:dry").ok());
  rig.sched.advance(1min);
  EXPECT_EQ(rig.events.count("no_flow"), 1);
  EXPECT_NE(rig.events.events.back().message.find("no reading from flow meter flow-main"),
            std::string::npos)
      << rig.events.events.back().message;
}

TEST(SupervisorFlowTest, GoodFlowKeepsTheRunGoingAndCountsItsVolume) {
  FlowRig rig;
  ASSERT_TRUE(rig.sup->irrigate("z1", 5min, RunReason::rule, "rule:dry").ok());
  rig.sched.advance(3s + 100ms);  // the pump is on
  pump_for(rig, 6min, [&] { return rig.on("pump") ? 20.0 : 0.0; });
  EXPECT_EQ(rig.events.count("no_flow"), 0);
  ASSERT_EQ(rig.observer.finished.size(), 1u);
  const RunRecord& run = rig.observer.finished[0];
  EXPECT_EQ(run.outcome, "completed");
  ASSERT_TRUE(run.volume_l.has_value());
  // 5 minutes at 20 L/min, give or take one 10 s reading at each end.
  EXPECT_NEAR(*run.volume_l, 100.0, 20.0 / 6 + 0.01);
}

TEST(SupervisorFlowTest, TheVolumeComesFromTheCounterWhenThereIsOne) {
  FlowRig rig(/*with_total=*/true);
  rig.sup->on_reading(flow("total", 5000));
  ASSERT_TRUE(rig.sup->irrigate("z1", 5min, RunReason::rule, "rule:dry").ok());
  double total = 5000;
  pump_for(rig, 6min, [&] {
    const double lpm = rig.on("pump") ? 20.0 : 0.0;
    total += lpm / 6;
    rig.sup->on_reading(flow("total", total));
    return lpm * 3;  // a rate that disagrees: the counter wins
  });
  ASSERT_EQ(rig.observer.finished.size(), 1u);
  EXPECT_NEAR(*rig.observer.finished[0].volume_l, total - 5000, 1e-9);
}

TEST(SupervisorFlowTest, FlowFarAboveNormalIsABurst) {
  FlowRig rig;
  ASSERT_TRUE(rig.sup->irrigate("z1", 10min, RunReason::rule, "rule:dry").ok());
  rig.sched.advance(3s + 100ms);
  pump_for(rig, 1min, [] { return 20.0; });
  EXPECT_EQ(rig.events.count("burst"), 0);
  rig.sup->on_reading(flow("rate", 95));
  EXPECT_EQ(rig.events.count("burst"), 1);
  rig.sched.advance(10s);
  EXPECT_FALSE(rig.on("pump"));
  ASSERT_EQ(rig.observer.finished.size(), 1u);
  EXPECT_EQ(rig.observer.finished[0].outcome, "burst");
}

TEST(SupervisorFlowTest, FlowWithEverythingOffIsALeakOnceAndClearsWhenItStops) {
  FlowRig rig;
  pump_for(rig, 30s, [] { return 3.0; });
  EXPECT_EQ(rig.events.count("leak"), 0) << "not before leak_after";
  pump_for(rig, 2min, [] { return 3.0; });
  EXPECT_EQ(rig.events.count("leak"), 1) << "raised once, not at every reading";
  pump_for(rig, 20s, [] { return 0.0; });
  EXPECT_EQ(rig.events.count("leak_cleared"), 1);
}

TEST(SupervisorFlowTest, WaterDrainingAfterARunIsNoLeak) {
  FlowRig rig;
  ASSERT_TRUE(rig.sup->irrigate("z1", 1min, RunReason::rule, "rule:dry").ok());
  rig.sched.advance(3s + 100ms);
  double drain = 20;
  pump_for(rig, 3min, [&] {
    if (rig.on("pump")) return 20.0;
    drain = drain / 2;  // the pipe empties
    return drain;
  });
  EXPECT_EQ(rig.events.count("leak"), 0);
  EXPECT_EQ(rig.events.count("no_flow"), 0);
}

TEST(SupervisorFlowTest, ReadingsOfOtherDevicesAreIgnored) {
  FlowRig rig;
  ASSERT_TRUE(rig.sup->irrigate("z1", 10min, RunReason::rule, "rule:dry").ok());
  for (int i = 0; i < 6; ++i) {
    rig.sched.advance(10s);
    rig.sup->on_reading(Reading{"soil-z1", "z1", "soil", "rate", 20, "%", {}, {}});
  }
  EXPECT_EQ(rig.events.count("no_flow"), 1);
}

TEST(FlowWatchTest, ACounterThatGoesBackRestartsTheCount) {
  FlowWatch w(meter(true));
  w.total(100);
  w.total(150);
  w.total(3);  // the meter rebooted
  w.total(13);
  EXPECT_DOUBLE_EQ(w.litres(), 60);
}

TEST(FlowWatchTest, ASilentMeterDoesNotCountAPhantomFlowForever) {
  FlowWatch w(meter());
  const SteadyTime t0{};
  (void)w.rate(30, t0, true);
  (void)w.rate(0, t0 + std::chrono::hours(10), true);
  EXPECT_DOUBLE_EQ(w.litres(), 30.0 * 5);  // held for kMaxHold (5 min) only
}

}  // namespace
}  // namespace farmgate::actuators
