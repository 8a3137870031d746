#include "sensors/topic_pattern.h"

#include <gtest/gtest.h>

namespace farmgate::sensors {
namespace {

TEST(TopicPatternTest, BindsZoneAndDeviceFromTheirLevels) {
  auto p = TopicPattern::parse("farm/{zone}/{device}/telemetry");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->filter(), "farm/+/+/telemetry");
  EXPECT_EQ(p->listen_filter(), "farm/#");
  auto b = p->match("farm/z1/soil-z1/telemetry");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->zone, "z1");
  EXPECT_EQ(b->device, "soil-z1");
}

TEST(TopicPatternTest, RefusesTopicsOfAnotherShape) {
  auto p = TopicPattern::parse("farm/{zone}/{device}/telemetry");
  EXPECT_FALSE(p->match("farm/z1/soil-z1/diagnostics"));
  EXPECT_FALSE(p->match("farm/z1/soil-z1"));
  EXPECT_FALSE(p->match("farm/z1/soil-z1/telemetry/x"));
  EXPECT_FALSE(p->match("farm//soil-z1/telemetry"));
}

TEST(TopicPatternTest, LeadingPlaceholderListensOnTheExactFilter) {
  auto p = TopicPattern::parse("{device}/sensor");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->filter(), "+/sensor");
  EXPECT_EQ(p->listen_filter(), "+/sensor");
}

TEST(TopicPatternTest, RefusesBadPatterns) {
  EXPECT_EQ(TopicPattern::parse("farm/{zone}/telemetry").error().code, "bad_topic");
  EXPECT_FALSE(TopicPattern::parse("farm/{device}/{device}").ok());
  EXPECT_FALSE(TopicPattern::parse("farm/{dev}/x").ok());
  EXPECT_FALSE(TopicPattern::parse("farm/+/{device}").ok());
  EXPECT_FALSE(TopicPattern::parse("farm/{device}-x/t").ok());
}

}  // namespace
}  // namespace farmgate::sensors
