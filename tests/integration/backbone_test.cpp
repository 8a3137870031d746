// farmgate end to end: the real daemon between a real Mosquitto (fed by farmgate-sim) and a real
// InfluxDB / VictoriaMetrics, held to the promises of PRODUCT.md and INTERFACES.md: every
// accepted reading reaches upstream exactly once in effect, through an uplink outage, a broker
// restart and a kill -9 of the gateway; bad input is counted by reason and harms nothing; a
// broken config is reported with every error located.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <regex>
#include <set>
#include <thread>

#include "sensors/sim/payloads.h"
#include "tests/integration/harness.h"

namespace farmgate::itest {
namespace {

constexpr char kSite[] = "it-farm";
constexpr char kDb[] = "farm";
constexpr std::int64_t kIntervalMs = 60'000;  // farmgate-sim's default --interval-ms
constexpr std::uint64_t kSeed = 7;

// A fixed, minute-aligned start ten days back: the simulated readings then lie in the past, as
// VictoriaMetrics wants (it refuses points far in the future).
std::int64_t fixed_start_ts() {
  using namespace std::chrono;
  auto now = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  auto start = now - 10LL * 24 * 3600 * 1000;
  return start - start % kIntervalMs;
}

std::string farm_yaml() {
  std::string text = read_file(source_dir() + "/config/examples/farm.yaml");
  if (text.empty()) throw std::runtime_error("config/examples/farm.yaml is missing");
  return text;
}

// farm.yaml with one more influxdb_v1 uplink, put first in its `uplinks:` list.
std::string with_extra_uplink(const std::string& yaml, const std::string& name,
                              const std::string& url) {
  const std::string key = "\nuplinks:\n";
  auto pos = yaml.find(key);
  if (pos == std::string::npos) throw std::runtime_error("farm.yaml has no top-level uplinks:");
  std::string item = "  - name: " + name + "\n    type: influxdb_v1\n    url: " + url +
                     "\n    database: " + kDb + "\n    batch_interval: 1s\n";
  std::string out = yaml;
  out.insert(pos + key.size(), item);
  return out;
}

// The farmgate daemon, run from a config file; restartable on the same data directory.
class Gateway {
 public:
  Gateway(std::string config_path, Env env, std::string log_dir, int http_port)
      : config_(std::move(config_path)),
        env_(std::move(env)),
        log_dir_(std::move(log_dir)),
        http_port_(http_port) {}

  // Starts the daemon and waits for /healthz to answer 200; throws with the log if it does not.
  void start() {
    process_ = std::make_unique<Process>(
        std::vector<std::string>{farmgate_binary(), "run", "--config", config_},
        ProcessOptions{env_, log_dir_, "farmgate", false});
    bool up = wait_for(
        [&] { return !process_->running() || http_get(url() + "/healthz", 1s).status == 200; }, 30s,
        50ms);
    if (!up || !process_->running()) {
      throw std::runtime_error("farmgate did not become healthy\n" + tail(log(), 40));
    }
  }
  void kill9() {
    process_->kill9();
    process_.reset();
  }
  // SIGTERM; the wait status.
  int stop() {
    int st = process_->stop(15s);
    process_.reset();
    return st;
  }
  bool running() { return process_ && process_->running(); }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(http_port_); }
  std::string metrics() const { return http_get(url() + "/metrics").body; }
  std::string log() const { return read_file(log_dir_ + "/farmgate.log"); }

 private:
  std::string config_;
  Env env_;
  std::string log_dir_;
  int http_port_;
  std::unique_ptr<Process> process_;
};

class BackboneTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (farmgate_binary().empty() || sim_binary().empty()) {
      GTEST_SKIP() << "farmgate or farmgate-sim is not built";
    }
    influx_.create_database(kDb);
    http_port_ = free_port();
  }

  void TearDown() override {
    if (HasFailure() && gateway_) {
      std::cerr << "---- farmgate log ----\n" << tail(gateway_->log(), 60) << "\n";
      std::cerr << "---- metrics ----\n" << gateway_->metrics() << "\n";
    }
  }

  // Writes `config_text`, starts farmgate on it and waits until it has subscribed.
  void start_gateway(const std::string& config_text) {
    std::string path = dir_.file("farmgate.yaml");
    write_file(path, config_text);
    Env env{{"FARMGATE_MQTT_URL", broker_.url()},
            {"FARMGATE_INFLUX_URL", influx_.url()},
            {"FARMGATE_INFLUX_DB", kDb},
            {"FARMGATE_DATA_DIR", dir_.subdir("data")},
            {"FARMGATE_HTTP_LISTEN", "127.0.0.1:" + std::to_string(http_port_)},
            {"FARMGATE_SITE", kSite}};
    gateway_ = std::make_unique<Gateway>(path, env, dir_.path(), http_port_);
    gateway_->start();
    wait_until_subscribed();
  }

  // Messages published before farmgate's first subscription would have no session to wait in.
  void wait_until_subscribed() {
    const std::string id = std::string("farmgate-") + kSite;
    bool subscribed = wait_for(
        [&] {
          return broker_.wait_subscribed(id, "farm/#", 0ms) ||
                 broker_.wait_subscribed(id, "farm/+/+/telemetry", 0ms);
        },
        15s, 20ms);
    ASSERT_TRUE(subscribed) << tail(broker_.log());
  }

  std::vector<std::string> sim_args(std::vector<std::string> extra) const {
    std::vector<std::string> a{sim_binary(),  "--url",
                               broker_.url(), "--quiet",
                               "--seed",      std::to_string(kSeed),
                               "--start-ts",  std::to_string(start_ts_)};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }

  // Runs the simulator to the end; fails the test unless it delivered everything.
  SimSummary run_sim(std::vector<std::string> extra) {
    auto r = run_command(sim_args(std::move(extra)), {}, 120s);
    EXPECT_EQ(r.exit_code(), 0) << r.err;
    auto s = parse_sim_summary(r.out);
    EXPECT_TRUE(s) << r.out << r.err;
    return s.value_or(SimSummary{});
  }

  // The simulator in the background, for faults injected while it publishes.
  std::unique_ptr<Process> start_sim(std::vector<std::string> extra) {
    ProcessOptions o;
    o.log_dir = dir_.path();
    o.name = "sim";
    o.split_stdout = true;
    return std::make_unique<Process>(sim_args(std::move(extra)), o);
  }

  SimSummary finish_sim(Process& sim) {
    auto st = sim.wait_exit(90s);
    EXPECT_TRUE(exited_with(st, 0)) << (st ? describe_status(*st) : "still running") << "\n"
                                    << tail(sim.log());
    auto s = parse_sim_summary(sim.out());
    EXPECT_TRUE(s) << sim.out();
    return s.value_or(SimSummary{});
  }

  std::uint64_t influx_count() {
    try {
      return influx_.count(kDb, "soil");
    } catch (const std::exception&) {
      return 0;  // InfluxDB restarting
    }
  }

  // Waits until InfluxDB holds `n` soil points, then a little longer to catch any extra.
  std::uint64_t settle_influx_count(std::uint64_t n, std::chrono::milliseconds timeout = 60s) {
    wait_for([&] { return influx_count() >= n; }, timeout, 250ms);
    std::this_thread::sleep_for(1500ms);  // longer than the uplink's batch interval
    return influx_count();
  }

  // Points per device, from InfluxDB; a re-sent point overwrites itself, so these are also the
  // distinct timestamps.
  std::map<std::string, std::uint64_t> influx_count_by_device() {
    auto v = influx_.query(kDb, "SELECT count(moisture) FROM soil GROUP BY device");
    std::map<std::string, std::uint64_t> out;
    const auto& res = v.at("results").at(0).as_object();
    if (!res.contains("series")) return out;
    for (const auto& s : res.at("series").as_array()) {
      std::string device(s.at("tags").at("device").as_string());
      out[device] = s.at("values").at(0).at(1).to_number<std::uint64_t>();
    }
    return out;
  }

  // The messages farmgate-sim published, rebuilt from the same options.
  std::vector<sim::Message> expected_stream(std::uint64_t n) const {
    sim::StreamOptions o;
    o.start = from_epoch_ms(start_ts_);
    o.interval = Millis{kIntervalMs};
    o.seed = kSeed;
    sim::MessageStream stream(o);
    std::vector<sim::Message> out;
    out.reserve(n);
    for (std::uint64_t i = 0; i < n; ++i) out.push_back(stream.next());
    return out;
  }

  // Compares some points in InfluxDB with what the simulator sent: tags, fields and time.
  void spot_check_influx(const std::vector<sim::Message>& sent,
                         const std::vector<std::size_t>& which) {
    for (std::size_t i : which) {
      const sim::Message& m = sent.at(i);
      const std::string device = m.device == 0 ? "soil-z1" : "soil-z2";
      const std::string zone = m.device == 0 ? "z1" : "z2";
      auto v = influx_.query(kDb,
                             "SELECT moisture, temp_c, ec, site, zone FROM soil WHERE "
                             "device = '" +
                                 device + "' AND time = " + std::to_string(m.ts_ms) + "ms");
      const auto& res = v.at("results").at(0).as_object();
      ASSERT_TRUE(res.contains("series")) << "no point for message " << i << " " << m.payload;
      const auto& rows = res.at("series").at(0).at("values").as_array();
      ASSERT_EQ(rows.size(), 1u);
      const auto& row = rows.at(0).as_array();
      auto want = boost::json::parse(m.payload).as_object();
      EXPECT_EQ(row.at(0).to_number<std::int64_t>(), m.ts_ms);
      EXPECT_DOUBLE_EQ(row.at(1).to_number<double>(), want.at("moisture").to_number<double>());
      EXPECT_DOUBLE_EQ(row.at(2).to_number<double>(), want.at("temp_c").to_number<double>());
      EXPECT_DOUBLE_EQ(row.at(3).to_number<double>(), want.at("ec").to_number<double>());
      EXPECT_EQ(row.at(4).as_string(), kSite);
      EXPECT_EQ(row.at(5).as_string(), zone);
    }
  }

  TempDir dir_{"farmgate-backbone"};
  Mosquitto broker_;
  InfluxDb influx_;
  int http_port_ = 0;
  std::int64_t start_ts_ = fixed_start_ts();
  std::unique_ptr<Gateway> gateway_;  // last: stopped before the servers it talks to
};

TEST_F(BackboneTest, EveryReadingReachesInfluxDbAndVictoriaMetricsExactlyOnce) {
  VictoriaMetrics vm;
  start_gateway(with_extra_uplink(farm_yaml(), "vm", vm.url()));
  SimSummary s = run_sim({"--count", "10000", "--qos", "1", "--rate", "0"});
  ASSERT_EQ(s.good, 10000u);

  EXPECT_EQ(settle_influx_count(10000), 10000u);
  auto by_device = influx_count_by_device();
  EXPECT_EQ(by_device["soil-z1"], 5000u);
  EXPECT_EQ(by_device["soil-z2"], 5000u);
  auto sent = expected_stream(10000);
  spot_check_influx(sent, {0, 1, 2, 1234, 5001, 9998, 9999});

  for (const char* metric : {"soil_moisture", "soil_temp_c", "soil_ec"}) {
    EXPECT_TRUE(wait_for([&] { return vm.count_points(metric) >= 10000; }, 30s, 500ms))
        << metric << ": " << vm.count_points(metric);
    EXPECT_EQ(vm.count_points(metric), 10000u) << metric;
  }
  auto series = vm.export_series("{__name__=\"soil_moisture\",device=\"soil-z2\"}");
  ASSERT_EQ(series.size(), 1u);
  EXPECT_EQ(series[0].at("metric").at("site").as_string(), kSite);
  EXPECT_EQ(series[0].at("metric").at("zone").as_string(), "z2");
  const auto& ts = series[0].at("timestamps").as_array();
  const auto& values = series[0].at("values").as_array();
  ASSERT_EQ(ts.size(), 5000u);
  EXPECT_EQ(ts.at(0).to_number<std::int64_t>(), start_ts_);
  EXPECT_EQ(ts.at(4999).to_number<std::int64_t>(), start_ts_ + 4999 * kIntervalMs);
  EXPECT_DOUBLE_EQ(values.at(0).to_number<double>(),
                   boost::json::parse(sent[1].payload).at("moisture").to_number<double>());
}

// "/metrics parses as Prometheus text", checked by a real parser: VictoriaMetrics imports the
// page through its Prometheus text endpoint, and every sample line must come back as a series.
TEST_F(BackboneTest, MetricsPageIsPrometheusTextThatVictoriaMetricsUnderstandsLineByLine) {
  VictoriaMetrics vm;
  start_gateway(farm_yaml());
  SimSummary s = run_sim({"--count", "200", "--qos", "1", "--rate", "0", "--bad-every", "7"});
  ASSERT_GT(s.good, 0u);
  const std::string text = gateway_->metrics();
  std::size_t samples = 0;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(start, end - start);
    if (!line.empty() && line[0] != '#') ++samples;
    start = end + 1;
  }
  ASSERT_GT(samples, 50u) << text;
  const auto r = http_post(vm.url() + "/api/v1/import/prometheus", text, "text/plain");
  ASSERT_EQ(r.status, 204) << r.body << "\n" << vm.log();
  // Newly imported series become searchable a moment after the import.
  std::vector<boost::json::object> series;
  wait_for(
      [&] {
        series = vm.export_series("{__name__=~\"farmgate_.*\"}");
        return series.size() >= samples;
      },
      15s, 250ms);
  EXPECT_EQ(series.size(), samples)
      << "VictoriaMetrics understood " << series.size() << " of " << samples << " sample lines:\n"
      << tail(vm.log(), 20);
  EXPECT_EQ(vm.log().find("cannot parse"), std::string::npos) << tail(vm.log(), 20);
}

TEST_F(BackboneTest, ReadingsSurviveAnInfluxDbOutage) {
  start_gateway(farm_yaml());
  auto sim = start_sim({"--count", "5000", "--qos", "1", "--rate", "500"});
  std::this_thread::sleep_for(2s);
  influx_.stop();
  std::this_thread::sleep_for(5s);  // readings keep flowing into the gateway meanwhile
  EXPECT_TRUE(gateway_->running()) << gateway_->log();
  influx_.start();
  SimSummary s = finish_sim(*sim);
  ASSERT_EQ(s.good, 5000u);

  EXPECT_EQ(settle_influx_count(5000, 90s), 5000u);
  auto by_device = influx_count_by_device();
  EXPECT_EQ(by_device["soil-z1"], 2500u);
  EXPECT_EQ(by_device["soil-z2"], 2500u);
  EXPECT_TRUE(wait_for(
      [&] {
        return prometheus_value(gateway_->metrics(), "farmgate_outbox_backlog",
                                {{"uplink", "influx"}}) == 0.0;
      },
      10s))
      << gateway_->metrics();
}

TEST_F(BackboneTest, EveryHandedOverReadingSurvivesAKill9OfTheGateway) {
  start_gateway(farm_yaml());
  auto sim = start_sim({"--count", "6000", "--qos", "1", "--rate", "1000"});
  std::this_thread::sleep_for(2s);
  gateway_->kill9();
  std::this_thread::sleep_for(1s);  // the broker queues for farmgate's persistent session
  gateway_->start();
  SimSummary s = finish_sim(*sim);
  ASSERT_EQ(s.good, 6000u);

  EXPECT_EQ(settle_influx_count(s.good, 60s), s.good);
  auto by_device = influx_count_by_device();
  EXPECT_EQ(by_device["soil-z1"], 3000u);
  EXPECT_EQ(by_device["soil-z2"], 3000u);
}

TEST_F(BackboneTest, ReadingsSurviveABrokerRestart) {
  start_gateway(farm_yaml());
  auto sim = start_sim({"--count", "5000", "--qos", "1", "--rate", "500"});
  std::this_thread::sleep_for(2s);
  broker_.stop();
  std::this_thread::sleep_for(1s);
  broker_.start();
  SimSummary s = finish_sim(*sim);
  ASSERT_EQ(s.good, 5000u);

  EXPECT_EQ(settle_influx_count(5000, 60s), 5000u);
  auto by_device = influx_count_by_device();
  EXPECT_EQ(by_device["soil-z1"], 2500u);
  EXPECT_EQ(by_device["soil-z2"], 2500u);
  EXPECT_TRUE(gateway_->running());
}

TEST_F(BackboneTest, BadPayloadsAreCountedByReasonAndGoodOnesKept) {
  start_gateway(farm_yaml());
  SimSummary s = run_sim({"--count", "4000", "--qos", "1", "--rate", "0", "--bad-every", "8"});
  ASSERT_EQ(s.published, 4000u);
  ASSERT_EQ(s.good, 3500u);

  EXPECT_EQ(settle_influx_count(s.good), s.good);
  ASSERT_EQ(http_get(gateway_->url() + "/healthz").status, 200) << gateway_->log();

  // NaN is not JSON, so the gateway counts those as invalid_json too.
  std::map<std::string, std::uint64_t> want = s.bad;
  want["invalid_json"] += want["nan"];
  want.erase("nan");
  auto rejected = [&](const std::string& reason) {
    return prometheus_value(gateway_->metrics(), "farmgate_ingest_rejected_total",
                            {{"source", "field"}, {"reason", reason}})
        .value_or(-1);
  };
  // Every rejection is counted by the time the good readings are upstream; allow a moment.
  wait_for(
      [&] { return rejected("unknown_device") >= static_cast<double>(want["unknown_device"]); },
      10s);
  std::string metrics = gateway_->metrics();
  for (const auto& [reason, n] : want) {
    EXPECT_EQ(rejected(reason), static_cast<double>(n)) << reason << "\n" << metrics;
  }
  EXPECT_EQ(prometheus_value(metrics, "farmgate_ingest_accepted_total", {{"source", "field"}}),
            static_cast<double>(s.good))
      << metrics;
  EXPECT_TRUE(gateway_->running());
}

TEST(CheckCommandTest, AcceptsTheReferenceFarm) {
  if (farmgate_binary().empty()) GTEST_SKIP() << "farmgate is not built";
  auto r = run_command(
      {farmgate_binary(), "check", "--config", source_dir() + "/config/examples/farm.yaml"},
      {{"FARMGATE_INFLUX_URL", "http://127.0.0.1:8086"}}, 30s);
  EXPECT_EQ(r.exit_code(), 0) << r.err;
}

TEST(CheckCommandTest, ReportsEveryConfigErrorWithItsLocation) {
  if (farmgate_binary().empty()) GTEST_SKIP() << "farmgate is not built";
  TempDir dir;
  const std::string path = dir.file("broken.yaml");
  // Three independent mistakes, on lines 2, 5 and 10.
  write_file(path,
             "site: broken-farm\n"
             "no_such_key: 1\n"
             "mqtt:\n"
             "  url: tcp://127.0.0.1:1883\n"
             "  keepalive: banana\n"
             "zones:\n"
             "  - id: z1\n"
             "devices:\n"
             "  - id: soil-z1\n"
             "    kind: no-such-kind\n"
             "    zone: z1\n");
  auto r = run_command({farmgate_binary(), "check", "--config", path}, {}, 30s);
  EXPECT_EQ(r.exit_code(), 2) << r.err;

  // Each error is a "FILE:LINE:COL: message" line; a summary line besides them is fine.
  const std::regex located("^(.+):([0-9]+):([0-9]+): (.+)$");
  std::set<int> lines;
  std::istringstream err(r.err);
  int count = 0;
  for (std::string line; std::getline(err, line);) {
    if (line.rfind(path + ":", 0) != 0) continue;
    std::smatch m;
    ASSERT_TRUE(std::regex_match(line, m, located)) << "not FILE:LINE:COL: message: " << line;
    EXPECT_GT(std::stoi(m[3].str()), 0) << line;
    lines.insert(std::stoi(m[2].str()));
    ++count;
  }
  EXPECT_GE(count, 3) << r.err;
  for (int want : {2, 5, 10})
    EXPECT_TRUE(lines.count(want)) << "no error on line " << want << ":\n" << r.err;
}

}  // namespace
}  // namespace farmgate::itest
