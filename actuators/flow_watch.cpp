#include "actuators/flow_watch.h"

#include <algorithm>

namespace farmgate::actuators {

void FlowWatch::pump_started(SteadyTime now) {
  last_flow_ = now;
  heard_ = false;
  idle_since_.reset();
}

void FlowWatch::line_idle(SteadyTime now) {
  if (!idle_since_) idle_since_ = now;
}

FlowWatch::Verdict FlowWatch::rate(double lpm, SteadyTime now, bool pumping) {
  if (cfg_.total.empty() && last_rate_at_) {
    const Millis held =
        std::min(std::chrono::duration_cast<Millis>(now - *last_rate_at_), kMaxHold);
    litres_ += last_lpm_ * std::max<double>(static_cast<double>(held.count()), 0) / 60'000.0;
  }
  last_rate_at_ = now;
  last_lpm_ = lpm;
  heard_ = true;
  if (pumping) {
    if (lpm >= cfg_.min_lpm) last_flow_ = now;
    leak_since_.reset();
    return cfg_.max_lpm > 0 && lpm > cfg_.max_lpm ? Verdict::burst : Verdict::ok;
  }
  // Water still draining right after a run is no leak: the line counts only once it has been
  // idle for leak_after.
  const bool idle_long = idle_since_ && now - *idle_since_ >= cfg_.leak_after;
  if (lpm < cfg_.leak_lpm || !idle_since_) {
    leak_since_.reset();
    if (leak_raised_ && lpm < cfg_.leak_lpm) {
      leak_raised_ = false;
      return Verdict::leak_cleared;
    }
    return Verdict::ok;
  }
  if (!leak_since_) leak_since_ = now;
  if (!leak_raised_ && idle_long && now - *leak_since_ >= cfg_.leak_after) {
    leak_raised_ = true;
    return Verdict::leak;
  }
  return Verdict::ok;
}

void FlowWatch::total(double litres) {
  if (!cfg_.total.empty() && last_total_ && litres >= *last_total_) {
    litres_ += litres - *last_total_;
  }
  last_total_ = litres;
}

}  // namespace farmgate::actuators
