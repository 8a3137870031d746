// The ocop: section and zones' area_m2: what is read, and each mistake at its place.
#include <gtest/gtest.h>

#include "config/loader.h"
#include "config/test_util.h"

namespace farmgate::config {
namespace {

using namespace farmgate::config::testing;

// Line 2 is `ocop:`, its keys from line 3 on; the zone is after them.
std::string farm_text(std::string_view ocop_keys, std::string_view area = "5000") {
  return "site: demo-farm\nocop:\n" + std::string(ocop_keys) +
         "zones:\n  - id: z1\n    area_m2: " + std::string(area) + "\n";
}

TEST(OcopConfigTest, ReadsBothUrlsAndTheZoneArea) {
  const Config c =
      load_ok(farm_text("  gs1_base_url: https://htx.example.vn/\n"
                        "  lot_url: https://check.example.vn/lo/{lot}\n"));
  EXPECT_EQ(c.ocop.gs1_base_url, "https://htx.example.vn");  // the trailing slash dropped
  EXPECT_EQ(c.ocop.lot_url, "https://check.example.vn/lo/{lot}");
  ASSERT_EQ(c.zones.size(), 1u);
  EXPECT_DOUBLE_EQ(c.zones[0].area_m2, 5000);
}

TEST(OcopConfigTest, EverythingIsOptional) {
  const Config c = load_ok("site: demo-farm\nzones:\n  - id: z1\n");
  EXPECT_TRUE(c.ocop.gs1_base_url.empty());
  EXPECT_TRUE(c.ocop.lot_url.empty());
  EXPECT_DOUBLE_EQ(c.zones[0].area_m2, 0);
}

TEST(OcopConfigTest, ALotUrlNeedsThePlaceOfTheLot) {
  const std::string e = only_error(farm_text("  lot_url: https://htx.example.vn/lo\n"));
  EXPECT_EQ(e.rfind("farm.yaml:3:12: ", 0), 0u) << e;
  EXPECT_NE(e.find("{lot}"), std::string::npos) << e;
}

TEST(OcopConfigTest, UrlsMustBeWebAddressesAPhoneOpens) {
  const std::string e = only_error(farm_text("  gs1_base_url: ftp://htx.example.vn\n"));
  EXPECT_EQ(e.rfind("farm.yaml:3:17: ", 0), 0u) << e;
  EXPECT_NE(e.find("https://"), std::string::npos) << e;
  const std::string space = only_error(farm_text("  lot_url: \"https://h x/{lot}\"\n"));
  EXPECT_EQ(space.rfind("farm.yaml:3:12: ", 0), 0u) << space;
}

TEST(OcopConfigTest, UnknownKeysAreNamed) {
  const std::string e = only_error(farm_text("  base: https://htx.example.vn\n"));
  EXPECT_NE(e.find("unknown key 'base' in ocop"), std::string::npos) << e;
}

TEST(OcopConfigTest, AZoneAreaMustBePositive) {
  for (const char* bad : {"0", "-5"}) {
    const std::string e = only_error(farm_text("  lot_url: https://h.vn/{lot}\n", bad));
    EXPECT_EQ(e.rfind("farm.yaml:6:14: ", 0), 0u) << bad << ": " << e;
    EXPECT_NE(e.find("area_m2 must be above 0"), std::string::npos) << e;
  }
}

}  // namespace
}  // namespace farmgate::config
