#include "config/units.h"

#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <system_error>

namespace farmgate::config {
namespace {

constexpr std::string_view kDurationHint = "expected a duration like 30s, 5m, 2h, 1d, 250ms";

struct UnitScale {
  std::string_view suffix;
  std::int64_t ms;
};

// "ms" before "m" and "s": the longest suffix must win.
constexpr std::array<UnitScale, 5> kUnits{{
    {"ms", 1},
    {"s", 1000},
    {"m", 60'000},
    {"h", 3'600'000},
    {"d", 86'400'000},
}};

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

std::string quoted(std::string_view text) {
  return "'" + std::string(text) + "'";
}

}  // namespace

Result<Millis> parse_duration(std::string_view text) {
  const auto bad = [&] {
    return make_error("bad_duration", std::string(kDurationHint) + ", got " + quoted(text));
  };
  const UnitScale* unit = nullptr;
  for (const auto& u : kUnits) {
    if (text.size() > u.suffix.size() && text.ends_with(u.suffix)) {
      unit = &u;
      break;
    }
  }
  if (unit == nullptr) return bad();
  const std::string_view number = text.substr(0, text.size() - unit->suffix.size());
  const auto dot = number.find('.');
  const std::string_view whole = number.substr(0, dot);
  const std::string_view fraction =
      dot == std::string_view::npos ? std::string_view{} : number.substr(dot + 1);
  if (!all_digits(whole) || (dot != std::string_view::npos && !all_digits(fraction))) {
    return bad();
  }
  // Exact integer arithmetic: "1.5h" is 15 tenths of an hour, and the division by 10^k below must
  // leave nothing over, or the value is not a whole number of milliseconds.
  const auto too_long = make_error("bad_duration", "duration " + quoted(text) + " is too long");
  if (whole.size() + fraction.size() > 18) return too_long;
  std::int64_t mantissa = 0;
  for (char c : whole) mantissa = mantissa * 10 + (c - '0');
  std::int64_t divisor = 1;
  for (char c : fraction) {
    mantissa = mantissa * 10 + (c - '0');
    divisor *= 10;
  }
  std::int64_t scaled = 0;
  if (__builtin_mul_overflow(mantissa, unit->ms, &scaled)) return too_long;
  if (scaled % divisor != 0) {
    return make_error("bad_duration",
                      "duration " + quoted(text) + " is not a whole number of milliseconds");
  }
  return Millis{scaled / divisor};
}

Result<std::size_t> parse_count(std::string_view text) {
  if (!all_digits(text)) {
    return make_error("bad_count", "expected a whole number (0 or more), got " + quoted(text));
  }
  std::size_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) {
    return make_error("bad_count", "number " + quoted(text) + " is too large");
  }
  return value;
}

Result<double> parse_number(std::string_view text) {
  std::string_view digits = text;
  // from_chars takes no leading '+', but people write one.
  const bool plus = digits.starts_with('+');
  if (plus) digits.remove_prefix(1);
  double value = 0;
  const char* first = digits.data();
  const char* last = digits.data() + digits.size();
  // from_chars alone would also read "inf", "nan" and, after a '+', a second sign.
  const bool leading_ok =
      !digits.empty() && ((digits.front() == '-' && !plus) || digits.front() == '.' ||
                          (digits.front() >= '0' && digits.front() <= '9'));
  const auto [end, ec] = std::from_chars(first, last, value, std::chars_format::general);
  if (!leading_ok || ec != std::errc{} || end != last || !std::isfinite(value)) {
    return make_error("bad_number", "expected a number, got " + quoted(text));
  }
  return value;
}

Result<bool> parse_bool(std::string_view text) {
  if (text == "true") return true;
  if (text == "false") return false;
  return make_error("bad_bool", "expected true or false, got " + quoted(text));
}

std::string format_duration(Millis d) {
  const std::int64_t ms = d.count();
  if (ms == 0) return "0s";
  for (auto it = kUnits.rbegin(); it != kUnits.rend(); ++it) {
    if (ms % it->ms == 0) return std::to_string(ms / it->ms) + std::string(it->suffix);
  }
  return std::to_string(ms) + "ms";
}

}  // namespace farmgate::config
