#include "sensors/sim/field_picture.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>

#include "sensors/camera/canopy.h"
#include "sensors/sim/device_servers.h"

namespace farmgate::sim {
namespace {

constexpr std::int64_t kStart = 1'767'225'600'000;
constexpr Millis kDay{86'400'000};

// What farmgate's camera source measures, at full size.
double measured_cover(const std::vector<std::uint8_t>& jpeg, int* width = nullptr,
                      int* height = nullptr) {
  sensors::camera::CanopyOptions options;
  options.min_analysis_width = 0;
  auto image = sensors::camera::analyse_jpeg(jpeg, options);
  EXPECT_TRUE(image.ok()) << image.error().message;
  if (!image) return -1;
  if (width != nullptr) *width = image->width;
  if (height != nullptr) *height = image->height;
  return image->cover_percent;
}

TEST(CanopyGrowthTest, GrowsFromTheStartTowardsTheMaximum) {
  const CanopyGrowth g{40, 70, 12};
  EXPECT_DOUBLE_EQ(canopy_cover(g, Millis{0}), 40);
  EXPECT_DOUBLE_EQ(canopy_cover(g, -kDay), 40);  // before the start: as at the start
  double previous = 40;
  for (int day = 1; day <= 60; ++day) {
    const double c = canopy_cover(g, kDay * day);
    EXPECT_GT(c, previous) << "day " << day;
    EXPECT_LT(c, 70) << "day " << day;
    previous = c;
  }
  // One growth time closes 1 - 1/e of the gap.
  EXPECT_NEAR(canopy_cover(g, kDay * 12), 70 - 30 / std::exp(1.0), 1e-9);
  EXPECT_NEAR(canopy_cover(g, kDay * 1000), 70, 1e-6);
}

TEST(FieldPictureTest, FarmgateMeasuresTheDrawnCover) {
  for (double cover : {0.0, 25.0, 40.0, 55.0, 70.0, 100.0}) {
    SCOPED_TRACE(cover);
    int width = 0;
    int height = 0;
    const double measured = measured_cover(field_jpeg(640, 360, cover, 3), &width, &height);
    EXPECT_EQ(width, 640);
    EXPECT_EQ(height, 360);
    EXPECT_NEAR(measured, cover, 2.0);
  }
}

TEST(FieldPictureTest, SeedMovesTheRowsButNotTheCover) {
  const auto a = field_jpeg(640, 360, 50, 1);
  const auto b = field_jpeg(640, 360, 50, 2);
  EXPECT_NE(a, b);
  EXPECT_NEAR(measured_cover(a), measured_cover(b), 1.0);
  EXPECT_EQ(field_jpeg(640, 360, 50, 1), a);  // deterministic
}

TEST(ZoneSnapshotTest, GreenShareFollowsTheCanopyOfTheModelsTime) {
  SimOptions o;
  o.canopy = {40, 70, 12};
  std::atomic<std::int64_t> steady_ms{0};
  FarmLink farm(FarmModel(o.farm, o.seed, from_epoch_ms(kStart)),
                SimClock{from_epoch_ms(kStart), {}, 3600},  // an hour per second
                [&] { return std::chrono::steady_clock::time_point{Millis{steady_ms.load()}}; });
  farm.start_clock();

  auto first = zone_snapshot(o, farm, "z1");
  ASSERT_TRUE(first);
  const double at_start = measured_cover(*first);
  EXPECT_NEAR(at_start, 40, 2.0);

  steady_ms = 10 * 24 * 1000;  // ten simulated days
  auto later = zone_snapshot(o, farm, "z2");
  ASSERT_TRUE(later);
  const double expected = canopy_cover(o.canopy, kDay * 10);
  EXPECT_NEAR(measured_cover(*later), expected, 2.0);
  EXPECT_GT(measured_cover(*later), at_start + 10);

  EXPECT_FALSE(zone_snapshot(o, farm, "z9"));
}

}  // namespace
}  // namespace farmgate::sim
