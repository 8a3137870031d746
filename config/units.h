// Units: the text forms of durations, counts, numbers and booleans in a configuration, parsed
// strictly (no trailing junk, no silent rounding) so that a typo is an error, not a surprise.
// Pure functions; any thread.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/result.h"
#include "core/time.h"

namespace farmgate::config {

// "250ms", "30s", "5m", "1.5h", "400d": an integer or decimal and one of ms|s|m|h|d. A bare
// number is refused because its unit would be a guess. The result must be whole milliseconds.
Result<Millis> parse_duration(std::string_view text);

// A plain non-negative decimal integer ("5000"); no sign, no exponent, no separators.
Result<std::size_t> parse_count(std::string_view text);

// A finite decimal number ("-10", "0.5", "1e3").
Result<double> parse_number(std::string_view text);

// "true" or "false".
Result<bool> parse_bool(std::string_view text);

// The shortest exact text parse_duration() reads back: 86400000ms -> "1d", 90000ms -> "90s".
std::string format_duration(Millis d);

}  // namespace farmgate::config
