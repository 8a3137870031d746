#include "config/node_reader.h"

#include <algorithm>
#include <cstdio>

#include "config/env_expand.h"
#include "config/units.h"

namespace farmgate::config::detail {
namespace {

std::string kind_of(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Scalar:
      return "'" + node.Scalar() + "'";
    default:
      return "nothing";
  }
}

std::string position(Location at) {
  return std::to_string(at.line) + ":" + std::to_string(at.column);
}

}  // namespace

Location location_of(const YAML::Node& node) {
  const YAML::Mark mark = node.Mark();
  if (mark.is_null()) return {};
  return {mark.line + 1, mark.column + 1};
}

bool Seen::has(std::string_view key) const {
  return std::any_of(keys_.begin(), keys_.end(), [&](const auto& k) { return k.first == key; });
}

Location Seen::at(std::string_view key) const {
  for (const auto& [k, at] : keys_) {
    if (k == key) return at;
  }
  return map_;
}

std::string quoted(std::string_view s) {
  return "'" + std::string(s) + "'";
}

std::string format_number(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", x);
  return buf;
}

std::string in_where(std::string_view where) {
  return where.empty() ? "at the top level" : "in " + std::string(where);
}

void NodeReader::error(Location at, std::string message) {
  errors_.push_back(ConfigError{file_, at.line, at.column, std::move(message)});
}

std::optional<std::string> NodeReader::scalar(const Value& v, std::string_view expected) {
  if (v.node.IsNull()) return std::string();
  if (!v.node.IsScalar()) {
    error(v.at, "expected " + std::string(expected) + ", got " + kind_of(v.node));
    return std::nullopt;
  }
  Expansion x = expand_env(v.node.Scalar(), env_);
  if (!x.ok()) {
    for (auto& e : x.errors) error(v.at, std::move(e));
    return std::nullopt;
  }
  return std::move(x.text);
}

std::optional<std::string> NodeReader::text(const Value& v) {
  return scalar(v, "a string");
}

std::optional<Millis> NodeReader::duration(const Value& v) {
  auto s = scalar(v, "a duration like 30s, 5m, 2h, 1d, 250ms");
  if (!s) return std::nullopt;
  return report(v.at, parse_duration(*s));
}

std::optional<std::size_t> NodeReader::count(const Value& v) {
  auto s = scalar(v, "a whole number");
  if (!s) return std::nullopt;
  return report(v.at, parse_count(*s));
}

std::optional<double> NodeReader::number(const Value& v) {
  auto s = scalar(v, "a number");
  if (!s) return std::nullopt;
  return report(v.at, parse_number(*s));
}

std::optional<bool> NodeReader::boolean(const Value& v) {
  auto s = scalar(v, "true or false");
  if (!s) return std::nullopt;
  return report(v.at, parse_bool(*s));
}

std::optional<std::vector<Entry>> NodeReader::entries(const Value& map, std::string_view where) {
  std::vector<Entry> out;
  if (map.node.IsNull()) return out;
  if (!map.node.IsMap()) {
    error(map.at, "expected a mapping (key: value lines) " + in_where(where) + ", got " +
                      kind_of(map.node));
    return std::nullopt;
  }
  for (auto it = map.node.begin(); it != map.node.end(); ++it) {
    const YAML::Node key = it->first;
    const YAML::Node value = it->second;
    const Location key_at = location_of(key);
    if (!key.IsScalar()) {
      error(key_at, "a key must be a plain name " + in_where(where));
      continue;
    }
    const auto first =
        std::find_if(out.begin(), out.end(), [&](const Entry& e) { return e.key == key.Scalar(); });
    if (first != out.end()) {
      error(key_at, "duplicate key '" + key.Scalar() + "' " + in_where(where) + " (first at line " +
                        position(first->key_at) + ")");
      continue;
    }
    const Location value_at = value.IsNull() ? key_at : location_of(value);
    out.push_back(Entry{key.Scalar(), key_at, Value{value, value_at}});
  }
  return out;
}

std::optional<std::vector<Value>> NodeReader::items(const Value& list, std::string_view where) {
  std::vector<Value> out;
  if (list.node.IsNull()) return out;
  if (!list.node.IsSequence()) {
    error(list.at, "expected a list (lines starting with '- ') " + in_where(where) + ", got " +
                       kind_of(list.node));
    return std::nullopt;
  }
  for (const auto& item : list.node) {
    const YAML::Node node = item;
    out.push_back(Value{node, node.IsNull() ? list.at : location_of(node)});
  }
  return out;
}

std::string range_message(std::size_t value, std::size_t min, std::size_t max) {
  std::string range = max == kNoLimit
                          ? "at least " + std::to_string(min)
                          : "between " + std::to_string(min) + " and " + std::to_string(max);
  return "must be " + range + ", got " + std::to_string(value);
}

std::string range_message(Millis value, Millis min, Millis max) {
  std::string range = max == kForever
                          ? "at least " + format_duration(min)
                          : "between " + format_duration(min) + " and " + format_duration(max);
  return "must be " + range + ", got " + format_duration(value);
}

}  // namespace farmgate::config::detail
