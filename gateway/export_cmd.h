// `farmgate export KIND --config FILE [--from T] [--to T] [--zone Z] [--lot L]
//                  [--format csv|json] [--lang vi|en]`: what an extension officer pulls for a
// spreadsheet or the commune's system (gateway/ocop/export.h has the kinds and columns). Writes
// to stdout, so `> file.csv` saves it. T as for replay (rules::parse_time_arg); without --from
// the export starts at the epoch, without --to it ends now.
//
// Reads the gateway's database file read-only, next to a running daemon. Returns the process
// exit code: 0; 2 with a message on `err` for bad arguments; 1 when the file cannot be read.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/clock.h"

namespace farmgate::gateway {

// `args` are the words after "export", without --config: {"diary", "--lot", "B1"}.
int run_export_command(const std::vector<std::string>& args, const config::Config& config,
                       std::ostream& out, std::ostream& err, const Clock& clock);

}  // namespace farmgate::gateway
