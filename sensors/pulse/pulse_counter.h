// PulseCounter: the arithmetic of one pulse flow meter, without threads or I/O. Fed the times of
// rising edges and the current time, it says when a reading is due and what it holds:
//
//   - debounce: an edge closer than `debounce` to the last counted one is a glitch, not counted;
//   - total: litres = the total it started from + counted edges / k_factor (pulses per litre);
//   - flowing: starts when an edge follows the previous one within `idle_after` (a lone edge is
//     counted in the total but is no flow yet), stops `idle_after` after the last edge;
//   - rate (L/min): from edge times, not from counts per window, so a 5 s window with 3 pulses is
//     not off by a third: pulses since the reference edge / k / (last edge - reference edge). The
//     reference is the last edge before the previous reading (or the edge that started the flow);
//   - readings: every `interval`, and at once when the flow starts (with the rate from the first
//     two edges' spacing) or stops (rate 0); either restarts the interval.
//
// Times are steady times of one base (edge stamps and `now` alike). Single-threaded.
#pragma once

#include <cstdint>
#include <optional>

#include "core/time.h"

namespace farmgate::sensors::pulse {

struct FlowSample {
  enum class Why { interval, started, stopped };
  Why why = Why::interval;
  double rate_lpm = 0;
  double total_l = 0;
  bool operator==(const FlowSample&) const = default;
};

const char* to_string(FlowSample::Why why);

struct CounterSettings {
  double k_factor = 1;  // pulses per litre, > 0
  Millis interval{5000};
  Millis debounce{0};
  Millis idle_after{3000};
};

class PulseCounter {
 public:
  // Counting starts at `now` from `total_l` litres (what was saved before a restart).
  PulseCounter(CounterSettings settings, double total_l, SteadyTime now);

  // A rising edge at `at`. The reading to publish at once when it starts the flow.
  std::optional<FlowSample> edge(SteadyTime at);
  // The reading due at `now`, if any: the flow stopped, or the interval passed.
  std::optional<FlowSample> tick(SteadyTime now);
  // When tick() may next have something to say; an edge can only make it sooner.
  SteadyTime next_due() const;

  double total_l() const { return start_total_l_ + static_cast<double>(counted_) / s_.k_factor; }
  std::uint64_t counted() const { return counted_; }
  std::uint64_t glitches() const { return glitches_; }
  bool flowing() const { return flowing_; }

 private:
  FlowSample sample(FlowSample::Why why, double rate, SteadyTime now);
  // L/min from `pulses` pulses over `span`.
  double lpm(double pulses, SteadyTime::duration span) const;

  CounterSettings s_;
  double start_total_l_;
  std::uint64_t counted_ = 0;
  std::uint64_t glitches_ = 0;
  std::optional<SteadyTime> last_edge_;  // the last counted edge
  bool flowing_ = false;
  SteadyTime reference_{};             // while flowing: the edge the next rate is measured from
  std::uint64_t since_reference_ = 0;  // counted edges after it
  SteadyTime next_reading_;
};

}  // namespace farmgate::sensors::pulse
