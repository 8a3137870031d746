// ProgramRunner: runs one irrigation program — its zones one after another on the line's pump,
// each for its duration scaled by the program's budget — through the same ActionSink as the
// rules (irrigate with who = "program:<name>"). Before each zone it checks the watering windows,
// the rain delay, the zone's skip_if and, for a zone that names this program as its
// fallback_program, whether the zone's rules are blind (their inputs are bad); it waits for the
// zone's run to end (zone_running) before the next. Semantics in docs/rules.md, "Programs and
// schedules" and "Watering windows and rain delay".
//
// Single-threaded: owned by rules::Schedules on the gateway's event-loop thread. Nothing blocks.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/log.h"
#include "core/time.h"
#include "rules/engine.h"
#include "rules/expr.h"
#include "rules/site_clock.h"

namespace farmgate::rules {

using namespace std::chrono_literals;

// True when the rules that water `zone` cannot decide (e.g. Engine::zone_inputs_bad).
using ZoneInputsBad = std::function<bool(const std::string& zone)>;

// What a program runner reads and acts on; all borrowed, all must outlive the runner.
struct ProgramContext {
  ActionSink& sink;
  Logger& log;
  const DataView& data;
  const SiteClock& time;
  ZoneInputsBad zone_inputs_bad;  // may be empty: no zone is ever taken as blind
};

struct ProgramState {
  std::string name;
  std::string state;  // idle, running, waiting (a refused zone is tried again)
  std::string detail;
  std::string zone;  // the zone running or waited for; empty when idle
  std::optional<Timestamp> last_start;
  std::optional<Timestamp> next_start;  // filled in by Schedules
};

class ProgramRunner {
 public:
  // A refused zone (the line is busy, the pump rests) is asked again this often ...
  static constexpr Millis kRetryAfterRefusal = 10s;
  // ... and given up (alarm program_refused) after this long.
  static constexpr Millis kGiveUpAfter = 30min;

  // Compiles the skip_if expressions (check_rules refused bad ones: a compile error here is a
  // programming error and throws std::logic_error).
  ProgramRunner(const config::Config& c, std::size_t program, const Catalogue& catalogue,
                ProgramContext ctx);
  ~ProgramRunner();
  ProgramRunner(const ProgramRunner&) = delete;
  ProgramRunner& operator=(const ProgramRunner&) = delete;

  const std::string& name() const { return cfg_.name; }
  bool running() const { return phase_ != Phase::idle; }

  // Starts the program now (a start came due, or a person asked). False, with the reason
  // logged, when it is already running or `now` is outside its watering windows.
  bool start(Timestamp now, const std::string& why);
  // Moves the program on: next zone when the current one has ended, stop at a window's end.
  // `rain_delayed`: a rain delay is in force (the remaining zones are skipped).
  void tick(Timestamp now, bool rain_delayed);

  ProgramState state() const;

  // Whether `now` is inside the program's watering windows (always, if it has none; never
  // while the clock is not trusted).
  bool in_window(Timestamp now) const;

 private:
  enum class Phase { idle, between, running, waiting };
  struct Entry {
    config::ProgramZone cfg;
    Millis duration{0};                 // after the budget
    std::optional<Expression> skip_if;  // the entry's own, else the program's
    bool fallback = false;              // runs only while the zone's rules are blind
  };

  void finish(const std::string& why);
  void next_entry();

  config::Program cfg_;
  std::vector<config::WateringWindow> windows_;
  std::vector<Entry> entries_;
  ProgramContext ctx_;
  std::string who_;

  Phase phase_ = Phase::idle;
  std::size_t index_ = 0;
  std::optional<Timestamp> retry_at_;
  std::optional<Timestamp> refused_since_;
  std::optional<Timestamp> last_start_;
  std::string detail_;
};

}  // namespace farmgate::rules
