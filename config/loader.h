// Loading a configuration file: YAML → ${VAR} / ${VAR:-default} expansion → typed Config.
// Every problem is reported, each located at the file, line and column it comes from; unknown
// keys are errors. Pure: reads the file and the given environment, nothing else. Any thread.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "config/config.h"

namespace farmgate::config {

struct ConfigError {
  std::string file;
  int line = 0;    // 1-based; 0 when the problem has no place (e.g. the file cannot be read)
  int column = 0;  // 1-based
  std::string message;

  // "FILE:LINE:COL: message", the form editors and `farmgate check` print.
  std::string to_string() const;
};

// Looks an environment variable up; nullopt when it is not set.
using EnvLookup = std::function<std::optional<std::string>(std::string_view name)>;

// The process environment, for main().
EnvLookup process_env();

using LoadResult = std::variant<Config, std::vector<ConfigError>>;

LoadResult load_config(const std::string& path, const EnvLookup& env);
// The same from text already in memory; `name` is used in error locations.
LoadResult load_config_text(const std::string& text, const std::string& name, const EnvLookup& env);

}  // namespace farmgate::config
