// Schedules: the gateway's one object for irrigation programs. It owns a Scheduler (when starts
// are due, safe against clock jumps) and a ProgramRunner per program, evaluates the rain delay,
// and raises the alarms: schedule_skipped (a start missed by more than Scheduler::kCatchUp),
// rain_delay (info, when one begins), program_refused. Semantics in docs/rules.md, "Programs
// and schedules" and "Watering windows and rain delay".
//
// Wiring, on the event-loop thread (daemon.cpp):
//   schedules_ = std::make_unique<rules::Schedules>(config_, clock_, *rule_actions_, log_,
//       engine_->history(), [this](const std::string& z) { return engine_->zone_inputs_bad(z); });
//   ... and schedules_->tick() next to engine_->tick() every second.
//
// Single-threaded: construct it and call every method on the gateway's event-loop thread.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/result.h"
#include "rules/engine.h"
#include "rules/program.h"
#include "rules/scheduler.h"

namespace farmgate::rules {

class Schedules {
 public:
  // Compiles the programs (check_rules refused bad ones: a compile error here throws
  // std::logic_error) and loads the site's time zone (throws std::runtime_error if it cannot).
  // Borrows everything; `data` is the rule engine's history (Engine::history()).
  Schedules(const config::Config& c, Clock& clock, ActionSink& sink, Logger& log,
            const DataView& data, ZoneInputsBad zone_inputs_bad = {});
  ~Schedules();
  Schedules(const Schedules&) = delete;
  Schedules& operator=(const Schedules&) = delete;

  // Fires the starts that came due, moves running programs on; call it every second.
  void tick();

  // A manual rain delay (a command from a person): no program starts before `until`, and a
  // running one stops before its next zone. A later automatic delay may extend it.
  void delay_for_rain(Timestamp until);
  void clear_rain_delay();
  std::optional<Timestamp> rain_delay_until() const;

  // Starts a program now, as a start would (windows and rain delay apply). Errors:
  // "unknown_program", "not_started" (message says why).
  Result<void> run_now(const std::string& program);

  std::vector<ProgramState> states() const;

  // The next time a program is due to water `zone`: the soonest start of a program that lists
  // it (a fallback entry only while the zone's rules cannot decide), delayed to the end of a
  // rain delay. The program's start, not the zone's turn within it; nullopt when none is due
  // or the clock is not yet trusted.
  struct NextRun {
    std::string program;
    Timestamp at{};
  };
  std::optional<NextRun> next_run(const std::string& zone) const;

 private:
  bool rain_delayed(Timestamp now) const;
  void update_rain_delay(Timestamp now);

  const config::Config& config_;
  ZoneInputsBad zone_inputs_bad_;
  Clock& clock_;
  ActionSink& sink_;
  Logger& log_;
  const DataView& data_;
  std::unique_ptr<SiteClock> site_clock_;
  std::unique_ptr<Scheduler> scheduler_;
  std::vector<std::unique_ptr<ProgramRunner>> programs_;
  std::vector<std::size_t> start_program_;  // scheduler start index → program index
  std::optional<Expression> rain_when_;
  Millis rain_hold_{0};
  std::optional<Timestamp> rain_until_;
  std::string rain_reason_;
};

}  // namespace farmgate::rules
