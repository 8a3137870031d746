// The InfluxDB line protocol encoder: our own, small and exact. Escapes measurement names, tag
// keys/values and field keys/values as the protocol requires, writes integers with the "i"
// suffix, floats in shortest round-trip form, strings quoted, and millisecond timestamps.
// Pure functions; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "core/result.h"
#include "core/time.h"

namespace farmgate::lineproto {

using FieldValue = std::variant<double, std::int64_t, std::string, bool>;

struct Point {
  std::string measurement;
  std::vector<std::pair<std::string, std::string>> tags;  // encoded sorted by key
  std::vector<std::pair<std::string, FieldValue>> fields;  // at least one
  Timestamp time{};
};

// Appends one line (with its trailing '\n') to `out`. Refuses what the protocol cannot carry:
// an empty measurement, no fields, an empty tag or field key, a non-finite float, a newline in
// a name; empty tag values are dropped, as InfluxDB does.
Result<void> encode(const Point& point, std::string& out);

}  // namespace farmgate::lineproto
