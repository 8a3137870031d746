// Cron: the five-field schedule line of cron(5) ("0 5 * * 1-5": 05:00 on weekdays) that program
// starts are written in, read in the site's time zone. Supports numbers, ranges, lists, steps
// ("*/15", "1-30/5", "5/10"), month and weekday names (jan, mon; 7 is Sunday too) and the
// macros @hourly, @daily (@midnight), @weekly, @monthly, @yearly (@annually). As in Vixie cron,
// when both day-of-month and day-of-week are restricted a day matching either one matches.
//
// A parsed CronSpec is an immutable value; every method is const and may run on any thread.
#pragma once

#include <bitset>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"
#include "core/time.h"
#include "rules/site_time.h"

namespace farmgate::rules {

class CronSpec {
 public:
  // Errors ("bad_cron") say which field is wrong and why ("hour: 24 is out of range 0-23").
  static Result<CronSpec> parse(std::string_view text);

  // Whether the schedule names this local minute.
  bool matches(const LocalTime& t) const;
  // The first instant after t (strictly) that the schedule names, in the zone `tz`. A local time
  // skipped by a DST change is resolved as SiteTime::from_local does, a repeated one fires once.
  // nullopt if nothing matches in the next eight years (e.g. "0 0 30 2 *").
  std::optional<Timestamp> next_after(Timestamp t, const SiteTime& tz) const;

  const std::string& text() const { return text_; }

 private:
  bool day_matches(int month, int day, int weekday) const;

  std::string text_;
  std::bitset<60> minutes_;
  std::bitset<24> hours_;
  std::bitset<32> days_;     // 1..31
  std::bitset<13> months_;   // 1..12
  std::bitset<7> weekdays_;  // 0 = Sunday
  bool any_day_ = true;      // day-of-month was "*"
  bool any_weekday_ = true;  // day-of-week was "*"
};

}  // namespace farmgate::rules
