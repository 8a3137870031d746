// Scheduler: decides when program starts are due, from cron lines and sunrise/sunset offsets in
// the site's time zone, on a clock that may jump. The gateway calls tick(now) every second; each
// call reports the starts that came due since the previous one. What it promises (docs/rules.md,
// "Clock trust"):
//  - nothing is due while `now` is before kPlausibleEpochMs (a Pi without RTC boots in 1970),
//    and starts that fell before the first trusted tick are not run;
//  - a start fires at most once: it remembers the last occurrence it handled per start, so a
//    backward jump never fires it again;
//  - after a forward jump (or a late tick) the latest missed occurrence runs once if it is at most
//    kCatchUp old; an older one is reported as skipped (the caller raises schedule_skipped).
//
// Not thread-safe: owned by rules::Schedules on the gateway's event-loop thread. A tick costs a
// comparison per start; the next occurrence is computed only when one fires or the clock jumps.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/result.h"
#include "core/time.h"
#include "rules/cron.h"
#include "rules/site_time.h"

namespace farmgate::rules {

using namespace std::chrono_literals;

// One compiled `start:` entry: the instants it names.
class StartTimes {
 public:
  // Errors: "bad_cron" (see CronSpec::parse), "no_location" (sunrise/sunset without location).
  static Result<StartTimes> make(const config::ProgramStart& start,
                                 const config::SiteLocation& location);

  // The first instant after t (strictly) the start names, in zone tz; nullopt if none within
  // the search horizon (the sun does not rise near the poles; an impossible cron line).
  std::optional<Timestamp> next_after(Timestamp t, const SiteTime& tz) const;
  // "cron 0 5 * * *", "sunrise -30m".
  const std::string& describe() const { return text_; }

 private:
  config::ProgramStart::Kind kind_ = config::ProgramStart::Kind::cron;
  std::optional<CronSpec> cron_;
  Millis offset_{0};
  config::SiteLocation location_;
  std::string text_;
};

class Scheduler {
 public:
  // A missed start older than this is not run late.
  static constexpr Millis kCatchUp = 2h;

  // Borrows tz: it must outlive the scheduler.
  explicit Scheduler(const SiteTime& tz) : tz_(tz) {}

  // Returns the start's index, used in what tick() reports.
  std::size_t add(StartTimes start);

  struct Due {
    std::size_t start;
    Timestamp scheduled;     // the occurrence
    Millis late{0};          // now - scheduled
    std::size_t missed = 0;  // earlier occurrences in the same gap that do not run (at least)
  };
  struct Skipped {
    std::size_t start;
    Timestamp scheduled;  // the first occurrence in the gap; none of them runs
  };
  struct Report {
    std::vector<Due> due;
    std::vector<Skipped> skipped;
  };
  Report tick(Timestamp now);

  // The start's next occurrence after the last tick; nullopt before the first trusted tick.
  std::optional<Timestamp> next(std::size_t start) const;
  const StartTimes& start(std::size_t i) const { return starts_[i].times; }
  std::size_t size() const { return starts_.size(); }

 private:
  struct Entry {
    StartTimes times;
    std::optional<Timestamp> last_handled;  // the latest occurrence fired or skipped
    std::optional<Timestamp> next;          // first occurrence after max(prev tick, last_handled)
  };
  void plan(Entry& e, Timestamp after) const;

  const SiteTime& tz_;
  std::vector<Entry> starts_;
  std::optional<Timestamp> prev_;  // the previous trusted tick
};

}  // namespace farmgate::rules
