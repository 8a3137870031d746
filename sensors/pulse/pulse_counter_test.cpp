#include "sensors/pulse/pulse_counter.h"

#include <gtest/gtest.h>

#include <vector>

namespace farmgate::sensors::pulse {
namespace {

using namespace std::chrono_literals;

const SteadyTime t0 = SteadyTime{} + 1000s;

// The edge times of a meter with `k` pulses per litre passing `lpm` L/min, from `from` for `span`.
std::vector<SteadyTime> train(double k, double lpm, SteadyTime from, Millis span) {
  const std::chrono::duration<double> period(60.0 / (k * lpm));
  std::vector<SteadyTime> out;
  for (int i = 0;; ++i) {
    const SteadyTime at =
        from + std::chrono::duration_cast<SteadyTime::duration>(period * static_cast<double>(i));
    if (at >= from + span) return out;
    out.push_back(at);
  }
}

// Feeds edges in time order with a tick after each, as the counting thread does; every reading.
std::vector<FlowSample> feed(PulseCounter& c, const std::vector<SteadyTime>& edges) {
  std::vector<FlowSample> out;
  for (SteadyTime at : edges) {
    if (auto s = c.tick(at)) out.push_back(*s);
    if (auto s = c.edge(at)) out.push_back(*s);
  }
  return out;
}

CounterSettings yf_s201() {
  return CounterSettings{450, 5s, 2ms, 3s};
}

TEST(PulseCounterTest, MeasuresTheRateOfASteadyPulseTrain) {
  for (double lpm : {1.5, 15.0, 28.0}) {
    PulseCounter c(yf_s201(), 0, t0);
    const auto edges = train(450, lpm, t0, 12s);
    const auto samples = feed(c, edges);
    ASSERT_GE(samples.size(), 3u) << lpm;
    EXPECT_EQ(samples[0].why, FlowSample::Why::started);
    for (const FlowSample& s : samples)
      EXPECT_NEAR(s.rate_lpm, lpm, lpm * 0.002) << to_string(s.why);
    EXPECT_EQ(samples[1].why, FlowSample::Why::interval);
    EXPECT_NEAR(c.total_l(), static_cast<double>(edges.size()) / 450, 1e-9);
  }
}

TEST(PulseCounterTest, FollowsAChangeOfRateFromOneReadingToTheNext) {
  PulseCounter c(yf_s201(), 0, t0);
  auto edges = train(450, 10, t0, 5500ms);
  const auto faster = train(450, 20, edges.back() + 6667us, 11s);
  edges.insert(edges.end(), faster.begin(), faster.end());
  const auto samples = feed(c, edges);
  ASSERT_EQ(samples.size(), 4u);
  EXPECT_NEAR(samples[1].rate_lpm, 10, 0.05);
  // Half a second of the slower flow, four and a half of the faster.
  EXPECT_GT(samples[2].rate_lpm, 18.5);
  EXPECT_LT(samples[2].rate_lpm, 19.5);
  EXPECT_NEAR(samples[3].rate_lpm, 20, 0.05);
}

TEST(PulseCounterTest, StartsFromTheSavedTotalAndCountsLonePulses) {
  PulseCounter c(yf_s201(), 1234.5, t0);
  EXPECT_FALSE(c.edge(t0 + 1s).has_value()) << "one pulse is no flow yet";
  EXPECT_FALSE(c.edge(t0 + 10s).has_value()) << "nor is one 9 s later";
  EXPECT_FALSE(c.flowing());
  EXPECT_NEAR(c.total_l(), 1234.5 + 2.0 / 450, 1e-9);
  EXPECT_EQ(c.counted(), 2u);
}

TEST(PulseCounterTest, ReportsTheStartAtOnceWithTheRateOfTheFirstTwoPulses) {
  PulseCounter c(yf_s201(), 0, t0);
  EXPECT_FALSE(c.edge(t0 + 1s).has_value());
  const auto started = c.edge(t0 + 1s + 100ms);
  ASSERT_TRUE(started.has_value());
  EXPECT_EQ(started->why, FlowSample::Why::started);
  EXPECT_NEAR(started->rate_lpm, 60.0 / (450 * 0.1), 1e-9);
  EXPECT_NEAR(started->total_l, 2.0 / 450, 1e-12);
  EXPECT_TRUE(c.flowing());
  EXPECT_EQ(c.next_due(), t0 + 1s + 100ms + 3s + 1ms) << "the stop check comes first";
}

TEST(PulseCounterTest, ReportsTheStopOnceNoPulseCameForIdleAfter) {
  PulseCounter c(yf_s201(), 0, t0);
  const auto edges = train(450, 15, t0, 2s);
  feed(c, edges);
  ASSERT_TRUE(c.flowing());
  const SteadyTime last = edges.back();
  EXPECT_FALSE(c.tick(last + 3s).has_value()) << "idle_after itself is not yet idle";
  const auto stopped = c.tick(last + 3s + 1ms);
  ASSERT_TRUE(stopped.has_value());
  EXPECT_EQ(stopped->why, FlowSample::Why::stopped);
  EXPECT_EQ(stopped->rate_lpm, 0);
  EXPECT_NEAR(stopped->total_l, static_cast<double>(edges.size()) / 450, 1e-9);
  EXPECT_FALSE(c.flowing());
  // The interval restarts at the stop.
  EXPECT_FALSE(c.tick(last + 3s + 1ms + 4999ms).has_value());
  const auto next = c.tick(last + 3s + 1ms + 5s);
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->why, FlowSample::Why::interval);
  EXPECT_EQ(next->rate_lpm, 0);
}

TEST(PulseCounterTest, PublishesEveryIntervalWithoutFlow) {
  PulseCounter c(yf_s201(), 7, t0);
  EXPECT_FALSE(c.tick(t0 + 4999ms).has_value());
  EXPECT_EQ(c.next_due(), t0 + 5s);
  const auto s = c.tick(t0 + 5s);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(*s, (FlowSample{FlowSample::Why::interval, 0, 7}));
  EXPECT_EQ(c.next_due(), t0 + 10s);
}

TEST(PulseCounterTest, DebounceDropsBouncesAndKeepsTheRate) {
  PulseCounter c(yf_s201(), 0, t0);
  const auto clean = train(450, 15, t0, 11s);  // 8.9 ms apart
  std::vector<SteadyTime> bouncy;
  for (SteadyTime at : clean) {
    bouncy.push_back(at);
    bouncy.push_back(at + 500us);  // contact bounce
    bouncy.push_back(at + 1900us);
  }
  const auto samples = feed(c, bouncy);
  EXPECT_EQ(c.counted(), clean.size());
  EXPECT_EQ(c.glitches(), 2 * clean.size());
  ASSERT_GE(samples.size(), 2u);
  EXPECT_NEAR(samples[1].rate_lpm, 15, 0.05);
}

TEST(PulseCounterTest, WithoutDebounceEveryEdgeCounts) {
  PulseCounter c(CounterSettings{450, 5s, 0ms, 3s}, 0, t0);
  feed(c, {t0, t0 + 500us, t0 + 1ms});
  EXPECT_EQ(c.counted(), 3u);
  EXPECT_EQ(c.glitches(), 0u);
}

}  // namespace
}  // namespace farmgate::sensors::pulse
