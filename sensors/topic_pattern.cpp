#include "sensors/topic_pattern.h"

#include <algorithm>

namespace farmgate::sensors {
namespace {

std::vector<std::string_view> split(std::string_view s) {
  std::vector<std::string_view> out;
  for (;;) {
    const auto pos = s.find('/');
    out.push_back(s.substr(0, pos));
    if (pos == std::string_view::npos) return out;
    s.remove_prefix(pos + 1);
  }
}

}  // namespace

Result<TopicPattern> TopicPattern::parse(std::string_view pattern) {
  TopicPattern p;
  bool has_device = false;
  for (const auto level : split(pattern)) {
    if (level == "{device}" || level == "{zone}") {
      const bool device = level == "{device}";
      if ((device && has_device) ||
          (!device && !p.levels_.empty() &&
           std::any_of(p.levels_.begin(), p.levels_.end(),
                       [](const auto& l) { return l.first == Level::zone; }))) {
        return make_error("bad_topic", "placeholder " + std::string(level) + " appears twice");
      }
      has_device |= device;
      p.levels_.emplace_back(device ? Level::device : Level::zone, "");
      continue;
    }
    if (level.find_first_of("{}") != std::string_view::npos) {
      return make_error("bad_topic", "unknown placeholder in level '" + std::string(level) +
                                         "'; only {device} and {zone} are known");
    }
    if (level.find_first_of("+#") != std::string_view::npos) {
      return make_error("bad_topic", "MQTT wildcards are not allowed in a topic pattern");
    }
    p.levels_.emplace_back(Level::literal, std::string(level));
  }
  for (const auto& [kind, text] : p.levels_) {
    if (!p.filter_.empty() || &text != &p.levels_.front().second) p.filter_ += '/';
    p.filter_ += kind == Level::literal ? text : "+";
  }
  if (!has_device) return make_error("bad_topic", "a topic pattern needs a {device} level");
  p.listen_filter_ =
      p.levels_.front().first == Level::literal && p.levels_.size() > 1
          ? p.levels_.front().second + "/#"
          : p.filter_;
  return p;
}

std::optional<TopicBinding> TopicPattern::match(std::string_view topic) const {
  const auto parts = split(topic);
  if (parts.size() != levels_.size()) return std::nullopt;
  TopicBinding b;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const auto& [kind, text] = levels_[i];
    switch (kind) {
      case Level::literal:
        if (parts[i] != text) return std::nullopt;
        break;
      case Level::device:
        if (parts[i].empty()) return std::nullopt;
        b.device = parts[i];
        break;
      case Level::zone:
        if (parts[i].empty()) return std::nullopt;
        b.zone = parts[i];
        break;
    }
  }
  return b;
}

}  // namespace farmgate::sensors
