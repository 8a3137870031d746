#include "rules/site_time.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <chrono>
#include <fstream>
#include <iterator>
#include <limits>
#include <optional>

namespace farmgate::rules {
namespace {

// Reads exactly `digits` digits at s[pos..]; advances pos.
std::optional<int> digits_at(std::string_view s, std::size_t& pos, std::size_t digits) {
  if (pos + digits > s.size()) return std::nullopt;
  int v = 0;
  for (std::size_t i = pos; i < pos + digits; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return std::nullopt;
    v = v * 10 + (s[i] - '0');
  }
  pos += digits;
  return v;
}


constexpr std::int64_t kDay = 86'400;

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  const std::int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). Done by hand
// rather than with std::chrono::year because TZif files hold sentinel stamps far outside
// chrono's year range.
std::int64_t days_from_civil(std::int64_t y, int m, int d) {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = floor_div(y, 400);
  const std::int64_t yoe = y - era * 400;
  const std::int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146'097 + doe - 719'468;
}

struct Civil {
  std::int64_t year;
  int month;
  int day;
};

Civil civil_from_days(std::int64_t z) {
  z += 719'468;
  const std::int64_t era = floor_div(z, 146'097);
  const std::int64_t doe = z - era * 146'097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36'524 - doe / 146'096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  const int d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  const int m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  return {yoe + era * 400 + (m <= 2 ? 1 : 0), m, d};
}

bool is_leap(std::int64_t y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int days_in_month(std::int64_t y, int m) {
  static constexpr std::array<int, 12> kDays{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : kDays[static_cast<std::size_t>(m - 1)];
}

int weekday_of_days(std::int64_t days) {  // 0 = Sunday; 1970-01-01 was a Thursday
  const std::int64_t w = (days + 4) % 7;
  return static_cast<int>(w < 0 ? w + 7 : w);
}

// Big-endian reads over a bounded buffer; every caller has checked the length first.
std::uint32_t be32(std::string_view b, std::size_t at) {
  return (std::uint32_t{static_cast<unsigned char>(b[at])} << 24) |
         (std::uint32_t{static_cast<unsigned char>(b[at + 1])} << 16) |
         (std::uint32_t{static_cast<unsigned char>(b[at + 2])} << 8) |
         std::uint32_t{static_cast<unsigned char>(b[at + 3])};
}

std::int64_t be64(std::string_view b, std::size_t at) {
  return static_cast<std::int64_t>((std::uint64_t{be32(b, at)} << 32) | be32(b, at + 4));
}

struct Counts {
  std::uint64_t isut, isstd, leap, time, type, chars;
};

Counts read_counts(std::string_view b, std::size_t at) {
  return {be32(b, at + 20), be32(b, at + 24), be32(b, at + 28),
          be32(b, at + 32), be32(b, at + 36), be32(b, at + 40)};
}

constexpr std::size_t kHeader = 44;

// A cursor over the POSIX TZ footer text.
class PosixReader {
 public:
  explicit PosixReader(std::string_view s) : s_(s) {}
  bool done() const { return i_ >= s_.size(); }
  char peek() const { return done() ? '\0' : s_[i_]; }
  bool eat(char c) {
    if (peek() != c) return false;
    ++i_;
    return true;
  }
  // A zone abbreviation: "<+07>" or at least three letters.
  bool name() {
    if (eat('<')) {
      const auto close = s_.find('>', i_);
      if (close == std::string_view::npos || close == i_) return false;
      i_ = close + 1;
      return true;
    }
    const std::size_t start = i_;
    while (!done() && ((peek() >= 'A' && peek() <= 'Z') || (peek() >= 'a' && peek() <= 'z'))) ++i_;
    return i_ - start >= 3;
  }
  std::optional<std::int64_t> number(std::int64_t max) {
    if (!(peek() >= '0' && peek() <= '9')) return std::nullopt;
    std::int64_t v = 0;
    while (peek() >= '0' && peek() <= '9') {
      v = v * 10 + (s_[i_++] - '0');
      if (v > max) return std::nullopt;
    }
    return v;
  }
  // [+-]hh[:mm[:ss]] in seconds; hours up to max_hours (24 for offsets, 167 for rule times).
  std::optional<std::int64_t> hms(std::int64_t max_hours) {
    const bool negative = eat('-');
    if (!negative) eat('+');
    const auto h = number(max_hours);
    if (!h) return std::nullopt;
    std::int64_t v = *h * 3600;
    if (eat(':')) {
      const auto m = number(59);
      if (!m) return std::nullopt;
      v += *m * 60;
      if (eat(':')) {
        const auto sec = number(59);
        if (!sec) return std::nullopt;
        v += *sec;
      }
    }
    return negative ? -v : v;
  }
  bool starts_offset() const {
    return peek() == '+' || peek() == '-' || (peek() >= '0' && peek() <= '9');
  }

 private:
  std::string_view s_;
  std::size_t i_ = 0;
};

Error bad_tzif(std::string_view zone, const std::string& why) {
  return make_error("bad_tzif", "time zone file for '" + std::string(zone) + "' " + why);
}

}  // namespace

Result<SiteTime::PosixTz> SiteTime::parse_posix(std::string_view text) {
  const auto bad =
      make_error("bad_tzif", "cannot read its POSIX TZ rule '" + std::string(text) + "'");
  PosixReader r(text);
  PosixTz tz;
  if (!r.name()) return bad;
  const auto std_west = r.hms(24);
  if (!std_west) return bad;
  tz.std_offset = -*std_west;  // POSIX counts hours west of Greenwich
  if (r.done()) return tz;

  if (!r.name()) return bad;
  tz.has_dst = true;
  tz.dst_offset = tz.std_offset + 3600;
  if (r.starts_offset()) {
    const auto dst_west = r.hms(24);
    if (!dst_west) return bad;
    tz.dst_offset = -*dst_west;
  }
  // RFC 8536 footers always spell out the rules; POSIX's implementation-defined default is
  // not something to guess at.
  auto rule = [&r](PosixRule& out) -> bool {
    if (!r.eat(',')) return false;
    if (r.eat('J')) {
      out.kind = PosixRule::Kind::kJulianNoLeap;
      const auto n = r.number(365);
      if (!n || *n < 1) return false;
      out.day = static_cast<int>(*n);
    } else if (r.eat('M')) {
      out.kind = PosixRule::Kind::kMonthWeekDay;
      const auto m = r.number(12);
      if (!m || *m < 1 || !r.eat('.')) return false;
      const auto w = r.number(5);
      if (!w || *w < 1 || !r.eat('.')) return false;
      const auto d = r.number(6);
      if (!d) return false;
      out.month = static_cast<int>(*m);
      out.week = static_cast<int>(*w);
      out.day = static_cast<int>(*d);
    } else {
      out.kind = PosixRule::Kind::kZeroBasedDay;
      const auto n = r.number(365);
      if (!n) return false;
      out.day = static_cast<int>(*n);
    }
    out.time = 7200;
    if (r.eat('/')) {
      const auto t = r.hms(167);
      if (!t) return false;
      out.time = *t;
    }
    return true;
  };
  if (!rule(tz.start) || !rule(tz.end) || !r.done()) return bad;
  return tz;
}

Result<SiteTime> SiteTime::load(std::string_view zone, const std::string& zoneinfo_dir) {
  const auto unknown = make_error(
      "bad_timezone", "unknown time zone '" + std::string(zone) +
                          "'; expected an IANA name like Asia/Ho_Chi_Minh with a file under " +
                          zoneinfo_dir);
  // Only plain path components: nothing may climb out of zoneinfo_dir.
  if (zone.empty() || zone.front() == '/' || zone.back() == '/') return unknown;
  for (std::size_t start = 0; start <= zone.size();) {
    const auto end = std::min(zone.find('/', start), zone.size());
    const auto part = zone.substr(start, end - start);
    const bool part_ok =
        !part.empty() && part.front() != '.' && std::all_of(part.begin(), part.end(), [](char c) {
          return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '_' || c == '-' || c == '+' || c == '.';
        });
    if (!part_ok) return unknown;
    start = end + 1;
  }
  std::ifstream file(zoneinfo_dir + "/" + std::string(zone), std::ios::binary);
  if (!file) return unknown;
  // Real zone files are a few kB; a bound keeps a wrong path (a device, a huge file) harmless.
  constexpr std::size_t kMaxBytes = 1 << 20;
  std::string bytes;
  bytes.resize(kMaxBytes + 1);
  file.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  bytes.resize(static_cast<std::size_t>(file.gcount()));
  if (bytes.size() > kMaxBytes) return bad_tzif(zone, "is larger than 1 MiB");
  if (bytes.size() < 4 || bytes.compare(0, 4, "TZif") != 0) return unknown;
  return parse(zone, bytes);
}

Result<SiteTime> SiteTime::parse(std::string_view zone, std::string_view b) {
  if (b.size() < kHeader || b.substr(0, 4) != "TZif") {
    return bad_tzif(zone, "is not a TZif file (too short or no 'TZif' magic)");
  }
  if (b[4] == '\0') return bad_tzif(zone, "is TZif version 1; version 2 or later is needed");
  const Counts v1 = read_counts(b, 0);
  // The v1 block (32-bit stamps) is skipped: v2+ repeats everything with 64-bit stamps. Counts
  // are at most 2^32 each, so these sums cannot overflow 64 bits.
  const std::uint64_t v1_len =
      v1.time * 5 + v1.type * 6 + v1.chars + v1.leap * 8 + v1.isstd + v1.isut;
  const std::uint64_t h2 = kHeader + v1_len;
  if (h2 + kHeader > b.size() || b.substr(h2, 4) != "TZif") {
    return bad_tzif(zone, "is truncated or damaged (no second TZif header where expected)");
  }
  const Counts c = read_counts(b, h2);
  if (c.type == 0 || c.chars == 0) return bad_tzif(zone, "has no local time types");
  if ((c.isstd != 0 && c.isstd != c.type) || (c.isut != 0 && c.isut != c.type)) {
    return bad_tzif(zone, "has inconsistent counts in its header");
  }
  if (c.leap != 0) {
    return bad_tzif(zone, "counts leap seconds (a 'right/' zone), which is not supported");
  }
  const std::uint64_t data = h2 + kHeader;
  const std::uint64_t data_len = c.time * 9 + c.type * 6 + c.chars + c.isstd + c.isut;
  if (data + data_len >= b.size()) {  // the footer needs at least "\n\n" after the data
    return bad_tzif(zone, "is truncated (data block or footer missing)");
  }

  SiteTime st;
  st.zone_ = std::string(zone);
  const std::size_t times_at = data;
  const std::size_t idx_at = times_at + c.time * 8;
  const std::size_t types_at = idx_at + c.time;
  std::vector<std::int64_t> type_offsets;
  for (std::size_t i = 0; i < c.type; ++i) {
    const auto off = static_cast<std::int32_t>(be32(b, types_at + i * 6));
    const auto abbr = static_cast<unsigned char>(b[types_at + i * 6 + 5]);
    // RFC 8536: -2^31 is invalid; real offsets stay within a day either side.
    if (off <= -26 * 3600 || off >= 26 * 3600)
      return bad_tzif(zone, "has an impossible UTC offset");
    if (abbr >= c.chars) return bad_tzif(zone, "has a bad abbreviation index");
    type_offsets.push_back(off);
  }
  st.initial_offset_ = type_offsets[0];
  for (std::size_t i = 0; i < c.time; ++i) {
    const std::int64_t t = be64(b, times_at + i * 8);
    const auto type = static_cast<unsigned char>(b[idx_at + i]);
    if (type >= c.type) return bad_tzif(zone, "names a local time type that does not exist");
    if (!st.transitions_.empty() && t <= st.transitions_.back()) {
      return bad_tzif(zone, "has transitions out of order");
    }
    st.transitions_.push_back(t);
    st.transition_offsets_.push_back(type_offsets[type]);
  }

  const std::size_t footer = data + data_len;
  if (b[footer] != '\n') return bad_tzif(zone, "has no footer after its data");
  const auto close = b.find('\n', footer + 1);
  if (close == std::string_view::npos) return bad_tzif(zone, "has an unterminated footer");
  const auto rule = b.substr(footer + 1, close - footer - 1);
  if (!rule.empty()) {
    auto tz = parse_posix(rule);
    if (!tz) return tz.error();
    st.footer_ = *tz;
    st.has_footer_rule_ = true;
  }
  return st;
}

std::int64_t SiteTime::rule_local_seconds(const PosixRule& rule, std::int64_t year) {
  std::int64_t days = 0;
  switch (rule.kind) {
    case PosixRule::Kind::kJulianNoLeap:  // Jn: 1..365, February 29 never counted
      days = days_from_civil(year, 1, 1) + rule.day - 1 + (is_leap(year) && rule.day >= 60 ? 1 : 0);
      break;
    case PosixRule::Kind::kZeroBasedDay:
      days = days_from_civil(year, 1, 1) + rule.day;
      break;
    case PosixRule::Kind::kMonthWeekDay: {
      const std::int64_t first = days_from_civil(year, rule.month, 1);
      std::int64_t dom = 1 + (rule.day - weekday_of_days(first) + 7) % 7 + (rule.week - 1) * 7;
      while (dom > days_in_month(year, rule.month)) dom -= 7;
      days = first + dom - 1;
      break;
    }
  }
  return days * kDay + rule.time;
}

std::int64_t SiteTime::posix_offset_at(std::int64_t t) const {
  const PosixTz& tz = footer_;
  if (!tz.has_dst) return tz.std_offset;
  const std::int64_t year = civil_from_days(floor_div(t + tz.std_offset, kDay)).year;
  // The start time is written in standard time, the end time in daylight time.
  const std::int64_t start = rule_local_seconds(tz.start, year) - tz.std_offset;
  const std::int64_t end = rule_local_seconds(tz.end, year) - tz.dst_offset;
  const bool in_dst = start < end ? (start <= t && t < end)    // northern hemisphere
                                  : !(end <= t && t < start);  // southern: DST spans new year
  return in_dst ? tz.dst_offset : tz.std_offset;
}

std::int64_t SiteTime::offset_at(std::int64_t t) const {
  const auto it = std::upper_bound(transitions_.begin(), transitions_.end(), t);
  if (it == transitions_.end() && has_footer_rule_) return posix_offset_at(t);
  if (it == transitions_.begin()) return initial_offset_;
  return transition_offsets_[static_cast<std::size_t>(std::distance(transitions_.begin(), it) - 1)];
}

std::chrono::seconds SiteTime::utc_offset(Timestamp t) const {
  return std::chrono::seconds{offset_at(floor_div(to_epoch_ms(t), 1000))};
}

LocalTime SiteTime::to_local(Timestamp t) const {
  const std::int64_t utc = floor_div(to_epoch_ms(t), 1000);
  const std::int64_t local = utc + offset_at(utc);
  const std::int64_t days = floor_div(local, kDay);
  const std::int64_t sod = local - days * kDay;
  const Civil c = civil_from_days(days);
  LocalTime lt;
  lt.year = static_cast<int>(c.year);
  lt.month = c.month;
  lt.day = c.day;
  lt.hour = static_cast<int>(sod / 3600);
  lt.minute = static_cast<int>(sod % 3600 / 60);
  lt.second = static_cast<int>(sod % 60);
  lt.weekday = weekday_of_days(days);
  lt.day_of_year = static_cast<int>(days - days_from_civil(c.year, 1, 1) + 1);
  lt.minutes_of_day = lt.hour * 60 + lt.minute;
  return lt;
}

Result<Timestamp> SiteTime::from_local(int year, int month, int day, int hour, int minute) const {
  if (year < 1 || year > 9999 || month < 1 || month > 12 || day < 1 ||
      day > days_in_month(year, month) || hour < 0 || hour > 23 || minute < 0 || minute > 59) {
    return make_error("bad_local_time", "no such local time " + std::to_string(year) + "-" +
                                            std::to_string(month) + "-" + std::to_string(day) +
                                            " " + std::to_string(hour) + ":" +
                                            std::to_string(minute));
  }
  const std::int64_t wall = days_from_civil(year, month, day) * kDay + hour * 3600 + minute * 60;
  // The offsets in force well before and well after the wall time (offsets stay within ±26 h,
  // so 36 h either side brackets any change near it). Assumes at most one change in that span.
  const std::int64_t before = offset_at(wall - 36 * 3600);
  const std::int64_t after = offset_at(wall + 36 * 3600);
  const std::int64_t t1 = wall - before;
  const std::int64_t t2 = wall - after;
  const bool ok1 = offset_at(t1) == before;
  const bool ok2 = offset_at(t2) == after;
  std::int64_t t = t1;  // neither fits: a skipped time, read with the offset before the gap
  if (ok1 && ok2) {
    t = std::min(t1, t2);  // occurs twice: the first occurrence
  } else if (ok2) {
    t = t2;
  }
  return from_epoch_ms(t * 1000);
}

Timestamp SiteTime::local_midnight(Timestamp t) const {
  const LocalTime lt = to_local(t);
  // Fields come from to_local, so they are always in range.
  return from_local(lt.year, lt.month, lt.day, 0, 0).value();
}


Result<Timestamp> parse_time_arg(std::string_view text, const SiteTime& site) {
  const auto bad = [&](const std::string& why) {
    return make_error("bad_time", "'" + std::string(text) + "': " + why);
  };
  if (text.empty()) return bad("empty");
  if (std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    std::int64_t ms = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), ms);
    if (ec != std::errc() || end != text.data() + text.size()) return bad("number out of range");
    if (ms < kPlausibleEpochMs) {
      return bad("epoch milliseconds before 2020 (seconds? multiply by 1000)");
    }
    return from_epoch_ms(ms);
  }
  std::size_t pos = 0;
  const auto year = digits_at(text, pos, 4);
  if (!year || pos >= text.size() || text[pos] != '-') return bad("expected YYYY-MM-DD");
  ++pos;
  const auto month = digits_at(text, pos, 2);
  if (!month || pos >= text.size() || text[pos] != '-') return bad("expected YYYY-MM-DD");
  ++pos;
  const auto day = digits_at(text, pos, 2);
  if (!day) return bad("expected YYYY-MM-DD");
  int hour = 0, minute = 0, second = 0;
  if (pos < text.size() && (text[pos] == 'T' || text[pos] == ' ')) {
    ++pos;
    const auto h = digits_at(text, pos, 2);
    if (!h || pos >= text.size() || text[pos] != ':') return bad("expected HH:MM after the date");
    ++pos;
    const auto m = digits_at(text, pos, 2);
    if (!m) return bad("expected HH:MM after the date");
    hour = *h;
    minute = *m;
    if (pos < text.size() && text[pos] == ':') {
      ++pos;
      const auto s = digits_at(text, pos, 2);
      if (!s) return bad("expected seconds after HH:MM:");
      second = *s;
    }
  }
  if (hour > 23 || minute > 59 || second > 59) return bad("time of day out of range");
  const std::chrono::year_month_day ymd{std::chrono::year{*year},
                                        std::chrono::month{static_cast<unsigned>(*month)},
                                        std::chrono::day{static_cast<unsigned>(*day)}};
  if (!ymd.ok()) return bad("no such date");
  const Millis in_day =
      std::chrono::hours{hour} + std::chrono::minutes{minute} + std::chrono::seconds{second};
  if (pos == text.size()) {
    auto t = site.from_local(*year, *month, *day, hour, minute);
    if (!t) return bad(t.error().message);
    return *t + std::chrono::seconds{second};
  }
  // An explicit zone: Z, +HH, +HH:MM or +HHMM.
  std::chrono::minutes offset{0};
  if (text[pos] == 'Z' && pos + 1 == text.size()) {
    ++pos;
  } else if (text[pos] == '+' || text[pos] == '-') {
    const int sign = text[pos] == '-' ? -1 : 1;
    ++pos;
    const auto oh = digits_at(text, pos, 2);
    if (!oh) return bad("expected an offset like +07:00");
    int om = 0;
    if (pos < text.size()) {
      if (text[pos] == ':') ++pos;
      const auto m = digits_at(text, pos, 2);
      if (!m) return bad("expected an offset like +07:00");
      om = *m;
    }
    if (*oh > 14 || om > 59) return bad("offset out of range");
    offset = std::chrono::minutes{sign * (*oh * 60 + om)};
  } else {
    return bad("unexpected '" + std::string(text.substr(pos)) + "'");
  }
  if (pos != text.size()) return bad("unexpected '" + std::string(text.substr(pos)) + "'");
  return Timestamp{std::chrono::sys_days{ymd}} + in_day - offset;
}

}  // namespace farmgate::rules
