// LorawanSource through a real Mosquitto on loopback: ChirpStack-format events published with
// mosquitto_pub reach the source over a real MQTT subscription (QoS 1), and a frame delivered
// twice is stored once. The bus here is a few lines of Paho standing in for the gateway's
// PahoBus (sensors/ must not depend on gateway/): it subscribes and calls the handlers on Paho's
// thread, as PahoBus does.
#include <gtest/gtest.h>

#include <mqtt/async_client.h>

#include <ctime>
#include <mutex>

#include "sensors/lorawan/lorawan_source.h"
#include "sensors/lorawan/test_lora_farm.h"
#include "tests/integration/harness.h"

namespace farmgate::sensors {
namespace {

using namespace farmgate::sensors::testing;
using namespace std::chrono_literals;
namespace json = boost::json;

class PahoTestBus final : public MqttBus {
 public:
  PahoTestBus(const std::string& url, const std::string& client_id) : client_(url, client_id) {
    client_.set_message_callback([this](mqtt::const_message_ptr m) {
      const MqttMessage message{m->get_topic(), m->get_payload_str(), m->get_qos(),
                                m->is_retained()};
      for (auto& [filter, handler] : subs_) {
        if (mqtt_topic_matches(filter, message.topic)) handler(message);
      }
    });
  }
  ~PahoTestBus() override {
    try {
      if (client_.is_connected()) client_.disconnect()->wait_for(5s);
    } catch (const mqtt::exception&) {
      // The broker may be gone already.
    }
  }
  void subscribe(const std::string& filter, int qos, Handler handler) override {
    subs_.emplace_back(filter, std::move(handler));
    qos_.push_back(qos);
  }
  void publish(const std::string&, const std::string&, int, bool) override {}

  // Connects and subscribes every filter; returns once the broker has acknowledged them.
  void connect() {
    client_.connect(mqtt::connect_options_builder().clean_session(true).finalize())->wait();
    for (std::size_t i = 0; i < subs_.size(); ++i) {
      client_.subscribe(subs_[i].first, qos_[i])->wait();
    }
  }

 private:
  mqtt::async_client client_;
  std::vector<std::pair<std::string, Handler>> subs_;  // fixed before connect()
  std::vector<int> qos_;
};

class LockedSink final : public ReadingSink {
 public:
  Result<void> accept(ReadingBatch batch) override {
    std::lock_guard lock(mu_);
    batches_.push_back(std::move(batch));
    return {};
  }
  std::vector<ReadingBatch> batches() const {
    std::lock_guard lock(mu_);
    return batches_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<ReadingBatch> batches_;
};

class LockedEvents final : public EventSink {
 public:
  void raise(Event event) override {
    std::lock_guard lock(mu_);
    events_.push_back(std::move(event));
  }
  std::size_t size() const {
    std::lock_guard lock(mu_);
    return events_.size();
  }

 private:
  mutable std::mutex mu_;
  std::vector<Event> events_;
};

TEST(LorawanMosquittoTest, UplinksArriveOnceThroughARealBroker) {
  std::string pub;
  try {
    itest::find_program("mosquitto");
    pub = itest::find_program("mosquitto_pub");
  } catch (const std::exception& e) {
    GTEST_SKIP() << "needs mosquitto and mosquitto_pub (Debian: mosquitto, mosquitto-clients): "
                 << e.what();
  }
  itest::Mosquitto broker;

  config::Config farm = lora_farm();
  PahoTestBus bus(broker.url(), "farmgate-lorawan-test");
  LockedSink sink;
  LockedEvents events;
  SystemClock clock;
  Metrics metrics;
  MemoryLogger log;
  auto created = LorawanSource::create(farm.chirpstack_sources[0], farm, bus, sink, events, clock,
                                       metrics, log);
  ASSERT_TRUE(created.ok()) << created.error().message;
  auto& source = **created;
  ASSERT_TRUE(source.start().ok());
  bus.connect();

  const auto publish = [&](const std::string& topic_text, const std::string& payload) {
    auto r = itest::run_command({pub, "-h", "127.0.0.1", "-p", std::to_string(broker.port()), "-q",
                                 "1", "-t", topic_text, "-m", payload},
                                {}, 20s);
    ASSERT_EQ(r.exit_code(), 0) << r.err;
  };
  // ChirpStack's own time is "now" here, as the server would stamp it.
  const auto now_text = [] {
    const std::time_t t = std::time(nullptr);
    std::tm utc{};
    gmtime_r(&t, &utc);
    char buf[40];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S+00:00", &utc);
    return std::string(buf);
  };
  json::object first = soil_uplink(41);
  first["time"] = now_text();
  json::object second = soil_uplink(42);
  second["time"] = now_text();
  second["object"].as_object()["soilMoisture"] = 29.0;
  json::object stranger = soil_uplink(1);
  stranger["deviceInfo"].as_object()["devEui"] = "70b3d57ed0001234";

  publish(topic(kSoilEui, "up"), text(first));
  publish(topic(kSoilEui, "up"), text(first));  // ChirpStack hands it over again
  publish(topic(kSoilEui, "up"), text(second));
  publish(topic(kSoilEui, "status"), text(status_event(kSoilEui, 12)));
  publish(topic("70b3d57ed0001234", "up"), text(stranger));

  // The broker delivers one client's messages in order: once the last is counted, all were seen.
  const auto unknown = [&] {
    return metrics.counter("farmgate_lorawan_unknown_device_total", "", {{"source", "lora"}})
        .value();
  };
  ASSERT_TRUE(itest::wait_for([&] { return unknown() == 1; }, 20s))
      << "the last event never arrived\n"
      << broker.log();

  const auto batches = sink.batches();
  ASSERT_EQ(batches.size(), 3u);  // fCnt 41, fCnt 42, the status event's battery
  EXPECT_EQ(batches[0][0].metric, "moisture");
  EXPECT_EQ(batches[0][0].value, 31.5);
  EXPECT_EQ(batches[1][0].value, 29.0);
  ASSERT_EQ(batches[2].size(), 1u);
  EXPECT_EQ(batches[2][0].metric, "battery");
  EXPECT_EQ(batches[2][0].value, 12);
  EXPECT_EQ(
      metrics.counter("farmgate_lorawan_duplicates_total", "", {{"device", "soil-z3"}}).value(),
      1u);
  EXPECT_EQ(
      metrics.counter("farmgate_lorawan_fcnt_gaps_total", "", {{"device", "soil-z3"}}).value(), 0u);
  EXPECT_EQ(events.size(), 1u);  // low battery, once
  source.stop();
}

}  // namespace
}  // namespace farmgate::sensors
