// CameraSource against cameras served over real HTTP on 127.0.0.1: readings, snapshots on
// request, basic and digest auth, a camera that never answers, one that sends garbage, and
// retention as the source applies it.
#include "sensors/camera/camera_source.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <mutex>
#include <thread>

#include "sensors/camera/test_http_server.h"
#include "sensors/camera/test_images.h"
#include "sensors/camera/test_temp_dir.h"

namespace farmgate::sensors::camera {
namespace {

using namespace std::chrono_literals;
using testing::TestHttpServer;

constexpr auto kDeadline = 10s;

// Polls `done` until it holds or the deadline passes; for state that has no notification.
bool eventually(const std::function<bool()>& done) {
  const auto until = std::chrono::steady_clock::now() + kDeadline;
  while (!done()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

class RecordingSink final : public ReadingSink {
 public:
  Result<void> accept(ReadingBatch batch) override {
    {
      std::lock_guard lock(mu_);
      for (auto& r : batch) readings_.push_back(std::move(r));
    }
    cv_.notify_all();
    return {};
  }
  // Waits for at least n readings; all of them so far.
  std::vector<Reading> wait_for(std::size_t n) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, kDeadline, [&] { return readings_.size() >= n; });
    return readings_;
  }
  std::vector<Reading> all() const {
    std::lock_guard lock(mu_);
    return readings_;
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Reading> readings_;
};

class RecordingEvents final : public EventSink {
 public:
  void raise(Event e) override {
    {
      std::lock_guard lock(mu_);
      events_.push_back(std::move(e));
    }
    cv_.notify_all();
  }
  // Waits for an event with this code; the events so far with it.
  std::vector<Event> wait_for(const std::string& code, std::size_t n = 1) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, kDeadline, [&] { return count_locked(code) >= n; });
    std::vector<Event> out;
    for (const auto& e : events_) {
      if (e.code == code) out.push_back(e);
    }
    return out;
  }
  std::size_t count(const std::string& code) const {
    std::lock_guard lock(mu_);
    return count_locked(code);
  }

 private:
  std::size_t count_locked(const std::string& code) const {
    std::size_t n = 0;
    for (const auto& e : events_) n += e.code == code ? 1 : 0;
    return n;
  }
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Event> events_;
};

TestHttpServer::Route serving(std::function<TestHttpServer::Response()> respond) {
  TestHttpServer::Route r;
  r.respond = std::move(respond);
  return r;
}

TestHttpServer::Route hanging() {
  TestHttpServer::Route r;
  r.hang = true;
  return r;
}

TestHttpServer::Route guarded(TestHttpServer::Auth auth, std::string user, std::string password,
                              std::function<TestHttpServer::Response()> respond) {
  TestHttpServer::Route r = serving(std::move(respond));
  r.auth = auth;
  r.username = std::move(user);
  r.password = std::move(password);
  return r;
}

TestHttpServer::Response jpeg_response(const std::vector<std::uint8_t>& jpeg) {
  return {200, "image/jpeg", std::string(jpeg.begin(), jpeg.end())};
}

class CameraSourceTest : public ::testing::Test {
 protected:
  CameraSourceTest() {
    farm_.zones.push_back({"z1", "z1"});
    farm_.kinds.push_back({"camera", {{"canopy_cover", "%", 0, 100}}});
    farm_.devices.push_back({"cam-z1", "camera", "z1", {}});
    store_ = std::move(SnapshotStore::open(dir_.path()).value());
    green_ = testing::field_jpeg(320, 240, 1.0);
    soil_ = testing::field_jpeg(320, 240, 0.0);
    server_.route("/snap.jpg", serving([this] { return jpeg_response(green_); }));
  }

  config::CameraSource camera(const std::string& path) {
    config::CameraSource c;
    c.name = "cam-z1";
    c.device = "cam-z1";
    c.url = server_.url(path);
    c.timeout = 5s;
    return c;
  }

  std::unique_ptr<CameraSource> make(const config::CameraSource& c, const Clock& clock) {
    auto s =
        CameraSource::create(c, farm_, {sink_, events_, health_, metrics_, clock, log_, *store_});
    EXPECT_TRUE(s) << s.error().message;
    return std::move(s).value();
  }
  std::unique_ptr<CameraSource> make(const config::CameraSource& c) { return make(c, clock_); }

  std::uint64_t failures(const std::string& reason) {
    return metrics_
        .counter("farmgate_camera_failures_total", "", {{"camera", "cam-z1"}, {"reason", reason}})
        .value();
  }
  std::vector<SnapshotInfo> snapshots() { return store_->list("cam-z1").value(); }
  Health::Status health_status() {
    for (const auto& c : health_.snapshot()) {
      if (c.name == "camera/cam-z1") return c.status;
    }
    ADD_FAILURE() << "no health entry";
    return Health::Status::down;
  }

  testing::TempDir dir_;
  config::Config farm_;
  std::unique_ptr<SnapshotStore> store_;
  std::vector<std::uint8_t> green_, soil_;
  TestHttpServer server_;
  RecordingSink sink_;
  RecordingEvents events_;
  Health health_;
  Metrics metrics_;
  FakeClock clock_;
  MemoryLogger log_;
};

TEST_F(CameraSourceTest, FirstSnapshotAtStartBecomesACanopyReadingAndAFile) {
  auto source = make(camera("/snap.jpg"));
  ASSERT_TRUE(source->start());
  auto readings = sink_.wait_for(1);
  ASSERT_EQ(readings.size(), 1u);
  const Reading& r = readings[0];
  EXPECT_EQ(r.device, "cam-z1");
  EXPECT_EQ(r.zone, "z1");
  EXPECT_EQ(r.kind, "camera");
  EXPECT_EQ(r.metric, "canopy_cover");
  EXPECT_EQ(r.unit, "%");
  EXPECT_GT(r.value, 95.0);
  EXPECT_EQ(r.time, clock_.now());
  EXPECT_EQ(r.quality, Quality::good);

  ASSERT_TRUE(eventually([&] {
    for (const auto& c : health_.snapshot()) {
      if (c.name == "camera/cam-z1") return c.detail.starts_with("snapshots from");
    }
    return false;
  }));
  EXPECT_EQ(health_status(), Health::Status::up);
  source->stop();
  auto latest = store_->latest("z1").value();
  ASSERT_TRUE(latest.has_value());
  EXPECT_EQ(latest->reason, "interval");
  EXPECT_EQ(latest->width, 320);
  EXPECT_DOUBLE_EQ(latest->canopy_percent, r.value);
  EXPECT_EQ(std::filesystem::file_size(latest->path), green_.size());
  EXPECT_EQ(latest->path.parent_path(), dir_.path() / "snapshots" / "cam-z1");
  EXPECT_EQ(metrics_.counter("farmgate_camera_snapshots_total", "", {{"camera", "cam-z1"}}).value(),
            1u);
}

TEST_F(CameraSourceTest, RequestsTakeSnapshotsWithTheirReason) {
  auto source = make(camera("/snap.jpg"));
  ASSERT_TRUE(source->start());
  ASSERT_EQ(sink_.wait_for(1).size(), 1u);
  // The field is watered: the next picture shows soil.
  server_.route("/snap.jpg", serving([this] { return jpeg_response(soil_); }));
  clock_.advance(1min);
  ASSERT_TRUE(source->request_snapshot(SnapshotReason::run_start));
  auto readings = sink_.wait_for(2);
  ASSERT_EQ(readings.size(), 2u);
  EXPECT_LT(readings[1].value, 5.0);
  source->stop();
  auto rows = snapshots();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1].reason, "run_start");
  EXPECT_EQ(store_->latest("z1").value()->canopy_percent, readings[1].value);
}

TEST_F(CameraSourceTest, ReasonsTurnedOffInTheConfigAreRefused) {
  auto c = camera("/snap.jpg");
  c.on_alarms = false;
  c.on_runs = false;
  auto source = make(c);
  EXPECT_FALSE(source->request_snapshot(SnapshotReason::manual));  // not started
  ASSERT_TRUE(source->start());
  EXPECT_FALSE(source->request_snapshot(SnapshotReason::alarm));
  EXPECT_FALSE(source->request_snapshot(SnapshotReason::run_end));
  EXPECT_TRUE(source->request_snapshot(SnapshotReason::manual));
  source->stop();
  EXPECT_FALSE(source->request_snapshot(SnapshotReason::manual));
}

TEST_F(CameraSourceTest, DigestAuthIsAnswered) {
  server_.route("/digest.jpg", guarded(TestHttpServer::Auth::digest, "admin", "h1kv1s10n",
                                       [this] { return jpeg_response(green_); }));
  auto c = camera("/digest.jpg?channel=1");
  c.auth = config::CameraAuth::digest;
  c.username = "admin";
  c.password = "h1kv1s10n";
  auto source = make(c);
  ASSERT_TRUE(source->start());
  ASSERT_EQ(sink_.wait_for(1).size(), 1u);
  source->stop();
  EXPECT_GE(server_.challenged("/digest.jpg"), 1);
  EXPECT_EQ(server_.served("/digest.jpg"), 1);
}

TEST_F(CameraSourceTest, AWrongDigestPasswordIsAnAuthFailure) {
  server_.route("/digest.jpg", guarded(TestHttpServer::Auth::digest, "admin", "right",
                                       [this] { return jpeg_response(green_); }));
  auto c = camera("/digest.jpg");
  c.auth = config::CameraAuth::digest;
  c.username = "admin";
  c.password = "wrong";
  auto source = make(c);
  ASSERT_TRUE(source->start());
  ASSERT_TRUE(eventually([&] { return failures("auth") == 1; }));
  source->stop();
  EXPECT_EQ(server_.served("/digest.jpg"), 0);
  EXPECT_TRUE(sink_.all().empty());
  EXPECT_TRUE(snapshots().empty());
}

TEST_F(CameraSourceTest, BasicAuthIsAnswered) {
  server_.route("/basic.jpg", guarded(TestHttpServer::Auth::basic, "viewer", "p@ss:word",
                                      [this] { return jpeg_response(green_); }));
  auto c = camera("/basic.jpg");
  c.auth = config::CameraAuth::basic;
  c.username = "viewer";
  c.password = "p@ss:word";
  auto source = make(c);
  ASSERT_TRUE(source->start());
  ASSERT_EQ(sink_.wait_for(1).size(), 1u);
  source->stop();
  EXPECT_EQ(server_.served("/basic.jpg"), 1);
}

TEST_F(CameraSourceTest, ACameraThatNeverAnswersGoesOfflineThenComesBack) {
  server_.route("/snap.jpg", hanging());
  auto c = camera("/snap.jpg");
  c.timeout = 300ms;
  c.offline_after = 3;
  auto source = make(c);
  ASSERT_TRUE(source->start());  // failure 1
  ASSERT_TRUE(eventually([&] { return failures("timeout") == 1; }));
  // The failure is counted before the health is set, on the camera's thread: wait for both.
  EXPECT_TRUE(eventually([&] { return health_status() == Health::Status::degraded; }));
  EXPECT_TRUE(source->online());
  ASSERT_TRUE(source->request_snapshot(SnapshotReason::manual));
  ASSERT_TRUE(eventually([&] { return failures("timeout") == 2; }));
  EXPECT_EQ(events_.count("camera_offline"), 0u);
  ASSERT_TRUE(source->request_snapshot(SnapshotReason::manual));
  auto offline = events_.wait_for("camera_offline");
  ASSERT_EQ(offline.size(), 1u);
  EXPECT_EQ(offline[0].severity, Severity::alarm);
  EXPECT_EQ(offline[0].source, "camera/cam-z1");
  EXPECT_FALSE(source->online());
  ASSERT_TRUE(eventually([&] { return health_status() == Health::Status::down; }));
  // A fourth failure raises nothing new.
  ASSERT_TRUE(source->request_snapshot(SnapshotReason::manual));
  ASSERT_TRUE(eventually([&] { return failures("timeout") == 4; }));
  EXPECT_EQ(events_.count("camera_offline"), 1u);

  server_.route("/snap.jpg", serving([this] { return jpeg_response(green_); }));
  ASSERT_TRUE(source->request_snapshot(SnapshotReason::manual));
  ASSERT_EQ(events_.wait_for("camera_online").size(), 1u);
  EXPECT_TRUE(source->online());
  ASSERT_TRUE(eventually([&] { return health_status() == Health::Status::up; }));
  EXPECT_EQ(sink_.wait_for(1).size(), 1u);
  source->stop();
}

TEST_F(CameraSourceTest, StopCancelsAFetchInProgress) {
  server_.route("/snap.jpg", hanging());
  auto c = camera("/snap.jpg");
  c.timeout = 60s;
  auto source = make(c);
  ASSERT_TRUE(source->start());
  ASSERT_TRUE(eventually([&] { return server_.served("/snap.jpg") == 1; }));
  const auto t0 = std::chrono::steady_clock::now();
  source->stop();
  // Within curl's progress-callback period (about 1 s), far from the 60 s timeout.
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
  EXPECT_EQ(failures("timeout") + failures("cancelled"), 0u);
}

TEST_F(CameraSourceTest, GarbageIsAClearFailureAndNothingIsStored) {
  server_.route("/snap.jpg", serving([] {
                  return TestHttpServer::Response{200, "text/html", "<html>login</html>"};
                }));
  auto source = make(camera("/snap.jpg"));
  ASSERT_TRUE(source->start());
  ASSERT_TRUE(eventually([&] { return failures("not_jpeg") == 1; }));
  // A JPEG that breaks off in the middle is refused too.
  auto half = green_;
  half.resize(half.size() / 2);
  server_.route("/snap.jpg", serving([half] { return jpeg_response(half); }));
  ASSERT_TRUE(source->request_snapshot(SnapshotReason::manual));
  ASSERT_TRUE(eventually([&] { return failures("bad_jpeg") == 1; }));
  source->stop();
  EXPECT_TRUE(sink_.all().empty());
  EXPECT_TRUE(snapshots().empty());
  bool logged = false;
  for (const auto& line : log_.lines()) {
    logged = logged || line.find("not a JPEG") != std::string::npos;
  }
  EXPECT_TRUE(logged) << ::testing::PrintToString(log_.lines());
}

TEST_F(CameraSourceTest, AnHttpErrorStatusIsAFailure) {
  server_.route("/snap.jpg", serving([] {
                  return TestHttpServer::Response{503, "text/plain", "busy"};
                }));
  auto source = make(camera("/snap.jpg"));
  ASSERT_TRUE(source->start());
  ASSERT_TRUE(eventually([&] { return failures("http_status") == 1; }));
  source->stop();
}

TEST_F(CameraSourceTest, ATooLargeSnapshotIsRefused) {
  auto c = camera("/snap.jpg");
  c.max_snapshot_bytes = green_.size() - 1;
  auto source = make(c);
  ASSERT_TRUE(source->start());
  ASSERT_TRUE(eventually([&] { return failures("too_large") == 1; }));
  source->stop();
  EXPECT_TRUE(snapshots().empty());
}

TEST_F(CameraSourceTest, CoverOutsideTheKindsRangeIsNotAReading) {
  farm_.kinds[0].metrics[0].max = 50;
  auto source = make(camera("/snap.jpg"));
  ASSERT_TRUE(source->start());
  ASSERT_TRUE(eventually([&] { return snapshots().size() == 1; }));
  source->stop();
  EXPECT_TRUE(sink_.all().empty());
}

TEST_F(CameraSourceTest, RetentionBySizeKeepsTheNewest) {
  auto c = camera("/snap.jpg");
  c.max_total_bytes = green_.size() * 5 / 2;  // room for two
  auto source = make(c);
  ASSERT_TRUE(source->start());
  for (std::size_t n = 1; n <= 6; ++n) {
    ASSERT_EQ(sink_.wait_for(n).size(), n);
    clock_.advance(1min);
    if (n < 6) {
      ASSERT_TRUE(source->request_snapshot(SnapshotReason::manual));
    }
  }
  source->stop();
  auto rows = snapshots();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1].time, clock_.now() - 1min);
  EXPECT_EQ(rows[0].time, clock_.now() - 2min);
  std::size_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir_.path() / "snapshots/cam-z1")) {
    files += e.is_regular_file() ? 1 : 0;
  }
  EXPECT_EQ(files, 2u);
  EXPECT_EQ(metrics_.counter("farmgate_camera_deleted_total", "", {{"camera", "cam-z1"}}).value(),
            4u);
}

TEST_F(CameraSourceTest, RetentionByAgeFollowsTheClock) {
  auto c = camera("/snap.jpg");
  c.keep = std::chrono::days{2};
  // Only the requested snapshots: the fake clock jumps days, past any shorter interval.
  c.interval = std::chrono::days{7};
  auto source = make(c);
  ASSERT_TRUE(source->start());
  ASSERT_EQ(sink_.wait_for(1).size(), 1u);
  clock_.advance(std::chrono::days{1});
  ASSERT_TRUE(source->request_snapshot(SnapshotReason::manual));
  ASSERT_EQ(sink_.wait_for(2).size(), 2u);
  ASSERT_TRUE(eventually([&] { return snapshots().size() == 2; }));
  clock_.advance(std::chrono::days{1} + 1min);  // the first is now older than 2 days
  ASSERT_TRUE(source->request_snapshot(SnapshotReason::manual));
  ASSERT_EQ(sink_.wait_for(3).size(), 3u);
  source->stop();
  auto rows = snapshots();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].time, sink_.all()[1].time);
}

TEST_F(CameraSourceTest, TakesSnapshotsAtTheInterval) {
  SystemClock real;
  auto c = camera("/snap.jpg");
  c.interval = 50ms;  // below the config minimum, to keep the test short
  auto source = make(c, real);
  ASSERT_TRUE(source->start());
  ASSERT_GE(sink_.wait_for(3).size(), 3u);
  source->stop();
  const auto count = sink_.all().size();
  for (const auto& row : snapshots()) {
    EXPECT_EQ(row.reason, "interval");
  }
  // Nothing more after stop().
  EXPECT_EQ(sink_.all().size(), count);
}

}  // namespace
}  // namespace farmgate::sensors::camera
