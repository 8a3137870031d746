#include "core/clock.h"

#include <gtest/gtest.h>

namespace farmgate {
namespace {

TEST(FakeClockTest, AdvanceMovesWallAndSteadyTogether) {
  FakeClock clock(from_epoch_ms(1'700'000'000'000));
  const auto steady0 = clock.steady_now();
  clock.advance(Millis{1500});
  EXPECT_EQ(to_epoch_ms(clock.now()), 1'700'000'001'500);
  EXPECT_EQ(clock.steady_now() - steady0, Millis{1500});
}

TEST(FakeClockTest, WallJumpLeavesSteadyAlone) {
  FakeClock clock(from_epoch_ms(0));
  EXPECT_FALSE(clock.synchronised());
  const auto steady0 = clock.steady_now();
  clock.set_wall(from_epoch_ms(1'767'225'600'000));
  EXPECT_TRUE(clock.synchronised());
  EXPECT_EQ(clock.steady_now(), steady0);
}

}  // namespace
}  // namespace farmgate
