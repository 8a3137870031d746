// MQTT commands against a real supervisor on a fake clock (the actuators' test rig); the bus is a
// fake that delivers requests as Paho would and keeps what is published.
#include "gateway/commands.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <vector>

#include "actuators/test_rig.h"

namespace farmgate::gateway {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;
using actuators::testing::Rig;

class FakeBus final : public MqttBus {
 public:
  void subscribe(const std::string& filter, int, Handler handler) override {
    subs.emplace_back(filter, std::move(handler));
  }
  void publish(const std::string& topic, const std::string& payload, int, bool) override {
    published.push_back({topic, payload, 1, false});
  }
  // As Paho's thread would: every matching handler, the message copied.
  void deliver(const std::string& topic, const std::string& payload) {
    for (auto& [filter, h] : subs) {
      if (mqtt_topic_matches(filter, topic)) h(MqttMessage{topic, payload, 1, false});
    }
  }
  std::vector<std::pair<std::string, Handler>> subs;
  std::vector<MqttMessage> published;
};

class CommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    rig.start();
    rig.sched.advance(2min);  // the pump's min_off counts from the start
    commands.subscribe();
  }

  // Sends a request and runs what it posted; returns the answer.
  json::object request(const std::string& command, const std::string& payload) {
    const std::size_t before = bus.published.size();
    bus.deliver("farmgate/f1/cmd/" + command, payload);
    io.restart();
    io.poll();
    EXPECT_EQ(bus.published.size(), before + 1) << "one answer per request";
    if (bus.published.size() != before + 1) return {};
    EXPECT_EQ(bus.published.back().topic, "farmgate/f1/cmd/result");
    return json::parse(bus.published.back().payload).as_object();
  }

  Rig rig;
  FakeBus bus;
  boost::asio::io_context io;
  MemoryLogger log;
  Commands commands{"f1", bus, io, *rig.sup, log};
};

TEST_F(CommandsTest, SubscribesToTheThreeCommandTopicsOnly) {
  std::vector<std::string> filters;
  for (const auto& s : bus.subs) filters.push_back(s.first);
  EXPECT_EQ(filters, (std::vector<std::string>{"farmgate/f1/cmd/irrigate", "farmgate/f1/cmd/stop",
                                               "farmgate/f1/cmd/stop_all"}));
}

TEST_F(CommandsTest, IrrigateStartsARemoteRunAndAnswersWithItsId) {
  bus.deliver("farmgate/f1/cmd/irrigate", R"({"zone":"z1","seconds":60,"who":"anh Ba"})");
  EXPECT_TRUE(bus.published.empty()) << "the bus thread only hands off";
  EXPECT_TRUE(rig.observer.started.empty());
  io.poll();
  ASSERT_EQ(bus.published.size(), 1u);
  auto a = json::parse(bus.published[0].payload).as_object();
  EXPECT_EQ(a.at("ok"), true);
  EXPECT_EQ(a.at("command"), "irrigate");
  ASSERT_EQ(rig.observer.started.size(), 1u);
  const auto& run = rig.observer.started[0];
  EXPECT_EQ(a.at("run").to_number<std::uint64_t>(), run.id);
  EXPECT_EQ(a.at("seconds").to_number<double>(), 60.0);
  EXPECT_EQ(run.zone, "z1");
  EXPECT_EQ(run.reason, actuators::RunReason::remote);
  EXPECT_EQ(run.who, "anh Ba");
  EXPECT_FALSE(a.contains("request_id"));
}

TEST_F(CommandsTest, EchoesTheRequestId) {
  auto a = request("irrigate", R"({"zone":"z1","seconds":5,"request_id":"r-42"})");
  EXPECT_EQ(a.at("request_id"), "r-42");
  auto b = request("stop", R"({"zone":"z1","request_id":17})");
  EXPECT_EQ(b.at("request_id"), 17);
  EXPECT_EQ(b.at("ok"), true);
}

TEST_F(CommandsTest, ALongRequestIsGrantedMaxRuntime) {
  auto a = request("irrigate", R"({"zone":"z1","seconds":1e9})");
  ASSERT_EQ(a.at("ok"), true) << json::serialize(a);
  EXPECT_EQ(a.at("seconds").to_number<double>(), 25 * 60.0);  // the rig's pump max_runtime
}

TEST_F(CommandsTest, RefusalsCarryTheSupervisorsReason) {
  ASSERT_EQ(request("irrigate", R"({"zone":"z1","seconds":60})").at("ok"), true);
  rig.sched.advance(5s);
  auto second = request("irrigate", R"({"zone":"z2","seconds":60,"request_id":"b"})");
  EXPECT_EQ(second.at("ok"), false);
  EXPECT_EQ(second.at("request_id"), "b");
  EXPECT_TRUE(std::string(second.at("error").as_string()).starts_with("max_open_valves:"))
      << json::serialize(second);

  auto unknown = request("irrigate", R"({"zone":"z9","seconds":60})");
  EXPECT_TRUE(std::string(unknown.at("error").as_string()).starts_with("unknown_zone:"));
  auto zero = request("irrigate", R"({"zone":"z2","seconds":0})");
  EXPECT_TRUE(std::string(zero.at("error").as_string()).starts_with("invalid:"))
      << json::serialize(zero);
  auto idle = request("stop", R"({"zone":"z2"})");
  EXPECT_TRUE(std::string(idle.at("error").as_string()).starts_with("not_running:"));
}

TEST_F(CommandsTest, StopEndsTheRunAndMinOffRefusesTheNextOne) {
  ASSERT_EQ(request("irrigate", R"({"zone":"z1","seconds":60})").at("ok"), true);
  rig.sched.advance(10s);
  ASSERT_TRUE(rig.on("pump"));
  EXPECT_EQ(request("stop", R"({"zone":"z1","who":"chi Tu"})").at("ok"), true);
  EXPECT_FALSE(rig.on("pump")) << "the pump's OFF is not delayed";
  rig.sched.advance(10s);
  EXPECT_TRUE(rig.sup->quiescent());
  ASSERT_EQ(rig.observer.finished.size(), 1u);
  EXPECT_EQ(rig.observer.finished[0].outcome, "stopped");

  auto again = request("irrigate", R"({"zone":"z1","seconds":60})");
  EXPECT_EQ(again.at("ok"), false);
  EXPECT_TRUE(std::string(again.at("error").as_string()).starts_with("min_off:"))
      << json::serialize(again);
}

TEST_F(CommandsTest, StopAllEndsEveryRun) {
  ASSERT_EQ(request("irrigate", R"({"zone":"z1","seconds":60})").at("ok"), true);
  rig.sched.advance(10s);
  EXPECT_EQ(request("stop_all", "").at("ok"), true);  // an empty payload reads as {}
  rig.sched.advance(10s);
  EXPECT_TRUE(rig.sup->quiescent());
}

TEST_F(CommandsTest, BadRequestsAreAnsweredWithoutTouchingTheSupervisor) {
  auto bad = request("irrigate", R"({"zone":"z1","seconds":)");
  EXPECT_EQ(bad.at("ok"), false);
  EXPECT_TRUE(std::string(bad.at("error").as_string()).starts_with("invalid_json: "));
  auto array = request("stop_all", "[1,2]");
  EXPECT_TRUE(std::string(array.at("error").as_string()).starts_with("invalid_json: "));
  auto no_zone = request("irrigate", R"({"seconds":60,"request_id":"x"})");
  EXPECT_TRUE(std::string(no_zone.at("error").as_string()).starts_with("invalid: "));
  EXPECT_EQ(no_zone.at("request_id"), "x");
  auto text_secs = request("irrigate", R"({"zone":"z1","seconds":"60"})");
  EXPECT_TRUE(std::string(text_secs.at("error").as_string()).starts_with("invalid: "));
  EXPECT_TRUE(rig.observer.started.empty());
}

TEST_F(CommandsTest, NothingRunsAfterStop) {
  bus.deliver("farmgate/f1/cmd/irrigate", R"({"zone":"z1","seconds":60})");
  commands.stop();
  io.poll();
  EXPECT_TRUE(bus.published.empty());
  EXPECT_TRUE(rig.observer.started.empty());
}

}  // namespace
}  // namespace farmgate::gateway
