// A small reference parser for one line of InfluxDB line protocol, for tests and the fuzzer
// only: it reads a line the way InfluxDB 1.x does (a backslash escapes only the characters that
// are special where it stands; anywhere else it is kept), so encoding then parsing must give the
// point back unchanged. Written from the protocol's description, independently of the encoder.
// Pure; any thread.
#pragma once

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"
#include "gateway/uplink/line_protocol.h"

namespace farmgate::lineproto::testing {

class LineParser {
 public:
  explicit LineParser(std::string_view line) : s_(line) {}

  Result<Point> parse() {
    Point p;
    if (s_.empty() || s_.back() != '\n') return fail("no trailing newline");
    s_.remove_suffix(1);
    if (s_.find('\n') != std::string_view::npos) return fail("more than one line");
    if (!s_.empty() && (s_[0] == '#' || s_[0] == ' ' || s_[0] == '\t')) {
      return fail("comment or leading whitespace");
    }
    p.measurement = token(", ", ", ");
    if (p.measurement.empty()) return fail("empty measurement");
    while (peek() == ',') {
      ++i_;
      std::string key = token("=", ",= ");
      if (key.empty() || peek() != '=') return fail("bad tag key");
      ++i_;
      std::string value = token(", ", ",= ");
      if (value.empty()) return fail("empty tag value");
      p.tags.emplace_back(std::move(key), std::move(value));
    }
    if (peek() != ' ') return fail("no space before fields");
    do {
      ++i_;
      std::string key = token("=", ",= ");
      if (key.empty() || peek() != '=') return fail("bad field key");
      ++i_;
      auto value = field_value();
      if (!value) return value.error();
      p.fields.emplace_back(std::move(key), std::move(*value));
    } while (peek() == ',');
    if (peek() != ' ') return fail("no space before the timestamp");
    ++i_;
    std::int64_t ms = 0;
    const char* first = s_.data() + i_;
    const char* last = s_.data() + s_.size();
    const auto r = std::from_chars(first, last, ms);
    if (r.ec != std::errc() || r.ptr != last || first == last) return fail("bad timestamp");
    p.time = from_epoch_ms(ms);
    return p;
  }

 private:
  Error fail(const std::string& why) const {
    return make_error("parse", why + " at byte " + std::to_string(i_));
  }
  char peek() const { return i_ < s_.size() ? s_[i_] : '\0'; }

  // Reads up to an unescaped character of `stops`; a backslash before a character of `escapable`
  // stands for that character, before anything else it is kept (and the next character is not a
  // stop, as in InfluxDB's scanner).
  std::string token(std::string_view stops, std::string_view escapable) {
    std::string out;
    while (i_ < s_.size()) {
      const char c = s_[i_];
      if (c == '\\' && i_ + 1 < s_.size()) {
        const char next = s_[i_ + 1];
        if (escapable.find(next) == std::string_view::npos) out.push_back('\\');
        out.push_back(next);
        i_ += 2;
        continue;
      }
      if (stops.find(c) != std::string_view::npos) break;
      out.push_back(c);
      ++i_;
    }
    return out;
  }

  Result<FieldValue> field_value() {
    if (peek() == '"') {
      ++i_;
      std::string out;
      while (i_ < s_.size() && s_[i_] != '"') {
        if (s_[i_] == '\\' && i_ + 1 < s_.size() && (s_[i_ + 1] == '"' || s_[i_ + 1] == '\\')) {
          ++i_;
        }
        out.push_back(s_[i_++]);
      }
      if (peek() != '"') return fail("unterminated string");
      ++i_;
      return FieldValue{std::move(out)};
    }
    const std::size_t start = i_;
    while (i_ < s_.size() && s_[i_] != ',' && s_[i_] != ' ') ++i_;
    const std::string_view text = s_.substr(start, i_ - start);
    if (text == "true" || text == "t" || text == "T" || text == "True" || text == "TRUE") {
      return FieldValue{true};
    }
    if (text == "false" || text == "f" || text == "F" || text == "False" || text == "FALSE") {
      return FieldValue{false};
    }
    if (text.empty()) return fail("empty field value");
    if (text.back() == 'i') {
      std::int64_t v = 0;
      const auto r = std::from_chars(text.data(), text.data() + text.size() - 1, v);
      if (r.ec != std::errc() || r.ptr != text.data() + text.size() - 1) return fail("bad int");
      return FieldValue{v};
    }
    if (text.find_first_not_of("0123456789+-.eE") != std::string_view::npos) {
      return fail("bad float");
    }
    double v = 0;
    const auto r = std::from_chars(text.data(), text.data() + text.size(), v);
    if (r.ec != std::errc() || r.ptr != text.data() + text.size()) return fail("bad float");
    return FieldValue{v};
  }

  std::string_view s_;
  std::size_t i_ = 0;
};

inline Result<Point> parse_line(std::string_view line) {
  return LineParser(line).parse();
}

}  // namespace farmgate::lineproto::testing
