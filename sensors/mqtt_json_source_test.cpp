#include "sensors/mqtt_json_source.h"

#include <gtest/gtest.h>

#include "sensors/test_farm.h"

namespace farmgate::sensors {
namespace {

class RecordingBus final : public MqttBus {
 public:
  void subscribe(const std::string& filter, int qos, Handler handler) override {
    filters.emplace_back(filter, qos);
    handlers.push_back(std::move(handler));
  }
  void publish(const std::string&, const std::string&, int, bool) override {}
  std::vector<std::pair<std::string, int>> filters;
  std::vector<Handler> handlers;
};

class RecordingSink final : public ReadingSink {
 public:
  Result<void> accept(ReadingBatch batch) override {
    if (failures_left > 0) {
      --failures_left;
      return make_error("journal_io", "disk full");
    }
    batches.push_back(std::move(batch));
    return {};
  }
  int failures_left = 0;
  std::vector<ReadingBatch> batches;
};

class MqttJsonSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = MqttJsonSource::create(farm_.mqtt_sources[0], farm_, bus_, sink_, clock_, metrics_,
                                    log_);
    ASSERT_TRUE(s.ok());
    source_ = std::move(*s);
    ASSERT_TRUE(source_->start().ok());
  }
  void deliver(const std::string& topic, const std::string& payload) {
    bus_.handlers.at(0)(MqttMessage{topic, payload, 1, false});
  }
  std::uint64_t counter(const std::string& name, const Labels& labels) {
    return metrics_.counter(name, "", labels).value();
  }

  config::Config farm_ = testing::reference_farm();
  RecordingBus bus_;
  RecordingSink sink_;
  FakeClock clock_;
  Metrics metrics_;
  MemoryLogger log_;
  std::unique_ptr<MqttJsonSource> source_;
};

TEST_F(MqttJsonSourceTest, ListensOnTheWholeTreeAtTheConfiguredQos) {
  ASSERT_EQ(bus_.filters.size(), 1u);
  EXPECT_EQ(bus_.filters[0].first, "farm/#");
  EXPECT_EQ(bus_.filters[0].second, 1);
}

TEST_F(MqttJsonSourceTest, HandsAcceptedMessagesToTheSinkAndCountsThem) {
  deliver("farm/z1/soil-z1/telemetry", R"({"moisture": 31.5, "temp_c": 27.1})");
  ASSERT_EQ(sink_.batches.size(), 1u);
  EXPECT_EQ(sink_.batches[0].size(), 2u);
  EXPECT_EQ(counter("farmgate_ingest_accepted_total", {{"source", "field"}}), 1u);
  EXPECT_EQ(counter("farmgate_ingest_readings_total", {{"source", "field"}}), 2u);
}

TEST_F(MqttJsonSourceTest, CountsRefusalsByReasonAndStoresNothing) {
  deliver("farm/z1/soil-z1/telemetry", "not json");
  deliver("farm/z1/soil-z1/telemetry", "not json either");
  deliver("farm/z1/soil-z1/telemetry", R"({"moisture": 150})");
  deliver("farm/z1/soil-z1/status", R"({"moisture": 15})");
  EXPECT_TRUE(sink_.batches.empty());
  EXPECT_EQ(counter("farmgate_ingest_rejected_total", {{"source", "field"}, {"reason", "invalid_json"}}), 2u);
  EXPECT_EQ(counter("farmgate_ingest_rejected_total", {{"source", "field"}, {"reason", "out_of_range"}}), 1u);
  EXPECT_EQ(counter("farmgate_ingest_rejected_total", {{"source", "field"}, {"reason", "unknown_topic"}}), 1u);
  EXPECT_NE(metrics_.render().find("reason=\"wrong_type\"} 0"), std::string::npos)
      << "reasons show as zero before they happen";
}

TEST_F(MqttJsonSourceTest, RefusalsAreLoggedOncePerReasonPerMinute) {
  for (int i = 0; i < 5; ++i) deliver("farm/z1/soil-z1/telemetry", "x");
  EXPECT_EQ(log_.lines().size(), 1u);
  clock_.advance(std::chrono::minutes(2));
  deliver("farm/z1/soil-z1/telemetry", "x");
  ASSERT_EQ(log_.lines().size(), 2u);
  EXPECT_NE(log_.lines()[1].find("4 more like it"), std::string::npos) << log_.lines()[1];
}

TEST_F(MqttJsonSourceTest, RetriesTheSinkUntilTheMessageIsDurable) {
  sink_.failures_left = 2;
  deliver("farm/z1/soil-z1/telemetry", R"({"moisture": 31.5})");
  EXPECT_EQ(sink_.batches.size(), 1u);
  EXPECT_EQ(counter("farmgate_ingest_store_errors_total", {{"source", "field"}}), 2u);
}

}  // namespace
}  // namespace farmgate::sensors
