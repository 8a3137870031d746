#include "sensors/lorawan/lorawan_source.h"

#include <gtest/gtest.h>

#include "sensors/lorawan/test_lora_farm.h"

namespace farmgate::sensors {
namespace {

using namespace farmgate::sensors::testing;
namespace json = boost::json;

class RecordingBus final : public MqttBus {
 public:
  void subscribe(const std::string& filter, int qos, Handler handler) override {
    filters.emplace_back(filter, qos);
    handlers.emplace_back(filter, std::move(handler));
  }
  void publish(const std::string&, const std::string&, int, bool) override {}
  // Delivers as a broker would: to the handler whose filter matches.
  void deliver(const std::string& topic, const std::string& payload) {
    for (auto& [filter, handler] : handlers) {
      if (mqtt_topic_matches(filter, topic)) handler(MqttMessage{topic, payload, 1, false});
    }
  }
  std::vector<std::pair<std::string, int>> filters;
  std::vector<std::pair<std::string, Handler>> handlers;
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

class RecordingEvents final : public EventSink {
 public:
  void raise(Event event) override { events.push_back(std::move(event)); }
  std::vector<Event> events;
};

class LorawanSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = LorawanSource::create(farm_.chirpstack_sources[0], farm_, bus_, sink_, events_, clock_,
                                   metrics_, log_);
    ASSERT_TRUE(s.ok()) << s.error().message;
    source_ = std::move(*s);
    ASSERT_TRUE(source_->start().ok());
  }
  void uplink(const json::object& o, const std::string& eui = kSoilEui) {
    bus_.deliver(topic(eui, "up"), text(o));
  }
  void uplink_with_battery(std::uint32_t f_cnt, double battery) {
    json::object o = soil_uplink(f_cnt);
    o["object"].as_object()["batteryLevel"] = battery;
    uplink(o);
  }
  std::uint64_t counter(const std::string& name, const Labels& labels) {
    return metrics_.counter(name, "", labels).value();
  }
  std::uint64_t device_counter(const std::string& name) {
    return counter(name, {{"device", "soil-z3"}});
  }
  double gauge(const std::string& name) {
    return metrics_.gauge(name, "", {{"device", "soil-z3"}}).value();
  }

  config::Config farm_ = lora_farm();
  RecordingBus bus_;
  RecordingSink sink_;
  RecordingEvents events_;
  FakeClock clock_{from_epoch_ms(1'767'225'600'000 + 60'000)};
  Metrics metrics_;
  MemoryLogger log_;
  std::unique_ptr<LorawanSource> source_;
};

TEST_F(LorawanSourceTest, SubscribesToUplinksStatusAndJoinsAtTheConfiguredQos) {
  const std::vector<std::pair<std::string, int>> expected{
      {"application/+/device/+/event/up", 1},
      {"application/+/device/+/event/status", 1},
      {"application/+/device/+/event/join", 1}};
  EXPECT_EQ(bus_.filters, expected);
}

TEST_F(LorawanSourceTest, HandsAnUplinksReadingsToTheSink) {
  uplink(soil_uplink(12));
  ASSERT_EQ(sink_.batches.size(), 1u);
  EXPECT_EQ(sink_.batches[0].size(), 4u);
  EXPECT_EQ(sink_.batches[0][0].device, "soil-z3");
  EXPECT_EQ(counter("farmgate_lorawan_uplinks_total", {{"source", "lora"}}), 1u);
  EXPECT_EQ(counter("farmgate_lorawan_readings_total", {{"source", "lora"}}), 4u);
}

TEST_F(LorawanSourceTest, TheSameFrameTwiceGivesOneBatch) {
  uplink(soil_uplink(12));
  uplink(soil_uplink(12));
  EXPECT_EQ(sink_.batches.size(), 1u);
  EXPECT_EQ(device_counter("farmgate_lorawan_duplicates_total"), 1u);
  EXPECT_EQ(counter("farmgate_lorawan_uplinks_total", {{"source", "lora"}}), 1u);
  uplink(soil_uplink(13));
  EXPECT_EQ(sink_.batches.size(), 2u);
}

TEST_F(LorawanSourceTest, CountsTheFramesThatNeverCame) {
  uplink(soil_uplink(12));
  uplink(soil_uplink(13));
  uplink(soil_uplink(17));
  uplink(soil_uplink(20));
  EXPECT_EQ(sink_.batches.size(), 4u);
  EXPECT_EQ(device_counter("farmgate_lorawan_fcnt_gaps_total"), 5u);  // 14-16, 18-19
}

TEST_F(LorawanSourceTest, ACounterThatStartsAgainIsNotAGap) {
  uplink(soil_uplink(5000));
  uplink(soil_uplink(1));
  uplink(soil_uplink(2));
  EXPECT_EQ(sink_.batches.size(), 3u);
  EXPECT_EQ(device_counter("farmgate_lorawan_fcnt_resets_total"), 1u);
  EXPECT_EQ(device_counter("farmgate_lorawan_fcnt_gaps_total"), 0u);
}

TEST_F(LorawanSourceTest, AJoinStartsTheCountAfresh) {
  // Without deduplication ids a rejoined device's fCnt 3 would look like the old one's.
  json::object before = soil_uplink(3);
  before.erase("deduplicationId");
  uplink(before);
  bus_.deliver(topic(kSoilEui, "join"), text(join_event(kSoilEui)));
  uplink(before);
  EXPECT_EQ(sink_.batches.size(), 2u);
  EXPECT_EQ(device_counter("farmgate_lorawan_joins_total"), 1u);
  EXPECT_EQ(device_counter("farmgate_lorawan_duplicates_total"), 0u);
}

TEST_F(LorawanSourceTest, RefusedReadingsStillCountTheFrameAndTheRadio) {
  uplink(soil_uplink(12));
  json::object bad = soil_uplink(13);
  bad["object"].as_object()["soilMoisture"] = 150;
  for (auto& g : bad["rxInfo"].as_array()) g.as_object()["rssi"] = -120;
  uplink(bad);
  uplink(soil_uplink(14));
  EXPECT_EQ(sink_.batches.size(), 2u);
  EXPECT_EQ(device_counter("farmgate_lorawan_fcnt_gaps_total"), 0u);
  EXPECT_EQ(
      counter("farmgate_lorawan_rejected_total", {{"source", "lora"}, {"reason", "out_of_range"}}),
      1u);
  ASSERT_EQ(log_.lines().size(), 1u);
  EXPECT_NE(log_.lines()[0].find("object.soilMoisture: moisture 150 is outside 0..100 %"),
            std::string::npos)
      << log_.lines()[0];
  EXPECT_EQ(source_->health()[0].last_f_cnt, 14u);
}

TEST_F(LorawanSourceTest, KeepsRadioAndBatteryAsHealthGauges) {
  json::object o = soil_uplink(12);
  uplink(o);
  EXPECT_EQ(gauge("farmgate_lorawan_rssi_dbm"), -97);
  EXPECT_EQ(gauge("farmgate_lorawan_snr_db"), 7.5);
  EXPECT_EQ(gauge("farmgate_lorawan_battery_percent"), 87);
  EXPECT_DOUBLE_EQ(gauge("farmgate_lorawan_last_uplink_timestamp_seconds"), 1'767'225'600.123);
  const std::string text = metrics_.render();
  EXPECT_NE(text.find("farmgate_lorawan_rssi_dbm{device=\"soil-z3\"} -97"), std::string::npos)
      << text;

  // air-1's kind stores no radio metric: the gauges still follow it.
  json::object air = soil_uplink(1);
  air["deviceInfo"].as_object()["devEui"] = kAirEui;
  air["object"] = json::object{{"temp_c", 30}};
  air["rxInfo"].as_array().resize(1);
  uplink(air, kAirEui);
  EXPECT_EQ(metrics_.gauge("farmgate_lorawan_rssi_dbm", "", {{"device", "air-1"}}).value(), -110);

  const auto health = source_->health();
  ASSERT_EQ(health.size(), 2u);
  EXPECT_EQ(health[0].device, "soil-z3");
  EXPECT_EQ(health[0].rssi_dbm, -97);
  EXPECT_EQ(health[0].battery_percent, 87);
  EXPECT_EQ(health[0].last_f_cnt, 12u);
  EXPECT_EQ(health[1].device, "air-1");
  EXPECT_EQ(health[1].snr_db, 7.5);
  EXPECT_FALSE(health[1].battery_percent.has_value());
}

TEST_F(LorawanSourceTest, NoRadioGaugeBeforeTheFirstUplink) {
  EXPECT_EQ(metrics_.render().find("farmgate_lorawan_rssi_dbm"), std::string::npos);
  EXPECT_NE(metrics_.render().find("farmgate_lorawan_fcnt_gaps_total{device=\"soil-z3\"} 0"),
            std::string::npos);
}

TEST_F(LorawanSourceTest, ALowBatteryRaisesOneEventUntilItRecovers) {
  uplink_with_battery(1, 50);
  uplink_with_battery(2, 15);
  uplink_with_battery(3, 14);
  uplink_with_battery(4, 21);  // above 20 but within the hysteresis: still low
  ASSERT_EQ(events_.events.size(), 1u);
  EXPECT_EQ(events_.events[0].code, "low_battery");
  EXPECT_EQ(events_.events[0].severity, Severity::warning);
  EXPECT_EQ(events_.events[0].source, "source/lora");
  EXPECT_NE(events_.events[0].message.find("soil-z3: battery at 15 %, below 20 %"),
            std::string::npos)
      << events_.events[0].message;
  EXPECT_TRUE(source_->health()[0].low_battery);

  uplink_with_battery(5, 26);
  ASSERT_EQ(events_.events.size(), 2u);
  EXPECT_EQ(events_.events[1].code, "battery_ok");
  uplink_with_battery(6, 12);
  ASSERT_EQ(events_.events.size(), 3u);
  EXPECT_EQ(events_.events[2].code, "low_battery");
}

TEST_F(LorawanSourceTest, StatusEventsCarryTheBattery) {
  bus_.deliver(topic(kSoilEui, "status"), text(status_event(kSoilEui, 9)));
  ASSERT_EQ(sink_.batches.size(), 1u);
  ASSERT_EQ(sink_.batches[0].size(), 1u);
  EXPECT_EQ(sink_.batches[0][0].metric, "battery");
  EXPECT_EQ(gauge("farmgate_lorawan_battery_percent"), 9);
  ASSERT_EQ(events_.events.size(), 1u);
  EXPECT_EQ(events_.events[0].code, "low_battery");
  // Not an uplink: no frame counted.
  EXPECT_EQ(counter("farmgate_lorawan_uplinks_total", {{"source", "lora"}}), 0u);
}

TEST_F(LorawanSourceTest, AThresholdOfZeroRaisesNothing) {
  farm_.chirpstack_sources[0].low_battery_percent = 0;
  uplink_with_battery(1, 3);
  EXPECT_TRUE(events_.events.empty());
  EXPECT_EQ(gauge("farmgate_lorawan_battery_percent"), 3);
}

TEST_F(LorawanSourceTest, UnknownDevEuisAreCountedAndLoggedOnceAMinuteEach) {
  const auto from = [](const std::string& eui) {
    json::object o = soil_uplink();
    o["deviceInfo"].as_object()["devEui"] = eui;
    return o;
  };
  for (int i = 0; i < 3; ++i) uplink(from("70b3d57ed0001234"), "70b3d57ed0001234");
  uplink(from("70b3d57ed0005678"), "70b3d57ed0005678");
  EXPECT_TRUE(sink_.batches.empty());
  EXPECT_EQ(counter("farmgate_lorawan_unknown_device_total", {{"source", "lora"}}), 4u);
  ASSERT_EQ(log_.lines().size(), 2u);
  EXPECT_NE(log_.lines()[0].find("70b3d57ed0001234"), std::string::npos) << log_.lines()[0];
  EXPECT_NE(log_.lines()[1].find("70b3d57ed0005678"), std::string::npos) << log_.lines()[1];
  clock_.advance(std::chrono::minutes(2));
  uplink(from("70b3d57ed0001234"), "70b3d57ed0001234");
  EXPECT_EQ(log_.lines().size(), 3u);
}

TEST_F(LorawanSourceTest, ManyInventedDevEuisDoNotGrowTheLogOrMemoryWithoutBound) {
  for (int i = 0; i < 1000; ++i) {
    char eui[17];
    std::snprintf(eui, sizeof eui, "ffff%012x", i);
    json::object o = soil_uplink();
    o["deviceInfo"].as_object()["devEui"] = eui;
    uplink(o, eui);
  }
  EXPECT_EQ(counter("farmgate_lorawan_unknown_device_total", {{"source", "lora"}}), 1000u);
  EXPECT_EQ(log_.lines().size(), 256u);
}

TEST_F(LorawanSourceTest, RefusalsAreCountedByReasonAndLoggedOnceAMinute) {
  for (int i = 0; i < 3; ++i) bus_.deliver(topic(kSoilEui, "up"), "not json");
  EXPECT_EQ(
      counter("farmgate_lorawan_rejected_total", {{"source", "lora"}, {"reason", "invalid_json"}}),
      3u);
  ASSERT_EQ(log_.lines().size(), 1u);
  EXPECT_NE(log_.lines()[0].find("payload at byte 0: not JSON"), std::string::npos)
      << log_.lines()[0];
  clock_.advance(std::chrono::minutes(2));
  bus_.deliver(topic(kSoilEui, "up"), "not json");
  ASSERT_EQ(log_.lines().size(), 2u);
  EXPECT_NE(log_.lines()[1].find("2 more like it"), std::string::npos) << log_.lines()[1];
}

TEST_F(LorawanSourceTest, RetriesTheSinkUntilTheReadingsAreDurable) {
  sink_.failures_left = 2;
  uplink(soil_uplink(12));
  EXPECT_EQ(sink_.batches.size(), 1u);
  EXPECT_EQ(counter("farmgate_lorawan_store_errors_total", {{"source", "lora"}}), 2u);
  // Only the stored frame counts as seen.
  uplink(soil_uplink(12));
  EXPECT_EQ(sink_.batches.size(), 1u);
}

TEST_F(LorawanSourceTest, AStoppedSourceHandsOverNothing) {
  source_->stop();
  uplink(soil_uplink(12));
  EXPECT_TRUE(sink_.batches.empty());
  EXPECT_EQ(counter("farmgate_lorawan_uplinks_total", {{"source", "lora"}}), 0u);
}

TEST(LorawanSourceCreateTest, RefusesADeviceTheConfigDoesNotHave) {
  config::Config farm = lora_farm();
  farm.chirpstack_sources[0].devices[0].device = "ghost";
  RecordingBus bus;
  RecordingSink sink;
  RecordingEvents events;
  FakeClock clock;
  Metrics metrics;
  MemoryLogger log;
  auto s = LorawanSource::create(farm.chirpstack_sources[0], farm, bus, sink, events, clock,
                                 metrics, log);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message, "source lora: device 'ghost' is not configured");
}

}  // namespace
}  // namespace farmgate::sensors
