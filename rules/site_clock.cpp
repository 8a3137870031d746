#include "rules/site_clock.h"

#include "rules/sun.h"

namespace farmgate::rules {
namespace {

bool synchronised(Timestamp now) {
  return to_epoch_ms(now) >= kPlausibleEpochMs;
}

}  // namespace

Millis SiteClock::local_time_of_day(Timestamp t) const {
  const LocalTime l = time_.to_local(t);
  const std::int64_t sub_second = ((to_epoch_ms(t) % 1000) + 1000) % 1000;
  return Millis{((l.hour * 60 + l.minute) * 60 + l.second) * std::int64_t{1000} + sub_second};
}

std::optional<Millis> SiteClock::time_of_day(Timestamp now) const {
  if (!synchronised(now)) return std::nullopt;
  return local_time_of_day(now);
}

std::optional<std::chrono::weekday> SiteClock::weekday(Timestamp now) const {
  if (!synchronised(now)) return std::nullopt;
  return std::chrono::weekday{static_cast<unsigned>(time_.to_local(now).weekday)};
}

std::optional<SunTimes> SiteClock::sun_today(Timestamp now) const {
  if (!synchronised(now) || !location_.set) return std::nullopt;
  const LocalTime l = time_.to_local(now);
  const std::chrono::year_month_day date{std::chrono::year{l.year},
                                         std::chrono::month{static_cast<unsigned>(l.month)},
                                         std::chrono::day{static_cast<unsigned>(l.day)}};
  return sun_times(date, location_.latitude, location_.longitude);
}

std::optional<Millis> SiteClock::sunrise(Timestamp now) const {
  const auto sun = sun_today(now);
  if (!sun || !sun->sunrise) return std::nullopt;
  return local_time_of_day(*sun->sunrise);
}

std::optional<Millis> SiteClock::sunset(Timestamp now) const {
  const auto sun = sun_today(now);
  if (!sun || !sun->sunset) return std::nullopt;
  return local_time_of_day(*sun->sunset);
}

}  // namespace farmgate::rules
