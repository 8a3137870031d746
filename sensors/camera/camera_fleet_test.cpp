// CameraFleet: runs and alarms reach the cameras of their zone, the cameras' own events do not
// loop back, and latest() answers per zone.
#include "sensors/camera/camera_fleet.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>

#include "sensors/camera/test_http_server.h"
#include "sensors/camera/test_images.h"
#include "sensors/camera/test_temp_dir.h"

namespace farmgate::sensors::camera {
namespace {

using namespace std::chrono_literals;
using testing::TestHttpServer;

class CountingSink final : public ReadingSink {
 public:
  Result<void> accept(ReadingBatch batch) override {
    {
      std::lock_guard lock(mu_);
      for (auto& r : batch) readings_.push_back(std::move(r));
    }
    cv_.notify_all();
    return {};
  }
  std::vector<Reading> wait_for(std::size_t n) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, 10s, [&] { return readings_.size() >= n; });
    return readings_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Reading> readings_;
};

class NullEvents final : public EventSink {
 public:
  void raise(Event) override {}
};

TestHttpServer::Route serving(const std::vector<std::uint8_t>& jpeg) {
  TestHttpServer::Route r;
  r.respond = [jpeg] {
    return TestHttpServer::Response{200, "image/jpeg", std::string(jpeg.begin(), jpeg.end())};
  };
  return r;
}

class CameraFleetTest : public ::testing::Test {
 protected:
  CameraFleetTest() {
    server_.route("/z1.jpg", serving(testing::field_jpeg(160, 120, 1.0)));
    server_.route("/z2.jpg", serving(testing::field_jpeg(160, 120, 0.0)));
    farm_.data_dir = dir_.path().string();
    farm_.kinds.push_back({"camera", {{"canopy_cover", "%", 0, 100}}});
    for (const std::string zone : {"z1", "z2"}) {
      farm_.zones.push_back({zone, zone});
      farm_.devices.push_back({"cam-" + zone, "camera", zone, {}});
      config::CameraSource c;
      c.name = "cam-" + zone;
      c.device = "cam-" + zone;
      c.url = server_.url("/" + zone + ".jpg");
      farm_.cameras.push_back(c);
    }
    auto fleet = CameraFleet::create(farm_, {sink_, events_, health_, metrics_, clock_, log_});
    EXPECT_TRUE(fleet) << fleet.error().message;
    fleet_ = std::move(fleet).value();
  }

  std::vector<std::string> reasons(const std::string& camera) {
    std::vector<std::string> out;
    auto rows = fleet_->store().list(camera);
    EXPECT_TRUE(rows);
    if (!rows) return out;
    for (const auto& s : *rows) out.push_back(s.reason);
    return out;
  }

  testing::TempDir dir_;
  TestHttpServer server_;
  config::Config farm_;
  CountingSink sink_;
  NullEvents events_;
  Health health_;
  Metrics metrics_;
  FakeClock clock_;
  MemoryLogger log_;
  std::unique_ptr<CameraFleet> fleet_;
};

TEST_F(CameraFleetTest, RunsReachOnlyTheCamerasOfTheirZone) {
  ASSERT_TRUE(fleet_->start());
  ASSERT_EQ(sink_.wait_for(2).size(), 2u);  // one at start from each camera
  fleet_->on_run("z2", true);
  auto readings = sink_.wait_for(3);
  ASSERT_EQ(readings.size(), 3u);
  EXPECT_EQ(readings[2].device, "cam-z2");
  fleet_->on_run("z2", false);
  ASSERT_EQ(sink_.wait_for(4).size(), 4u);
  fleet_->stop();
  EXPECT_EQ(reasons("cam-z2"), (std::vector<std::string>{"interval", "run_start", "run_end"}));
  EXPECT_EQ(reasons("cam-z1"), (std::vector<std::string>{"interval"}));
}

TEST_F(CameraFleetTest, AlarmsButNotTheCamerasOwnEventsTakeSnapshots) {
  ASSERT_TRUE(fleet_->start());
  ASSERT_EQ(sink_.wait_for(2).size(), 2u);
  fleet_->on_alarm(Event{Severity::alarm, "camera_offline", "camera/cam-z1", "", clock_.now()});
  fleet_->on_alarm(Event{Severity::info, "run_started", "rules", "", clock_.now()});
  // Queued behind anything the two events above may have queued.
  ASSERT_TRUE(fleet_->request_snapshot("cam-z1"));
  ASSERT_TRUE(fleet_->request_snapshot("cam-z2"));
  ASSERT_EQ(sink_.wait_for(4).size(), 4u);
  EXPECT_EQ(reasons("cam-z1"), (std::vector<std::string>{"interval", "manual"}));

  fleet_->on_alarm(Event{Severity::alarm, "no_flow", "supervisor", "", clock_.now()});
  ASSERT_EQ(sink_.wait_for(6).size(), 6u);
  fleet_->stop();
  EXPECT_EQ(reasons("cam-z1").back(), "alarm");
  EXPECT_EQ(reasons("cam-z2").back(), "alarm");
  EXPECT_FALSE(fleet_->request_snapshot("cam-z9"));
}

TEST_F(CameraFleetTest, LatestAnswersPerZone) {
  ASSERT_TRUE(fleet_->start());
  ASSERT_EQ(sink_.wait_for(2).size(), 2u);
  fleet_->stop();
  auto z1 = fleet_->latest("z1").value();
  auto z2 = fleet_->latest("z2").value();
  ASSERT_TRUE(z1 && z2);
  EXPECT_EQ(z1->camera, "cam-z1");
  EXPECT_GT(z1->canopy_percent, 95);
  EXPECT_LT(z2->canopy_percent, 5);
  EXPECT_TRUE(std::filesystem::exists(z1->path));
  EXPECT_FALSE(fleet_->latest("z3").value().has_value());
}

}  // namespace
}  // namespace farmgate::sensors::camera
