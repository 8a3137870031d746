// Sources of type camera: what is read, the defaults, and each mistake with the message
// `farmgate check` prints (file:line:col).
#include <gtest/gtest.h>

#include "config/loader.h"
#include "config/test_util.h"

namespace farmgate::config {
namespace {

using namespace std::chrono_literals;
using namespace farmgate::config::testing;

// A farm with a camera device in z1; `camera` is the sources[0] item's keys after name and type.
std::string farm_text(std::string_view camera, std::string_view camera_kind =
                                                   "canopy_cover: {unit: \"%\", min: 0, "
                                                   "max: 100}") {
  return yaml(R"(
site: demo-farm
zones:
  - id: z1
kinds:
  soil:
    moisture: {unit: "%", min: 0, max: 100}
  camera:
    )") + std::string(camera_kind) +
         "\n" + yaml(R"(
devices:
  - {id: soil-z1, kind: soil, zone: z1}
  - {id: cam-z1, kind: camera, zone: z1}
sources:
  - name: cam-z1
    type: camera
)") + std::string(camera);
}

constexpr std::string_view kGood = R"(    device: cam-z1
    url: http://192.168.1.64/ISAPI/Streaming/channels/101/picture
    username: ${CAM_USER:-admin}
    password: ${CAM_PASSWORD}
    auth: digest
    interval: 15m
    timeout: 10s
    on_runs: true
    on_alarms: false
    keep_days: 30
    max_total_mb: 500
    exg_threshold: 0.12
    tls_verify: false
    offline_after: 4
)";

TEST(CameraConfigTest, ReadsEveryKey) {
  const Config c = load_ok(farm_text(kGood), env_of({{"CAM_PASSWORD", "s3cret"}}));
  ASSERT_EQ(c.cameras.size(), 1u);
  const CameraSource& cam = c.cameras[0];
  EXPECT_EQ(cam.name, "cam-z1");
  EXPECT_EQ(cam.device, "cam-z1");
  EXPECT_EQ(cam.url, "http://192.168.1.64/ISAPI/Streaming/channels/101/picture");
  EXPECT_EQ(cam.username, "admin");
  EXPECT_EQ(cam.password, "s3cret");
  EXPECT_EQ(cam.auth, CameraAuth::digest);
  EXPECT_EQ(cam.interval, Millis{15min});
  EXPECT_EQ(cam.timeout, Millis{10s});
  EXPECT_TRUE(cam.on_runs);
  EXPECT_FALSE(cam.on_alarms);
  EXPECT_EQ(cam.keep, Millis{std::chrono::days{30}});
  EXPECT_EQ(cam.max_total_bytes, 500u << 20);
  EXPECT_DOUBLE_EQ(cam.exg_threshold, 0.12);
  EXPECT_FALSE(cam.tls_verify);
  EXPECT_EQ(cam.offline_after, 4u);
}

TEST(CameraConfigTest, DefaultsForAnOpenCamera) {
  const Config c = load_ok(farm_text("    device: cam-z1\n    url: https://cam.local/snap.jpg\n"));
  ASSERT_EQ(c.cameras.size(), 1u);
  const CameraSource& cam = c.cameras[0];
  EXPECT_EQ(cam.auth, CameraAuth::none);
  EXPECT_TRUE(cam.tls_verify);
  EXPECT_EQ(cam.interval, Millis{15min});
  EXPECT_EQ(cam.keep, Millis{std::chrono::days{30}});
  EXPECT_DOUBLE_EQ(cam.exg_threshold, 0.1);
  EXPECT_EQ(cam.offline_after, 3u);
}

TEST(CameraConfigTest, AcceptsAQueryInTheUrl) {
  const Config c = load_ok(
      farm_text("    device: cam-z1\n    url: http://10.0.0.9/cgi-bin/snapshot.cgi?channel=1\n"));
  ASSERT_EQ(c.cameras.size(), 1u);
  EXPECT_EQ(c.cameras[0].url, "http://10.0.0.9/cgi-bin/snapshot.cgi?channel=1");
}

TEST(CameraConfigTest, RefusesABadUrlAtItsPlace) {
  const std::string e =
      only_error(farm_text("    device: cam-z1\n    url: rtsp://192.168.1.64/stream1\n"));
  // sources[0].url is on line 16, its value at column 10.
  EXPECT_EQ(e.rfind("farm.yaml:16:10: ", 0), 0u) << e;
  EXPECT_NE(e.find("http"), std::string::npos) << e;
}

TEST(CameraConfigTest, RefusesCredentialsInTheUrl) {
  const std::string e =
      only_error(farm_text("    device: cam-z1\n    url: http://admin:pw@192.168.1.64/snap.jpg\n"));
  EXPECT_EQ(e.rfind("farm.yaml:16:10: ", 0), 0u) << e;
}

TEST(CameraConfigTest, RefusesAuthWithoutAUsername) {
  const std::string e = only_error(
      farm_text("    device: cam-z1\n    url: http://192.168.1.64/snap.jpg\n    auth: basic\n"));
  EXPECT_EQ(e.rfind("farm.yaml:17:11: ", 0), 0u) << e;
  EXPECT_NE(e.find("auth basic needs a username"), std::string::npos) << e;
}

TEST(CameraConfigTest, RefusesAUsernameWithoutAuth) {
  const std::string e = only_error(farm_text(
      "    device: cam-z1\n    url: http://192.168.1.64/snap.jpg\n    username: admin\n"));
  EXPECT_NE(e.find("username is set but auth is none"), std::string::npos) << e;
}

TEST(CameraConfigTest, RefusesAnUnknownAuth) {
  const std::string e = only_error(
      farm_text("    device: cam-z1\n    url: http://h/s.jpg\n    username: a\n    auth: ntlm\n"));
  EXPECT_NE(e.find("unknown auth 'ntlm'; expected one of: none, basic, digest, any"),
            std::string::npos)
      << e;
}

TEST(CameraConfigTest, RefusesAnUnknownDevice) {
  const std::string e = only_error(farm_text("    device: cam-z9\n    url: http://h/s.jpg\n"));
  EXPECT_EQ(e.rfind("farm.yaml:15:13: ", 0), 0u) << e;
  EXPECT_NE(e.find("unknown device 'cam-z9'"), std::string::npos) << e;
}

TEST(CameraConfigTest, RefusesADeviceWhoseKindHasNoCanopyCover) {
  const std::string e = only_error(farm_text("    device: soil-z1\n    url: http://h/s.jpg\n"));
  EXPECT_EQ(e.rfind("farm.yaml:15:13: ", 0), 0u) << e;
  EXPECT_NE(e.find("is of kind 'soil', which has no metric canopy_cover"), std::string::npos) << e;
}

TEST(CameraConfigTest, RefusesCanopyCoverInAnotherUnit) {
  const std::string e = only_error(farm_text("    device: cam-z1\n    url: http://h/s.jpg\n",
                                             "canopy_cover: {unit: ratio, min: 0, max: 1}"));
  EXPECT_NE(e.find("must have unit \"%\""), std::string::npos) << e;
}

TEST(CameraConfigTest, RefusesOutOfRangeValuesAndUnknownKeys) {
  auto errors = errors_of(
      farm_text("    device: cam-z1\n    url: http://h/s.jpg\n    interval: 1s\n    keep_days: 0\n"
                "    exg_threshold: 3\n    max_total_mb: 0\n    snapshot_dir: /tmp\n"));
  ASSERT_EQ(errors.size(), 5u) << ::testing::PrintToString(errors);
  EXPECT_NE(errors[0].find("interval"), std::string::npos) << errors[0];
  EXPECT_NE(errors[1].find("keep_days"), std::string::npos) << errors[1];
  EXPECT_NE(errors[2].find("exg_threshold must be between -1 and 2"), std::string::npos);
  EXPECT_NE(errors[3].find("max_total_mb"), std::string::npos) << errors[3];
  EXPECT_NE(errors[4].find("unknown key 'snapshot_dir'"), std::string::npos) << errors[4];
}

TEST(CameraConfigTest, RefusesAMissingUrl) {
  const std::string e = only_error(farm_text("    device: cam-z1\n"));
  EXPECT_NE(e.find("missing required key 'url'"), std::string::npos) << e;
}

}  // namespace
}  // namespace farmgate::config
