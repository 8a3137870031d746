// Time types shared by every module: wall-clock stamps in milliseconds since the Unix epoch
// (what readings carry and what goes upstream) and a steady clock for intervals.
#pragma once

#include <chrono>
#include <cstdint>

namespace farmgate {

using Millis = std::chrono::milliseconds;
// A wall-clock instant with millisecond resolution.
using Timestamp = std::chrono::sys_time<std::chrono::milliseconds>;
using SteadyTime = std::chrono::steady_clock::time_point;

inline std::int64_t to_epoch_ms(Timestamp t) { return t.time_since_epoch().count(); }
inline Timestamp from_epoch_ms(std::int64_t ms) { return Timestamp{Millis{ms}}; }

// Before this instant the system clock is taken as unsynchronised: a Raspberry Pi has no RTC and
// boots at its last saved time or at 1970 until NTP answers.
inline constexpr std::int64_t kPlausibleEpochMs = 1'600'000'000'000;  // 2020-09-13

}  // namespace farmgate
