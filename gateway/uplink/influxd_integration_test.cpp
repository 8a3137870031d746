// Against a real InfluxDB 1.x: influxd is started from a generated config in a temp dir, on free
// loopback ports, and the uplink delivers outbox lines to it. Labelled "integration" in CTest;
// skipped when /usr/bin/influxd is not installed.
#include <curl/curl.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "gateway/uplink/line_protocol.h"
#include "gateway/uplink/test_http_server.h"
#include "gateway/uplink/test_support.h"
#include "gateway/uplink/uplink.h"

extern char** environ;

namespace farmgate::uplink {
namespace {

using namespace std::chrono_literals;
using testing::eventually;
using testing::RecordingEvents;
using testing::StoreDb;
using testing::TempDir;

constexpr const char* kInfluxd = "/usr/bin/influxd";

struct HttpResult {
  long status = 0;
  std::string body;
};

std::size_t collect(char* data, std::size_t size, std::size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

// One plain request with libcurl, for talking to influxd from the test.
HttpResult http(const std::string& url, const std::string* post_body = nullptr) {
  HttpResult result;
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT_MS, 5000L);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &result.body);
  if (post_body) {
    curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDS, post_body->c_str());
    curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(post_body->size()));
  }
  if (curl_easy_perform(curl.get()) == CURLE_OK) {
    curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &result.status);
  }
  return result;
}

std::string query(const std::string& base, const std::string& db, const std::string& q) {
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  std::unique_ptr<char, decltype(&curl_free)> escaped(
      curl_easy_escape(curl.get(), q.c_str(), static_cast<int>(q.size())), curl_free);
  return http(base + "/query?db=" + db + "&q=" + escaped.get()).body;
}

// influxd, started in the constructor and stopped (TERM, then KILL) in the destructor.
class Influxd {
 public:
  explicit Influxd(const std::filesystem::path& dir)
      : http_port_(testing::free_port()), rpc_port_(testing::free_port()) {
    const auto conf = dir / "influxdb.conf";
    std::ofstream(conf) << "reporting-disabled = true\n"
                        << "bind-address = \"127.0.0.1:" << rpc_port_ << "\"\n"
                        << "[meta]\n  dir = \"" << (dir / "meta").string() << "\"\n"
                        << "[data]\n  dir = \"" << (dir / "data").string() << "\"\n"
                        << "  wal-dir = \"" << (dir / "wal").string() << "\"\n"
                        << "  query-log-enabled = false\n"
                        << "[http]\n  bind-address = \"127.0.0.1:" << http_port_ << "\"\n"
                        << "  log-enabled = false\n"
                        << "[monitor]\n  store-enabled = false\n"
                        << "[continuous_queries]\n  enabled = false\n";
    const std::string log = (dir / "influxd.log").string();
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    const std::string conf_path = conf.string();
    char* argv[] = {const_cast<char*>(kInfluxd), const_cast<char*>("-config"),
                    const_cast<char*>(conf_path.c_str()), nullptr};
    if (posix_spawn(&pid_, kInfluxd, &actions, nullptr, argv, environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
  }
  ~Influxd() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    for (int i = 0; i < 100; ++i) {
      if (::waitpid(pid_, nullptr, WNOHANG) == pid_) return;
      std::this_thread::sleep_for(100ms);
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  Influxd(const Influxd&) = delete;
  Influxd& operator=(const Influxd&) = delete;

  bool running() const { return pid_ > 0; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(http_port_); }
  bool ready() const { return http(url() + "/ping").status == 204; }

 private:
  int http_port_;
  int rpc_port_;
  pid_t pid_ = -1;
};

TEST(InfluxdIntegrationTest, DeliversAThousandOutboxLinesToARealInfluxd) {
  if (::access(kInfluxd, X_OK) != 0) GTEST_SKIP() << kInfluxd << " is not installed";
  TempDir dir;
  Influxd influxd(dir.path());
  ASSERT_TRUE(influxd.running());
  ASSERT_TRUE(eventually([&] { return influxd.ready(); }, 30s))
      << "influxd did not answer /ping; see its log in the temp dir";
  const std::string create = "q=CREATE DATABASE farm";
  ASSERT_EQ(http(influxd.url() + "/query", &create).status, 200);

  const std::string db_path = (dir.path() / "farmgate.db").string();
  StoreDb store(db_path);
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
  cfg.type = config::UplinkType::influxdb_v1;
  cfg.url = influxd.url();
  cfg.database = "farm";
  cfg.batch_max = 300;
  cfg.batch_interval = 50ms;
  cfg.gzip = true;
  cfg.timeout = 10s;
  cfg.backoff_min = 50ms;
  cfg.backoff_max = 500ms;
  SystemClock clock;
  Metrics metrics;
  MemoryLogger log;
  RecordingEvents events;
  Uplink uplink(cfg, db_path, clock, metrics, log, events);
  ASSERT_TRUE(uplink.start().ok());
  ASSERT_TRUE(eventually([&] { return uplink.delivered() == 1000; }, 60s));
  uplink.stop();
  EXPECT_TRUE(events.events().empty());
  EXPECT_EQ(store.scalar("SELECT count(*) FROM dead_letter"), 0);

  const std::string count = query(influxd.url(), "farm", "SELECT count(moisture) FROM soil");
  EXPECT_NE(count.find(",1000]]"), std::string::npos) << count;
  const std::string zone =
      query(influxd.url(), "farm", "SHOW TAG VALUES FROM soil WITH KEY = zone");
  EXPECT_NE(zone.find("\"Vườn bưởi, khu=2\""), std::string::npos) << zone;
  const std::string note = query(influxd.url(), "farm", "SELECT last(note) FROM soil");
  EXPECT_NE(note.find(R"("tưới \"nhẹ\" \\ ok")"), std::string::npos) << note;
  const std::string ints = query(influxd.url(), "farm", "SELECT max(samples) FROM soil");
  EXPECT_NE(ints.find(",999]]"), std::string::npos) << ints;
}

}  // namespace
}  // namespace farmgate::uplink
