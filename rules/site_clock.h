// SiteClock: the TimeView the rule engine evaluates expressions with: local time of day and
// weekday in the site's time zone, and today's sunrise and sunset at the site's location.
// Every fact is unknown (nullopt) while `now` is before kPlausibleEpochMs (core/time.h): a Pi
// without an RTC boots in 1970 and must not water on a made-up calendar. Sunrise and sunset are
// unknown without a location, and on days the sun does not rise or set there.
//
// Immutable after construction; every method is const and may be called from any thread.
#pragma once

#include <chrono>
#include <optional>

#include "config/config.h"
#include "rules/expr_views.h"
#include "rules/site_time.h"
#include "rules/sun.h"

namespace farmgate::rules {

class SiteClock final : public TimeView {
 public:
  SiteClock(SiteTime time, const config::SiteLocation& location)
      : time_(std::move(time)), location_(location) {}

  std::optional<Millis> time_of_day(Timestamp now) const override;
  std::optional<std::chrono::weekday> weekday(Timestamp now) const override;
  std::optional<Millis> sunrise(Timestamp now) const override;
  std::optional<Millis> sunset(Timestamp now) const override;

  const SiteTime& site_time() const { return time_; }

 private:
  // Local time of day of `t`, which lies near `now`.
  Millis local_time_of_day(Timestamp t) const;
  // The sun's day for the local date of `now`; nullopt when unknown (clock, location).
  std::optional<SunTimes> sun_today(Timestamp now) const;

  SiteTime time_;
  config::SiteLocation location_;
};

}  // namespace farmgate::rules
