// check_rules: what `farmgate check` adds to the configuration's own validation for rules: every
// `when` and `until` compiles against the configuration's zones, devices and kinds; the site's
// time zone loads; a rule that reads sunrise()/sunset() has a `location:`; programs' skip_if and
// rain_delay.when compile too, and their cron starts parse (sunrise/sunset starts need a
// location); the zones' agronomy names known crops (check_et). Each problem is located at
// FILE:LINE:COL of the expression or value in the YAML file.
//
// Reads the time zone file (I/O): call it at start-up, from `farmgate check` or on a config
// reload, not from the event loop's hot path. Any thread.
#pragma once

#include <vector>

#include "config/config.h"
#include "config/loader.h"

namespace farmgate::rules {

// Every problem found, in the order of the rules in the file; empty when the rules are fine.
std::vector<config::ConfigError> check_rules(const config::Config& c);

}  // namespace farmgate::rules
