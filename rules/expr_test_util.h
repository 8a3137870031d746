// A small farm for the expression tests: two zones of soil sensors (z1 has two), a tank with no
// zone, and helpers to compile and to read the single error. Test code only.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "rules/expr.h"

namespace farmgate::rules::testing {

inline Catalogue test_catalogue() {
  Catalogue c;
  c.zones = {"z1", "z2"};
  c.kinds = {{"soil", {"moisture", "temp_c", "ec"}}, {"tank", {"level"}}};
  c.devices = {{"soil-z1", "z1", "soil"},
               {"soil-z1b", "z1", "soil"},
               {"soil-z2", "z2", "soil"},
               {"tank-1", "", "tank"}};
  return c;
}

// The errors of a text that must not compile, as "COL+LEN: message" lines.
inline std::string errors_of(std::string_view text, const Catalogue& c = test_catalogue()) {
  auto r = compile(text, c);
  if (r.ok()) return "<compiled>";
  std::string out;
  for (const auto& e : r.errors()) {
    if (!out.empty()) out += "\n";
    out += std::to_string(e.column) + "+" + std::to_string(e.length) + ": " + e.message;
  }
  return out;
}

}  // namespace farmgate::rules::testing
