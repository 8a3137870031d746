#include "sensors/lorawan/frame_counter.h"

#include <gtest/gtest.h>

namespace farmgate::sensors {
namespace {

using V = FrameCounter::Verdict;

// Checks, then accepts unless it is a duplicate, as the source does; returns the verdict.
FrameCounter::Outcome feed(FrameCounter& fc, std::uint32_t f_cnt, const std::string& id = "") {
  const auto o = fc.check(f_cnt, id);
  if (o.verdict != V::duplicate) fc.accept(f_cnt, id);
  return o;
}

TEST(FrameCounterTest, CountsTheFramesBetweenTwoCounters) {
  FrameCounter fc;
  EXPECT_EQ(feed(fc, 10).verdict, V::first);
  EXPECT_EQ(feed(fc, 11).verdict, V::next);
  const auto o = feed(fc, 15);
  EXPECT_EQ(o.verdict, V::gap);
  EXPECT_EQ(o.missed, 3u);
  EXPECT_EQ(fc.last(), 15u);
}

TEST(FrameCounterTest, TheSameCounterTwiceIsADuplicate) {
  FrameCounter fc;
  feed(fc, 7, "a");
  EXPECT_EQ(feed(fc, 7, "a").verdict, V::duplicate);
  EXPECT_EQ(feed(fc, 7).verdict, V::duplicate);  // an id missing on either side matches
  feed(fc, 8, "b");
  // An older one still in the window, redelivered late.
  EXPECT_EQ(feed(fc, 7, "a").verdict, V::duplicate);
  EXPECT_EQ(fc.last(), 8u);
}

TEST(FrameCounterTest, OnlyTheLastWindowOfFramesIsRemembered) {
  FrameCounter fc;
  for (std::uint32_t f = 100; f < 100 + FrameCounter::kWindow + 1; ++f) feed(fc, f);
  // 100 has left the window: a counter that low now means the device started again.
  EXPECT_EQ(fc.check(100, "").verdict, V::reset);
  EXPECT_EQ(fc.check(101, "").verdict, V::duplicate);
}

TEST(FrameCounterTest, ASmallCounterAfterALargeOneIsAResetNotAGap) {
  FrameCounter fc;
  feed(fc, 5000);
  const auto o = feed(fc, 0);
  EXPECT_EQ(o.verdict, V::reset);
  EXPECT_EQ(o.missed, 0u);
  EXPECT_EQ(feed(fc, 1).verdict, V::next);
  // 5000 was forgotten with the reset.
  EXPECT_EQ(feed(fc, 5000).verdict, V::gap);
}

TEST(FrameCounterTest, ASeenCounterWithAnotherDeduplicationIdIsAReset) {
  FrameCounter fc;
  feed(fc, 0, "first-life");
  feed(fc, 1, "first-life-1");
  EXPECT_EQ(feed(fc, 1, "second-life").verdict, V::reset);
  EXPECT_EQ(fc.last(), 1u);
  EXPECT_EQ(feed(fc, 2, "x").verdict, V::next);
}

TEST(FrameCounterTest, WrapsAt32BitsAsAReset) {
  FrameCounter fc;
  feed(fc, 4294967295u);
  EXPECT_EQ(feed(fc, 0).verdict, V::reset);
}

TEST(FrameCounterTest, ResetForgetsEverything) {
  FrameCounter fc;
  feed(fc, 3);
  fc.reset();
  EXPECT_FALSE(fc.last().has_value());
  EXPECT_EQ(feed(fc, 3).verdict, V::first);
}

TEST(FrameCounterTest, CheckOnlyLooks) {
  FrameCounter fc;
  feed(fc, 1);
  EXPECT_EQ(fc.check(5, "").verdict, V::gap);
  EXPECT_EQ(fc.last(), 1u);
  EXPECT_EQ(fc.check(2, "").verdict, V::next);
}

}  // namespace
}  // namespace farmgate::sensors
