#include "core/mqtt.h"

#include <string_view>

namespace farmgate {

bool mqtt_topic_matches(const std::string& filter, const std::string& topic) {
  std::string_view f(filter), t(topic);
  // Topics starting with '$' are the broker's own; wildcards at the first level never match them.
  if (!t.empty() && t.front() == '$' && !f.empty() && (f.front() == '+' || f.front() == '#')) {
    return false;
  }
  for (;;) {
    const auto fpos = f.find('/');
    const auto flevel = f.substr(0, fpos);
    if (flevel == "#") return true;
    const auto tpos = t.find('/');
    const auto tlevel = t.substr(0, tpos);
    if (flevel != "+" && flevel != tlevel) return false;
    if (fpos == std::string_view::npos || tpos == std::string_view::npos) {
      // "a/#" also matches "a".
      if (fpos != std::string_view::npos && tpos == std::string_view::npos) {
        return f.substr(fpos + 1) == "#";
      }
      return fpos == std::string_view::npos && tpos == std::string_view::npos;
    }
    f.remove_prefix(fpos + 1);
    t.remove_prefix(tpos + 1);
  }
}

}  // namespace farmgate
