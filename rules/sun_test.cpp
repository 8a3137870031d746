#include "rules/sun.h"

#include <gtest/gtest.h>

#include <cstdlib>

namespace farmgate::rules {
namespace {

using namespace std::chrono;

Timestamp utc(int y, unsigned m, unsigned d, int h, int mi, int s) {
  return time_point_cast<Millis>(sys_days{year{y} / month{m} / day{d}} + hours{h} + minutes{mi} +
                                 seconds{s});
}

// Reference values: computed independently with PyEphem 4.1.4 (Debian package python3-ephem,
// VSOP87 theory, not NOAA's), observer at sea level with pressure 0 and horizon -0:34 so that
// rise and set are of the sun's upper limb, the same 90.833° zenith as NOAA's. For example:
//   o = ephem.Observer(); o.lat, o.lon = '21.0278', '105.8342'; o.pressure = 0
//   o.horizon = '-0:34'; o.next_rising(ephem.Sun())
// No published table for these places was at hand; these agree with the usual online
// calculators (e.g. Hanoi midsummer sunrise 05:16, sunset 18:40 ICT).
constexpr auto kTolerance = minutes{1};

void expect_near(Timestamp got, Timestamp want, const char* what) {
  EXPECT_LE(std::abs(duration_cast<seconds>(got - want).count()),
            duration_cast<seconds>(kTolerance).count())
      << what << ": off by " << duration_cast<seconds>(got - want).count() << " s";
}

struct Case {
  const char* place;
  double lat;
  double lon;
  year_month_day date;
  Timestamp rise;
  Timestamp set;
  Timestamp noon;
};

TEST(SunTest, HanoiAndCanThoMatchAnIndependentEphemeris) {
  const Case cases[] = {
      {"Hanoi", 21.0278, 105.8342, 2026y / March / 20, utc(2026, 3, 19, 23, 1, 6),
       utc(2026, 3, 20, 11, 7, 35), utc(2026, 3, 20, 5, 4, 11)},
      {"Hanoi", 21.0278, 105.8342, 2026y / June / 21, utc(2026, 6, 20, 22, 16, 4),
       utc(2026, 6, 21, 11, 40, 46), utc(2026, 6, 21, 4, 58, 25)},
      {"Hanoi", 21.0278, 105.8342, 2026y / December / 21, utc(2026, 12, 20, 23, 28, 53),
       utc(2026, 12, 21, 10, 20, 16), utc(2026, 12, 21, 4, 54, 35)},
      {"Can Tho", 10.0452, 105.7469, 2026y / March / 20, utc(2026, 3, 19, 23, 1, 25),
       utc(2026, 3, 20, 11, 7, 48), utc(2026, 3, 20, 5, 4, 32)},
      {"Can Tho", 10.0452, 105.7469, 2026y / June / 21, utc(2026, 6, 20, 22, 37, 25),
       utc(2026, 6, 21, 11, 20, 7), utc(2026, 6, 21, 4, 58, 46)},
      {"Can Tho", 10.0452, 105.7469, 2026y / December / 21, utc(2026, 12, 20, 23, 8, 43),
       utc(2026, 12, 21, 10, 41, 8), utc(2026, 12, 21, 4, 54, 56)},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.place);
    const SunTimes s = sun_times(c.date, c.lat, c.lon);
    ASSERT_EQ(s.daylight, Daylight::kNormal);
    ASSERT_TRUE(s.sunrise && s.sunset);
    expect_near(*s.sunrise, c.rise, "sunrise");
    expect_near(*s.sunset, c.set, "sunset");
    expect_near(s.solar_noon, c.noon, "solar noon");
  }
}

TEST(SunTest, TromsoHasPolarDayAndPolarNight) {
  const double lat = 69.6492;
  const double lon = 18.9553;
  const SunTimes summer = sun_times(2026y / June / 21, lat, lon);
  EXPECT_EQ(summer.daylight, Daylight::kPolarDay);
  EXPECT_FALSE(summer.sunrise);
  EXPECT_FALSE(summer.sunset);
  expect_near(summer.solar_noon, utc(2026, 6, 21, 10, 45, 59), "solar noon");

  const SunTimes winter = sun_times(2026y / December / 21, lat, lon);
  EXPECT_EQ(winter.daylight, Daylight::kPolarNight);
  EXPECT_FALSE(winter.sunrise);
  EXPECT_FALSE(winter.sunset);

  // At the equinox the same place has an ordinary day (PyEphem: 04:43:55 and 17:01:32 UTC).
  const SunTimes equinox = sun_times(2026y / March / 20, lat, lon);
  ASSERT_EQ(equinox.daylight, Daylight::kNormal);
  expect_near(*equinox.sunrise, utc(2026, 3, 20, 4, 43, 55), "sunrise");
  expect_near(*equinox.sunset, utc(2026, 3, 20, 17, 1, 32), "sunset");
}

TEST(SunTest, SouthernHemisphereDaysAreLongInDecember) {
  const SunTimes dec = sun_times(2026y / December / 21, -33.87, 151.21);  // Sydney
  const SunTimes jun = sun_times(2026y / June / 21, -33.87, 151.21);
  ASSERT_TRUE(dec.sunrise && dec.sunset && jun.sunrise && jun.sunset);
  EXPECT_GT(*dec.sunset - *dec.sunrise, hours{14});
  EXPECT_LT(*jun.sunset - *jun.sunrise, hours{10});
}

}  // namespace
}  // namespace farmgate::rules
