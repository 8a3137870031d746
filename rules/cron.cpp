#include "rules/cron.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <chrono>
#include <vector>

namespace farmgate::rules {
namespace {

struct FieldSpec {
  const char* name;
  int min;
  int max;
  const char* const* names;  // lower-case names for min, min+1, ...; nullptr = none
  int names_count;
};

constexpr const char* kMonths[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                   "jul", "aug", "sep", "oct", "nov", "dec"};
constexpr const char* kWeekdays[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

constexpr std::array<FieldSpec, 5> kFields{{
    {"minute", 0, 59, nullptr, 0},
    {"hour", 0, 23, nullptr, 0},
    {"day of month", 1, 31, nullptr, 0},
    {"month", 1, 12, kMonths, 12},
    {"day of week", 0, 7, kWeekdays, 7},  // 7 is Sunday as well
}};

Error bad(const FieldSpec& f, const std::string& message) {
  return make_error("bad_cron", std::string(f.name) + ": " + message);
}

Result<int> value_of(const FieldSpec& f, std::string_view s) {
  if (f.names != nullptr && s.size() == 3) {
    std::string lower(s);
    for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    for (int i = 0; i < f.names_count; ++i) {
      if (lower == f.names[i]) return f.min + i;
    }
  }
  int v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size() || s.empty()) {
    return bad(
        f, "'" + std::string(s) + "' is not a number" + (f.names != nullptr ? " or a name" : ""));
  }
  if (v < f.min || v > f.max) {
    return bad(f, std::to_string(v) + " is out of range " + std::to_string(f.min) + "-" +
                      std::to_string(f.max));
  }
  return v;
}

// One field into a set of values (indexes min..max). `star` tells whether it was a bare "*".
Result<std::vector<bool>> parse_field(const FieldSpec& f, std::string_view text, bool& star) {
  std::vector<bool> set(static_cast<std::size_t>(f.max + 1), false);
  star = text == "*";
  std::size_t pos = 0;
  while (pos <= text.size()) {
    const std::size_t comma = std::min(text.find(',', pos), text.size());
    std::string_view part = text.substr(pos, comma - pos);
    pos = comma + 1;
    if (part.empty()) return bad(f, "empty list item in '" + std::string(text) + "'");
    int step = 1;
    if (const std::size_t slash = part.find('/'); slash != std::string_view::npos) {
      const std::string_view s = part.substr(slash + 1);
      const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), step);
      if (ec != std::errc{} || end != s.data() + s.size() || s.empty() || step < 1) {
        return bad(f, "step '" + std::string(s) + "' must be a whole number of at least 1");
      }
      part = part.substr(0, slash);
    }
    int lo = f.min;
    int hi = f.max;
    if (part != "*") {
      const std::size_t dash = part.find('-');
      auto a = value_of(f, part.substr(0, dash));
      if (!a) return a.error();
      lo = *a;
      if (dash != std::string_view::npos) {
        auto b = value_of(f, part.substr(dash + 1));
        if (!b) return b.error();
        hi = *b;
        if (hi < lo) {
          return bad(f, "range '" + std::string(part) + "' runs backwards");
        }
      } else if (step == 1) {
        hi = lo;  // a single value; "5/10" means 5, 15, 25, ... as in Vixie cron
      }
    }
    for (int v = lo; v <= hi; v += step) set[static_cast<std::size_t>(v)] = true;
    if (pos > text.size()) break;
  }
  return set;
}

std::string_view expand_macro(std::string_view text) {
  if (text == "@hourly") return "0 * * * *";
  if (text == "@daily" || text == "@midnight") return "0 0 * * *";
  if (text == "@weekly") return "0 0 * * 0";
  if (text == "@monthly") return "0 0 1 * *";
  if (text == "@yearly" || text == "@annually") return "0 0 1 1 *";
  return text;
}

int days_in_month(int month) {
  constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return kDays[month - 1];
}

}  // namespace

Result<CronSpec> CronSpec::parse(std::string_view text) {
  CronSpec spec;
  spec.text_ = std::string(text);
  const std::string_view line = expand_macro(text);
  if (line.starts_with('@')) {
    return make_error("bad_cron", "unknown macro '" + std::string(line) +
                                      "'; expected @hourly, @daily, @weekly, @monthly or @yearly");
  }
  std::vector<std::string_view> fields;
  std::size_t pos = 0;
  while (pos < line.size()) {
    const std::size_t start = line.find_first_not_of(" \t", pos);
    if (start == std::string_view::npos) break;
    const std::size_t end = std::min(line.find_first_of(" \t", start), line.size());
    fields.push_back(line.substr(start, end - start));
    pos = end;
  }
  if (fields.size() != 5) {
    return make_error("bad_cron",
                      "expected 5 fields (minute hour day-of-month month "
                      "day-of-week), got " +
                          std::to_string(fields.size()));
  }
  std::array<std::vector<bool>, 5> sets;
  std::array<bool, 5> stars{};
  for (std::size_t i = 0; i < 5; ++i) {
    bool star = false;
    auto set = parse_field(kFields[i], fields[i], star);
    if (!set) return set.error();
    sets[i] = std::move(set).value();
    stars[i] = star;
  }
  for (int v = 0; v < 60; ++v) spec.minutes_[v] = sets[0][v];
  for (int v = 0; v < 24; ++v) spec.hours_[v] = sets[1][v];
  for (int v = 1; v <= 31; ++v) spec.days_[v] = sets[2][v];
  for (int v = 1; v <= 12; ++v) spec.months_[v] = sets[3][v];
  for (int v = 0; v <= 7; ++v) {
    if (sets[4][v]) spec.weekdays_[v % 7] = true;
  }
  spec.any_day_ = stars[2];
  spec.any_weekday_ = stars[4];
  // "0 0 30 2 *" names no day at all: refuse it here rather than never water.
  if (spec.any_weekday_) {
    bool possible = false;
    for (int m = 1; m <= 12 && !possible; ++m) {
      for (int d = 1; d <= days_in_month(m) && spec.months_[m]; ++d) {
        possible = possible || spec.days_[d];
      }
    }
    if (!possible) {
      return make_error("bad_cron", "day of month: no selected month has such a day");
    }
  }
  return spec;
}

bool CronSpec::day_matches(int month, int day, int weekday) const {
  if (!months_[month]) return false;
  const bool dom = days_[day];
  const bool dow = weekdays_[weekday];
  if (any_day_ || any_weekday_) return dom && dow;
  return dom || dow;
}

bool CronSpec::matches(const LocalTime& t) const {
  return minutes_[t.minute] && hours_[t.hour] && day_matches(t.month, t.day, t.weekday);
}

std::optional<Timestamp> CronSpec::next_after(Timestamp t, const SiteTime& tz) const {
  using namespace std::chrono;
  const LocalTime l = tz.to_local(t);
  // Start a day early: a DST change can move a time of the previous local day past t.
  sys_days day = sys_days{year{l.year} / month{static_cast<unsigned>(l.month)} /
                          std::chrono::day{static_cast<unsigned>(l.day)}} -
                 days{1};
  std::optional<Timestamp> best;
  std::optional<sys_days> found_on;
  constexpr int kSearchDays = 366 * 8 + 2;
  for (int i = 0; i < kSearchDays; ++i, day += days{1}) {
    // Times of one day can land out of order around a DST change (a skipped 02:30 lands after
    // 03:00), never two days apart: the day after the first hit is looked at too.
    if (found_on && day > *found_on + days{1}) break;
    const year_month_day ymd{day};
    const int m = static_cast<int>(static_cast<unsigned>(ymd.month()));
    const int d = static_cast<int>(static_cast<unsigned>(ymd.day()));
    if (!day_matches(m, d, static_cast<int>(weekday{day}.c_encoding()))) continue;
    for (int h = 0; h < 24; ++h) {
      if (!hours_[h]) continue;
      for (int mi = 0; mi < 60; ++mi) {
        if (!minutes_[mi]) continue;
        auto at = tz.from_local(static_cast<int>(ymd.year()), m, d, h, mi);
        if (!at || *at <= t) continue;
        if (!best || *at < *best) best = *at;
      }
    }
    if (best && !found_on) found_on = day;
  }
  return best;
}

}  // namespace farmgate::rules
