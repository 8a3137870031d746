// CronSpec: the five fields (lists, ranges, steps, names, macros), each mistake's message, and
// next_after in UTC, in Asia/Ho_Chi_Minh and across Berlin's DST changes.
#include "rules/cron.h"

#include <gtest/gtest.h>

#include <chrono>

namespace farmgate::rules {
namespace {

using namespace std::chrono;

Timestamp utc(int y, int mo, int d, int h = 0, int mi = 0) {
  return Timestamp{sys_days{year{y} / mo / d}} + hours{h} + minutes{mi};
}

SiteTime zone(const char* name) {
  auto tz = SiteTime::load(name);
  EXPECT_TRUE(tz.ok()) << name;
  return std::move(tz).value();
}

CronSpec cron(const char* text) {
  auto c = CronSpec::parse(text);
  EXPECT_TRUE(c.ok()) << text << ": " << (c ? "" : c.error().message);
  return std::move(c).value();
}

std::string error_of(const char* text) {
  auto c = CronSpec::parse(text);
  return c ? "" : c.error().message;
}

LocalTime at(int month, int day, int weekday, int hour, int minute) {
  LocalTime t;
  t.year = 2026;
  t.month = month;
  t.day = day;
  t.weekday = weekday;
  t.hour = hour;
  t.minute = minute;
  return t;
}

TEST(CronTest, ListsRangesStepsAndNames) {
  const CronSpec c = cron("*/15 5-7,18 * JAN,mar mon-fri");
  EXPECT_TRUE(c.matches(at(1, 5, 1, 5, 0)));
  EXPECT_TRUE(c.matches(at(3, 6, 5, 18, 45)));
  EXPECT_FALSE(c.matches(at(1, 5, 1, 5, 10)));  // not a quarter
  EXPECT_FALSE(c.matches(at(1, 5, 1, 8, 0)));   // hour
  EXPECT_FALSE(c.matches(at(2, 2, 1, 5, 0)));   // month
  EXPECT_FALSE(c.matches(at(1, 4, 0, 5, 0)));   // Sunday
  const CronSpec stepped = cron("5/20 1-10/3 * * *");
  EXPECT_TRUE(stepped.matches(at(1, 1, 4, 4, 25)));
  EXPECT_TRUE(stepped.matches(at(1, 1, 4, 10, 45)));
  EXPECT_FALSE(stepped.matches(at(1, 1, 4, 4, 6)));
  EXPECT_FALSE(stepped.matches(at(1, 1, 4, 2, 25)));
}

TEST(CronTest, SevenAndSunAreSunday) {
  EXPECT_TRUE(cron("0 6 * * 7").matches(at(1, 4, 0, 6, 0)));
  EXPECT_TRUE(cron("0 6 * * sun").matches(at(1, 4, 0, 6, 0)));
  EXPECT_TRUE(cron("0 6 * * 5-7").matches(at(1, 4, 0, 6, 0)));
  EXPECT_FALSE(cron("0 6 * * 7").matches(at(1, 5, 1, 6, 0)));
}

TEST(CronTest, MacrosExpand) {
  EXPECT_TRUE(cron("@daily").matches(at(7, 9, 4, 0, 0)));
  EXPECT_FALSE(cron("@daily").matches(at(7, 9, 4, 1, 0)));
  EXPECT_TRUE(cron("@hourly").matches(at(7, 9, 4, 13, 0)));
  EXPECT_TRUE(cron("@weekly").matches(at(1, 4, 0, 0, 0)));
  EXPECT_TRUE(cron("@monthly").matches(at(2, 1, 0, 0, 0)));
  EXPECT_TRUE(cron("@yearly").matches(at(1, 1, 4, 0, 0)));
}

TEST(CronTest, EachMistakeSaysWhichFieldAndWhy) {
  EXPECT_EQ(error_of("61 * * * *"), "minute: 61 is out of range 0-59");
  EXPECT_EQ(error_of("0 24 * * *"), "hour: 24 is out of range 0-23");
  EXPECT_EQ(error_of("0 5 * *"),
            "expected 5 fields (minute hour day-of-month month day-of-week), got 4");
  EXPECT_EQ(error_of("0 5 0 * *"), "day of month: 0 is out of range 1-31");
  EXPECT_EQ(error_of("0 5 * foo *"), "month: 'foo' is not a number or a name");
  EXPECT_EQ(error_of("0 9-5 * * *"), "hour: range '9-5' runs backwards");
  EXPECT_EQ(error_of("*/0 * * * *"), "minute: step '0' must be a whole number of at least 1");
  EXPECT_EQ(error_of("0,,5 * * * *"), "minute: empty list item in '0,,5'");
  EXPECT_EQ(error_of("0 0 30 2 *"), "day of month: no selected month has such a day");
  EXPECT_EQ(error_of("@reboot"),
            "unknown macro '@reboot'; expected @hourly, @daily, @weekly, @monthly or @yearly");
  EXPECT_EQ(error_of("0 5 * * * *"),
            "expected 5 fields (minute hour day-of-month month day-of-week), got 6");
}

TEST(CronTest, NextAfterIsStrictlyLaterInUtc) {
  const SiteTime tz = zone("UTC");
  const CronSpec c = cron("0 5 * * *");
  EXPECT_EQ(c.next_after(utc(2026, 1, 1), tz), utc(2026, 1, 1, 5));
  EXPECT_EQ(c.next_after(utc(2026, 1, 1, 5), tz), utc(2026, 1, 2, 5));
  EXPECT_EQ(cron("*/15 * * * *").next_after(utc(2026, 1, 1, 23, 50), tz), utc(2026, 1, 2));
  // The last day of the year to the first of the next.
  EXPECT_EQ(cron("30 23 31 12 *").next_after(utc(2026, 6, 1), tz), utc(2026, 12, 31, 23, 30));
  EXPECT_EQ(cron("0 0 1 1 *").next_after(utc(2026, 12, 31, 23, 30), tz), utc(2027, 1, 1));
}

TEST(CronTest, NextAfterInHoChiMinhIsLocalTime) {
  const SiteTime tz = zone("Asia/Ho_Chi_Minh");
  // 2026-01-01 00:00 UTC is 07:00 local: today's 05:00 has passed; tomorrow's is 22:00 UTC.
  EXPECT_EQ(cron("0 5 * * *").next_after(utc(2026, 1, 1), tz), utc(2026, 1, 1, 22));
  // 16:00 local = 09:00 UTC, on a weekday (2026-01-01 is a Thursday).
  EXPECT_EQ(cron("0 16 * * mon-fri").next_after(utc(2026, 1, 1), tz), utc(2026, 1, 1, 9));
  // Saturday 2026-01-03 at 06:30 local.
  EXPECT_EQ(cron("30 6 * * sat").next_after(utc(2026, 1, 1), tz), utc(2026, 1, 2, 23, 30));
}

TEST(CronTest, DayOfMonthOrDayOfWeekWhenBothAreRestricted) {
  const SiteTime tz = zone("UTC");
  // Vixie cron: the 13th or any Friday; 2026-01-02 is a Friday.
  EXPECT_EQ(cron("0 6 13 * fri").next_after(utc(2026, 1, 1), tz), utc(2026, 1, 2, 6));
  EXPECT_EQ(cron("0 6 13 * *").next_after(utc(2026, 1, 1), tz), utc(2026, 1, 13, 6));
  EXPECT_EQ(cron("0 6 * * fri").next_after(utc(2026, 1, 3), tz), utc(2026, 1, 9, 6));
}

TEST(CronTest, LeapDayIsFoundYearsAhead) {
  EXPECT_EQ(cron("0 0 29 2 *").next_after(utc(2026, 1, 1), zone("UTC")), utc(2028, 2, 29));
}

TEST(CronTest, DstGapAndRepeatFireOnceADay) {
  const SiteTime tz = zone("Europe/Berlin");
  const CronSpec c = cron("30 2 * * *");
  // 2026-03-29: 02:30 does not exist; it runs at 03:30 CEST (01:30 UTC), once.
  EXPECT_EQ(c.next_after(utc(2026, 3, 28, 12), tz), utc(2026, 3, 29, 1, 30));
  EXPECT_EQ(c.next_after(utc(2026, 3, 29, 1, 30), tz), utc(2026, 3, 30, 0, 30));
  // 2026-10-25: 02:30 happens twice; only the first (CEST, 00:30 UTC) fires.
  EXPECT_EQ(c.next_after(utc(2026, 10, 24, 12), tz), utc(2026, 10, 25, 0, 30));
  EXPECT_EQ(c.next_after(utc(2026, 10, 25, 0, 30), tz), utc(2026, 10, 26, 1, 30));
  // On the spring night, the skipped 02:30 (→ 01:30 UTC) comes after 03:00 CEST (01:00 UTC).
  const CronSpec both = cron("0,30 2,3 * * *");
  EXPECT_EQ(both.next_after(utc(2026, 3, 29, 0, 59), tz), utc(2026, 3, 29, 1, 0));
}

}  // namespace
}  // namespace farmgate::rules
