// Engine: the rule runtime. It keeps the recent readings (History), evaluates each rule's `when`
// on every reading the rule depends on and on every tick, fires the rule's actions through an
// ActionSink, and watches the `until` of the runs it started. Semantics in docs/rules.md, "Rules".
//
// Single-threaded: construct it and call every method on the gateway's event-loop thread. Nothing
// blocks; the ActionSink must not block either (it asks the supervisor and queues MQTT messages).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/clock.h"
#include "core/event.h"
#include "core/log.h"
#include "core/reading.h"
#include "core/result.h"
#include "rules/history.h"
#include "rules/site_clock.h"

namespace farmgate::rules {

// What rules act on. Implemented by the gateway over the safety supervisor and the MQTT bus.
class ActionSink {
 public:
  virtual ~ActionSink() = default;
  // Asks the supervisor; a refusal comes back as its Error (message = reason).
  virtual Result<std::uint64_t> irrigate(const std::string& zone, Millis duration,
                                         const std::string& who) = 0;
  virtual Result<void> stop(const std::string& zone, const std::string& why,
                            const std::string& who) = 0;
  virtual bool zone_running(const std::string& zone) const = 0;
  // Whether the run `irrigate` returned this id for is still going. A rule's `until` stops only
  // its own run: once that ended (early, by a person or the supervisor), a run someone else
  // started in the zone right after is not the rule's to stop.
  virtual bool run_active(std::uint64_t run_id) const = 0;
  virtual void alarm(Severity s, const std::string& code, const std::string& message) = 0;
  virtual void publish(const std::string& topic, const std::string& payload, bool retain) = 0;
};

class Engine {
 public:
  // Missing inputs raise rule_input_bad only once the engine has run this long: right after a
  // start no sensor has reported yet.
  static constexpr Millis kStartupGrace{5 * 60'000};
  // A firing whose irrigations were all refused is tried again after this, not after cooldown.
  static constexpr Millis kRetryAfterRefusal{60'000};

  // Compiles the rules (they were checked already by check_rules: a compile error here is a
  // programming error and throws std::logic_error) and loads the site's time zone (throws
  // std::runtime_error if it cannot: also checked before). Borrows clock, sink and log.
  Engine(const config::Config& c, Clock& clock, ActionSink& sink, Logger& log);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Records the reading and evaluates the rules whose `when` or `until` reads its series.
  void on_reading(const Reading& r);
  // Evaluates every rule at clock.now(); the gateway calls it every second.
  void tick();

  const DataView& history() const;
  // Every series' health at clock.now().
  std::vector<SeriesHealth> health() const;

  struct RuleState {
    std::string name;
    std::string state;  // idle, holding, fired, cooldown, unknown
    std::string detail;
    std::optional<Timestamp> last_fired;
  };
  std::vector<RuleState> states() const;

  // True when a rule that irrigates `zone` cannot decide: its inputs have been unknown past the
  // start-up grace (rule_input_bad is raised). A zone's fallback_program runs only then.
  bool zone_inputs_bad(const std::string& zone) const;

 private:
  struct CompiledRule;

  void evaluate(CompiledRule& rule, Timestamp now);
  void watch_runs(CompiledRule& rule, Timestamp now);
  void fire(CompiledRule& rule, Timestamp now);

  Clock& clock_;
  ActionSink& sink_;
  Logger& log_;
  const Timestamp started_;
  std::unique_ptr<History> history_;
  std::unique_ptr<SiteClock> site_clock_;
  std::vector<std::unique_ptr<CompiledRule>> rules_;
  // For each series, the rules that read it (indexes into rules_).
  std::map<SeriesKey, std::vector<std::size_t>> readers_;
};

}  // namespace farmgate::rules
