// Sunrise, sunset and solar noon for a date and a place, by the NOAA solar calculator's
// algorithm (after Meeus, "Astronomical Algorithms"): a sunrise or sunset is when the centre of
// the sun is 90.833° from the zenith (34' of refraction plus 16' of solar radius). Accurate to
// about a minute between ±72° latitude; rules use it for "from sunrise + 30 min" windows.
// Pure functions of their arguments; any thread.
#pragma once

#include <chrono>
#include <optional>

#include "core/time.h"

namespace farmgate::rules {

enum class Daylight {
  kNormal,      // the sun rises and sets
  kPolarDay,    // the sun stays up all day: no sunrise or sunset
  kPolarNight,  // the sun stays down all day: no sunrise or sunset
};

struct SunTimes {
  Daylight daylight = Daylight::kNormal;
  std::optional<Timestamp> sunrise;  // empty unless daylight == kNormal
  std::optional<Timestamp> sunset;   // empty unless daylight == kNormal
  Timestamp solar_noon;              // when the sun crosses the meridian, always set
};

// The sun's day nearest to `date` at the place: the one whose solar noon falls on `date` at
// the place's mean solar time (UTC + longitude/15 h). For any site whose civil zone is within a
// few hours of its solar time (all of Vietnam: solar noon ≈ 11:58 ICT) that is the local date.
// latitude in degrees north (-90..90), longitude in degrees east (-180..180).
SunTimes sun_times(std::chrono::year_month_day date, double latitude_deg, double longitude_deg);

}  // namespace farmgate::rules
