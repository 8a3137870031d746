#include "gateway/http/api/routes.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <boost/json/parse.hpp>

#include "core/clock.h"
#include "gateway/http/api/test_support.h"
#include "gateway/http/test_client.h"
#include "gateway/store/store.h"

namespace farmgate::http::api {
namespace {

namespace fs = std::filesystem;
namespace bjson = boost::json;
namespace bhttp = boost::beast::http;
using http::testing::Client;
using testing::FakeContext;
using testing::Harness;
using testing::RawClient;

constexpr std::int64_t kT0 = 1'767'225'600'000;  // the FakeClock's start

class NoEvents final : public EventSink {
 public:
  void raise(Event) override {}
};

// Refuses with a fixed status; records what was audited.
class RefuseAll final : public Access {
 public:
  explicit RefuseAll(std::string status) : status_(std::move(status)) {}
  void check(const Request&, const Rule& rule,
             std::function<void(Result<Principal>)> done) override {
    done(make_error(status_, "role viewer may not " + rule.action));
  }
  void audit(const Request&, const Principal&, const Rule&, int, const std::string&) override {}

 private:
  std::string status_;
};

class RecordingAccess final : public Access {
 public:
  void check(const Request&, const Rule&, std::function<void(Result<Principal>)> done) override {
    done(Principal{"lan", Role::farmer});
  }
  void audit(const Request& r, const Principal& who, const Rule& rule, int status,
             const std::string& detail) override {
    std::lock_guard lock(mu);
    audits.push_back(who.user + " " + r.path + " " + rule.action + " " + std::to_string(status) +
                     " " + detail);
  }
  std::mutex mu;
  std::vector<std::string> audits;
};

class ApiRoutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/farmgate-api-XXXXXX";
    dir_ = mkdtemp(tmpl);
    store::StoreOptions options;
    options.config.path = dir_ + "/farmgate.db";
    options.config.batch_interval = Millis{5};
    options.site = "demo-farm";
    auto s = store::Store::open(options, clock_, metrics_, log_, events_);
    ASSERT_TRUE(s.ok()) << s.error().message;
    store_ = std::move(*s);
    store_->start([](std::uint64_t) {});
    auto r = store::Reader::open(options.config.path);
    ASSERT_TRUE(r.ok()) << r.error().message;
    reader_ = std::move(*r);
    ctx_ = std::make_unique<FakeContext>(h_.io(), *reader_, options.config.path);
    ctx_->zones = {{"z1", R"({"id":"z1","name":"z1","valve":"off"})"},
                   {"z2", R"({"id":"z2","name":"z2","valve":"on"})"}};
    ctx_->actuator_list = {{"valve-z1", "valve", "main", "z1", "off", false, false, false},
                           {"pump", "pump", "main", "", "unknown", true, true, false}};
  }
  void TearDown() override {
    h_.shutdown();
    reader_.reset();
    if (store_) store_->stop();
    fs::remove_all(dir_);
  }

  void start(Access& access) {
    register_api_routes(h_.server(), access, *ctx_);
    h_.start();
  }

  void reading(const std::string& device, std::int64_t ts, double v) {
    store_->submit(
        ++seq_, ReadingBatch{Reading{device, "z1", "soil", "moisture", v, "%", from_epoch_ms(ts)}});
  }

  bjson::value get_json(const std::string& target, unsigned status = 200) {
    Client c(h_.port());
    const auto r = c.get(target);
    EXPECT_TRUE(r) << target;
    if (!r) return {};
    EXPECT_EQ(r->result_int(), status) << target << ": " << r->body();
    return bjson::parse(r->body());
  }
  std::optional<http::testing::ClientResponse> post(const std::string& target,
                                                    std::string body = "{}") {
    Client c(h_.port());
    return c.request(bhttp::verb::post, target, std::move(body));
  }

  std::string dir_;
  FakeClock clock_;
  Metrics metrics_;
  MemoryLogger log_;
  NoEvents events_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<store::Reader> reader_;
  Harness h_;
  std::unique_ptr<FakeContext> ctx_;
  std::uint64_t seq_ = 0;
  AllowAll allow_;
};

std::string ErrorCode(const http::testing::ClientResponse& r) {
  return http::testing::JsonString(bjson::parse(r.body()), "error");
}

TEST_F(ApiRoutesTest, ZonesListsEveryZoneAsTheContextRendersIt) {
  start(allow_);
  const auto v = get_json("/api/v1/zones");
  const auto& zones = v.at("zones").as_array();
  ASSERT_EQ(zones.size(), 2u);
  EXPECT_EQ(zones[0].at("id"), "z1");
  EXPECT_EQ(zones[1].at("valve"), "on");
}

TEST_F(ApiRoutesTest, SeriesAveragesReadingsIntoAtMostTheRequestedBuckets) {
  // Two devices in z1, one reading a minute each for 4 minutes; another zone's reading is
  // left out.
  for (int i = 0; i < 4; ++i) {
    reading("soil-a", kT0 + i * 60'000, 10.0 + i);
    reading("soil-b", kT0 + i * 60'000 + 1, 20.0 + i);
  }
  store_->submit(++seq_, ReadingBatch{Reading{"soil-c", "z2", "soil", "moisture", 99, "%",
                                              from_epoch_ms(kT0)}});
  store_->flush();
  start(allow_);
  const auto v =
      get_json("/api/v1/zones/z1/series?metric=soil.moisture&from=" + std::to_string(kT0) +
               "&to=" + std::to_string(kT0 + 240'000) + "&points=2");
  EXPECT_EQ(v.at("zone"), "z1");
  EXPECT_EQ(v.at("metric"), "soil.moisture");
  EXPECT_EQ(v.at("unit"), "%");
  const auto& points = v.at("points").as_array();
  ASSERT_EQ(points.size(), 2u);
  // Bucket 1: minutes 0 and 1 of both devices: 10, 11, 20, 21.
  EXPECT_EQ(points[0].at(0).to_number<std::int64_t>(), kT0);
  EXPECT_DOUBLE_EQ(points[0].at(1).to_number<double>(), 15.5);
  EXPECT_DOUBLE_EQ(points[0].at(2).to_number<double>(), 10.0);
  EXPECT_DOUBLE_EQ(points[0].at(3).to_number<double>(), 21.0);
  EXPECT_EQ(points[1].at(0).to_number<std::int64_t>(), kT0 + 120'000);
  EXPECT_DOUBLE_EQ(points[1].at(2).to_number<double>(), 12.0);
  EXPECT_DOUBLE_EQ(points[1].at(3).to_number<double>(), 23.0);
}

TEST_F(ApiRoutesTest, SeriesRejectsBadInputAndUnknownZones) {
  start(allow_);
  const std::string range = "&from=" + std::to_string(kT0) + "&to=" + std::to_string(kT0 + 1000);
  get_json("/api/v1/zones/z1/series?from=1&to=2", 400);  // no metric
  get_json("/api/v1/zones/z1/series?metric=moisture" + range, 400);
  get_json("/api/v1/zones/z1/series?metric=soil.moisture&from=5&to=5", 400);
  get_json("/api/v1/zones/z1/series?metric=soil.moisture&from=x&to=5", 400);
  get_json("/api/v1/zones/z1/series?metric=soil.moisture&points=0" + range, 400);
  const auto v = get_json("/api/v1/zones/nope/series?metric=soil.moisture" + range, 404);
  EXPECT_EQ(v.at("error"), "not_found");
  // A known zone without that metric: an empty series, not an error.
  const auto empty = get_json("/api/v1/zones/z1/series?metric=soil.temp" + range);
  EXPECT_TRUE(empty.at("points").as_array().empty());
}

TEST_F(ApiRoutesTest, RunsComeNewestFirstAndFilterByZoneAndTime) {
  for (int i = 0; i < 3; ++i) {
    IrrigationRun run;
    run.id = static_cast<std::uint64_t>(i + 1);
    run.zone = i == 1 ? "z2" : "z1";
    run.actuators = {"valve-" + run.zone, "pump"};
    run.start = from_epoch_ms(kT0 + i * 1000);
    run.end = from_epoch_ms(kT0 + i * 1000 + 500);
    run.reason = "manual";
    run.who = "lan";
    run.outcome = "completed";
    run.volume_l = 12.5;
    store_->submit(run);
  }
  store_->flush();
  start(allow_);
  auto v = get_json("/api/v1/runs?zone=z1");
  auto runs = v.at("runs").as_array();
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].at("id").to_number<int>(), 3);
  EXPECT_EQ(runs[1].at("id").to_number<int>(), 1);
  EXPECT_EQ(runs[0].at("actuators").as_array().size(), 2u);
  EXPECT_EQ(runs[0].at("end").to_number<std::int64_t>(), kT0 + 2500);
  EXPECT_DOUBLE_EQ(runs[0].at("volume_l").to_number<double>(), 12.5);
  v = get_json("/api/v1/runs?from=" + std::to_string(kT0 + 1000) + "&limit=1");
  runs = v.at("runs").as_array();
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].at("id").to_number<int>(), 3);
  get_json("/api/v1/runs?limit=0", 400);
}

TEST_F(ApiRoutesTest, AckedAlarmsLeaveTheActiveList) {
  store_->submit(
      Event{Severity::alarm, "no_flow", "line/main", "no flow on main", from_epoch_ms(kT0)});
  store_->submit(Event{Severity::info, "started", "gateway", "started", from_epoch_ms(kT0 + 1)});
  store_->submit(Event{Severity::warning, "outbox_evicted", "uplink/influx", "evicted",
                       from_epoch_ms(kT0 + 2)});
  store_->flush();
  RecordingAccess access;
  start(access);
  auto alarms = get_json("/api/v1/alarms?active=1").at("alarms").as_array();
  ASSERT_EQ(alarms.size(), 2u);  // info is not an alarm
  EXPECT_EQ(alarms[0].at("code"), "outbox_evicted");
  EXPECT_TRUE(alarms[0].at("acked_by").is_null());
  const auto id = alarms[1].at("id").to_number<std::int64_t>();

  auto r = post("/api/v1/alarms/" + std::to_string(id) + "/ack");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->result_int(), 200u) << r->body();
  const auto ack = bjson::parse(r->body());
  EXPECT_EQ(ack.at("id").to_number<std::int64_t>(), id);
  EXPECT_EQ(ack.at("acked_by"), "lan");
  EXPECT_EQ(ack.at("acked_at").to_number<std::int64_t>(), 1'767'225'700'000);

  alarms = get_json("/api/v1/alarms?active=1").at("alarms").as_array();
  ASSERT_EQ(alarms.size(), 1u);
  EXPECT_EQ(alarms[0].at("code"), "outbox_evicted");
  EXPECT_EQ(get_json("/api/v1/alarms").at("alarms").as_array().size(), 2u);

  r = post("/api/v1/alarms/999/ack");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->result_int(), 404u);
  r = post("/api/v1/alarms/abc/ack");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->result_int(), 400u);
  std::lock_guard lock(access.mu);
  ASSERT_EQ(access.audits.size(), 3u);
  EXPECT_EQ(access.audits[0], "lan /api/v1/alarms/" + std::to_string(id) + "/ack alarm.ack 200 ");
  EXPECT_EQ(access.audits[1], "lan /api/v1/alarms/999/ack alarm.ack 404 no alarm 999");
}

TEST_F(ApiRoutesTest, IrrigateGrantsOrRefusesWithTheSupervisorsReason) {
  start(allow_);
  auto r = post("/api/v1/zones/z1/irrigate", R"({"minutes": 10})");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->result_int(), 200u) << r->body();
  auto v = bjson::parse(r->body());
  EXPECT_EQ(v.at("run_id").to_number<int>(), 7);
  EXPECT_EQ(v.at("granted_ms").to_number<int>(), 600'000);

  h_.on_io([&] { ctx_->refuse = "min_off: pump rested 40 s of 120 s"; });
  r = post("/api/v1/zones/z1/irrigate", R"({"minutes": 10})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->result_int(), 409u);
  v = bjson::parse(r->body());
  EXPECT_EQ(v.at("error"), "refused");
  EXPECT_EQ(v.at("reason"), "min_off: pump rested 40 s of 120 s");

  std::vector<std::string> calls;
  h_.on_io([&] { calls = ctx_->calls; });
  EXPECT_EQ(calls,
            (std::vector<std::string>{"irrigate z1 600000 test", "irrigate z1 600000 test"}));
}

TEST_F(ApiRoutesTest, IrrigateRejectsBadBodiesWithoutTouchingTheSupervisor) {
  start(allow_);
  for (const std::string body :
       {"{", "[]", R"({"minutes":"10"})", R"({"minutes":1.5})", R"({})", R"({"minutes":0})",
        R"({"minutes":61})", R"({"minutes":18446744073709551615})"}) {
    const auto r = post("/api/v1/zones/z1/irrigate", body);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->result_int(), 400u) << body;
    EXPECT_EQ(ErrorCode(*r), "bad_request") << body;
  }
  const auto r = post("/api/v1/zones/nope/irrigate", R"({"minutes": 1})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->result_int(), 404u);
  std::vector<std::string> calls;
  h_.on_io([&] { calls = ctx_->calls; });
  EXPECT_TRUE(calls.empty());
}

TEST_F(ApiRoutesTest, StopAnswersEmptyObjectOrRefusal) {
  start(allow_);
  auto r = post("/api/v1/zones/z2/stop");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->result_int(), 200u);
  EXPECT_EQ(r->body(), "{}");
  h_.on_io([&] { ctx_->refuse = "not_running: z2 has no run"; });
  r = post("/api/v1/zones/z2/stop");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->result_int(), 409u);
  r = post("/api/v1/zones/z9/stop");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->result_int(), 404u);
}

TEST_F(ApiRoutesTest, ActuatorsShowStateAndCommand) {
  start(allow_);
  const auto v = get_json("/api/v1/actuators").at("actuators").as_array();
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[0].at("id"), "valve-z1");
  EXPECT_EQ(v[0].at("zone"), "z1");
  EXPECT_EQ(v[1].at("type"), "pump");
  EXPECT_TRUE(v[1].at("zone").is_null());
  EXPECT_EQ(v[1].at("state"), "unknown");
  EXPECT_EQ(v[1].at("commanded"), "on");
  EXPECT_EQ(v[1].at("pending"), true);
}

TEST_F(ApiRoutesTest, TheNewestSnapshotOfAZoneAsMetadataAndAsTheJpegItself) {
  const std::string jpeg = std::string("\xFF\xD8\xFF\xE0", 4) + "not really a picture" + "\xFF\xD9";
  const std::string path = dir_ + "/cam-z1.jpg";
  {
    std::ofstream out(path, std::ios::binary);
    out << jpeg;
  }
  ctx_->snapshots["z1"] = SnapshotView{"cam-z1", path, kT0, 1920, 1080, 63.5};
  ctx_->snapshots["z2"] = SnapshotView{"cam-z2", dir_ + "/gone.jpg", kT0, 640, 480, 10};
  start(allow_);

  const auto meta = get_json("/api/v1/zones/z1/snapshot");
  EXPECT_EQ(meta.at("camera"), "cam-z1");
  EXPECT_EQ(meta.at("canopy_cover").as_double(), 63.5);
  EXPECT_EQ(meta.at("url").as_string(), "/api/v1/zones/z1/snapshot.jpg?t=" + std::to_string(kT0));

  Client c(h_.port());
  const auto r = c.get("/api/v1/zones/z1/snapshot.jpg?t=1");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->result_int(), 200u);
  EXPECT_EQ(std::string((*r)[bhttp::field::content_type]), "image/jpeg");
  EXPECT_EQ(r->body(), jpeg);

  EXPECT_EQ(ErrorCode(*Client(h_.port()).get("/api/v1/zones/z2/snapshot.jpg")), "not_found")
      << "a snapshot whose file is gone";
  get_json("/api/v1/zones/z3/snapshot", 404);

  // A zone with a camera and sensors but no valve: not in the zone list, but shown and charted.
  ctx_->extra_zones = {"z3"};
  ctx_->snapshots["z3"] = SnapshotView{"cam-z3", path, kT0, 1920, 1080, 12};
  EXPECT_EQ(get_json("/api/v1/zones/z3/snapshot").at("camera"), "cam-z3");
  get_json("/api/v1/zones/z3/series?metric=soil.moisture&from=1&to=2", 200);
  EXPECT_EQ(get_json("/api/v1/zones").at("zones").as_array().size(), 2u);
}

TEST_F(ApiRoutesTest, AccessRefusalsPassThroughWithTheirStatus) {
  RefuseAll refuse("403");
  start(refuse);
  auto r = post("/api/v1/zones/z1/irrigate", R"({"minutes": 1})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->result_int(), 403u);
  EXPECT_EQ(ErrorCode(*r), "forbidden");
  EXPECT_EQ(http::testing::JsonString(bjson::parse(r->body()), "reason"),
            "role viewer may not irrigate");
  for (const std::string target :
       {"/api/v1/zones", "/api/v1/runs", "/api/v1/alarms", "/api/v1/actuators", "/api/v1/events"}) {
    Client c(h_.port());
    const auto g = c.get(target);
    ASSERT_TRUE(g) << target;
    EXPECT_EQ(g->result_int(), 403u) << target;
  }
  std::vector<std::string> calls;
  h_.on_io([&] { calls = ctx_->calls; });
  EXPECT_TRUE(calls.empty());
}

TEST_F(ApiRoutesTest, UnauthenticatedGets401) {
  RefuseAll refuse("401");
  start(refuse);
  Client c(h_.port());
  const auto r = c.get("/api/v1/zones");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->result_int(), 401u);
  EXPECT_EQ(ErrorCode(*r), "unauthorized");
}

TEST_F(ApiRoutesTest, EventsStreamStartsWithZonesThenCarriesWhatIsPublished) {
  start(allow_);
  RawClient c(h_.port());
  c.send("GET /api/v1/events HTTP/1.1\r\nHost: farmgate.test\r\n\r\n");
  ASSERT_TRUE(c.read_until(R"(data: {"id":"z2")")) << c.received();
  EXPECT_EQ(c.received().rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << c.received();
  EXPECT_NE(c.received().find("Content-Type: text/event-stream\r\n"), std::string::npos);
  EXPECT_NE(c.received().find("retry: 5000\n\n"), std::string::npos);
  EXPECT_NE(c.received().find("event: zone\ndata: {\"id\":\"z1\""), std::string::npos);

  std::size_t subscribers = 0;
  h_.on_io([&] {
    subscribers = ctx_->hub().subscribers();
    store::Alarm a;
    a.id = 5;
    a.code = "no_flow";
    ctx_->hub().publish("alarm", alarm_json(a));
    ctx_->hub().ping();
  });
  EXPECT_EQ(subscribers, 1u);
  ASSERT_TRUE(c.read_until(": ping\n\n")) << c.received();
  EXPECT_NE(c.received().find("event: alarm\ndata: {\"id\":5,"), std::string::npos);

  // A client that leaves is forgotten at the next publish.
  c.close();
  const auto until = std::chrono::steady_clock::now() + 5s;
  while (std::chrono::steady_clock::now() < until) {
    h_.on_io([&] {
      ctx_->hub().ping();
      subscribers = ctx_->hub().subscribers();
    });
    if (subscribers == 0) break;
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(subscribers, 0u);
}

}  // namespace
}  // namespace farmgate::http::api
