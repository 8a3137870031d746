#include "sensors/sim/farm_link.h"

#include <gtest/gtest.h>
#include <poll.h>

#include <atomic>
#include <thread>

namespace farmgate::sim {
namespace {

constexpr std::int64_t kStart = 1'767'225'600'000;

bool readable(int fd) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

TEST(SimClockTest, RunsSpeedTimesTheSteadyClock) {
  SimClock c{from_epoch_ms(kStart), std::chrono::steady_clock::time_point{}, 60};
  const auto one_second = c.base + std::chrono::seconds(1);
  EXPECT_EQ(c.at(one_second), from_epoch_ms(kStart + 60'000));
  EXPECT_EQ(c.wall(from_epoch_ms(kStart + 60'000)), one_second);
}

// A steady clock moved by hand; simulated time runs at speed 1 from kStart once started.
class FarmLinkTest : public ::testing::Test {
 protected:
  FarmLinkTest() { link_.start_clock(); }

  std::atomic<std::int64_t> now_ms_{0};
  FarmLink link_{FarmModel({}, 1, from_epoch_ms(kStart)), SimClock{from_epoch_ms(kStart), {}, 1},
                 [this] { return std::chrono::steady_clock::time_point{Millis{now_ms_.load()}}; }};
};

TEST(FarmLinkClockTest, SimulatedTimeStandsStillUntilTheClockStarts) {
  std::atomic<std::int64_t> steady_ms{5'000};
  FarmLink link(FarmModel({}, 1, from_epoch_ms(kStart)), SimClock{from_epoch_ms(kStart), {}, 60},
                [&] { return std::chrono::steady_clock::time_point{Millis{steady_ms.load()}}; });
  EXPECT_EQ(link.report().at, from_epoch_ms(kStart));
  steady_ms = 10'000;
  EXPECT_EQ(link.report().at, from_epoch_ms(kStart));
  link.start_clock();
  steady_ms = 11'000;
  EXPECT_EQ(link.report().at, from_epoch_ms(kStart + 60'000));
  EXPECT_EQ(link.clock().wall(from_epoch_ms(kStart + 60'000)),
            std::chrono::steady_clock::time_point{Millis{11'000}});
}

TEST_F(FarmLinkTest, APumpChangeWakesTheRunnerOnce) {
  EXPECT_FALSE(readable(link_.wake_fd()));
  link_.set_relay("valve-z1", true);
  EXPECT_FALSE(readable(link_.wake_fd()));  // a valve alone changes no flow report
  link_.set_relay("pump", true);
  EXPECT_TRUE(readable(link_.wake_fd()));
  EXPECT_TRUE(link_.take_pump_change());
  EXPECT_FALSE(readable(link_.wake_fd()));
  EXPECT_FALSE(link_.take_pump_change());
  link_.set_relay("pump", true);  // no change
  EXPECT_FALSE(link_.take_pump_change());
}

TEST_F(FarmLinkTest, ReportsTheFarmAtSimulatedNow) {
  link_.set_relay("valve-z1", true);
  link_.set_relay("pump", true);
  now_ms_ += 5 * 60'000;
  FarmReport r = link_.report();
  EXPECT_EQ(r.at, from_epoch_ms(kStart + 5 * 60'000));
  EXPECT_TRUE(r.pump_on);
  EXPECT_NEAR(r.flow.rate_lpm, 20, 1.5);
  EXPECT_NEAR(r.flow.total_litres, 100, 4);
  EXPECT_NEAR(r.tank_percent, 90 - 5.0 + 0.5, 0.3);  // 100 L out, 10 L refilled, of 2,000
}

TEST_F(FarmLinkTest, RelaysFromAnotherThreadWhileTheRunnerSamples) {
  std::thread relays([this] {
    for (int i = 0; i < 200; ++i) {
      link_.set_relay("valve-z2", true);
      link_.set_relay("pump", i % 2 == 0);
      now_ms_ += 1'000;
    }
  });
  double last_total = 0;
  for (int i = 0; i < 200; ++i) {
    FarmReport r = link_.report();
    EXPECT_GE(r.flow.total_litres, last_total);
    last_total = r.flow.total_litres;
    link_.sample_soil(1, r.at);
  }
  relays.join();
  EXPECT_GT(link_.report().flow.total_litres, 0);
}

}  // namespace
}  // namespace farmgate::sim
