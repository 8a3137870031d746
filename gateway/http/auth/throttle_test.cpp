#include "gateway/http/auth/throttle.h"

#include <gtest/gtest.h>

namespace farmgate::http::auth {
namespace {

using namespace std::chrono_literals;

TEST(LoginThrottleTest, FiveFailuresAreFreeThenTheDelayDoubles) {
  FakeClock clock;
  LoginThrottle t(clock);
  for (int i = 0; i < 5; ++i) {
    EXPECT_FALSE(t.locked_for("u:an"));
    t.failure("u:an");
  }
  EXPECT_FALSE(t.locked_for("u:an")) << "five failures cost nothing";
  t.failure("u:an");
  EXPECT_EQ(t.locked_for("u:an"), Millis{1000});
  clock.advance(1s);
  EXPECT_FALSE(t.locked_for("u:an"));
  t.failure("u:an");
  EXPECT_EQ(t.locked_for("u:an"), Millis{2000});
  clock.advance(2s);
  t.failure("u:an");
  EXPECT_EQ(t.locked_for("u:an"), Millis{4000});
  EXPECT_FALSE(t.locked_for("u:binh")) << "keys are independent";
}

TEST(LoginThrottleTest, DelayIsCapped) {
  FakeClock clock;
  LoginThrottle t(clock, ThrottleOptions{5, 1s, 60s, 100});
  for (int i = 0; i < 100; ++i) t.failure("a:10.0.0.9");
  EXPECT_EQ(t.locked_for("a:10.0.0.9"), Millis{60'000});
}

TEST(LoginThrottleTest, SuccessClearsTheKey) {
  FakeClock clock;
  LoginThrottle t(clock);
  for (int i = 0; i < 7; ++i) t.failure("u:an");
  ASSERT_TRUE(t.locked_for("u:an"));
  t.success("u:an");
  EXPECT_FALSE(t.locked_for("u:an"));
  for (int i = 0; i < 5; ++i) t.failure("u:an");
  EXPECT_FALSE(t.locked_for("u:an")) << "counting starts again";
}

TEST(LoginThrottleTest, ForgetsTheIdlestKeyPastTheBound) {
  FakeClock clock;
  LoginThrottle t(clock, ThrottleOptions{0, 1s, 60s, 2});
  t.failure("a");
  clock.advance(10ms);
  t.failure("b");
  clock.advance(10ms);
  t.failure("c");
  EXPECT_FALSE(t.locked_for("a")) << "evicted";
  EXPECT_TRUE(t.locked_for("b"));
  EXPECT_TRUE(t.locked_for("c"));
}

}  // namespace
}  // namespace farmgate::http::auth
