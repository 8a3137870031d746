#include "config/checks.h"

#include <algorithm>
#include <array>
#include <fstream>

namespace farmgate::config {
namespace {

bool is_alnum(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

std::string quoted(std::string_view s) {
  return "'" + std::string(s) + "'";
}

}  // namespace

Result<void> check_id(std::string_view id) {
  if (id.empty()) return make_error("bad_id", "must not be empty");
  const bool ok =
      std::all_of(id.begin(), id.end(), [](char c) { return is_alnum(c) || c == '_' || c == '-'; });
  if (!ok) {
    return make_error("bad_id", quoted(id) + " may only hold letters a-z A-Z, digits, '_' and '-'");
  }
  return {};
}

Result<void> check_site(std::string_view site) {
  if (site.empty()) return make_error("bad_site", "must not be empty");
  const bool ok = std::all_of(site.begin(), site.end(),
                              [](char c) { return is_alnum(c) || c == '_' || c == '-'; });
  if (!ok) {
    return make_error("bad_site",
                      quoted(site) + " may only hold letters a-z A-Z, digits, '_' and '-'");
  }
  return {};
}

Result<void> check_timezone(std::string_view name, const std::string& zoneinfo_dir) {
  const auto unknown =
      make_error("bad_timezone", "unknown time zone " + quoted(name) +
                                     "; expected an IANA name like Asia/Ho_Chi_Minh (see " +
                                     zoneinfo_dir + ")");
  // Only path components made of name characters: nothing may climb out of zoneinfo_dir.
  if (name.empty() || name.front() == '/' || name.back() == '/') return unknown;
  std::size_t start = 0;
  while (start <= name.size()) {
    const auto end = std::min(name.find('/', start), name.size());
    const std::string_view part = name.substr(start, end - start);
    const bool part_ok =
        !part.empty() && part.front() != '.' && std::all_of(part.begin(), part.end(), [](char c) {
          return is_alnum(c) || c == '_' || c == '-' || c == '+' || c == '.';
        });
    if (!part_ok) return unknown;
    start = end + 1;
  }
  // A compiled zone starts with "TZif"; this keeps out zone.tab, leapseconds and directories.
  std::ifstream file(zoneinfo_dir + "/" + std::string(name), std::ios::binary);
  std::array<char, 4> magic{};
  if (!file.read(magic.data(), magic.size()) || std::string_view(magic.data(), 4) != "TZif") {
    return unknown;
  }
  return {};
}

Result<void> check_topic_template(std::string_view topic) {
  if (topic.empty()) return make_error("bad_topic", "must not be empty");
  if (topic.find_first_of("+#") != std::string_view::npos) {
    return make_error("bad_topic", "topic " + quoted(topic) +
                                       " may not hold MQTT wildcards '+' or '#'; use {device} "
                                       "and {zone} for the levels that vary");
  }
  int devices = 0;
  int zones = 0;
  std::size_t start = 0;
  while (start <= topic.size()) {
    const auto end = std::min(topic.find('/', start), topic.size());
    const std::string_view level = topic.substr(start, end - start);
    if (level == "{device}") {
      ++devices;
    } else if (level == "{zone}") {
      ++zones;
    } else if (level.find_first_of("{}") != std::string_view::npos) {
      return make_error("bad_topic", "topic level " + quoted(level) +
                                         " is not allowed; a placeholder ({device} or {zone}) "
                                         "must be a whole level, and no others exist");
    }
    start = end + 1;
  }
  if (devices != 1) {
    return make_error("bad_topic", "topic " + quoted(topic) +
                                       (devices == 0 ? " must hold {device} as a whole level"
                                                     : " may hold {device} only once"));
  }
  if (zones > 1) {
    return make_error("bad_topic", "topic " + quoted(topic) + " may hold {zone} only once");
  }
  return {};
}

}  // namespace farmgate::config
