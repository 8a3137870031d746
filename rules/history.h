// History: the recent readings the rules read, per series {device, metric}, kept in memory for
// as long as the longest window any rule needs, and the health of each series (stale, stuck,
// spiking). It is the DataView the rule engine evaluates expressions against: a series the
// history does not trust answers `unhealthy`, which makes the expressions that read it unknown.
//
// Not thread-safe: owned by the rule engine and used only on the gateway's event-loop thread.
// add(), latest() and window() are cheap (amortised O(1) append; a window is a binary search and a
// scan of the readings inside it); health() is O(number of series).
#pragma once

#include <cstddef>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/reading.h"
#include "core/time.h"
#include "rules/expr_views.h"

namespace farmgate::config {
struct Config;
}

namespace farmgate::rules {

using namespace std::chrono_literals;

// When a series stops being trusted.
struct HealthLimits {
  Millis stale_after = 30min;  // no reading for this long (from the `now` given to set_now)
  // Exactly the same value for this long, over at least this many readings; never a value at
  // an end of the metric's configured range (a full tank, a dry 0 %), which is often real.
  Millis stuck_after = 6h;
  std::size_t stuck_min_readings = 10;
  // The latest reading differs from the median of the previous 5 by more than this fraction of
  // the metric's configured range (config MetricSpec min..max). 0 = spike detection off.
  double spike_fraction = 0.25;
};

struct SeriesHealth {
  SeriesKey series;
  bool healthy = true;
  std::string state;   // "ok", "stale", "stuck" or "spike"
  std::string reason;  // for a person; empty when ok
  Timestamp last_reading{};
  double last_value = 0;
};

class History final : public DataView {
 public:
  // `keep`: how much history the rules need (at least 1 h is kept whatever is given). `config`,
  // when given, supplies each metric's range for spike detection; without it spikes are not
  // detected. The config is read in the constructor only.
  explicit History(Millis keep, const config::Config* config = nullptr, HealthLimits limits = {});

  // Records a reading. Readings stamped while the clock was unsynchronised and non-finite values
  // are ignored; readings may arrive out of order (they are put in place; one older than the
  // kept history is dropped).
  void add(const Reading& r);

  // The instant staleness is measured from: the engine sets it to the clock before it evaluates.
  // Until it is first called, no series is stale.
  void set_now(Timestamp now) { now_ = now; }

  Latest latest(const SeriesKey& series) const override;
  WindowStats window(const SeriesKey& series, Timestamp from, Timestamp to) const override;

  // Every series' state at `now`, sorted by series.
  std::vector<SeriesHealth> health(Timestamp now) const;

  Millis keep() const { return keep_; }

 private:
  struct Point {
    Timestamp t;
    double v;
  };
  struct Series {
    std::deque<Point> points;  // sorted by time
    double spike_limit = 0;    // 0 = off
    bool spiking = false;      // the latest reading is a spike
    double spike_median = 0;
    Timestamp same_since{};          // the first reading of the current run of identical values
    std::size_t same_count = 0;      // readings in that run
    std::optional<double> min, max;  // the metric's configured range, when known
  };

  // The series' state at `now` (healthy, or why not).
  SeriesHealth assess(const SeriesKey& key, const Series& s, std::optional<Timestamp> now) const;
  void recount_run(Series& s) const;

  Millis keep_;
  HealthLimits limits_;
  std::optional<Timestamp> now_;
  struct Range {
    double min = 0, max = 0;
    double spike_limit = 0;  // 0 = spikes off
  };
  std::map<SeriesKey, Range> ranges_;  // from the config's metric ranges
  std::map<SeriesKey, Series> series_;
};

}  // namespace farmgate::rules
