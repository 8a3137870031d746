// Replay: the dry run behind `farmgate replay`. Stored readings are fed, in time order, through
// the real rules::Engine on a fake clock that follows the readings' time, and the engine's
// actions land in ReplayActions, which plays the safety supervisor's part on paper: nothing is
// switched, nothing is published, nothing is written. The report says what would have been done
// and roughly how much water it would have used. docs/rules.md, "Dry run", is the user's view.
//
// The engine starts empty at `from`, as after a restart of the daemon (its start-up grace
// included): readings before `from` are not read.
//
// Single-threaded: everything runs on the caller's thread; a month replays in seconds.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "core/clock.h"
#include "core/event.h"
#include "core/log.h"
#include "core/result.h"
#include "gateway/store/history_reader.h"
#include "rules/engine.h"
#include "rules/site_time.h"

namespace farmgate::gateway {

using namespace std::chrono_literals;

// --from/--to arguments are read by rules::parse_time_arg (rules/site_time.h).

// One thing the rules would have done, in the order they did it.
struct ReplayAction {
  enum class Kind { irrigate, refused, stop, alarm, publish };
  Kind kind = Kind::irrigate;
  Timestamp at{};
  std::string rule;  // the rule that did it; empty for the engine's own alarms
  std::string zone;  // irrigate, refused, stop
  // irrigate, refused: what was asked; irrigate: what the supervisor would grant, and how long
  // the zone ran (to its end, its stop, or the end of the range).
  Millis requested{0};
  Millis granted{0};
  Millis ran{0};
  bool running_at_end = false;  // irrigate: still running when the range ended
  // irrigate: why it ended early ("until: ..."), empty when it ran its granted time;
  // refused: the supervisor's reason; stop: why; alarm: the message; publish: the payload.
  std::string detail;
  std::string code;  // refused: the reason's code; alarm: its code; publish: the topic
  Severity severity = Severity::info;  // alarm
  int repeats = 1;                     // refused: identical refusals folded into this one
  std::optional<double> litres;        // irrigate: ran × the line's rate, when the rate is known
};

struct ZoneSummary {
  std::string zone;
  int runs = 0;
  Millis watered{0};
  std::optional<double> litres;  // unknown without a rate for the zone's line
  int refused = 0;
};

struct ReplayReport {
  Timestamp from{};
  Timestamp to{};
  std::uint64_t readings = 0;
  std::vector<ReplayAction> actions;
  std::vector<ZoneSummary> zones;     // every zone a valve waters, in config order
  std::map<std::string, int> alarms;  // code → times raised
  // Line → L/min used for the estimates: the mean of the line's flow meter rate readings at or
  // above its min_lpm (water flowing) in the store, over the 90 days before `to`. Lines without
  // a meter, or whose meter never saw water flow, are missing: their litres are unknown.
  std::map<std::string, double> line_lpm;
};

// The supervisor's verdicts, simplified for a dry run: a run is granted for
// min(duration, the valve's and the pump's max_runtime); at most max_open_valves zones per line
// at once; the pump and the valve must have rested min_off (a pump already running for another
// zone needs no rest). Refusals carry the supervisor's codes. Not modelled: the line's start and
// close delays, flow alarms and lockouts, actuator faults, a joining zone's shorter pump lease.
// Runs end on their own at start + granted, or at stop().
class ReplayActions final : public rules::ActionSink {
 public:
  ReplayActions(const config::Config& config, Clock& clock);

  Result<std::uint64_t> irrigate(const std::string& zone, Millis duration,
                                 const std::string& who) override;
  Result<void> stop(const std::string& zone, const std::string& why,
                    const std::string& who) override;
  bool zone_running(const std::string& zone) const override;
  bool run_active(std::uint64_t run_id) const override;
  void alarm(Severity s, const std::string& code, const std::string& message) override;
  void publish(const std::string& topic, const std::string& payload, bool retain) override;

  // Ends the runs whose granted time is over by clock.now(), at their exact end. The replay
  // calls it each time it moves the clock.
  void settle();
  // Closes the runs still going at `end` (the end of the range) and hands over the actions.
  std::vector<ReplayAction> finish(Timestamp end);

 private:
  struct Actuator {
    const config::Actuator* cfg = nullptr;
    std::optional<Timestamp> off_since;  // never ran in the replay: rested enough
  };
  struct Run {
    std::string zone;
    std::string line;
    Timestamp ends{};
    std::size_t action = 0;  // index into actions_
    std::uint64_t id = 0;    // as irrigate returned it
  };

  Actuator* valve_of(const std::string& zone);
  Actuator* pump_of(const std::string& line);
  void end_run(std::size_t run, Timestamp at, std::string why);

  const config::Config& config_;
  Clock& clock_;
  std::map<std::string, Actuator> actuators_;  // by id
  std::vector<Run> runs_;                      // running now
  std::vector<ReplayAction> actions_;
  std::uint64_t next_id_ = 1;
};

struct ReplayOptions {
  Timestamp from{};
  Timestamp to{};
  // How often the engine's tick() runs between readings (the daemon ticks every second; 10 s
  // makes a month fast and moves rule times by under 10 s).
  Millis tick = 10s;
  std::size_t chunk_rows = 10'000;
};

// Replays [from, to). The config must have passed rules::check_rules. Errors: the store's.
// `log` hears the engine's warnings; its info lines are dropped.
Result<ReplayReport> replay(const config::Config& config, store::HistoryReader& reader,
                            const ReplayOptions& options, Logger& log);

// The report for people: one line per action in site-local time, then the per-zone summary.
void write_text(const ReplayReport& report, const rules::SiteTime& site, std::ostream& out);
// The report for scripts: one JSON object (times as epoch ms and as site-local text).
void write_json(const ReplayReport& report, const rules::SiteTime& site, std::ostream& out);

// `farmgate replay` once the config is loaded and checked: parses the times, reads
// config.store.path read-only, replays and writes the report to `out`. Returns the exit code:
// 0, 2 for a bad or empty time range (message on `err`), 1 when the store cannot be read.
int run_replay_command(const config::Config& config, std::string_view from, std::string_view to,
                       bool json, std::ostream& out, std::ostream& err, Logger& log);

}  // namespace farmgate::gateway
