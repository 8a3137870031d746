#include "sensors/sim/payloads.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <map>
#include <set>

namespace farmgate::sim {
namespace {

constexpr std::int64_t kStart = 1'767'225'600'000;

StreamOptions options(std::uint64_t bad_every = 0) {
  StreamOptions o;
  o.start = from_epoch_ms(kStart);
  o.bad_every = bad_every;
  o.seed = 11;
  return o;
}

TEST(PayloadsTest, TelemetryPayloadIsTheDocumentedJson) {
  EXPECT_EQ(telemetry_payload({31.54, 27.06, 0.8}, kStart),
            R"({"moisture": 31.5, "temp_c": 27.1, "ec": 0.80, "ts": 1767225600000})");
  EXPECT_EQ(telemetry_topic({"soil-z1", "z1"}), "farm/z1/soil-z1/telemetry");
}

TEST(PayloadsTest, LoadDevicesGoRoundRobinOverZones) {
  auto d = load_devices(3, {"a", "b"});
  ASSERT_EQ(d.size(), 3u);
  EXPECT_EQ(d[0].id, "soil-0001");
  EXPECT_EQ(d[0].zone, "a");
  EXPECT_EQ(d[1].zone, "b");
  EXPECT_EQ(d[2].id, "soil-0003");
  EXPECT_EQ(d[2].zone, "a");
}

TEST(PayloadsTest, GoodMessagesAlternateDevicesAndStepTheirTime) {
  MessageStream s(options());
  for (int j = 0; j < 5; ++j) {
    for (int k = 0; k < 2; ++k) {
      Message m = s.next();
      EXPECT_EQ(m.kind, MessageKind::good);
      EXPECT_EQ(m.device, k);
      EXPECT_EQ(m.ts_ms, kStart + j * 60'000);
      EXPECT_EQ(m.topic, k == 0 ? "farm/z1/soil-z1/telemetry" : "farm/z2/soil-z2/telemetry");
      auto v = boost::json::parse(m.payload).as_object();
      EXPECT_EQ(v.at("ts").as_int64(), m.ts_ms);
      EXPECT_GT(v.at("moisture").as_double(), 0);
    }
  }
}

TEST(PayloadsTest, SameOptionsSameStream) {
  MessageStream a(options(3)), b(options(3));
  for (int i = 0; i < 200; ++i) {
    Message ma = a.next(), mb = b.next();
    EXPECT_EQ(ma.topic, mb.topic);
    EXPECT_EQ(ma.payload, mb.payload);
  }
}

TEST(PayloadsTest, BadMessagesCycleThroughEveryKindWithoutTakingReadingsPlaces) {
  MessageStream s(options(4));
  std::map<MessageKind, int> kinds;
  std::set<std::pair<int, std::int64_t>> readings;
  std::uint64_t good = 0;
  for (int i = 1; i <= 4 * 16; ++i) {
    Message m = s.next();
    if (i % 4 == 0) {
      EXPECT_NE(m.kind, MessageKind::good) << i;
      ++kinds[m.kind];
    } else {
      ASSERT_EQ(m.kind, MessageKind::good) << i;
      EXPECT_EQ(m.device, static_cast<int>(good % 2));
      EXPECT_EQ(m.ts_ms, kStart + static_cast<std::int64_t>(good / 2) * 60'000);
      EXPECT_TRUE(readings.insert({m.device, m.ts_ms}).second);
      ++good;
    }
  }
  ASSERT_EQ(kinds.size(), kBadKinds.size());
  for (auto [kind, n] : kinds) EXPECT_EQ(n, 2) << kind_name(kind);
}

TEST(PayloadsTest, BadPayloadsAreBadInTheirOwnWay) {
  MessageStream s(options(2));
  std::map<MessageKind, Message> seen;
  for (int i = 0; i < 16; ++i) {
    Message m = s.next();
    if (m.kind != MessageKind::good) seen[m.kind] = m;
  }
  auto parses = [](const std::string& p) {
    boost::system::error_code ec;
    boost::json::parse(p, ec);
    return !ec;
  };
  EXPECT_FALSE(parses(seen[MessageKind::invalid_json].payload));
  EXPECT_TRUE(boost::json::parse(seen[MessageKind::not_object].payload).is_array());
  EXPECT_TRUE(boost::json::parse(seen[MessageKind::wrong_type].payload).at("moisture").is_string());
  EXPECT_FALSE(parses(seen[MessageKind::nan].payload));
  EXPECT_EQ(boost::json::parse(seen[MessageKind::out_of_range].payload).at("moisture").as_int64(),
            150);
  EXPECT_GE(seen[MessageKind::too_large].payload.size(), 1000'000u);
  EXPECT_TRUE(parses(seen[MessageKind::too_large].payload));
  EXPECT_EQ(seen[MessageKind::unknown_topic].topic, "farm/z1/soil-z1/diagnostics");
  EXPECT_TRUE(parses(seen[MessageKind::unknown_topic].payload));
  EXPECT_EQ(seen[MessageKind::unknown_device].topic, "farm/z1/ghost-9/telemetry");
}

}  // namespace
}  // namespace farmgate::sim

namespace farmgate::sim {
namespace {

TEST(PayloadsTest, FlowMeterAndTankPublishUnderTheSite) {
  EXPECT_EQ(telemetry_topic(kFlowMeter), "farm/site/flow-main/telemetry");
  EXPECT_EQ(telemetry_topic(kTank), "farm/site/tank-main/telemetry");
  EXPECT_EQ(flow_payload({19.84, 1234.56}, 1767225600000),
            R"({"rate": 19.8, "total": 1234.6, "ts": 1767225600000})");
  EXPECT_EQ(tank_payload(87.25, 1767225600000), R"({"level": 87.2, "ts": 1767225600000})");
}

TEST(PayloadsTest, ASamplerReplacesTheStreamsOwnSoil) {
  StreamOptions o;
  o.start = from_epoch_ms(1767225600000);
  std::vector<std::pair<std::size_t, std::int64_t>> asked;
  o.sampler = [&](std::size_t k, Timestamp t) {
    asked.emplace_back(k, to_epoch_ms(t));
    return SoilSample{50.0 + static_cast<double>(k), 25, 1};
  };
  MessageStream s(o);
  EXPECT_EQ(s.next_reading_time(), o.start);
  EXPECT_NE(s.next().payload.find("\"moisture\": 50.0"), std::string::npos);
  EXPECT_NE(s.next().payload.find("\"moisture\": 51.0"), std::string::npos);
  EXPECT_EQ(s.next_reading_time(), o.start + o.interval);
  EXPECT_EQ(asked, (std::vector<std::pair<std::size_t, std::int64_t>>{{0, 1767225600000},
                                                                      {1, 1767225600000}}));
}

}  // namespace
}  // namespace farmgate::sim
