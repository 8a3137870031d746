// Checks of single configuration values that have a fixed form: identifiers, the site name, time
// zone names and source topic templates. Each returns the reason a value is refused, as a sentence
// that can follow "FILE:LINE:COL: ". Pure except check_timezone, which looks at the zoneinfo
// files; any thread.
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"

namespace farmgate::config {

// Zone, device, kind, metric, source and uplink names: [a-zA-Z0-9_-]+. They appear in MQTT
// topics, InfluxDB tags and URLs, so nothing there needs quoting or escaping; and rules name a
// series as zone.kind.metric or device.metric, so a '.' inside a name would be ambiguous.
Result<void> check_id(std::string_view id);

// The site: [a-zA-Z0-9_-]+ (no '.', which some upstream tools read as a separator).
Result<void> check_site(std::string_view site);

// An IANA time zone name ("Asia/Ho_Chi_Minh", "UTC") naming a compiled zone file under
// zoneinfo_dir.
Result<void> check_timezone(std::string_view name,
                            const std::string& zoneinfo_dir = "/usr/share/zoneinfo");

// An MQTT topic template: "{device}" once as a whole level, "{zone}" at most once as a whole
// level, no other "{...}" and no wildcard ('+', '#'), e.g. "farm/{zone}/{device}/telemetry".
Result<void> check_topic_template(std::string_view topic);

}  // namespace farmgate::config
