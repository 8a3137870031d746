#include "config/endpoint.h"

#include <algorithm>
#include <array>

namespace farmgate::config {
namespace {

bool is_host_name_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '-' || c == '_';
}

bool is_ipv6_char(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' ||
         c == '.';
}

Result<unsigned short> parse_port(std::string_view text) {
  const auto bad = make_error("bad_port", "port '" + std::string(text) + "' is not 1..65535");
  if (text.empty() || text.size() > 5) return bad;
  unsigned value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return bad;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (value < 1 || value > 65535) return bad;
  return static_cast<unsigned short>(value);
}

// "host", "host:port", "[v6]" or "[v6]:port". An empty host is allowed here; callers decide.
Result<HostPort> parse_authority(std::string_view text, bool port_required) {
  HostPort out;
  std::string_view port_text;
  bool has_port = false;
  if (text.starts_with('[')) {
    const auto close = text.find(']');
    if (close == std::string_view::npos) {
      return make_error("bad_host", "missing ']' after the IPv6 address");
    }
    const std::string_view v6 = text.substr(1, close - 1);
    if (v6.empty() || v6.find(':') == std::string_view::npos ||
        !std::all_of(v6.begin(), v6.end(), is_ipv6_char)) {
      return make_error("bad_host", "'" + std::string(v6) + "' is not an IPv6 address");
    }
    out.host = std::string(v6);
    const std::string_view after = text.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') {
        return make_error("bad_host",
                          "expected ':PORT' after ']', got '" + std::string(after) + "'");
      }
      has_port = true;
      port_text = after.substr(1);
    }
  } else {
    const auto colon = text.find(':');
    const std::string_view host = text.substr(0, colon);
    if (colon != std::string_view::npos) {
      has_port = true;
      port_text = text.substr(colon + 1);
      if (port_text.find(':') != std::string_view::npos) {
        return make_error("bad_host", "an IPv6 address goes in brackets, e.g. [::1]:8080");
      }
    }
    if (!std::all_of(host.begin(), host.end(), is_host_name_char)) {
      return make_error("bad_host", "'" + std::string(host) + "' is not a host name or address");
    }
    out.host = std::string(host);
  }
  if (has_port) {
    auto port = parse_port(port_text);
    if (!port) return port.error();
    out.port = *port;
  } else if (port_required) {
    return make_error("missing_port", "a port is required");
  }
  return out;
}

struct Split {
  std::string_view scheme, authority, rest;
};

// scheme "://" authority rest; rest is "" or starts with '/', '?' or '#'.
Result<Split> split_url(std::string_view text) {
  const auto sep = text.find("://");
  if (sep == std::string_view::npos || sep == 0) {
    return make_error("bad_url", "expected SCHEME://HOST...");
  }
  Split s;
  s.scheme = text.substr(0, sep);
  const std::string_view after = text.substr(sep + 3);
  const auto end = after.find_first_of("/?#");
  s.authority = after.substr(0, end);
  s.rest = end == std::string_view::npos ? std::string_view{} : after.substr(end);
  if (s.authority.find('@') != std::string_view::npos) {
    return make_error("credentials_in_url",
                      "credentials do not go in the url (it gets logged); use username and "
                      "password");
  }
  return s;
}

template <std::size_t N>
bool one_of(std::string_view s, const std::array<std::string_view, N>& options) {
  return std::find(options.begin(), options.end(), s) != options.end();
}

std::string with_url(std::string_view url, const Error& e) {
  // Never echo a URL that holds a password: the message is printed and logged.
  if (e.code == "credentials_in_url") return "bad url: " + e.message;
  return "bad url '" + std::string(url) + "': " + e.message;
}

}  // namespace

Result<HostPort> parse_listen(std::string_view text) {
  const auto hint =
      "expected HOST:PORT, e.g. 0.0.0.0:8080, [::1]:8080 or :8080, got '" + std::string(text) + "'";
  if (text.find(':') == std::string_view::npos) return make_error("bad_listen", hint);
  auto hp = parse_authority(text, /*port_required=*/true);
  if (!hp) return make_error("bad_listen", hint + " (" + hp.error().message + ")");
  if (hp->host.empty()) hp->host = "0.0.0.0";
  return hp;
}

Result<Url> parse_mqtt_url(std::string_view text) {
  static constexpr std::array<std::string_view, 6> kSchemes{"tcp",   "ssl", "mqtt",
                                                            "mqtts", "ws",  "wss"};
  auto split = split_url(text);
  if (!split) return make_error("bad_url", with_url(text, split.error()));
  if (!one_of(split->scheme, kSchemes)) {
    return make_error("bad_url", "bad url '" + std::string(text) + "': scheme '" +
                                     std::string(split->scheme) +
                                     "' is not one of tcp, ssl, mqtt, mqtts, ws, wss");
  }
  auto hp = parse_authority(split->authority, /*port_required=*/true);
  if (!hp) return make_error("bad_url", with_url(text, hp.error()));
  if (hp->host.empty())
    return make_error("bad_url", "bad url '" + std::string(text) + "': no host");
  const bool websocket = split->scheme == "ws" || split->scheme == "wss";
  if (!split->rest.empty() &&
      (!websocket || split->rest.find_first_of("?#") != std::string_view::npos)) {
    return make_error("bad_url", "bad url '" + std::string(text) + "': unexpected '" +
                                     std::string(split->rest) + "' after the port" +
                                     (websocket ? "" : " (only ws:// and wss:// take a path)"));
  }
  return Url{std::string(split->scheme), hp->host, hp->port, std::string(split->rest)};
}

Result<Url> parse_http_url(std::string_view text) {
  auto split = split_url(text);
  if (!split) return make_error("bad_url", with_url(text, split.error()));
  if (split->scheme != "http" && split->scheme != "https") {
    return make_error("bad_url",
                      "bad url '" + std::string(text) + "': expected http:// or https://");
  }
  auto hp = parse_authority(split->authority, /*port_required=*/false);
  if (!hp) return make_error("bad_url", with_url(text, hp.error()));
  if (hp->host.empty())
    return make_error("bad_url", "bad url '" + std::string(text) + "': no host");
  if (split->rest.find_first_of("?#") != std::string_view::npos) {
    return make_error("bad_url",
                      "bad url '" + std::string(text) + "': a base url takes no query or fragment");
  }
  return Url{std::string(split->scheme), hp->host, hp->port, std::string(split->rest)};
}

}  // namespace farmgate::config
