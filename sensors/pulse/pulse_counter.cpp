#include "sensors/pulse/pulse_counter.h"

#include <algorithm>
#include <chrono>

namespace farmgate::sensors::pulse {

const char* to_string(FlowSample::Why why) {
  switch (why) {
    case FlowSample::Why::interval:
      return "interval";
    case FlowSample::Why::started:
      return "started";
    case FlowSample::Why::stopped:
      return "stopped";
  }
  return "?";
}

PulseCounter::PulseCounter(CounterSettings settings, double total_l, SteadyTime now)
    : s_(settings), start_total_l_(total_l), next_reading_(now + settings.interval) {}

double PulseCounter::lpm(double pulses, SteadyTime::duration span) const {
  const double minutes = std::chrono::duration<double, std::ratio<60>>(span).count();
  if (minutes <= 0) return 0;
  return pulses / s_.k_factor / minutes;
}

FlowSample PulseCounter::sample(FlowSample::Why why, double rate, SteadyTime now) {
  next_reading_ = now + s_.interval;
  return FlowSample{why, rate, total_l()};
}

std::optional<FlowSample> PulseCounter::edge(SteadyTime at) {
  if (last_edge_ && at - *last_edge_ < s_.debounce) {
    ++glitches_;
    return std::nullopt;
  }
  // A stamp before the last one (a clock stepped under us) counts, but times nothing.
  if (last_edge_ && at < *last_edge_) at = *last_edge_;
  const std::optional<SteadyTime> previous = last_edge_;
  ++counted_;
  last_edge_ = at;
  if (flowing_) {
    ++since_reference_;
    return std::nullopt;
  }
  if (!previous || at - *previous > s_.idle_after) return std::nullopt;
  flowing_ = true;
  reference_ = at;
  since_reference_ = 0;
  return sample(FlowSample::Why::started, lpm(1, at - *previous), at);
}

std::optional<FlowSample> PulseCounter::tick(SteadyTime now) {
  if (flowing_ && now - *last_edge_ > s_.idle_after) {
    flowing_ = false;
    return sample(FlowSample::Why::stopped, 0, now);
  }
  if (now < next_reading_) return std::nullopt;
  double rate = 0;
  if (flowing_) {
    if (since_reference_ > 0) {
      rate = lpm(static_cast<double>(since_reference_), *last_edge_ - reference_);
    } else {
      // No edge since the last reading yet still within idle_after (idle_after > interval):
      // the most the flow can be is one pulse over the time since.
      rate = lpm(1, now - reference_);
    }
    reference_ = *last_edge_;
    since_reference_ = 0;
  }
  return sample(FlowSample::Why::interval, rate, now);
}

SteadyTime PulseCounter::next_due() const {
  if (flowing_) return std::min(next_reading_, *last_edge_ + s_.idle_after + Millis{1});
  return next_reading_;
}

}  // namespace farmgate::sensors::pulse
