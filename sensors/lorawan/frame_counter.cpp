#include "sensors/lorawan/frame_counter.h"

namespace farmgate::sensors {

FrameCounter::Outcome FrameCounter::check(std::uint32_t f_cnt,
                                          std::string_view deduplication_id) const {
  for (const Seen& s : recent_) {
    if (s.f_cnt != f_cnt) continue;
    // Two different uplinks with one counter value: the device started counting again.
    if (!deduplication_id.empty() && !s.deduplication_id.empty() &&
        s.deduplication_id != deduplication_id) {
      return {Verdict::reset, 0};
    }
    return {Verdict::duplicate, 0};
  }
  if (!last_) return {Verdict::first, 0};
  if (f_cnt > *last_) {
    const std::uint32_t missed = f_cnt - *last_ - 1;
    return {missed == 0 ? Verdict::next : Verdict::gap, missed};
  }
  return {Verdict::reset, 0};
}

void FrameCounter::accept(std::uint32_t f_cnt, std::string_view deduplication_id) {
  const Outcome o = check(f_cnt, deduplication_id);
  if (o.verdict == Verdict::duplicate) return;
  if (o.verdict == Verdict::reset) recent_.clear();
  last_ = f_cnt;
  recent_.push_back({f_cnt, std::string(deduplication_id)});
  if (recent_.size() > kWindow) recent_.pop_front();
}

void FrameCounter::reset() {
  last_.reset();
  recent_.clear();
}

const char* to_string(FrameCounter::Verdict v) {
  switch (v) {
    case FrameCounter::Verdict::first:
      return "first";
    case FrameCounter::Verdict::next:
      return "next";
    case FrameCounter::Verdict::gap:
      return "gap";
    case FrameCounter::Verdict::duplicate:
      return "duplicate";
    case FrameCounter::Verdict::reset:
      return "reset";
  }
  return "?";
}

}  // namespace farmgate::sensors
