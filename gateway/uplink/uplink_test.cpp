#include "gateway/uplink/uplink.h"

#include <gtest/gtest.h>

#include <optional>

#include "gateway/uplink/test_http_server.h"
#include "gateway/uplink/test_support.h"

namespace farmgate::uplink {
namespace {

using namespace std::chrono_literals;
using testing::eventually;
using testing::HttpRequest;
using testing::HttpResponse;
using testing::RecordingEvents;
using testing::StoreDb;
using testing::TempDir;
using testing::TestHttpServer;

std::vector<std::string> split_lines(const std::string& body) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < body.size()) {
    const auto nl = body.find('\n', start);
    out.push_back(body.substr(start, nl - start));
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  return out;
}

class UplinkTest : public ::testing::Test {
 protected:
  UplinkTest() {
    cfg_.name = "influx";
    cfg_.type = config::UplinkType::influxdb_v1;
    cfg_.url = server_.url();
    cfg_.database = "farm";
    cfg_.batch_max = 10;
    cfg_.batch_interval = 20ms;
    cfg_.gzip = false;
    cfg_.timeout = 5s;
    cfg_.backoff_min = 10ms;
    cfg_.backoff_max = 50ms;
  }

  Uplink& start(Clock* clock = nullptr) {
    uplinks_.push_back(
        std::make_unique<Uplink>(cfg_, path_, clock ? *clock : clock_, metrics_, log_, events_));
    uplinks_.back()->report_health_to(health_);
    auto r = uplinks_.back()->start();
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return *uplinks_.back();
  }

  // Every line the server received in 2xx-answered requests, in order.
  std::vector<std::string> delivered_lines(const std::vector<std::size_t>& failed = {}) {
    std::vector<std::string> out;
    const auto reqs = server_.requests();
    for (std::size_t i = 0; i < reqs.size(); ++i) {
      if (std::find(failed.begin(), failed.end(), i) != failed.end()) continue;
      for (auto& l : split_lines(reqs[i].lines())) out.push_back(l);
    }
    return out;
  }

  std::optional<Health::Component> health(const std::string& name) {
    for (auto& c : health_.snapshot()) {
      if (c.name == name) return c;
    }
    return std::nullopt;
  }

  std::uint64_t counter(const std::string& name, const Labels& labels) {
    return metrics_.counter(name, "", labels).value();
  }

  TempDir dir_;
  std::string path_ = (dir_.path() / "farmgate.db").string();
  StoreDb store_{path_};
  TestHttpServer server_;
  SystemClock clock_;
  Metrics metrics_;
  MemoryLogger log_;
  RecordingEvents events_;
  Health health_;
  config::UplinkConfig cfg_;
  std::vector<std::unique_ptr<Uplink>> uplinks_;  // destroyed (stopped) before the server
};

TEST_F(UplinkTest, DeliversInBatchesAdvancesTheCursorAndSendsNothingTwice) {
  auto lines = store_.insert_numbered(1, 25);
  Uplink& up = start();
  ASSERT_TRUE(eventually([&] { return up.delivered() == 25; }));
  EXPECT_EQ(store_.cursor("influx"), 25);
  for (const auto& r : server_.requests()) EXPECT_LE(split_lines(r.lines()).size(), 10u);

  auto more = store_.insert_numbered(26, 5);
  lines.insert(lines.end(), more.begin(), more.end());
  up.notify();
  ASSERT_TRUE(eventually([&] { return up.delivered() == 30; }));
  EXPECT_EQ(delivered_lines(), lines);
  EXPECT_EQ(counter("farmgate_uplink_points_total", {{"uplink", "influx"}}), 30u);
  EXPECT_EQ(
      counter("farmgate_uplink_requests_total", {{"uplink", "influx"}, {"outcome", "delivered"}}),
      server_.requests().size());
  EXPECT_TRUE(events_.events().empty());
}

TEST_F(UplinkTest, WaitsForAFullBatchOrTheBatchInterval) {
  cfg_.batch_interval = 1h;
  FakeClock fake;
  Uplink& up = start(&fake);
  store_.insert_numbered(1, 4);
  up.notify();
  // Not full and not due: nothing goes (a short look, the only sleep-based check here).
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(server_.requests().size(), 0u);

  store_.insert_numbered(5, 6);  // 10 = batch_max
  up.notify();
  ASSERT_TRUE(eventually([&] { return up.delivered() == 10; }));
  ASSERT_EQ(server_.requests().size(), 1u);
  EXPECT_EQ(split_lines(server_.requests()[0].lines()).size(), 10u);

  store_.insert_numbered(11, 3);
  up.notify();
  // With a FakeClock, notify() makes the uplink read the clock again. Advancing more than once
  // covers the uplink seeing the lines only after the first advance.
  ASSERT_TRUE(eventually([&] {
    fake.advance(1h);
    up.notify();
    return up.delivered() == 13;
  }));
  EXPECT_EQ(server_.requests().size(), 2u);
}

TEST_F(UplinkTest, HonoursRetryAfterThenDeliversOnce) {
  server_.script({{503, "busy", {{"Retry-After", "1"}}}});
  const auto lines = store_.insert_numbered(1, 3);
  Uplink& up = start();
  ASSERT_TRUE(eventually([&] { return up.delivered() == 3; }));
  const auto reqs = server_.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].body, reqs[1].body);
  EXPECT_GE(reqs[1].received - reqs[0].received, 900ms);  // backoff_max (50 ms) is not used
  EXPECT_EQ(delivered_lines({0}), lines);
  EXPECT_EQ(counter("farmgate_uplink_errors_total", {{"uplink", "influx"}, {"kind", "throttled"}}),
            1u);
}

TEST_F(UplinkTest, BacksOffOnServerErrorsThenDelivers) {
  server_.script({{500, ""}, {500, ""}, {502, ""}});
  const auto lines = store_.insert_numbered(1, 5);
  Uplink& up = start();
  ASSERT_TRUE(eventually([&] { return up.delivered() == 5; }));
  const auto reqs = server_.requests();
  ASSERT_EQ(reqs.size(), 4u);
  for (const auto& r : reqs) EXPECT_EQ(r.body, reqs[0].body);
  for (std::size_t i = 1; i < reqs.size(); ++i) {
    EXPECT_GE(reqs[i].received - reqs[i - 1].received, 9ms);  // at least backoff_min
  }
  EXPECT_EQ(delivered_lines({0, 1, 2}), lines);
  EXPECT_EQ(counter("farmgate_uplink_requests_total", {{"uplink", "influx"}, {"outcome", "retry"}}),
            3u);
  EXPECT_EQ(counter("farmgate_uplink_errors_total", {{"uplink", "influx"}, {"kind", "server"}}),
            3u);
  EXPECT_TRUE(events_.with_code("uplink_unreachable").empty());  // 3 < kUnreachableAfterFailures
}

TEST_F(UplinkTest, RejectedBatchGoesToDeadLetterWithAnAlarmAndTheQueueMovesOn) {
  cfg_.batch_max = 5;
  server_.script({{400, R"({"error":"partial write: points beyond retention policy dropped=5"})"}});
  const auto lines = store_.insert_numbered(1, 10);
  Uplink& up = start();
  ASSERT_TRUE(eventually([&] { return up.delivered() == 10; }));

  EXPECT_EQ(store_.scalar("SELECT count(*) FROM dead_letter"), 1);
  EXPECT_EQ(store_.text("SELECT uplink FROM dead_letter"), "influx");
  EXPECT_EQ(store_.scalar("SELECT first_id FROM dead_letter"), 1);
  EXPECT_EQ(store_.scalar("SELECT last_id FROM dead_letter"), 5);
  EXPECT_EQ(store_.scalar("SELECT status FROM dead_letter"), 400);
  EXPECT_NE(store_.text("SELECT error FROM dead_letter").find("beyond retention policy"),
            std::string::npos);
  EXPECT_EQ(split_lines(store_.text("SELECT body FROM dead_letter")),
            std::vector<std::string>(lines.begin(), lines.begin() + 5));

  const auto alarms = events_.with_code("uplink_dead_letter");
  ASSERT_EQ(alarms.size(), 1u);
  EXPECT_EQ(alarms[0].severity, Severity::alarm);
  EXPECT_EQ(alarms[0].source, "uplink/influx");
  EXPECT_NE(alarms[0].message.find("HTTP 400"), std::string::npos) << alarms[0].message;
  EXPECT_NE(alarms[0].message.find("beyond retention policy"), std::string::npos);

  EXPECT_EQ(delivered_lines({0}), std::vector<std::string>(lines.begin() + 5, lines.end()));
  EXPECT_EQ(counter("farmgate_uplink_dead_letter_batches_total", {{"uplink", "influx"}}), 1u);
  EXPECT_EQ(
      counter("farmgate_uplink_requests_total", {{"uplink", "influx"}, {"outcome", "reject"}}), 1u);
}

TEST_F(UplinkTest, TooLargeHalvesTheBatch) {
  cfg_.batch_max = 8;
  server_.script({{413, ""}, {413, ""}});
  const auto lines = store_.insert_numbered(1, 8);
  Uplink& up = start();
  ASSERT_TRUE(eventually([&] { return up.delivered() == 8; }));
  std::vector<std::size_t> sizes;
  for (const auto& r : server_.requests()) sizes.push_back(split_lines(r.lines()).size());
  EXPECT_EQ(sizes, (std::vector<std::size_t>{8, 4, 2, 2, 2, 2}));
  EXPECT_EQ(delivered_lines({0, 1}), lines);
  EXPECT_TRUE(events_.events().empty());
}

TEST_F(UplinkTest, ASingleLineTooLargeIsDeadLettered) {
  cfg_.batch_max = 1;
  server_.script({{413, "too big"}});
  store_.insert_numbered(1, 2);
  Uplink& up = start();
  ASSERT_TRUE(eventually([&] { return up.delivered() == 2; }));
  EXPECT_EQ(store_.scalar("SELECT status FROM dead_letter WHERE first_id = 1 AND last_id = 1"),
            413);
  EXPECT_EQ(events_.with_code("uplink_dead_letter").size(), 1u);
}

TEST_F(UplinkTest, GzippedBodiesDecodeToTheExactLines) {
  cfg_.gzip = true;
  const auto lines = store_.insert_numbered(1, 30);
  Uplink& up = start();
  ASSERT_TRUE(eventually([&] { return up.delivered() == 30; }));
  for (const auto& r : server_.requests()) EXPECT_EQ(r.header("content-encoding"), "gzip");
  EXPECT_EQ(delivered_lines(), lines);
}

TEST_F(UplinkTest, LinesStoredWithTheirNewlineAreSentAsIs) {
  store_.insert("a v=1 1\n");
  store_.insert("b v=2 2\n");
  Uplink& up = start();
  ASSERT_TRUE(eventually([&] { return up.delivered() == 2; }));
  EXPECT_EQ(server_.requests().at(0).body, "a v=1 1\nb v=2 2\n");
}

TEST_F(UplinkTest, UnreachableAlarmsOnceAndTellsWhenItRecovers) {
  std::vector<HttpResponse> failures(kUnreachableAfterFailures + 2, HttpResponse{503, "down"});
  server_.script(failures);
  store_.insert_numbered(1, 3);
  Uplink& up = start();
  ASSERT_TRUE(eventually([&] { return up.delivered() == 3; }));
  const auto alarms = events_.with_code("uplink_unreachable");
  ASSERT_EQ(alarms.size(), 1u);
  EXPECT_EQ(alarms[0].severity, Severity::alarm);
  EXPECT_NE(alarms[0].message.find("HTTP 503"), std::string::npos) << alarms[0].message;
  const auto recovered = events_.with_code("uplink_recovered");
  ASSERT_EQ(recovered.size(), 1u);
  EXPECT_EQ(recovered[0].severity, Severity::info);
}

TEST_F(UplinkTest, BadCredentialsAlarmOnceAndKeepTheData) {
  server_.script({{401, R"({"error":"authorization failed"})"},
                  {401, R"({"error":"authorization failed"})"},
                  {401, R"({"error":"authorization failed"})"}});
  const auto lines = store_.insert_numbered(1, 3);
  Uplink& up = start();
  ASSERT_TRUE(eventually([&] { return up.delivered() == 3; }));
  const auto alarms = events_.with_code("uplink_misconfigured");
  ASSERT_EQ(alarms.size(), 1u);
  EXPECT_NE(alarms[0].message.find("username and password"), std::string::npos)
      << alarms[0].message;
  EXPECT_EQ(store_.scalar("SELECT count(*) FROM dead_letter"), 0);
  EXPECT_EQ(delivered_lines({0, 1, 2}), lines);
  EXPECT_EQ(counter("farmgate_uplink_errors_total", {{"uplink", "influx"}, {"kind", "auth"}}), 3u);
}

TEST_F(UplinkTest, StopReturnsPromptlyDuringALongBackoff) {
  cfg_.backoff_min = 60s;
  cfg_.backoff_max = 120s;
  server_.set_default({500, ""});
  store_.insert_numbered(1, 3);
  Uplink& up = start();
  ASSERT_TRUE(server_.wait_for_requests(1));
  const auto t0 = std::chrono::steady_clock::now();
  up.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
  EXPECT_EQ(up.delivered(), 0);
  EXPECT_EQ(store_.cursor("influx"), 0);
}

TEST_F(UplinkTest, StopReturnsPromptlyDuringAHungRequest) {
  cfg_.timeout = 60s;
  server_.set_default(HttpResponse::hanging());
  store_.insert_numbered(1, 3);
  Uplink& up = start();
  ASSERT_TRUE(server_.wait_for_requests(1));
  const auto t0 = std::chrono::steady_clock::now();
  up.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
  EXPECT_EQ(store_.cursor("influx"), 0);
}

TEST_F(UplinkTest, StopWhileIdleIsPromptAndIdempotent) {
  Uplink& up = start();
  const auto t0 = std::chrono::steady_clock::now();
  up.stop();
  up.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);
  EXPECT_FALSE(up.start().ok());
}

TEST_F(UplinkTest, EvictedGapIdsAreSkipped) {
  const auto lines = store_.insert_numbered(1, 10);
  store_.exec("DELETE FROM outbox WHERE id <= 6");  // the store evicted them before we sent
  Uplink& up = start();
  ASSERT_TRUE(eventually([&] { return up.delivered() == 10; }));
  EXPECT_EQ(delivered_lines(), std::vector<std::string>(lines.begin() + 6, lines.end()));
}

TEST_F(UplinkTest, AFullyEvictedBacklogMovesTheCursorWithoutRequests) {
  store_.insert_numbered(1, 5);
  store_.exec("DELETE FROM outbox");
  Uplink& up = start();
  ASSERT_TRUE(eventually([&] { return up.delivered() == 5; }));
  EXPECT_EQ(store_.cursor("influx"), 5);
  EXPECT_TRUE(server_.requests().empty());
}

TEST_F(UplinkTest, ARestartResumesAfterTheCursor) {
  store_.insert_numbered(1, 10);
  {
    Uplink& first = start();
    ASSERT_TRUE(eventually([&] { return first.delivered() == 10; }));
    first.stop();
  }
  const std::size_t before = server_.requests().size();
  const auto more = store_.insert_numbered(11, 4);
  Uplink& second = start();
  ASSERT_TRUE(eventually([&] { return second.delivered() == 14; }));
  const auto reqs = server_.requests();
  std::vector<std::string> sent;
  for (std::size_t i = before; i < reqs.size(); ++i) {
    for (auto& l : split_lines(reqs[i].lines())) sent.push_back(l);
  }
  EXPECT_EQ(sent, more);
}

TEST_F(UplinkTest, SeveralUplinksEachDeliverEverything) {
  TestHttpServer other;
  const auto lines = store_.insert_numbered(1, 12);
  Uplink& a = start();
  cfg_.name = "backup";
  cfg_.type = config::UplinkType::influxdb_v2;
  cfg_.url = other.url();
  cfg_.org = "coop";
  cfg_.bucket = "farm";
  cfg_.token = "t";
  Uplink& b = start();
  ASSERT_TRUE(eventually([&] { return a.delivered() == 12 && b.delivered() == 12; }));
  std::vector<std::string> got;
  for (const auto& r : other.requests()) {
    EXPECT_EQ(r.path(), "/api/v2/write");
    for (auto& l : split_lines(r.lines())) got.push_back(l);
  }
  EXPECT_EQ(got, lines);
  EXPECT_EQ(delivered_lines(), lines);
  EXPECT_EQ(store_.cursor("influx"), 12);
  EXPECT_EQ(store_.cursor("backup"), 12);
  uplinks_.clear();  // stop before `other` goes away
}

TEST_F(UplinkTest, ReportsHealthDegradedWhileRetryingAndUpOnceDelivering) {
  server_.script({{500, "boom"}});
  cfg_.backoff_min = cfg_.backoff_max = 300ms;
  store_.insert_numbered(1, 2);
  Uplink& up = start();
  ASSERT_TRUE(eventually([&] {
    auto h = health("uplink/influx");
    return h && h->status == Health::Status::degraded;
  }));
  EXPECT_NE(health("uplink/influx")->detail.find("HTTP 500"), std::string::npos);
  ASSERT_TRUE(eventually([&] { return up.delivered() == 2; }));
  ASSERT_TRUE(eventually([&] { return health("uplink/influx")->status == Health::Status::up; }));
}

TEST_F(UplinkTest, PublishesBacklogAndSuccessMetrics) {
  server_.set_default({500, ""});
  cfg_.backoff_min = cfg_.backoff_max = 10s;
  store_.insert_numbered(1, 7);
  Uplink& up = start();
  ASSERT_TRUE(server_.wait_for_requests(1));
  std::string text = metrics_.render();
  EXPECT_NE(text.find("farmgate_outbox_backlog{uplink=\"influx\"} 7"), std::string::npos) << text;
  EXPECT_NE(text.find("farmgate_uplink_request_seconds_count{uplink=\"influx\"}"),
            std::string::npos);
  up.stop();

  server_.set_default({204, ""});
  Uplink& again = start();
  ASSERT_TRUE(eventually([&] { return again.delivered() == 7; }));
  text = metrics_.render();
  EXPECT_NE(text.find("farmgate_outbox_backlog{uplink=\"influx\"} 0"), std::string::npos) << text;
  EXPECT_GT(
      metrics_.gauge("farmgate_uplink_last_success_timestamp_seconds", "", {{"uplink", "influx"}})
          .value(),
      1.6e9);
}

TEST_F(UplinkTest, BacklogFollowsNewLinesDuringALongBackoff) {
  server_.set_default({500, ""});
  cfg_.backoff_min = cfg_.backoff_max = 60s;
  store_.insert_numbered(1, 3);
  Uplink& up = start();
  ASSERT_TRUE(server_.wait_for_requests(1));
  store_.insert_numbered(4, 5);  // the store commits more while the uplink sleeps
  up.notify(8);
  EXPECT_NE(metrics_.render().find("farmgate_outbox_backlog{uplink=\"influx\"} 8"),
            std::string::npos);
}

TEST_F(UplinkTest, StartFailsWithoutTheStoreSchema) {
  Uplink up(cfg_, (dir_.path() / "nothing-here.db").string(), clock_, metrics_, log_, events_);
  auto r = up.start();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("schema"), std::string::npos) << r.error().message;
}

TEST_F(UplinkTest, StartFailsOnABadConfig) {
  cfg_.database.clear();
  Uplink up(cfg_, path_, clock_, metrics_, log_, events_);
  EXPECT_FALSE(up.start().ok());
}

// A sink written in the test: the framework works with any UplinkSink.
class ScriptedSink final : public UplinkSink {
 public:
  WriteOutcome write(const std::string& body, std::size_t points) override {
    std::lock_guard lock(mu_);
    bodies_.push_back(body);
    EXPECT_EQ(points, split_lines(body).size());
    WriteOutcome o;
    o.kind = WriteOutcome::Kind::delivered;
    o.status = 204;
    return o;
  }
  std::vector<std::string> bodies() const {
    std::lock_guard lock(mu_);
    return bodies_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<std::string> bodies_;
};

TEST_F(UplinkTest, RunsAnyInjectedSink) {
  auto sink = std::make_unique<ScriptedSink>();
  ScriptedSink& seen = *sink;
  const auto lines = store_.insert_numbered(1, 3);
  Uplink up(cfg_, path_, clock_, metrics_, log_, events_, std::move(sink));
  ASSERT_TRUE(up.start().ok());
  ASSERT_TRUE(eventually([&] { return up.delivered() == 3; }));
  ASSERT_EQ(seen.bodies().size(), 1u);
  EXPECT_EQ(split_lines(seen.bodies()[0]), lines);
  EXPECT_TRUE(server_.requests().empty());
}

}  // namespace
}  // namespace farmgate::uplink
