// EtRuntime: evapotranspiration-driven irrigation on a farm. It collects the weather station's
// readings (config `weather:`) into hours and days of the site's local calendar, computes the
// reference ET0 of each day at the local midnight that ends it (FAO-56 Penman-Monteith when
// temperature, humidity, wind and radiation are all there, Hargreaves from temperature alone
// otherwise), turns it into each agronomy zone's crop ET (Kc by growth stage from the planting
// date), keeps the zone's root-zone depletion (rain refills up to field capacity; finished runs
// reduce it), and, for zones in `mode: et`, asks for a run that refills the root zone once the
// depletion reaches RAW. Every computed value is also emitted as an ordinary reading (device
// "et", kind "et") so that it is stored, charted and sent upstream.
// The formulas are rules/fao56.h and rules/water_balance.h; docs/agronomy.md, "Running it".
//
// The balance is not persisted: after a start every zone is taken to be at field capacity
// (depletion 0), so the first ET-driven run comes once the crop has used RAW since the start.
//
// Single-threaded: construct it and call every method on the gateway's event-loop thread.
// Nothing blocks; the ActionSink and the emit callback must not block either.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "config/loader.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/reading.h"
#include "rules/engine.h"
#include "rules/fao56.h"
#include "rules/site_time.h"

namespace farmgate::rules {

// FAO-56 Table 22's depletion fraction p (for ETc ≈ 5 mm/day) of a built-in crop; nullopt for
// a name that has none.
std::optional<double> crop_depletion_fraction(std::string_view crop);

// What `farmgate check` adds for agronomy: blocks: every crop: is a built-in crop with a p.
// Located at the crop's FILE:LINE:COL. Pure; any thread.
std::vector<config::ConfigError> check_et(const config::Config& c);

enum class Et0Method { penman_monteith, hargreaves };
const char* to_string(Et0Method m);

// One local day's weather and its ET0, as computed at the midnight that ended it.
struct EtDay {
  Timestamp start{};  // local midnight that began the day
  Timestamp end{};    // ... and the one that ended it
  int day_of_year = 1;
  Et0Method method = Et0Method::hargreaves;
  double et0_mm = 0;
  double tmax_c = 0;
  double tmin_c = 0;
  std::optional<double> rh_max_pct, rh_min_pct;
  std::optional<double> wind_ms;  // mean, at the station's height
  std::optional<double> rs_mj;    // MJ m-2 day-1
  double ra_mj = 0;               // extraterrestrial, MJ m-2 day-1
  double rain_mm = 0;
};

class EtRuntime {
 public:
  using Emit = std::function<void(const Reading&)>;

  // A day (or hour) needs readings in this many of its hours for a value to be computed from it.
  static constexpr int kMinHours = 20;
  // A refused run is asked for again after this.
  static constexpr Millis kRetryAfterRefusal{60'000};
  // Longest run asked for at once; what is left is asked for after it.
  static constexpr Millis kMaxRun{24 * 3'600'000};
  // A run that was started but never reported by on_run_finished is forgotten this long after
  // it should have ended (with an et_run_unaccounted warning), so the zone is not stuck.
  static constexpr Millis kRunReportGrace{3'600'000};

  // Borrows config (its weather:, location: and agronomy: must have been checked by the loader
  // and check_et), clock, sink and log; `emit` may be empty.
  EtRuntime(const config::Config& c, SiteTime time, Clock& clock, ActionSink& sink, Logger& log,
            Emit emit);
  EtRuntime(const EtRuntime&) = delete;
  EtRuntime& operator=(const EtRuntime&) = delete;

  // Takes the weather station's metrics; ignores every other reading, and readings stamped
  // while the clock was unsynchronised.
  void on_reading(const Reading& r);
  // Closes the hour and the day that ended, then asks for the runs that are due. Call it every
  // second; does nothing while the clock is unsynchronised.
  void tick();
  // A run of `zone` (by anyone) ended having delivered `litres`: net = litres × efficiency /
  // area comes off the depletion at once.
  void on_run_finished(const std::string& zone, double litres);

  struct ZoneState {
    std::string zone;
    bool et_mode = false;
    double kc = 0;
    double etc_mm = 0;  // of the last closed day
    double depletion_mm = 0;
    double raw_mm = 0;
    double taw_mm = 0;
    bool run_pending = false;  // asked for, not yet reported finished
  };
  std::vector<ZoneState> zones() const;
  // The last day closed with an ET0; nullopt before the first.
  const std::optional<EtDay>& last_day() const { return last_day_; }

 private:
  // Sums of one local hour's readings.
  struct Hour {
    int t_n = 0, rh_n = 0, wind_n = 0, solar_n = 0;
    double t_sum = 0, t_max = 0, t_min = 0;
    double rh_sum = 0, rh_max = 0, rh_min = 0;
    double wind_sum = 0;
    double solar_sum = 0;  // W/m² readings, or MJ/m² per reading with solar_mj
    double rain_mm = 0;
  };
  // 25 hours: a day with a backward DST change has one more.
  using Day = std::array<Hour, 25>;

  struct Zone {
    config::ZoneAgronomy cfg;
    fao56::CropStages stages;
    double p_table = 0.5;
    bool p_fixed = false;  // p given in the file: not adjusted to the day's ETc
    double taw = 0;
    double raw = 0;
    double depletion = 0;
    double kc = 0;
    double etc = 0;
    std::optional<std::uint64_t> run;  // asked for, not reported finished
    Timestamp run_ends{};
    Timestamp retry_at{};
  };

  void close_hour(Timestamp hour_start);
  void close_day(Timestamp day_start, const Day& day, Timestamp day_end);
  std::optional<EtDay> compute_day(Timestamp day_start, const Day& day) const;
  void update_zone(Zone& z, const EtDay& day);
  void maybe_irrigate(Zone& z, Timestamp now);
  // MJ m-2 over one hour from its solar readings.
  double hour_rs_mj(const Hour& h) const;
  void emit(const std::string& zone, const std::string& metric, double value, Timestamp t,
            const std::string& unit = "mm");

  const config::Config& config_;
  SiteTime time_;
  Clock& clock_;
  ActionSink& sink_;
  Logger& log_;
  Emit emit_;
  std::vector<Zone> zones_;
  std::map<Timestamp, Day> days_;  // by local midnight
  std::optional<Timestamp> current_day_;
  std::optional<Timestamp> current_hour_;
  std::optional<double> last_rain_total_;  // rain_mode: counter
  std::optional<EtDay> last_day_;
};

}  // namespace farmgate::rules
