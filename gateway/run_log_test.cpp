// The run log: runs into the store and onto MQTT, zone state retained; and the whole path from
// the supervisor on simulated relays to the store.
#include "gateway/run_log.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <mutex>
#include <vector>

#include "core/log.h"
#include "core/metrics.h"
#include "gateway/actuation.h"

namespace farmgate::gateway {
namespace {

namespace fs = std::filesystem;
using actuators::ActuatorState;
using actuators::RunReason;
using actuators::RunRecord;

class RecordingBus final : public MqttBus {
 public:
  void subscribe(const std::string&, int, Handler) override {}
  void publish(const std::string& topic, const std::string& payload, int qos,
               bool retain) override {
    std::lock_guard lock(mu_);
    sent.push_back({topic, payload, qos, retain});
  }
  std::vector<MqttMessage> on(const std::string& topic) {
    std::lock_guard lock(mu_);
    std::vector<MqttMessage> out;
    for (const auto& m : sent) {
      if (m.topic == topic) out.push_back(m);
    }
    return out;
  }
  std::mutex mu_;
  std::vector<MqttMessage> sent;
};

class NoEvents final : public EventSink {
 public:
  void raise(Event) override {}
};

config::Actuator actuator(std::string id, config::ActuatorType type, std::string zone) {
  config::Actuator a;
  a.id = std::move(id);
  a.type = type;
  a.line = "main";
  a.zone = std::move(zone);
  a.max_runtime = Millis{120'000};
  a.driver.type = config::DriverType::simulated;
  a.driver.sim_latency = Millis{1};
  return a;
}

class RunLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/farmgate-runlog-XXXXXX";
    dir_ = mkdtemp(tmpl);
    store::StoreOptions options;
    options.config.path = dir_ + "/farmgate.db";
    options.config.batch_interval = Millis{1};
    options.site = "demo-farm";
    options.uplinks = {"influx"};
    auto s = store::Store::open(options, clock_, metrics_, log_, events_);
    ASSERT_TRUE(s.ok()) << s.error().message;
    store_ = std::move(*s);
    store_->start(nullptr);
    actuators_ = {actuator("pump", config::ActuatorType::pump, ""),
                  actuator("valve-z1", config::ActuatorType::valve, "z1"),
                  actuator("valve-z2", config::ActuatorType::valve, "z2")};
  }
  void TearDown() override {
    if (store_) store_->stop();
    fs::remove_all(dir_);
  }

  RunRecord record() {
    RunRecord r;
    r.id = 3;
    r.zone = "z1";
    r.line = "main";
    r.actuators = {"valve-z1", "pump"};
    r.start = clock_.now();
    r.reason = RunReason::rule;
    r.who = "rule:dry-z1";
    r.requested = Millis{600'000};
    r.granted = Millis{600'000};
    return r;
  }

  std::string text(const std::string& sql) {
    store_->flush();
    auto db = sqlite::Db::open(store_->path());
    auto st = sqlite::Stmt::prepare(*db, sql);
    EXPECT_TRUE(st.ok()) << sql;
    EXPECT_TRUE(*st->step()) << sql;
    return st->text(0);
  }

  std::string dir_;
  FakeClock clock_;
  Metrics metrics_;
  MemoryLogger log_;
  NoEvents events_;
  RecordingBus bus_;
  std::unique_ptr<store::Store> store_;
  std::vector<config::Actuator> actuators_;
};

TEST_F(RunLogTest, RunIsStoredThenClosedAndSentUpstreamOnce) {
  RunLog runs("demo-farm", actuators_, *store_, bus_, clock_);
  RunRecord r = record();
  runs.run_started(r);
  EXPECT_EQ(text("SELECT count(*) || outcome || coalesce(end_ms, '-') FROM irrigation_runs"),
            "1running-");
  EXPECT_EQ(text("SELECT count(*) FROM outbox"), "0");

  r.end = r.start + Millis{90'000};
  r.outcome = "completed";
  runs.run_finished(r);
  EXPECT_EQ(text("SELECT count(*) || ' ' || outcome || ' ' || (end_ms - start_ms) || ' ' || "
                 "reason || ' ' || who || ' ' || actuators FROM irrigation_runs"),
            "1 completed 90000 rule rule:dry-z1 valve-z1,pump");
  EXPECT_EQ(text("SELECT line FROM outbox"),
            "irrigation,actuator=valve-z1,site=demo-farm,zone=z1 duration_s=90,reason=\"rule\" "
            "1767225600000");
}

TEST_F(RunLogTest, RunsArePublishedNotRetainedWithQos1) {
  RunLog runs("demo-farm", actuators_, *store_, bus_, clock_);
  RunRecord r = record();
  r.who = "an \"farmer\"";
  runs.run_started(r);
  r.end = r.start + Millis{1'000};
  r.outcome = "stopped";
  r.detail = "stopped by an";
  runs.run_finished(r);
  const auto sent = bus_.on("farmgate/demo-farm/runs");
  ASSERT_EQ(sent.size(), 2u);
  for (const auto& m : sent) {
    EXPECT_EQ(m.qos, 1);
    EXPECT_FALSE(m.retained);
  }
  EXPECT_EQ(sent[0].payload,
            "{\"site\":\"demo-farm\",\"id\":3,\"zone\":\"z1\",\"line\":\"main\","
            "\"actuators\":[\"valve-z1\",\"pump\"],\"start\":1767225600000,\"end\":null,"
            "\"reason\":\"rule\",\"who\":\"an \\\"farmer\\\"\",\"requested_ms\":600000,"
            "\"granted_ms\":600000,\"outcome\":\"running\",\"detail\":\"\",\"volume_l\":null}");
  EXPECT_NE(sent[1].payload.find("\"end\":1767225601000"), std::string::npos);
  EXPECT_NE(sent[1].payload.find("\"outcome\":\"stopped\",\"detail\":\"stopped by an\""),
            std::string::npos);
}

TEST_F(RunLogTest, ZoneStateIsRetainedAndCarriesValvePumpRunAndLastRun) {
  RunLog runs("demo-farm", actuators_, *store_, bus_, clock_);
  ActuatorState valve;
  valve.id = "valve-z1";
  valve.zone = "z1";
  valve.line = "main";
  valve.commanded_on = true;
  valve.reported = true;
  runs.actuator_changed(valve);
  RunRecord r = record();
  runs.run_started(r);

  const std::string topic = "farmgate/demo-farm/zones/z1/state";
  auto sent = bus_.on(topic);
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_TRUE(sent.back().retained);
  EXPECT_EQ(sent.back().qos, 1);
  EXPECT_EQ(sent.back().payload,
            "{\"site\":\"demo-farm\",\"zone\":\"z1\","
            "\"valve\":{\"id\":\"valve-z1\",\"state\":\"on\",\"commanded\":\"on\","
            "\"pending\":false,\"faulted\":false},"
            "\"pump\":{\"id\":\"pump\",\"state\":\"unknown\",\"commanded\":\"off\","
            "\"pending\":false,\"faulted\":false},"
            "\"run\":{\"id\":3,\"start\":1767225600000,\"reason\":\"rule\",\"who\":\"rule:dry-z1\","
            "\"granted_ms\":600000},\"last_run\":null,\"readings\":{}}");
  EXPECT_TRUE(bus_.on("farmgate/demo-farm/zones/z2/state").empty())
      << "a zone is published when something of its own changes";

  r.end = r.start + Millis{5'000};
  r.outcome = "max_runtime";
  runs.run_finished(r);
  sent = bus_.on(topic);
  ASSERT_EQ(sent.size(), 3u);
  EXPECT_NE(sent.back().payload.find("\"run\":null,\"last_run\":{\"id\":3,\"start\":1767225600000,"
                                     "\"end\":1767225605000,\"reason\":\"rule\","
                                     "\"outcome\":\"max_runtime\",\"volume_l\":null}"),
            std::string::npos)
      << sent.back().payload;
}

TEST_F(RunLogTest, ZoneStateCarriesTheLatestReadingsAtMostEveryFewSeconds) {
  RunLog runs("demo-farm", actuators_, *store_, bus_, clock_);
  const std::string topic = "farmgate/demo-farm/zones/z1/state";
  Reading m{"soil-z1", "z1", "soil", "moisture", 31.5, "%", clock_.now(), {}};
  runs.on_reading(m);
  ASSERT_EQ(bus_.on(topic).size(), 1u);
  EXPECT_NE(bus_.on(topic).back().payload.find(
                "\"readings\":{\"soil-z1\":{\"moisture\":{\"value\":31.5,\"unit\":\"%\","
                "\"ts\":1767225600000}}}"),
            std::string::npos)
      << bus_.on(topic).back().payload;
  m.value = 30.9;
  runs.on_reading(m);
  EXPECT_EQ(bus_.on(topic).size(), 1u) << "held back: the last one went out just now";
  clock_.advance(RunLog::kReadingsEvery);
  m.value = 30.1;
  runs.on_reading(m);
  ASSERT_EQ(bus_.on(topic).size(), 2u);
  EXPECT_NE(bus_.on(topic).back().payload.find("\"value\":30.1"), std::string::npos);
  runs.on_reading(Reading{"flow-main", "", "flow", "rate", 20, "L/min", clock_.now(), {}});
  runs.on_reading(Reading{"soil-z9", "z9", "soil", "moisture", 20, "%", clock_.now(), {}});
  EXPECT_EQ(bus_.on(topic).size(), 2u) << "readings of other zones are not z1's";
}

TEST_F(RunLogTest, TheLastRunFromBeforeARestartIsInTheFirstState) {
  RunLog runs("demo-farm", actuators_, *store_, bus_, clock_);
  IrrigationRun last;
  last.id = 41;
  last.zone = "z2";
  last.start = clock_.now() - Millis{3'600'000};
  last.end = last.start + Millis{600'000};
  last.reason = "schedule";
  last.outcome = "interrupted";
  last.volume_l = 180.04;
  runs.restore({last});
  ActuatorState valve;
  valve.id = "valve-z2";
  valve.zone = "z2";
  valve.line = "main";
  runs.actuator_changed(valve);
  const auto sent = bus_.on("farmgate/demo-farm/zones/z2/state");
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_NE(sent[0].payload.find("\"last_run\":{\"id\":41,\"start\":1767222000000,"
                                 "\"end\":1767222600000,\"reason\":\"schedule\","
                                 "\"outcome\":\"interrupted\",\"volume_l\":180}"),
            std::string::npos)
      << sent[0].payload;
}

TEST_F(RunLogTest, PumpChangeRepublishesEveryZoneOfItsLineOnlyWhenTheStateChanges) {
  RunLog runs("demo-farm", actuators_, *store_, bus_, clock_);
  ActuatorState pump;
  pump.id = "pump";
  pump.type = config::ActuatorType::pump;
  pump.line = "main";
  pump.reported = false;
  runs.actuator_changed(pump);
  runs.actuator_changed(pump);  // nothing new: not sent again
  EXPECT_EQ(bus_.on("farmgate/demo-farm/zones/z1/state").size(), 1u);
  EXPECT_EQ(bus_.on("farmgate/demo-farm/zones/z2/state").size(), 1u);
  pump.faulted = true;
  runs.actuator_changed(pump);
  const auto z2 = bus_.on("farmgate/demo-farm/zones/z2/state");
  ASSERT_EQ(z2.size(), 2u);
  EXPECT_NE(z2.back().payload.find("\"id\":\"pump\",\"state\":\"off\",\"commanded\":\"off\","
                                   "\"pending\":false,\"faulted\":true"),
            std::string::npos)
      << z2.back().payload;
}

TEST_F(RunLogTest, SupervisorRunOnSimulatedRelaysEndsInTheLog) {
  config::Config c;
  c.site = "demo-farm";
  c.zones = {{"z1", "z1"}};
  c.actuators = {actuators_[0], actuators_[1]};
  config::Line line;
  line.id = "main";
  line.pump_start_delay = Millis{5};
  line.valve_close_delay = Millis{5};
  c.lines = {line};
  boost::asio::io_context io;
  Health health;
  SystemClock clock;
  RunLog runs(c.site, c.actuators, *store_, bus_, clock);
  Actuation act(c, io, bus_, health, clock, events_, log_, &runs);
  ASSERT_TRUE(act.start().ok());
  const auto settle = [&] {
    boost::asio::steady_timer poll(io);
    std::function<void()> check = [&] {
      if (act.supervisor().quiescent()) return io.stop();
      poll.expires_after(std::chrono::milliseconds(2));
      poll.async_wait([&](boost::system::error_code) { check(); });
    };
    check();
    io.restart();
    io.run_for(std::chrono::seconds(5));
  };
  settle();
  auto grant = act.supervisor().irrigate("z1", Millis{30}, RunReason::manual, "an");
  ASSERT_TRUE(grant.ok()) << grant.error().message;
  settle();
  act.stop();
  EXPECT_EQ(text("SELECT count(*) || ' ' || outcome || ' ' || reason || ' ' || who || ' ' || "
                 "(end_ms IS NOT NULL) FROM irrigation_runs"),
            "1 completed manual an 1");
  EXPECT_EQ(text("SELECT count(*) FROM outbox WHERE line LIKE 'irrigation,%'"), "1");
  const auto state = bus_.on("farmgate/demo-farm/zones/z1/state");
  ASSERT_FALSE(state.empty());
  EXPECT_NE(state.back().payload.find("\"outcome\":\"completed\""), std::string::npos)
      << state.back().payload;
  EXPECT_NE(state.back().payload.find("\"valve\":{\"id\":\"valve-z1\",\"state\":\"off\""),
            std::string::npos)
      << state.back().payload;
}

}  // namespace
}  // namespace farmgate::gateway
