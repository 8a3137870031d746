#include "gateway/uplink/line_protocol.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <string_view>
#include <system_error>

namespace farmgate::lineproto {
namespace {

// InfluxDB keeps nanoseconds in an int64 and refuses the two extreme values; at millisecond
// precision that leaves this many milliseconds either side of the epoch.
constexpr std::int64_t kMaxAbsMs = 9'223'372'036'854;

Error refuse(std::string message) {
  return make_error("line_protocol", std::move(message));
}

bool has_newline(std::string_view s) {
  return s.find_first_of("\r\n") != std::string_view::npos;
}

// A backslash is read as an escape when a special character follows it, so one that ends a
// name or comes before a special character (or another backslash, which InfluxDB 1.x keeps and
// 2.x unescapes) cannot be written in a way every reader takes back unchanged.
bool has_ambiguous_backslash(std::string_view s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\') continue;
    if (i + 1 == s.size()) return true;
    const char next = s[i + 1];
    if (next == '\\' || next == ',' || next == '=' || next == ' ') return true;
  }
  return false;
}

// Checks a measurement, tag key/value or field key; `what` names it in the message.
Result<void> check_name(std::string_view s, std::string_view what) {
  if (s.empty()) return refuse(std::string(what) + " is empty");
  if (has_newline(s)) return refuse(std::string(what) + " contains a line break");
  if (has_ambiguous_backslash(s)) {
    return refuse(std::string(what) + " \"" + std::string(s) +
                  "\" has a backslash at its end or before \\ , = or a space");
  }
  return {};
}

// Appends `s`, putting a backslash before each character of `specials`.
void append_escaped(std::string& out, std::string_view s, std::string_view specials) {
  for (const char c : s) {
    if (specials.find(c) != std::string_view::npos) out.push_back('\\');
    out.push_back(c);
  }
}

constexpr std::string_view kMeasurementSpecials = ", ";
constexpr std::string_view kKeySpecials = ",= ";

struct FieldAppender {
  std::string& out;

  void operator()(double v) const {
    // Shortest form that reads back to the same double ("1", "0.1", "1e+20", "-0"); InfluxDB
    // takes a number without the "i" suffix as a float, exponents included.
    char buf[32];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, r.ptr);
  }
  void operator()(std::int64_t v) const {
    char buf[24];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, r.ptr);
    out.push_back('i');
  }
  void operator()(const std::string& v) const {
    out.push_back('"');
    append_escaped(out, v, "\"\\");
    out.push_back('"');
  }
  void operator()(bool v) const { out.append(v ? "true" : "false"); }
};

Result<void> check(const Point& p, std::vector<const std::pair<std::string, std::string>*>& tags) {
  if (auto r = check_name(p.measurement, "measurement"); !r) return r;
  if (p.measurement.front() == '#') {
    return refuse("measurement \"" + p.measurement + "\" starts with '#' (a comment line)");
  }
  if (p.measurement.front() == '\t') return refuse("measurement starts with a tab");

  for (const auto& tag : p.tags) {
    if (auto r = check_name(tag.first, "tag key"); !r) return r;
    if (tag.first == "time" || tag.first == "_measurement" || tag.first == "_field") {
      return refuse("tag key \"" + tag.first + "\" is reserved by InfluxDB");
    }
    if (tag.second.empty()) continue;  // InfluxDB drops empty tag values; so do we
    if (auto r = check_name(tag.second, "value of tag \"" + tag.first + "\""); !r) return r;
    tags.push_back(&tag);
  }
  std::stable_sort(tags.begin(), tags.end(),
                   [](const auto* a, const auto* b) { return a->first < b->first; });
  for (std::size_t i = 1; i < tags.size(); ++i) {
    if (tags[i - 1]->first == tags[i]->first) {
      return refuse("tag key \"" + tags[i]->first + "\" appears twice");
    }
  }

  if (p.fields.empty()) return refuse("point in \"" + p.measurement + "\" has no fields");
  for (std::size_t i = 0; i < p.fields.size(); ++i) {
    const auto& [key, value] = p.fields[i];
    if (auto r = check_name(key, "field key"); !r) return r;
    if (key == "time") return refuse("field key \"time\" is reserved by InfluxDB");
    for (std::size_t j = 0; j < i; ++j) {
      if (p.fields[j].first == key) return refuse("field key \"" + key + "\" appears twice");
    }
    if (const auto* d = std::get_if<double>(&value); d && !std::isfinite(*d)) {
      return refuse("field \"" + key + "\" is not a finite number");
    }
    if (const auto* s = std::get_if<std::string>(&value); s && has_newline(*s)) {
      return refuse("string field \"" + key + "\" contains a line break");
    }
  }

  const std::int64_t ms = to_epoch_ms(p.time);
  if (ms > kMaxAbsMs || ms < -kMaxAbsMs) {
    return refuse("time " + std::to_string(ms) + " ms is outside InfluxDB's range");
  }
  return {};
}

}  // namespace

Result<void> encode(const Point& point, std::string& out) {
  std::vector<const std::pair<std::string, std::string>*> tags;
  tags.reserve(point.tags.size());
  if (auto r = check(point, tags); !r) return r;

  append_escaped(out, point.measurement, kMeasurementSpecials);
  for (const auto* tag : tags) {
    out.push_back(',');
    append_escaped(out, tag->first, kKeySpecials);
    out.push_back('=');
    append_escaped(out, tag->second, kKeySpecials);
  }
  char sep = ' ';
  for (const auto& [key, value] : point.fields) {
    out.push_back(sep);
    sep = ',';
    append_escaped(out, key, kKeySpecials);
    out.push_back('=');
    std::visit(FieldAppender{out}, value);
  }
  out.push_back(' ');
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, to_epoch_ms(point.time));
  out.append(buf, r.ptr);
  out.push_back('\n');
  return {};
}

}  // namespace farmgate::lineproto
