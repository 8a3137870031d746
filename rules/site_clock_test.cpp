// SiteClock: local calendar facts, unknown before the clock is synchronised or without location.
#include "rules/site_clock.h"

#include <gtest/gtest.h>

namespace farmgate::rules {
namespace {

using namespace std::chrono_literals;

SiteClock clock_for(const char* zone, config::SiteLocation loc = {}) {
  auto tz = SiteTime::load(zone);
  EXPECT_TRUE(tz.ok());
  return SiteClock(std::move(tz).value(), loc);
}

const Timestamp kNoonUtc = from_epoch_ms(1'767'268'800'000);  // 2026-01-01T12:00Z, a Thursday

TEST(SiteClockTest, TimeOfDayAndWeekdayInUtc) {
  const SiteClock c = clock_for("UTC");
  EXPECT_EQ(c.time_of_day(kNoonUtc + 1234ms), Millis{12h + 1234ms});
  EXPECT_EQ(c.weekday(kNoonUtc), std::chrono::Thursday);
}

TEST(SiteClockTest, TimeOfDayInHoChiMinhIsSevenHoursAhead) {
  const SiteClock c = clock_for("Asia/Ho_Chi_Minh");
  EXPECT_EQ(c.time_of_day(kNoonUtc), Millis{19h});
  // 20:00Z is 03:00 the next morning, a Friday.
  EXPECT_EQ(c.time_of_day(kNoonUtc + 8h), Millis{3h});
  EXPECT_EQ(c.weekday(kNoonUtc + 8h), std::chrono::Friday);
}

TEST(SiteClockTest, EverythingUnknownBeforeClockSynchronised) {
  const SiteClock c = clock_for("UTC", {true, 10.03, 105.78, 0});
  const Timestamp boot = from_epoch_ms(60'000);  // 1970
  EXPECT_FALSE(c.time_of_day(boot));
  EXPECT_FALSE(c.weekday(boot));
  EXPECT_FALSE(c.sunrise(boot));
  EXPECT_FALSE(c.sunset(boot));
  EXPECT_TRUE(c.time_of_day(from_epoch_ms(kPlausibleEpochMs)));
}

TEST(SiteClockTest, SunriseAndSunsetNeedLocation) {
  EXPECT_FALSE(clock_for("Asia/Ho_Chi_Minh").sunrise(kNoonUtc));
  const SiteClock can_tho = clock_for("Asia/Ho_Chi_Minh", {true, 10.03, 105.78, 0});
  const auto rise = can_tho.sunrise(kNoonUtc);
  const auto set = can_tho.sunset(kNoonUtc);
  ASSERT_TRUE(rise && set);
  // Can Tho in January: about 06:10 and 17:40 local.
  EXPECT_GT(*rise, Millis{5h + 50min});
  EXPECT_LT(*rise, Millis{6h + 30min});
  EXPECT_GT(*set, Millis{17h + 20min});
  EXPECT_LT(*set, Millis{18h});
}

}  // namespace
}  // namespace farmgate::rules
