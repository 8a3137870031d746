// FrameCounter: one LoRaWAN device's uplink frame counter (fCnt) as farmgate has seen it, to drop
// an uplink delivered twice and to count the frames that never arrived.
//
// - Duplicate: an fCnt among the last kWindow accepted with the same deduplicationId (or either
//   id unknown). ChirpStack hands the same uplink over again after an MQTT reconnect or its own
//   restart.
// - Gap: an fCnt more than one above the last; the frames in between are missed.
// - Reset: an fCnt below the last that is not a duplicate, or a seen fCnt with a different
//   deduplicationId: the device restarted its counter (rejoined, rebooted, or wrapped at 2^32).
//   Not a gap; counting starts again from it. A join event calls reset() for the same reason.
//
// check() only looks; accept() records a frame once its readings are safe, so a frame that could
// not be stored is not taken as seen. Not thread-safe: the owner locks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>

namespace farmgate::sensors {

class FrameCounter {
 public:
  static constexpr std::size_t kWindow = 16;

  enum class Verdict { first, next, gap, duplicate, reset };
  struct Outcome {
    Verdict verdict = Verdict::first;
    std::uint32_t missed = 0;  // gap: frames between the last and this one
  };

  Outcome check(std::uint32_t f_cnt, std::string_view deduplication_id) const;
  // Records an accepted frame (anything check() did not call a duplicate).
  void accept(std::uint32_t f_cnt, std::string_view deduplication_id);
  // Forgets everything: the next frame is a first.
  void reset();

  std::optional<std::uint32_t> last() const { return last_; }

 private:
  struct Seen {
    std::uint32_t f_cnt;
    std::string deduplication_id;
  };
  std::optional<std::uint32_t> last_;
  std::deque<Seen> recent_;  // newest at the back, at most kWindow
};

const char* to_string(FrameCounter::Verdict v);

}  // namespace farmgate::sensors
