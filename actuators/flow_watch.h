// FlowWatch: what one line's flow meter says, as the safety supervisor needs it — whether water
// has been flowing since the pump started, whether it flows too fast (a burst pipe) or while
// everything is off (a leak, a valve stuck open), and how many litres have gone through.
// The supervisor owns one per line with a meter (config::FlowCheck), feeds it the meter's
// readings and the pump's starts, and decides what to switch; FlowWatch only keeps the account.
//
// Volume: from the meter's litre counter when the config names one (a counter that goes back,
// e.g. after the meter rebooted, restarts the count from the new value), else integrated from the
// rate readings (each rate held until the next reading, at most kMaxHold, so a meter that went
// silent does not count a phantom flow forever).
//
// Pure and single-threaded: times are passed in (steady time, when the reading arrived).
#pragma once

#include <optional>

#include "config/config.h"
#include "core/time.h"

namespace farmgate::actuators {

class FlowWatch {
 public:
  enum class Verdict { ok, burst, leak, leak_cleared };
  static constexpr Millis kMaxHold{5 * 60'000};

  explicit FlowWatch(config::FlowCheck cfg) : cfg_(std::move(cfg)) {}

  const config::FlowCheck& config() const { return cfg_; }

  // The pump was confirmed ON at `now`: the no-flow clock starts here.
  void pump_started(SteadyTime now);
  // Everything on the line was confirmed off at `now` (or nothing was on since the start).
  void line_idle(SteadyTime now);
  void line_busy() { idle_since_.reset(); }

  // A rate reading in L/min. `pumping`: the pump is commanded on. Returns burst while pumping
  // faster than max_lpm; leak once the line has been idle for leak_after and the flow has been
  // at least leak_lpm for leak_after; leak_cleared when such a flow stops.
  Verdict rate(double lpm, SteadyTime now, bool pumping);
  // A reading of the litre counter.
  void total(double litres);

  // Since pump_started(): when the flow was last at least min_lpm (the pump start if never),
  // and whether the meter said anything at all.
  SteadyTime last_flow() const { return last_flow_; }
  bool heard_since_start() const { return heard_; }
  double last_lpm() const { return last_lpm_; }
  // Litres through the meter since this FlowWatch was made; only ever grows.
  double litres() const { return litres_; }

 private:
  config::FlowCheck cfg_;
  SteadyTime last_flow_{};
  bool heard_ = false;
  double last_lpm_ = 0;
  std::optional<SteadyTime> last_rate_at_;
  std::optional<double> last_total_;
  double litres_ = 0;
  std::optional<SteadyTime> idle_since_;
  std::optional<SteadyTime> leak_since_;  // flow at least leak_lpm on an idle line since then
  bool leak_raised_ = false;
};

}  // namespace farmgate::actuators
