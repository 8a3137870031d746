// Helpers shared by the config tests: a fake environment and one-line ways to load YAML text and
// look at the result. Test code only.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "config/loader.h"

namespace farmgate::config::testing {

inline EnvLookup env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

// A valid little farm, for tests that add or change one thing.
inline constexpr std::string_view kSmallFarm = R"(
site: demo-farm
zones:
  - id: z1
  - id: z2
kinds:
  soil:
    moisture: {unit: "%", min: 0, max: 100}
devices:
  - {id: soil-z1, kind: soil, zone: z1}
)";

// Raw strings start with a newline for readability; line 1 is the line after R"(.
inline std::string yaml(std::string_view text) {
  if (text.starts_with('\n')) text.remove_prefix(1);
  return std::string(text);
}

// Every error as "farm.yaml:LINE:COL: message"; empty when the text loads.
inline std::vector<std::string> errors_of(const std::string& text,
                                          const EnvLookup& env = env_of({})) {
  LoadResult r = load_config_text(text, "farm.yaml", env);
  std::vector<std::string> out;
  if (const auto* errors = std::get_if<std::vector<ConfigError>>(&r)) {
    for (const auto& e : *errors) out.push_back(e.to_string());
  }
  return out;
}

// The loaded Config; each error fails the test.
inline Config load_ok(const std::string& text, const EnvLookup& env = env_of({})) {
  LoadResult r = load_config_text(text, "farm.yaml", env);
  if (const auto* errors = std::get_if<std::vector<ConfigError>>(&r)) {
    for (const auto& e : *errors) ADD_FAILURE() << e.to_string();
    return Config{};
  }
  return std::get<Config>(std::move(r));
}

// The one error the text has, for tests of a single rule.
inline std::string only_error(const std::string& text, const EnvLookup& env = env_of({})) {
  auto errors = errors_of(text, env);
  EXPECT_EQ(errors.size(), 1u) << ::testing::PrintToString(errors);
  return errors.empty() ? std::string() : errors.front();
}

}  // namespace farmgate::config::testing
