// TopicPattern: an MQTT topic with placeholders for whole levels, e.g.
// "farm/{zone}/{device}/telemetry", that binds the zone and device of each message from its
// topic. Immutable after parse(); any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace farmgate::sensors {

struct TopicBinding {
  std::string device;
  std::string zone;  // empty when the pattern has no {zone}
};

class TopicPattern {
 public:
  // Refuses patterns without {device}, with unknown placeholders or with MQTT wildcards.
  static Result<TopicPattern> parse(std::string_view pattern);

  // The subscription filter that matches exactly this pattern: "farm/+/+/telemetry".
  const std::string& filter() const { return filter_; }
  // A wider filter, the pattern's literal first level and '#' ("farm/#"), so that messages on
  // wrong topics under the same tree are seen and counted as unknown_topic instead of vanishing.
  // Equals filter() when the pattern starts with a placeholder.
  const std::string& listen_filter() const { return listen_filter_; }

  std::optional<TopicBinding> match(std::string_view topic) const;

 private:
  enum class Level { literal, device, zone };
  std::vector<std::pair<Level, std::string>> levels_;
  std::string filter_;
  std::string listen_filter_;
};

}  // namespace farmgate::sensors
