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
  std::vector<std::pair<std::string, std::string>> tags;   // encoded sorted by key
  std::vector<std::pair<std::string, FieldValue>> fields;  // at least one
  Timestamp time{};
};

// Appends one line (with its trailing '\n') to `out`. Refuses what the protocol cannot carry:
// an empty measurement, no fields, an empty tag or field key, a non-finite float, a newline in
// a name; empty tag values are dropped, as InfluxDB does.
//
// Also refused, because InfluxDB would refuse or silently change them (the whole batch would then
// end in the dead letters, or the point would come back different):
//  - '\n' or '\r' anywhere, string values included: a line is one line for every reader
//    (VictoriaMetrics, our outbox tools), even where InfluxDB itself would accept it quoted;
//  - in a name (measurement, tag key or value, field key), a backslash at its end or before a
//    backslash, comma, equals sign or space: no escape can carry that the same way in InfluxDB
//    1.x and 2.x;
//  - a measurement starting with '#' (the line would be a comment) or a tab (it would be
//    trimmed);
//  - the keys InfluxDB reserves ("time" as a tag or field key; "_measurement" and "_field" as
//    tag keys) and duplicate keys;
//  - a time outside InfluxDB's range (about 1677-09-21 to 2262-04-11).
// On failure `out` is left as it was and the error code is "line_protocol".
Result<void> encode(const Point& point, std::string& out);

}  // namespace farmgate::lineproto
