// analyse_jpeg and the excess-green index: green fields read high, bare soil low, the share of
// green tracks the picture, and corrupt or hostile input is an error, never a crash.
#include "sensors/camera/canopy.h"

#include <gtest/gtest.h>

#include <cmath>

#include <random>

#include "sensors/camera/test_images.h"

namespace farmgate::sensors::camera {
namespace {

using testing::field_jpeg;

TEST(ExcessGreenTest, LeafIsGreenSoilAndGreyAreNot) {
  EXPECT_TRUE(is_green(50, 150, 40, 0.1));
  EXPECT_FALSE(is_green(150, 110, 80, 0.1));   // dry brown soil
  EXPECT_FALSE(is_green(128, 128, 128, 0.0));  // grey: ExG is exactly 0
  EXPECT_FALSE(is_green(0, 0, 0, -1.0));       // black has no chromaticity
  // ExG of (60, 100, 60) is 2*0.4545 - 2*0.2727 = 0.364: green below that threshold only.
  EXPECT_TRUE(is_green(60, 100, 60, 0.35));
  EXPECT_FALSE(is_green(60, 100, 60, 0.37));
}

TEST(CanopyTest, AGreenFieldReadsHighAndBareSoilLow) {
  auto green = analyse_jpeg(field_jpeg(320, 240, 1.0), {});
  ASSERT_TRUE(green) << green.error().message;
  EXPECT_GT(green->cover_percent, 95.0);
  EXPECT_EQ(green->width, 320);
  EXPECT_EQ(green->height, 240);

  auto soil = analyse_jpeg(field_jpeg(320, 240, 0.0), {});
  ASSERT_TRUE(soil) << soil.error().message;
  EXPECT_LT(soil->cover_percent, 5.0);
}

TEST(CanopyTest, CoverFollowsTheShareOfGreen) {
  for (double share : {0.25, 0.5, 0.8}) {
    auto r = analyse_jpeg(field_jpeg(400, 200, share), {});
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_NEAR(r->cover_percent, share * 100, 2.0) << share;
  }
}

TEST(CanopyTest, CoverHasTwoDecimalsAtMost) {
  // 1/3 green: an unrounded share would be 33.333...
  auto r = analyse_jpeg(field_jpeg(300, 200, 1.0 / 3.0), {});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_DOUBLE_EQ(r->cover_percent, std::round(r->cover_percent * 100) / 100);
  EXPECT_NEAR(r->cover_percent, 100.0 / 3.0, 2.0);
}

TEST(CanopyTest, ReducedScaleKeepsTheCover) {
  const auto jpeg = field_jpeg(1920, 1080, 0.4);
  CanopyOptions full;
  full.min_analysis_width = 0;
  auto a = analyse_jpeg(jpeg, full);
  auto b = analyse_jpeg(jpeg, {});
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->analysed_width, 1920);
  EXPECT_EQ(b->analysed_width, 960);  // 1/2: the smallest scale still >= 960 wide
  CanopyOptions quarter;
  quarter.min_analysis_width = 480;
  auto q = analyse_jpeg(jpeg, quarter);
  ASSERT_TRUE(q);
  EXPECT_EQ(q->analysed_width, 480);
  EXPECT_EQ(q->analysed_height, 270);
  EXPECT_EQ(b->width, 1920);
  EXPECT_NEAR(a->cover_percent, b->cover_percent, 1.0);
}

TEST(CanopyTest, AHigherThresholdCountsFewerPixels) {
  // A gradient from grey to green, G = 100 + x/2 with R = B = 100: ExG = (2G - 200) / (G + 200)
  // passes 0.05 from G = 108 (x = 16) and 0.2 from G = 134 (x = 68).
  const auto jpeg = testing::encode_jpeg(256, 64, [](int x, int) {
    return testing::Rgb{100, static_cast<std::uint8_t>(100 + x / 2), 100};
  });
  CanopyOptions low, high;
  low.exg_threshold = 0.05;
  high.exg_threshold = 0.2;
  auto a = analyse_jpeg(jpeg, low);
  auto b = analyse_jpeg(jpeg, high);
  ASSERT_TRUE(a && b);
  EXPECT_NEAR(a->cover_percent, 100.0 * (256 - 16) / 256, 2.0);
  EXPECT_NEAR(b->cover_percent, 100.0 * (256 - 68) / 256, 2.0);
}

TEST(CanopyTest, RefusesWhatIsNotAJpeg) {
  const std::string html = "<html>401 Unauthorized</html>";
  auto r = analyse_jpeg({reinterpret_cast<const std::uint8_t*>(html.data()), html.size()}, {});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "not_jpeg");
  EXPECT_FALSE(analyse_jpeg({}, {}));
}

TEST(CanopyTest, RefusesATruncatedJpeg) {
  auto jpeg = field_jpeg(320, 240, 1.0);
  jpeg.resize(jpeg.size() / 2);
  auto r = analyse_jpeg(jpeg, {});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "bad_jpeg");
}

TEST(CanopyTest, RefusesAHeaderClaimingAHugeImage) {
  auto jpeg = field_jpeg(64, 64, 1.0);
  // The SOF0 marker's height and width fields: make the image 65000 x 65000.
  for (std::size_t i = 0; i + 8 < jpeg.size(); ++i) {
    if (jpeg[i] == 0xFF && jpeg[i + 1] == 0xC0) {
      jpeg[i + 5] = 0xFD;
      jpeg[i + 6] = 0xE8;
      jpeg[i + 7] = 0xFD;
      jpeg[i + 8] = 0xE8;
      break;
    }
  }
  auto r = analyse_jpeg(jpeg, {});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "too_large");
}

// Random damage to a valid JPEG: each result is either a cover in 0..100 or an error. A crash,
// an exit() from libjpeg's default handler or a sanitizer report fails the test.
TEST(CanopyFuzzTest, CorruptJpegsNeverCrash) {
  const auto good = field_jpeg(160, 120, 0.5);
  std::mt19937 rng(20261123);
  int errors = 0;
  for (int round = 0; round < 2000; ++round) {
    auto bytes = good;
    std::uniform_int_distribution<std::size_t> pos(2, bytes.size() - 1);
    const int flips = 1 + round % 16;
    for (int i = 0; i < flips; ++i) bytes[pos(rng)] = static_cast<std::uint8_t>(rng());
    if (round % 5 == 0) bytes.resize(pos(rng));
    auto r = analyse_jpeg(bytes, {});
    if (!r) {
      ++errors;
      EXPECT_FALSE(r.error().message.empty());
      continue;
    }
    EXPECT_GE(r->cover_percent, 0.0);
    EXPECT_LE(r->cover_percent, 100.0);
  }
  // Some of the damage must have been caught, or the test did not exercise the error path.
  EXPECT_GT(errors, 100);
}

}  // namespace
}  // namespace farmgate::sensors::camera
