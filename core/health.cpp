#include "core/health.h"

#include <algorithm>
#include <cstdint>

namespace farmgate {

const char* to_string(Health::Status s) {
  switch (s) {
    case Health::Status::up:
      return "up";
    case Health::Status::degraded:
      return "degraded";
    case Health::Status::down:
      return "down";
  }
  return "down";  // not reached; keeps a corrupted value from looking healthy
}

void Health::set(const std::string& name, Status status, std::string detail) {
  std::lock_guard lock(mu_);
  components_.insert_or_assign(name, Entry{status, std::move(detail)});
}

void Health::remove(const std::string& name) {
  std::lock_guard lock(mu_);
  components_.erase(name);
}

std::vector<Health::Component> Health::snapshot() const {
  std::lock_guard lock(mu_);
  std::vector<Component> out;
  out.reserve(components_.size());
  for (const auto& [name, e] : components_) out.push_back(Component{name, e.status, e.detail});
  return out;
}

Health::Status Health::overall() const {
  std::lock_guard lock(mu_);
  Status worst = Status::up;
  for (const auto& [name, e] : components_) worst = std::max(worst, e.status);
  return worst;
}

Health::Status Health::overall(const std::vector<Component>& components) {
  Status worst = Status::up;
  for (const auto& c : components) worst = std::max(worst, c.status);
  return worst;
}

// One snapshot, so the overall status always agrees with the components listed beside it.
std::string Health::to_json() const {
  return to_json(snapshot());
}

std::string Health::to_json(const std::vector<Component>& components) {
  std::string out = R"({"status":")";
  out += to_string(overall(components));
  out += R"(","components":{)";
  bool first = true;
  for (const auto& c : components) {
    if (!first) out += ',';
    first = false;
    append_json_string(out, c.name);
    out += R"(:{"status":")";
    out += to_string(c.status);
    out += R"(","detail":)";
    append_json_string(out, c.detail);
    out += '}';
  }
  out += "}}";
  return out;
}

namespace {

// Length of the well-formed UTF-8 sequence starting at s[i] (Unicode table 3-7), or 0 when the
// bytes there are not one: overlong forms, surrogates and code points past U+10FFFF are refused.
std::size_t utf8_sequence_length(std::string_view s, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<std::uint8_t>(s[k]); };
  const std::uint8_t b0 = byte(i);
  std::size_t len = 0;
  std::uint8_t lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (std::size_t k = 2; k < len; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  }
  return len;
}

}  // namespace

void append_json_string(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<std::uint8_t>(text[i]);
    if (c >= 0x80) {
      const std::size_t len = utf8_sequence_length(text, i);
      if (len == 0) {
        out += "\xEF\xBF\xBD";  // U+FFFD REPLACEMENT CHARACTER
        ++i;
      } else {
        out.append(text.substr(i, len));
        i += len;
      }
      continue;
    }
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 0xF];
        } else {
          out += static_cast<char>(c);
        }
    }
    ++i;
  }
  out += '"';
}

}  // namespace farmgate
