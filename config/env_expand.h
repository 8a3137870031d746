// Environment expansion in configuration values: "${NAME}" and "${NAME:-default}" are replaced by
// the variable's value, "$${" stands for a literal "${". Runs on each scalar after YAML parsing,
// so an error can still be reported at the scalar's line and column. Pure; any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "config/loader.h"

namespace farmgate::config {

struct Expansion {
  std::string text;  // meaningful only when errors is empty
  // Every unset variable, in order, or the first syntax error (after which scanning stops).
  std::vector<std::string> errors;

  bool ok() const { return errors.empty(); }
};

// Shell-like, on purpose a small subset of it:
// - "${NAME}": NAME's value; an error when NAME is not set (set to "" is fine).
// - "${NAME:-default}": NAME's value, or default when NAME is unset or empty. The default may
//   itself hold references, which are only looked at when the default is used.
// - "$${" is a literal "${"; any other '$' is kept as is ("$HOME" is not expanded).
// NAME is letters, digits and '_', not starting with a digit.
Expansion expand_env(std::string_view text, const EnvLookup& env);

}  // namespace farmgate::config
