#include "rules/site_time.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <random>

namespace farmgate::rules {
namespace {

using namespace std::chrono;

// Expected offsets and transition instants below were read with zdump(8) from the same
// Debian tzdata files (zdump -v -c 1900,2030 Asia/Ho_Chi_Minh, etc.).

Timestamp utc(int y, unsigned m, unsigned d, int h = 0, int mi = 0, int s = 0) {
  return time_point_cast<Millis>(sys_days{year{y} / month{m} / day{d}} + hours{h} + minutes{mi} +
                                 seconds{s});
}

SiteTime zone(std::string_view name) {
  auto st = SiteTime::load(name);
  EXPECT_TRUE(st.ok()) << (st.ok() ? "" : st.error().message);
  return std::move(st).value();
}

std::string file_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

TEST(SiteTimeTest, HoChiMinhIsSevenHoursAheadToday) {
  const SiteTime hcm = zone("Asia/Ho_Chi_Minh");
  EXPECT_EQ(hcm.zone(), "Asia/Ho_Chi_Minh");
  EXPECT_EQ(hcm.utc_offset(utc(2026, 1, 1)), hours{7});
  const LocalTime lt = hcm.to_local(utc(2026, 1, 1, 23, 30, 15));
  EXPECT_EQ(lt, (LocalTime{.year = 2026,
                           .month = 1,
                           .day = 2,
                           .hour = 6,
                           .minute = 30,
                           .second = 15,
                           .weekday = 5,  // Friday
                           .day_of_year = 2,
                           .minutes_of_day = 390}));
  // Far beyond the last transition the footer "<+07>-7" decides.
  EXPECT_EQ(hcm.utc_offset(utc(2200, 7, 1)), hours{7});
}

TEST(SiteTimeTest, HoChiMinhHistoricalOffsets) {
  const SiteTime hcm = zone("Asia/Ho_Chi_Minh");
  EXPECT_EQ(hcm.utc_offset(utc(1945, 6, 1)), hours{9});
  EXPECT_EQ(hcm.utc_offset(utc(1960, 6, 1)), hours{8});
  // South Vietnam moved from +08 to +07 on 13 June 1975 (local midnight, 16:00 UTC the day before).
  EXPECT_EQ(hcm.utc_offset(utc(1975, 6, 12, 15, 59, 59)), hours{8});
  EXPECT_EQ(hcm.utc_offset(utc(1975, 6, 12, 16)), hours{7});
  EXPECT_EQ(hcm.to_local(utc(1975, 6, 12, 15, 59, 59)).minutes_of_day, 23 * 60 + 59);
  EXPECT_EQ(hcm.to_local(utc(1975, 6, 12, 16)).hour, 23);
  // Before 1906: local mean time, 7:06:30.
  EXPECT_EQ(hcm.utc_offset(utc(1900, 1, 1)), seconds{25590});
}

TEST(SiteTimeTest, UtcHasNoOffset) {
  const SiteTime u = zone("UTC");
  EXPECT_EQ(u.utc_offset(utc(2026, 3, 29, 1)), seconds{0});
  EXPECT_EQ(u.to_local(utc(2024, 12, 31, 12)).day_of_year, 366);  // leap year
  EXPECT_EQ(u.from_local(2026, 5, 1, 6, 0).value(), utc(2026, 5, 1, 6));
  EXPECT_EQ(u.local_midnight(utc(2026, 5, 1, 17, 3)), utc(2026, 5, 1));
}

TEST(SiteTimeTest, BerlinSwitchesAtTheTransition) {
  const SiteTime berlin = zone("Europe/Berlin");
  EXPECT_EQ(berlin.utc_offset(utc(2026, 3, 29, 0, 59, 59)), hours{1});
  EXPECT_EQ(berlin.utc_offset(utc(2026, 3, 29, 1)), hours{2});
  EXPECT_EQ(berlin.utc_offset(utc(2026, 10, 25, 0, 59, 59)), hours{2});
  EXPECT_EQ(berlin.utc_offset(utc(2026, 10, 25, 1)), hours{1});
  EXPECT_EQ(berlin.to_local(utc(2026, 3, 29, 1)).hour, 3);
}

TEST(SiteTimeTest, DstRuleFooterDecidesAfterTheLastTransition) {
  // 2100 is past every transition in the file: only "CET-1CEST,M3.5.0,M10.5.0/3" applies.
  const SiteTime berlin = zone("Europe/Berlin");
  EXPECT_EQ(berlin.utc_offset(utc(2100, 3, 28, 0, 59, 59)), hours{1});
  EXPECT_EQ(berlin.utc_offset(utc(2100, 3, 28, 1)), hours{2});
  EXPECT_EQ(berlin.utc_offset(utc(2100, 10, 31, 0, 59, 59)), hours{2});
  EXPECT_EQ(berlin.utc_offset(utc(2100, 10, 31, 1)), hours{1});
  // Southern hemisphere: daylight time spans the new year ("AEST-10AEDT,M10.1.0,M4.1.0/3").
  const SiteTime sydney = zone("Australia/Sydney");
  EXPECT_EQ(sydney.utc_offset(utc(2100, 1, 15)), hours{11});
  EXPECT_EQ(sydney.utc_offset(utc(2100, 4, 3, 15, 59, 59)), hours{11});
  EXPECT_EQ(sydney.utc_offset(utc(2100, 4, 3, 16)), hours{10});
  EXPECT_EQ(sydney.utc_offset(utc(2100, 10, 2, 15, 59, 59)), hours{10});
  EXPECT_EQ(sydney.utc_offset(utc(2100, 10, 2, 16)), hours{11});
}

TEST(SiteTimeTest, FromLocalReadsOrdinaryTimes) {
  const SiteTime hcm = zone("Asia/Ho_Chi_Minh");
  EXPECT_EQ(hcm.from_local(2026, 6, 1, 6, 0).value(), utc(2026, 5, 31, 23));
  EXPECT_EQ(hcm.local_midnight(utc(2026, 6, 1, 16, 59)), utc(2026, 5, 31, 17));
  EXPECT_EQ(hcm.local_midnight(utc(2026, 6, 1, 17)), utc(2026, 6, 1, 17));
}

TEST(SiteTimeTest, FromLocalMovesASkippedTimeForwardByTheGap) {
  const SiteTime berlin = zone("Europe/Berlin");
  // 02:30 does not exist on 29 March 2026; it is read as CET, which is 03:30 CEST.
  const Timestamp t = berlin.from_local(2026, 3, 29, 2, 30).value();
  EXPECT_EQ(t, utc(2026, 3, 29, 1, 30));
  EXPECT_EQ(berlin.to_local(t).hour, 3);
  EXPECT_EQ(berlin.from_local(2026, 3, 29, 1, 59).value(), utc(2026, 3, 29, 0, 59));
  EXPECT_EQ(berlin.from_local(2026, 3, 29, 3, 0).value(), utc(2026, 3, 29, 1));
}

TEST(SiteTimeTest, FromLocalTakesTheFirstOfARepeatedTime) {
  const SiteTime berlin = zone("Europe/Berlin");
  // 02:30 happens twice on 25 October 2026: first in CEST (00:30 UTC), then in CET.
  EXPECT_EQ(berlin.from_local(2026, 10, 25, 2, 30).value(), utc(2026, 10, 25, 0, 30));
  EXPECT_EQ(berlin.from_local(2026, 10, 25, 3, 0).value(), utc(2026, 10, 25, 2));
  EXPECT_EQ(berlin.local_midnight(utc(2026, 10, 25, 12)), utc(2026, 10, 24, 22));
  EXPECT_EQ(berlin.local_midnight(utc(2026, 10, 26, 12)), utc(2026, 10, 25, 23));
}

TEST(SiteTimeTest, FromLocalRefusesFieldsOutOfRange) {
  const SiteTime u = zone("UTC");
  EXPECT_FALSE(u.from_local(2026, 13, 1, 0, 0));
  EXPECT_FALSE(u.from_local(2026, 2, 29, 0, 0));
  EXPECT_TRUE(u.from_local(2028, 2, 29, 0, 0));
  EXPECT_FALSE(u.from_local(2026, 1, 1, 24, 0));
  auto r = u.from_local(2026, 1, 1, 7, 60);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "bad_local_time");
}

TEST(SiteTimeTest, MissingZoneIsAClearError) {
  auto r = SiteTime::load("Asia/Atlantis");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "bad_timezone");
  EXPECT_NE(r.error().message.find("Asia/Atlantis"), std::string::npos);
  for (const char* bad :
       {"", "/etc/passwd", "../etc/passwd", "Asia/../../etc", "Asia/", "zone.tab"}) {
    EXPECT_FALSE(SiteTime::load(bad)) << bad;
  }
  EXPECT_FALSE(SiteTime::load("Asia/Ho_Chi_Minh", "/nonexistent"));
}

TEST(SiteTimeTest, EveryTruncationOfARealFileIsRefused) {
  for (const char* name : {"Asia/Ho_Chi_Minh", "Europe/Berlin", "Etc/UTC"}) {
    const std::string bytes = file_bytes(std::string("/usr/share/zoneinfo/") + name);
    ASSERT_GT(bytes.size(), 44u);
    ASSERT_TRUE(SiteTime::parse(name, bytes));
    for (std::size_t n = 0; n < bytes.size(); ++n) {
      auto r = SiteTime::parse(name, std::string_view(bytes).substr(0, n));
      ASSERT_FALSE(r) << name << " cut at " << n;
      EXPECT_EQ(r.error().code, "bad_tzif");
    }
  }
}

TEST(SiteTimeTest, RefusesVersionOneAndBadFooters) {
  std::string bytes = file_bytes("/usr/share/zoneinfo/Asia/Ho_Chi_Minh");
  std::string v1 = bytes;
  v1[4] = '\0';
  EXPECT_FALSE(SiteTime::parse("v1", v1));
  const auto footer = bytes.rfind("<+07>-7");
  ASSERT_NE(footer, std::string::npos);
  std::string broken = bytes;
  broken.replace(footer, 7, "<+07>-X");
  auto r = SiteTime::parse("broken", broken);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("POSIX TZ rule"), std::string::npos);
}

TEST(SiteTimeTest, MutatedFilesNeverCrash) {
  // Random byte flips in real files: each either parses or is refused; what parses still
  // answers every query without reading out of bounds (run under ASan to see that).
  std::mt19937 rng(20261123);
  for (const char* name : {"Asia/Ho_Chi_Minh", "Europe/Berlin", "Australia/Sydney"}) {
    const std::string bytes = file_bytes(std::string("/usr/share/zoneinfo/") + name);
    std::uniform_int_distribution<std::size_t> pos(0, bytes.size() - 1);
    std::uniform_int_distribution<int> byte(0, 255);
    std::uniform_int_distribution<int> flips(1, 4);
    int parsed = 0;
    for (int i = 0; i < 1500; ++i) {
      std::string m = bytes;
      for (int f = flips(rng); f > 0; --f) m[pos(rng)] = static_cast<char>(byte(rng));
      // Damage in the header counts as well as in the data.
      if (i % 5 == 0) m[20 + pos(rng) % 24] = static_cast<char>(byte(rng));
      auto r = SiteTime::parse(name, m);
      if (!r) continue;
      ++parsed;
      for (int y = 1900; y <= 2100; y += 7) {
        const LocalTime lt = r->to_local(utc(y, 6, 15, 12));
        EXPECT_GE(lt.month, 1);
        EXPECT_LE(lt.month, 12);
        (void)r->local_midnight(utc(y, 3, 1));
        (void)r->from_local(y, 10, 31, 2, 30);
      }
    }
    EXPECT_GT(parsed, 0) << "some mutations (in transition times, say) still parse";
  }
}

}  // namespace
}  // namespace farmgate::rules
