// MqttRelay against a fake bus: what goes on the wire, how reports are confirmed, and the
// Tasmota PulseTime encoding.
#include "actuators/mqtt_relay.h"

#include <gtest/gtest.h>

#include <vector>

#include "actuators/fake_scheduler.h"

namespace farmgate::actuators {
namespace {

using namespace std::chrono_literals;
using testing::FakeScheduler;

class FakeBus final : public MqttBus {
 public:
  void subscribe(const std::string& filter, int qos, Handler h) override {
    subs.push_back({filter, qos, std::move(h)});
  }
  void publish(const std::string& topic, const std::string& payload, int, bool retain) override {
    sent.push_back(topic + " " + payload);
    EXPECT_FALSE(retain) << "a command must never be retained: a relay would replay it on boot";
  }
  // As the bus thread would: hands the message to every matching handler.
  void deliver(const std::string& topic, const std::string& payload) {
    for (auto& s : subs) {
      if (mqtt_topic_matches(s.filter, topic)) s.handler({topic, payload, 1, false});
    }
  }
  struct Sub {
    std::string filter;
    int qos;
    Handler handler;
  };
  std::vector<Sub> subs;
  std::vector<std::string> sent;
};

struct Fixture {
  explicit Fixture(bool pulse_time = false) {
    cfg.mqtt.command_topic = "cmnd/pump/POWER";
    cfg.mqtt.state_topic = "stat/pump/POWER";
    cfg.mqtt.pulse_time_topic = "cmnd/pump/PulseTime";
    cfg.mqtt.pulse_time = pulse_time;
    relay = std::make_unique<MqttRelay>("pump", cfg, bus, sched);
    EXPECT_TRUE(relay->start([this](const DriverReport& r) { reports.push_back(r); }).ok());
  }
  FakeClock clock;
  FakeScheduler sched{clock};
  FakeBus bus;
  config::DriverConfig cfg;
  std::unique_ptr<MqttRelay> relay;
  std::vector<DriverReport> reports;
};

TEST(TasmotaPulseTimeTest, EncodesTenthsUpToElevenSecondsThenSecondsPlusHundred) {
  EXPECT_EQ(tasmota_pulse_time(0ms), 0);
  EXPECT_EQ(tasmota_pulse_time(50ms), 1);  // any auto-off at all is at least 0.1 s
  EXPECT_EQ(tasmota_pulse_time(100ms), 1);
  EXPECT_EQ(tasmota_pulse_time(5s), 50);
  EXPECT_EQ(tasmota_pulse_time(11100ms), 111);
  EXPECT_EQ(tasmota_pulse_time(11900ms), 111);  // rounded down: never longer than asked
  EXPECT_EQ(tasmota_pulse_time(12s), 112);
  EXPECT_EQ(tasmota_pulse_time(12900ms), 112);
  EXPECT_EQ(tasmota_pulse_time(25min), 1600);
  EXPECT_EQ(tasmota_pulse_time(18h), 64900);
  EXPECT_EQ(tasmota_pulse_time(20h), 64900);
}

TEST(MqttRelayTest, SubscribesToItsStateTopic) {
  Fixture f;
  ASSERT_EQ(f.bus.subs.size(), 1u);
  EXPECT_EQ(f.bus.subs[0].filter, "stat/pump/POWER");
  EXPECT_EQ(f.bus.subs[0].qos, 1);
}

TEST(MqttRelayTest, ConfirmsWhenTheDeviceReportsTheCommandedState) {
  Fixture f;
  f.relay->set(true, 10min);
  EXPECT_EQ(f.bus.sent, (std::vector<std::string>{"cmnd/pump/POWER ON"}));
  f.bus.deliver("stat/pump/POWER", "ON");
  EXPECT_TRUE(f.reports.empty()) << "the report is handed to the owner thread, not run inline";
  f.sched.advance(0ms);
  ASSERT_EQ(f.reports.size(), 1u);
  EXPECT_EQ(f.reports[0].kind, DriverReport::Kind::confirmed);
  EXPECT_TRUE(f.reports[0].on);
  f.sched.advance(10s);
  EXPECT_EQ(f.reports.size(), 1u) << "no failure after a confirmation";
}

TEST(MqttRelayTest, FailsWhenNoConfirmationArrivesInTime) {
  Fixture f;
  f.relay->set(true, 10min);
  f.bus.deliver("stat/pump/POWER", "OFF");  // an old state: not a confirmation
  f.sched.advance(4999ms);
  EXPECT_TRUE(f.reports.empty());
  f.sched.advance(1ms);
  ASSERT_EQ(f.reports.size(), 1u);
  EXPECT_EQ(f.reports[0].kind, DriverReport::Kind::failed);
  EXPECT_TRUE(f.reports[0].on);
  EXPECT_EQ(f.reports[0].message,
            "actuator not responding: no ON on stat/pump/POWER within 5000 ms");
}

TEST(MqttRelayTest, SetsPulseTimeBeforeEveryOnWhenConfigured) {
  Fixture f(/*pulse_time=*/true);
  f.relay->set(true, 25min);
  f.relay->set(false, 0ms);
  EXPECT_EQ(f.bus.sent, (std::vector<std::string>{"cmnd/pump/PulseTime 1600", "cmnd/pump/POWER ON",
                                                  "cmnd/pump/POWER OFF"}));
}

TEST(MqttRelayTest, ReportsStatesNobodyAskedFor) {
  Fixture f;
  f.bus.deliver("stat/pump/POWER", " on\n");
  f.bus.deliver("stat/pump/POWER", "{\"POWER\":\"ON\"}");  // not a state word: ignored
  f.sched.advance(0ms);
  ASSERT_EQ(f.reports.size(), 1u);
  EXPECT_EQ(f.reports[0].kind, DriverReport::Kind::changed);
  EXPECT_TRUE(f.reports[0].on);
}

TEST(MqttRelayTest, ALaterCommandSupersedesAPendingOne) {
  Fixture f;
  f.relay->set(true, 1min);
  f.relay->set(false, 0ms);  // an OFF never waits for the ON to be confirmed
  f.bus.deliver("stat/pump/POWER", "ON");
  f.bus.deliver("stat/pump/POWER", "OFF");
  f.sched.advance(10s);
  ASSERT_EQ(f.reports.size(), 1u);
  EXPECT_EQ(f.reports[0].kind, DriverReport::Kind::confirmed);
  EXPECT_FALSE(f.reports[0].on);
}

TEST(MqttRelayTest, NothingArrivesAfterStop) {
  Fixture f;
  f.relay->set(true, 1min);
  f.bus.deliver("stat/pump/POWER", "ON");
  f.relay->stop();
  f.sched.advance(10s);
  EXPECT_TRUE(f.reports.empty());
}

}  // namespace
}  // namespace farmgate::actuators
