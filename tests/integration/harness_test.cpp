// Proves the harness against the real servers and the simulator, so that a failing farmgate
// integration test points at farmgate, not at its test bench.
#include "tests/integration/harness.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <set>

namespace farmgate::itest {
namespace {

constexpr std::int64_t kStartTs = 1'767'225'600'000;  // 2026-01-01T00:00Z

std::vector<std::string> sim_args(const std::string& url, std::vector<std::string> extra) {
  std::vector<std::string> a{sim_binary(), "--url",      url,
                             "--quiet",    "--start-ts", std::to_string(kStartTs)};
  a.insert(a.end(), extra.begin(), extra.end());
  return a;
}

std::set<std::pair<std::string, std::int64_t>> distinct_readings(
    const std::vector<MqttMessage>& msgs) {
  std::set<std::pair<std::string, std::int64_t>> out;
  for (const auto& m : msgs) {
    auto v = boost::json::parse(m.payload).as_object();
    out.insert({m.topic, v.at("ts").as_int64()});
  }
  return out;
}

class HarnessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (sim_binary().empty()) GTEST_SKIP() << "farmgate-sim is not built";
  }
};

TEST(HarnessBasicsTest, TempDirIsRemovedAndPortsAreFree) {
  std::string path;
  {
    TempDir d;
    path = d.path();
    write_file(d.file("x"), "hello");
    EXPECT_EQ(read_file(d.file("x")), "hello");
  }
  if (!std::getenv("FARMGATE_KEEP_TEST_DIRS")) {
    EXPECT_EQ(read_file(path + "/x"), "");
  }
  int p = free_port();
  EXPECT_GT(p, 0);
  EXPECT_FALSE(port_open(p));
}

TEST(HarnessBasicsTest, ProcessReportsExitCodesAndKills) {
  Process ok({"/bin/sh", "-c", "echo out; echo err >&2; exit 3"});
  auto st = ok.wait_exit(10s);
  ASSERT_TRUE(st);
  EXPECT_TRUE(exited_with(st, 3)) << describe_status(*st);
  EXPECT_NE(ok.log().find("out"), std::string::npos);
  EXPECT_NE(ok.log().find("err"), std::string::npos);

  Process sleeper({"/bin/sleep", "60"});
  EXPECT_TRUE(sleeper.running());
  EXPECT_FALSE(sleeper.wait_exit(50ms));
  sleeper.kill9();
  auto st9 = sleeper.wait_exit(1s);
  ASSERT_TRUE(st9);
  EXPECT_TRUE(WIFSIGNALED(*st9));
  EXPECT_EQ(WTERMSIG(*st9), SIGKILL);
  EXPECT_FALSE(sleeper.running());

  Process term({"/bin/sleep", "60"});
  EXPECT_TRUE(term.signal(SIGTERM));
  auto stt = term.wait_exit(5s);
  ASSERT_TRUE(stt);
  EXPECT_EQ(WTERMSIG(*stt), SIGTERM);

  auto r = run_command({"/bin/sh", "-c", "echo hi; echo there >&2; exit 2"});
  EXPECT_EQ(r.exit_code(), 2);
  EXPECT_EQ(r.out, "hi\n");
  EXPECT_EQ(r.err, "there\n");
}

TEST(HarnessBasicsTest, PrometheusValuesAreFoundByNameAndLabels) {
  std::string text =
      "# HELP farmgate_ingest_rejected_total Refused messages.\n"
      "# TYPE farmgate_ingest_rejected_total counter\n"
      "farmgate_ingest_rejected_total{source=\"field\",reason=\"invalid_json\"} 3\n"
      "farmgate_ingest_rejected_total{source=\"field\",reason=\"too_large\"} 2\n"
      "farmgate_ingest_rejected_total_extra 100\n"
      "farmgate_up 1\n";
  EXPECT_EQ(prometheus_value(text, "farmgate_ingest_rejected_total", {{"reason", "invalid_json"}}),
            3);
  EXPECT_EQ(prometheus_value(text, "farmgate_ingest_rejected_total"), 5);
  EXPECT_EQ(prometheus_value(text, "farmgate_up"), 1);
  EXPECT_FALSE(prometheus_value(text, "farmgate_ingest_rejected_total", {{"reason", "nan"}}));
}

TEST_F(HarnessTest, SimulatorDeliversEveryQos1MessageToASubscriber) {
  Mosquitto broker;
  MqttCollector sub(broker.url(), "harness-sub", "farm/#", 1);
  sub.connect();
  EXPECT_TRUE(broker.wait_subscribed("harness-sub", "farm/#", 5s)) << broker.log();
  auto r = run_command(sim_args(broker.url(), {"--count", "100", "--qos", "1", "--rate", "0"}));
  ASSERT_EQ(r.exit_code(), 0) << r.err;
  auto summary = parse_sim_summary(r.out);
  ASSERT_TRUE(summary) << r.out;
  EXPECT_EQ(summary->published, 100u);
  EXPECT_EQ(summary->good, 100u);
  EXPECT_EQ(summary->first_ts, kStartTs);
  EXPECT_EQ(summary->last_ts, kStartTs + 49 * 60'000);
  ASSERT_TRUE(sub.wait_count(100, 10s)) << sub.count();
  auto msgs = sub.messages();
  EXPECT_EQ(distinct_readings(msgs).size(), 100u);
  EXPECT_EQ(msgs.front().topic, "farm/z1/soil-z1/telemetry");
  EXPECT_EQ(msgs.front().qos, 1);
}

TEST_F(HarnessTest, SimulatorCountsEveryBadKind) {
  Mosquitto broker;
  MqttCollector sub(broker.url(), "harness-sub", "farm/#", 1);
  sub.connect();
  auto r = run_command(
      sim_args(broker.url(), {"--count", "160", "--qos", "1", "--rate", "0", "--bad-every", "4"}));
  ASSERT_EQ(r.exit_code(), 0) << r.err;
  auto summary = parse_sim_summary(r.out);
  ASSERT_TRUE(summary) << r.out;
  EXPECT_EQ(summary->published, 160u);
  EXPECT_EQ(summary->good, 120u);
  ASSERT_EQ(summary->bad.size(), 8u);
  for (const auto& [kind, n] : summary->bad) EXPECT_EQ(n, 5u) << kind;
  ASSERT_TRUE(sub.wait_count(160, 10s)) << sub.count();
}

TEST_F(HarnessTest, SimulatorRefusesBadUsageWithExit2) {
  auto r = run_command({sim_binary(), "--qos", "7"});
  EXPECT_EQ(r.exit_code(), 2);
  EXPECT_NE(r.err.find("usage:"), std::string::npos);
}

TEST_F(HarnessTest, SimulatorFailsWithExit1WhenNoBrokerAnswers) {
  auto r = run_command({sim_binary(), "--url", "tcp://127.0.0.1:" + std::to_string(free_port()),
                        "--count", "5", "--connect-timeout-s", "1"});
  EXPECT_EQ(r.exit_code(), 1) << r.err;
}

TEST_F(HarnessTest, BrokerRestartKeepsAPersistentSessionsQueuedMessages) {
  Mosquitto broker;
  {
    MqttCollector sub(broker.url(), "harness-persistent", "farm/#", 1, /*clean_session=*/false);
    sub.connect();
    sub.disconnect();
  }
  auto r = run_command(sim_args(broker.url(), {"--count", "100", "--qos", "1", "--rate", "0"}));
  ASSERT_EQ(r.exit_code(), 0) << r.err;
  broker.stop();
  broker.start();
  MqttCollector sub(broker.url(), "harness-persistent", "farm/#", 1, false);
  sub.connect();
  ASSERT_TRUE(sub.wait_count(100, 10s)) << sub.count() << "\n" << tail(broker.log());
  EXPECT_EQ(distinct_readings(sub.messages()).size(), 100u);
}

TEST_F(HarnessTest, SimulatorLosesNoQos1MessageAcrossABrokerRestart) {
  Mosquitto broker;
  const std::string id = "harness-restart-sub";
  {
    MqttCollector sub(broker.url(), id, "farm/#", 1, false);
    sub.connect();
    sub.disconnect();
  }
  ProcessOptions capture;
  capture.split_stdout = true;
  Process sim(sim_args(broker.url(), {"--count", "3000", "--qos", "1", "--rate", "1000"}), capture);
  ASSERT_TRUE(wait_for(
      [&] { return broker.log().find("New client connected") != std::string::npos; }, 10s));
  std::this_thread::sleep_for(1s);
  broker.stop();
  std::this_thread::sleep_for(500ms);
  broker.start();
  auto st = sim.wait_exit(60s);
  ASSERT_TRUE(st) << sim.log();
  ASSERT_TRUE(exited_with(st, 0)) << describe_status(*st) << "\n" << sim.log();
  auto summary = parse_sim_summary(sim.out());
  ASSERT_TRUE(summary) << sim.out();
  EXPECT_EQ(summary->published, 3000u);

  MqttCollector sub(broker.url(), id, "farm/#", 1, false);
  sub.connect();
  // QoS 1 may deliver a message twice; what counts is that none is missing.
  ASSERT_TRUE(wait_for([&] { return distinct_readings(sub.messages()).size() >= 3000; }, 20s))
      << distinct_readings(sub.messages()).size() << "\n"
      << tail(sim.log());
  EXPECT_EQ(distinct_readings(sub.messages()).size(), 3000u);
}

TEST(HarnessServersTest, InfluxDbWritesQueriesAndKeepsDataAcrossARestart) {
  InfluxDb influx;
  influx.create_database("farm");
  influx.write("farm",
               "soil,site=s,zone=z1,device=soil-z1 moisture=31.5,temp_c=27.1,ec=0.8 "
               "1767225600000\n"
               "soil,site=s,zone=z2,device=soil-z2 moisture=29.0,temp_c=26.9,ec=0.7 "
               "1767225600000\n"
               "soil,site=s,zone=z1,device=soil-z1 moisture=31.4,temp_c=27.2,ec=0.8 "
               "1767225660000\n");
  EXPECT_EQ(influx.count("farm", "soil"), 3u);
  auto v = influx.query("farm", "SELECT moisture FROM soil WHERE device='soil-z2'");
  const auto& row = v.at("results").at(0).at("series").at(0).at("values").at(0).as_array();
  EXPECT_EQ(row.at(0).to_number<std::int64_t>(), 1'767'225'600'000);
  EXPECT_DOUBLE_EQ(row.at(1).to_number<double>(), 29.0);
  EXPECT_EQ(influx.count("farm", "nothing"), 0u);

  influx.stop();
  EXPECT_NE(http_get(influx.url() + "/ping", 1s).status, 204);
  influx.start();
  EXPECT_EQ(influx.count("farm", "soil"), 3u);
}

TEST(HarnessServersTest, VictoriaMetricsTakesLineProtocolAndExportsIt) {
  VictoriaMetrics vm;
  const std::string lines =
      "soil,site=s,zone=z1,device=soil-z1 moisture=31.5,temp_c=27.1 1767225600000\n"
      "soil,site=s,zone=z1,device=soil-z1 moisture=31.4,temp_c=27.2 1767225660000\n"
      "soil,site=s,zone=z2,device=soil-z2 moisture=29.0,temp_c=26.9 1767225600000\n";
  vm.write(lines);
  vm.write(lines);  // a re-sent batch must not double the points
  EXPECT_EQ(vm.count_points("soil_moisture"), 3u);
  EXPECT_EQ(vm.count_points("soil_temp_c"), 3u);
  auto series = vm.export_series("{__name__=\"soil_moisture\",device=\"soil-z1\"}");
  ASSERT_EQ(series.size(), 1u);
  EXPECT_EQ(series[0].at("metric").at("zone").as_string(), "z1");
  EXPECT_EQ(series[0].at("metric").at("site").as_string(), "s");
  const auto& ts = series[0].at("timestamps").as_array();
  ASSERT_EQ(ts.size(), 2u);
  EXPECT_EQ(ts[0].to_number<std::int64_t>(), 1'767'225'600'000);
  EXPECT_DOUBLE_EQ(series[0].at("values").at(1).to_number<double>(), 31.4);
}

}  // namespace
}  // namespace farmgate::itest
