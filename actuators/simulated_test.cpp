// The simulated relay keeps the driver contract the supervisor relies on.
#include "actuators/simulated.h"

#include <gtest/gtest.h>

#include <vector>

#include "actuators/fake_scheduler.h"

namespace farmgate::actuators {
namespace {

using namespace std::chrono_literals;
using testing::FakeScheduler;

struct Fixture {
  Fixture() {
    EXPECT_TRUE(relay.start([this](const DriverReport& r) { reports.push_back(r); }).ok());
  }
  FakeClock clock;
  FakeScheduler sched{clock};
  SimulatedRelay relay{sched, 100ms, 5s};
  std::vector<DriverReport> reports;
};

TEST(SimulatedRelayTest, ActsAndConfirmsAfterItsLatency) {
  Fixture f;
  f.relay.set(true, 0ms);
  EXPECT_TRUE(f.reports.empty());
  f.sched.advance(100ms);
  EXPECT_TRUE(f.relay.physically_on());
  ASSERT_EQ(f.reports.size(), 1u);
  EXPECT_EQ(f.reports[0].kind, DriverReport::Kind::confirmed);
}

TEST(SimulatedRelayTest, SwitchesItselfOffAtTheEndOfItsLease) {
  Fixture f;
  f.relay.set(true, 10s);
  f.sched.advance(10s + 100ms);
  EXPECT_FALSE(f.relay.physically_on());
  ASSERT_EQ(f.reports.size(), 2u);
  EXPECT_EQ(f.reports[1].kind, DriverReport::Kind::changed);
  EXPECT_FALSE(f.reports[1].on);
}

TEST(SimulatedRelayTest, ADeadRelayFailsAfterTheConfirmTimeout) {
  Fixture f;
  f.relay.set_dead(true);
  f.relay.set(true, 0ms);
  f.sched.advance(5s);
  EXPECT_FALSE(f.relay.physically_on());
  ASSERT_EQ(f.reports.size(), 1u);
  EXPECT_EQ(f.reports[0].kind, DriverReport::Kind::failed);
}

TEST(SimulatedRelayTest, AMuteRelayObeysButFails) {
  Fixture f;
  f.relay.set_mute(true);
  f.relay.set(true, 0ms);
  f.sched.advance(5s);
  EXPECT_TRUE(f.relay.physically_on());
  ASSERT_EQ(f.reports.size(), 1u);
  EXPECT_EQ(f.reports[0].kind, DriverReport::Kind::failed);
}

}  // namespace
}  // namespace farmgate::actuators
