// Endpoints in a configuration: the HTTP listen address and the MQTT and InfluxDB URLs, checked
// for form only (no name lookup, no connection: that happens in start()). Pure; any thread.
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"

namespace farmgate::config {

struct HostPort {
  std::string host;  // a name, an IPv4 address, or an IPv6 address without brackets
  unsigned short port = 0;
};

struct Url {
  std::string scheme;
  std::string host;         // IPv6 without brackets
  unsigned short port = 0;  // 0 when the URL gives none
  std::string path;         // "" or starting with '/'
};

// "HOST:PORT", "[::1]:8080", or ":8080" meaning every IPv4 interface (0.0.0.0).
Result<HostPort> parse_listen(std::string_view text);

// An MQTT broker: tcp|ssl|mqtt|mqtts|ws|wss://HOST:PORT, the port required; a path only for
// ws/wss. Credentials belong in username/password, never in the URL (it gets logged).
Result<Url> parse_mqtt_url(std::string_view text);

// An HTTP base URL: http|https://HOST[:PORT][/path-prefix]; no credentials, query or fragment.
Result<Url> parse_http_url(std::string_view text);

}  // namespace farmgate::config
