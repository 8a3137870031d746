#include "core/mqtt.h"

#include <gtest/gtest.h>

namespace farmgate {
namespace {

TEST(MqttTopicMatchTest, WildcardsMatchWholeLevels) {
  EXPECT_TRUE(mqtt_topic_matches("farm/+/+/telemetry", "farm/z1/soil-z1/telemetry"));
  EXPECT_FALSE(mqtt_topic_matches("farm/+/+/telemetry", "farm/z1/soil-z1/status"));
  EXPECT_FALSE(mqtt_topic_matches("farm/+/telemetry", "farm/z1/soil-z1/telemetry"));
  EXPECT_TRUE(mqtt_topic_matches("farm/#", "farm/z1/soil-z1/telemetry"));
  EXPECT_TRUE(mqtt_topic_matches("farm/#", "farm"));
  EXPECT_FALSE(mqtt_topic_matches("farm/#", "farmgate/x"));
  EXPECT_TRUE(mqtt_topic_matches("stat/pump/POWER", "stat/pump/POWER"));
  EXPECT_FALSE(mqtt_topic_matches("stat/pump", "stat/pump/POWER"));
  EXPECT_TRUE(mqtt_topic_matches("+/x", "/x"));
}

TEST(MqttTopicMatchTest, WildcardsDoNotMatchBrokerTopics) {
  EXPECT_FALSE(mqtt_topic_matches("#", "$SYS/broker/uptime"));
  EXPECT_TRUE(mqtt_topic_matches("$SYS/#", "$SYS/broker/uptime"));
}

}  // namespace
}  // namespace farmgate
