// SnapshotStore: files and index rows together, latest() per zone, retention by age and by size.
#include "sensors/camera/snapshot_store.h"

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <iterator>

#include "sensors/camera/test_temp_dir.h"

namespace farmgate::sensors::camera {
namespace {

using namespace std::chrono_literals;
using testing::TempDir;

const Timestamp kT0 = from_epoch_ms(1'767'225'600'000);  // 2026-01-01T00:00Z

std::vector<std::uint8_t> bytes_of(std::size_t n, std::uint8_t fill) {
  return std::vector<std::uint8_t>(n, fill);
}

SnapshotInfo info(std::string camera, std::string zone, Timestamp t, double canopy = 50) {
  SnapshotInfo i;
  i.camera = std::move(camera);
  i.zone = std::move(zone);
  i.time = t;
  i.width = 640;
  i.height = 480;
  i.canopy_percent = canopy;
  i.reason = "interval";
  return i;
}

std::vector<std::uint8_t> read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(FileStampTest, IsUtcWithMillisecondsAndNoColons) {
  EXPECT_EQ(file_stamp(kT0 + 5h + 30min + 7s + 123ms), "20260101T053007.123Z");
}

TEST(SnapshotStoreTest, WritesTheFileAndIndexesIt) {
  TempDir dir;
  auto store = SnapshotStore::open(dir.path());
  ASSERT_TRUE(store) << store.error().message;
  const auto jpeg = bytes_of(1000, 0xAB);
  auto added = (*store)->add(info("cam-z1", "z1", kT0, 61.5), jpeg);
  ASSERT_TRUE(added) << added.error().message;
  EXPECT_EQ(added->path, dir.path() / "snapshots/cam-z1/20260101T000000.000Z.jpg");
  EXPECT_EQ(added->bytes, 1000u);
  EXPECT_EQ(read_file(added->path), jpeg);
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "snapshots.db"));

  auto latest = (*store)->latest("z1");
  ASSERT_TRUE(latest);
  ASSERT_TRUE(latest->has_value());
  EXPECT_EQ(**latest, *added);
  EXPECT_DOUBLE_EQ((*latest)->canopy_percent, 61.5);
}

TEST(SnapshotStoreTest, TwoSnapshotsInOneMillisecondKeepBoth) {
  TempDir dir;
  auto store = std::move(SnapshotStore::open(dir.path()).value());
  auto a = store->add(info("cam", "z1", kT0), bytes_of(10, 1));
  auto b = store->add(info("cam", "z1", kT0), bytes_of(10, 2));
  ASSERT_TRUE(a && b);
  EXPECT_NE(a->path, b->path);
  EXPECT_EQ(read_file(a->path), bytes_of(10, 1));
  EXPECT_EQ(read_file(b->path), bytes_of(10, 2));
}

TEST(SnapshotStoreTest, LatestIsTheNewestOfTheZoneOnly) {
  TempDir dir;
  auto store = std::move(SnapshotStore::open(dir.path()).value());
  ASSERT_TRUE(store->add(info("cam-a", "z1", kT0 + 2min, 20), bytes_of(10, 1)));
  ASSERT_TRUE(store->add(info("cam-b", "z1", kT0 + 5min, 30), bytes_of(10, 2)));
  ASSERT_TRUE(store->add(info("cam-a", "z1", kT0 + 1min, 10), bytes_of(10, 3)));  // late write
  ASSERT_TRUE(store->add(info("cam-c", "z2", kT0 + 9min, 90), bytes_of(10, 4)));
  auto z1 = store->latest("z1");
  ASSERT_TRUE(z1 && z1->has_value());
  EXPECT_EQ((*z1)->camera, "cam-b");
  EXPECT_EQ((*z1)->time, kT0 + 5min);
  auto z3 = store->latest("z3");
  ASSERT_TRUE(z3);
  EXPECT_FALSE(z3->has_value());
}

TEST(SnapshotStoreTest, SurvivesReopening) {
  TempDir dir;
  {
    auto store = std::move(SnapshotStore::open(dir.path()).value());
    ASSERT_TRUE(store->add(info("cam", "z1", kT0), bytes_of(10, 1)));
  }
  auto store = std::move(SnapshotStore::open(dir.path()).value());
  auto z1 = store->latest("z1");
  ASSERT_TRUE(z1 && z1->has_value());
  EXPECT_EQ((*z1)->time, kT0);
}

TEST(SnapshotStoreTest, SizeLimitDeletesTheOldestFirst) {
  TempDir dir;
  auto store = std::move(SnapshotStore::open(dir.path()).value());
  std::vector<std::filesystem::path> paths;
  for (int i = 0; i < 20; ++i) {
    auto a = store->add(info("cam", "z1", kT0 + i * 1min), bytes_of(1000, 7));
    ASSERT_TRUE(a);
    paths.push_back(a->path);
  }
  // Another camera's files do not count against this camera's limit, nor are they touched.
  auto other = store->add(info("other", "z2", kT0), bytes_of(5000, 9));
  ASSERT_TRUE(other);

  auto pruned = store->prune("cam", kT0 + 20min, Millis{std::chrono::days{30}}, 7500);
  ASSERT_TRUE(pruned) << pruned.error().message;
  EXPECT_EQ(pruned->files, 13u);
  EXPECT_EQ(pruned->bytes, 13000u);
  EXPECT_EQ(store->total_bytes("cam").value(), 7000u);
  auto rows = store->list("cam");
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows->size(), 7u);
  EXPECT_EQ(rows->front().time, kT0 + 13min);
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(std::filesystem::exists(paths[i]), i >= 13) << i;
  }
  EXPECT_TRUE(std::filesystem::exists(other->path));
  EXPECT_EQ(store->total_bytes("other").value(), 5000u);
}

TEST(SnapshotStoreTest, AgeLimitDeletesOldSnapshots) {
  TempDir dir;
  auto store = std::move(SnapshotStore::open(dir.path()).value());
  for (int day = 0; day < 10; ++day) {
    ASSERT_TRUE(store->add(info("cam", "z1", kT0 + std::chrono::days{day}), bytes_of(100, 1)));
  }
  // Keep 3 days at day 10: days 7, 8 and 9 stay (day 7 is exactly 3 days old).
  auto pruned =
      store->prune("cam", kT0 + std::chrono::days{10}, Millis{std::chrono::days{3}}, 1'000'000);
  ASSERT_TRUE(pruned);
  EXPECT_EQ(pruned->files, 7u);
  auto rows = store->list("cam").value();
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows.front().time, kT0 + std::chrono::days{7});
}

TEST(SnapshotStoreTest, TheNewestSnapshotIsKeptEvenOverTheLimits) {
  TempDir dir;
  auto store = std::move(SnapshotStore::open(dir.path()).value());
  ASSERT_TRUE(store->add(info("cam", "z1", kT0), bytes_of(5000, 1)));
  auto newest = store->add(info("cam", "z1", kT0 + 1min), bytes_of(5000, 2));
  ASSERT_TRUE(newest);
  auto pruned = store->prune("cam", kT0 + std::chrono::days{100}, Millis{std::chrono::days{1}}, 10);
  ASSERT_TRUE(pruned);
  EXPECT_EQ(pruned->files, 1u);
  EXPECT_TRUE(std::filesystem::exists(newest->path));
  EXPECT_EQ(store->latest("z1").value()->path, newest->path);
}

TEST(SnapshotStoreTest, RefusesACameraNameThatIsAPath) {
  TempDir dir;
  auto store = std::move(SnapshotStore::open(dir.path()).value());
  auto r = store->add(info("../etc", "z1", kT0), bytes_of(10, 1));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "bad_camera");
}

TEST(SnapshotStoreTest, OpenFailsClearlyWhereItCannotWrite) {
  TempDir dir;
  const auto file = dir.path() / "not-a-dir";
  std::ofstream(file) << "x";
  auto store = SnapshotStore::open(file);
  ASSERT_FALSE(store);
  EXPECT_NE(store.error().message.find("not-a-dir"), std::string::npos) << store.error().message;
}

}  // namespace
}  // namespace farmgate::sensors::camera
