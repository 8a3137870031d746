// Catalogue and SeriesKey: what the expression compiler may name, and what a compiled metric
// reference resolves to. The compiler checks every name in a condition against a Catalogue
// (zones, devices, kinds and their metrics), so a typo fails at `farmgate check` time, not at
// 3 a.m. in the field. Plain values; build once per configuration; any thread may read them.
#pragma once

#include <compare>
#include <string>
#include <string_view>
#include <vector>

namespace farmgate::config {
struct Config;
}

namespace farmgate::rules {

// One stored series: one metric of one device. Everything an expression reads comes down to a
// list of these (a zone-level reference reads several); the data view is asked by SeriesKey.
struct SeriesKey {
  std::string device;  // e.g. "soil-z1"
  std::string metric;  // e.g. "moisture"

  std::string text() const { return device + "." + metric; }
  auto operator<=>(const SeriesKey&) const = default;
};

// The names an expression may use. Order is kept: it is the order shown in error messages.
struct Catalogue {
  struct Device {
    std::string id;
    std::string zone;  // empty: the device belongs to no zone (reachable as `site.KIND.METRIC`)
    std::string kind;
  };
  struct Kind {
    std::string name;
    std::vector<std::string> metrics;
  };

  std::vector<std::string> zones;
  std::vector<Device> devices;
  std::vector<Kind> kinds;

  // The zones, devices and kinds of a loaded configuration.
  static Catalogue from_config(const config::Config& config);

  bool has_zone(std::string_view id) const;
  const Device* find_device(std::string_view id) const;
  const Kind* find_kind(std::string_view name) const;
};

}  // namespace farmgate::rules
