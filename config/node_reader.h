// NodeReader: reads typed values out of a parsed YAML tree for the schema (schema.cpp): expands
// ${...} in every scalar, parses strictly, and records each problem with its line and column
// instead of stopping at the first. Field<T> tables declare the keys a mapping may hold, so an
// unknown key is found by the same code everywhere.
// Internal to config/ (it includes yaml-cpp, which must not leak out). One load uses one reader,
// on one thread.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <functional>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/loader.h"
#include "core/result.h"
#include "core/time.h"

namespace farmgate::config::detail {

// 1-based; {0, 0} when unknown.
struct Location {
  int line = 0;
  int column = 0;
};

Location location_of(const YAML::Node& node);

// A node and where a problem with it is reported. For an empty value ("key:" and nothing) that is
// its key, because yaml-cpp marks an empty value at whatever token comes next.
struct Value {
  YAML::Node node;
  Location at;
};

// One key of a mapping, in file order.
struct Entry {
  std::string key;
  Location key_at;
  Value value;
};

// Where the keys of a mapping were found, for checks that relate several keys.
class Seen {
 public:
  explicit Seen(Location map) : map_(map) {}
  void add(std::string key, Location value_at) { keys_.emplace_back(std::move(key), value_at); }
  bool has(std::string_view key) const;
  // The key's value, or the mapping itself when the key is absent.
  Location at(std::string_view key) const;

 private:
  Location map_;
  std::vector<std::pair<std::string, Location>> keys_;
};

class NodeReader {
 public:
  NodeReader(std::string file, const EnvLookup& env) : file_(std::move(file)), env_(env) {}

  void error(Location at, std::string message);
  bool has_errors() const { return !errors_.empty(); }
  std::vector<ConfigError> take_errors() { return std::move(errors_); }
  const std::string& file() const { return file_; }

  // The scalar's text after ${} expansion; an empty value reads as "". nullopt after an error.
  std::optional<std::string> text(const Value& v);
  std::optional<Millis> duration(const Value& v);
  std::optional<std::size_t> count(const Value& v);
  std::optional<double> number(const Value& v);
  std::optional<bool> boolean(const Value& v);

  // Reports a failed result at `at`; returns the value otherwise.
  template <class T>
  std::optional<T> report(Location at, Result<T> r) {
    if (r) return std::move(r).value();
    error(at, r.error().message);
    return std::nullopt;
  }
  bool report(Location at, const Result<void>& r) {
    if (!r) error(at, r.error().message);
    return r.ok();
  }

  // The keys of a mapping in file order. An empty value is an empty mapping. Reports a value that
  // is not a mapping, keys that are not plain scalars and duplicate keys (the later one is
  // dropped). `where` names the mapping in messages ("mqtt", "zones[0]"; "" for the top level).
  std::optional<std::vector<Entry>> entries(const Value& map, std::string_view where);
  // The items of a list; an empty value is an empty list.
  std::optional<std::vector<Value>> items(const Value& list, std::string_view where);

 private:
  // The scalar's raw text, or nullopt after reporting what was expected instead.
  std::optional<std::string> scalar(const Value& v, std::string_view expected);

  std::string file_;
  const EnvLookup& env_;
  std::vector<ConfigError> errors_;
};

// "in mqtt", or "at the top level".
std::string in_where(std::string_view where);
// 'text', for messages.
std::string quoted(std::string_view s);
// A number as a message shows it: 30, 0.5, 1e+06.
std::string format_number(double x);

// A key a mapping may hold and how its value is read into a T.
template <class T>
struct Field {
  std::string_view key;
  std::function<void(NodeReader&, const Value&, T&)> read;
  bool required = false;
};

enum class Need { optional, required };

inline constexpr Millis kForever = Millis::max();
inline constexpr std::size_t kNoLimit = std::numeric_limits<std::size_t>::max();

// Range messages for the field makers below.
std::string range_message(std::size_t value, std::size_t min, std::size_t max);
std::string range_message(Millis value, Millis min, Millis max);

// A string; `check` (optional) refuses bad forms.
template <class T>
Field<T> text_field(std::string_view key, std::string T::*member, Need need = Need::optional,
                    Result<void> (*check)(std::string_view) = nullptr) {
  return {key,
          [member, check](NodeReader& r, const Value& v, T& out) {
            auto s = r.text(v);
            if (!s) return;
            if (check != nullptr && !r.report(v.at, check(*s))) return;
            out.*member = std::move(*s);
          },
          need == Need::required};
}

template <class T>
Field<T> duration_field(std::string_view key, Millis T::*member, Millis min,
                        Millis max = kForever) {
  return {key, [key, member, min, max](NodeReader& r, const Value& v, T& out) {
            auto d = r.duration(v);
            if (!d) return;
            if (*d < min || *d > max) {
              return r.error(v.at, std::string(key) + " " + range_message(*d, min, max));
            }
            out.*member = *d;
          }};
}

template <class T>
Field<T> count_field(std::string_view key, std::size_t T::*member, std::size_t min,
                     std::size_t max = kNoLimit) {
  return {key, [key, member, min, max](NodeReader& r, const Value& v, T& out) {
            auto n = r.count(v);
            if (!n) return;
            if (*n < min || *n > max) {
              return r.error(v.at, std::string(key) + " " + range_message(*n, min, max));
            }
            out.*member = *n;
          }};
}

template <class T>
Field<T> number_field(std::string_view key, double T::*member, Need need = Need::optional) {
  return {key,
          [member](NodeReader& r, const Value& v, T& out) {
            if (auto x = r.number(v)) out.*member = *x;
          },
          need == Need::required};
}

template <class T>
Field<T> bool_field(std::string_view key, bool T::*member) {
  return {key, [member](NodeReader& r, const Value& v, T& out) {
            if (auto b = r.boolean(v)) out.*member = *b;
          }};
}

// A key whose value was already read elsewhere (a "type" that chose this very table).
template <class T>
Field<T> known_field(std::string_view key, Need need = Need::required) {
  return {key, [](NodeReader&, const Value&, T&) {}, need == Need::required};
}

// Reads a mapping through a field table: every key must be in the table, every required key
// present. nullopt when the value is not a mapping.
template <class T>
std::optional<Seen> read_fields(NodeReader& r, const Value& map, std::string_view where,
                                std::span<const Field<T>> fields, T& out) {
  auto entries = r.entries(map, where);
  if (!entries) return std::nullopt;
  Seen seen(map.at);
  for (const Entry& e : *entries) {
    const Field<T>* field = nullptr;
    for (const auto& f : fields) {
      if (f.key == e.key) field = &f;
    }
    if (field == nullptr) {
      std::string expected;
      for (const auto& f : fields) expected += (expected.empty() ? "" : ", ") + std::string(f.key);
      r.error(e.key_at,
              "unknown key '" + e.key + "' " + in_where(where) + "; expected one of: " + expected);
      continue;
    }
    seen.add(e.key, e.value.at);
    field->read(r, e.value, out);
  }
  for (const auto& f : fields) {
    if (f.required && !seen.has(f.key)) {
      r.error(map.at, "missing required key '" + std::string(f.key) + "' " + in_where(where));
    }
  }
  return seen;
}

template <class T>
std::optional<Seen> read_fields(NodeReader& r, const Value& map, std::string_view where,
                                const std::vector<Field<T>>& fields, T& out) {
  return read_fields(r, map, where, std::span<const Field<T>>(fields), out);
}

}  // namespace farmgate::config::detail
