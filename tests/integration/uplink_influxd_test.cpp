// The uplink alone against a real InfluxDB 1.x: awkward tag values, escaped strings and integers
// must come back exactly as farmgate encoded them.
#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

#include "gateway/uplink/line_protocol.h"
#include "gateway/uplink/test_support.h"
#include "gateway/uplink/uplink.h"
#include "tests/integration/harness.h"

namespace farmgate::uplink {
namespace {

using namespace std::chrono_literals;

TEST(UplinkInfluxdTest, DeliversAThousandAwkwardLinesExactly) {
  farmgate::itest::InfluxDb influx;
  influx.create_database("farm");
  farmgate::itest::TempDir dir;
  const std::string db_path = dir.path() + "/farmgate.db";
  testing::StoreDb store(db_path);
  const std::int64_t t0 = 1'767'225'600'000;
  for (int i = 0; i < 1000; ++i) {
    lineproto::Point p;
    p.measurement = "soil";
    p.tags = {{"site", "demo-farm"},
              {"zone", i % 2 == 0 ? "z1" : "Vườn bưởi, khu=2"},
              {"device", "soil-z" + std::to_string(1 + i % 2)}};
    p.fields = {{"moisture", 30.0 + (i % 100) / 10.0},
                {"samples", std::int64_t{i}},
                {"note", std::string("tưới \"nhẹ\" \\ ok")}};
    p.time = from_epoch_ms(t0 + i * 1000);
    std::string line;
    ASSERT_TRUE(lineproto::encode(p, line).ok());
    store.insert(line);
  }

  config::UplinkConfig cfg;
  cfg.name = "influx";
  cfg.url = influx.url();
  cfg.database = "farm";
  cfg.batch_max = 300;
  cfg.batch_interval = 50ms;
  cfg.backoff_min = 50ms;
  cfg.backoff_max = 500ms;
  SystemClock clock;
  Metrics metrics;
  MemoryLogger log;
  testing::RecordingEvents events;
  Uplink uplink(cfg, db_path, clock, metrics, log, events);
  ASSERT_TRUE(uplink.start().ok());
  ASSERT_TRUE(farmgate::itest::wait_for([&] { return uplink.delivered() == 1000; }, 60s));
  uplink.stop();
  EXPECT_TRUE(events.events().empty());
  EXPECT_EQ(store.scalar("SELECT count(*) FROM dead_letter"), 0);

  EXPECT_EQ(influx.count("farm", "soil"), 1000u);
  const auto text = [&](const std::string& q) {
    return boost::json::serialize(influx.query("farm", q));
  };
  EXPECT_NE(text("SHOW TAG VALUES FROM soil WITH KEY = zone").find("\"Vườn bưởi, khu=2\""),
            std::string::npos);
  EXPECT_NE(text("SELECT last(note) FROM soil").find(R"("tưới \"nhẹ\" \\ ok")"), std::string::npos);
  EXPECT_NE(text("SELECT max(samples) FROM soil").find(",999]"), std::string::npos);
}

}  // namespace
}  // namespace farmgate::uplink
