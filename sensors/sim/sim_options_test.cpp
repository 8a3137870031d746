#include "sensors/sim/sim_options.h"

#include <gtest/gtest.h>

namespace farmgate::sim {
namespace {

TEST(SimOptionsTest, DefaultsMatchTheUsage) {
  auto o = parse_options({});
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->url, "tcp://127.0.0.1:1883");
  EXPECT_EQ(o->client_id, "farmgate-sim");
  EXPECT_EQ(o->qos, 0);
  EXPECT_EQ(o->rate, 1);
  EXPECT_FALSE(o->count);
  EXPECT_EQ(o->interval, Millis{60'000});
  EXPECT_EQ(o->drain_timeout, std::chrono::seconds{60});
}

TEST(SimOptionsTest, ParsesEveryOption) {
  auto o = parse_options({"--url",
                          "tcp://h:1",
                          "--client-id=x",
                          "--qos",
                          "1",
                          "--rate",
                          "0",
                          "--count",
                          "10",
                          "--devices",
                          "5",
                          "--zones",
                          "a,b,c",
                          "--interval-ms",
                          "1000",
                          "--start-ts",
                          "1767225600000",
                          "--bad-every",
                          "7",
                          "--seed",
                          "9",
                          "--quiet",
                          "--drain-timeout-s",
                          "3",
                          "--max-inflight",
                          "50"});
  ASSERT_TRUE(o.ok()) << o.error().message;
  EXPECT_EQ(o->url, "tcp://h:1");
  EXPECT_EQ(o->client_id, "x");
  EXPECT_EQ(o->qos, 1);
  EXPECT_EQ(o->rate, 0);
  EXPECT_EQ(o->count, 10u);
  EXPECT_EQ(o->devices, 5);
  EXPECT_EQ(o->zones, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(o->interval, Millis{1000});
  EXPECT_EQ(o->start_ts, 1'767'225'600'000);
  EXPECT_EQ(o->bad_every, 7u);
  EXPECT_EQ(o->seed, 9u);
  EXPECT_TRUE(o->quiet);
  EXPECT_EQ(o->drain_timeout, std::chrono::seconds{3});
  EXPECT_EQ(o->max_inflight, 50);
}

TEST(SimOptionsTest, SpeedSetsTheRateFromSimulatedTime) {
  auto o = parse_options({"--speed", "60", "--interval-ms", "60000"});
  ASSERT_TRUE(o.ok());
  EXPECT_DOUBLE_EQ(o->effective_rate(2), 2.0);  // each device once per simulated minute
}

TEST(SimOptionsTest, RefusesBadUsage) {
  for (auto args : std::vector<std::vector<std::string>>{{"--qos", "2"},
                                                         {"--rate", "-1"},
                                                         {"--count"},
                                                         {"--count", "ten"},
                                                         {"--devices", "0"},
                                                         {"--zones", "a,,b"},
                                                         {"--interval-ms", "0"},
                                                         {"--speed", "0"},
                                                         {"--rate", "5", "--speed", "2"},
                                                         {"--frobnicate", "1"},
                                                         {"stray"}}) {
    auto o = parse_options(args);
    ASSERT_FALSE(o.ok()) << args[0];
    EXPECT_EQ(o.error().code, "usage");
  }
}

}  // namespace
}  // namespace farmgate::sim

namespace farmgate::sim {
namespace {

TEST(SimOptionsTest, RelaysAreACommaSeparatedList) {
  auto o = parse_options({"--relays", "pump,valve-z1,valve-z2"});
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->relays, (std::vector<std::string>{"pump", "valve-z1", "valve-z2"}));
  EXPECT_FALSE(parse_options({"--relays", "pump,,valve-z1"}).ok());
  EXPECT_FALSE(parse_options({"--relays", ""}).ok());
}

}  // namespace
}  // namespace farmgate::sim
