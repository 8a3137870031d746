// farmgate: the command line. Parses it, loads the config, and hands over to the Daemon.
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <string>
#include <variant>
#include <vector>

#include "config/loader.h"
#include "core/log.h"
#include "gateway/actuation.h"
#include "gateway/daemon.h"
#include "gateway/export_cmd.h"
#include "gateway/replay.h"
#include "gateway/user_cmd.h"
#include "rules/check.h"

namespace {

constexpr const char* kUsage =
    "usage:\n"
    "  farmgate run   --config FILE   run the gateway (SIGHUP reloads, SIGTERM stops)\n"
    "  farmgate check --config FILE   validate FILE; exit 0, or 2 with FILE:LINE:COL errors\n"
    "  farmgate safe-state --config FILE\n"
    "                                 drive every configured actuator to its safe state (off);\n"
    "                                 systemd runs it after every stop or crash\n"
    "  farmgate replay --config FILE --from T --to T [--format text|json]\n"
    "                                 dry run: feed the stored readings of [T, T) through the\n"
    "                                 rules and print what they would have done and the water\n"
    "                                 it would have used; touches no actuator. T: 2026-11-01,\n"
    "                                 2026-11-01T05:00 (site time), ...Z, +07:00, or epoch ms\n"
    "  farmgate user add NAME --role viewer|farmer|officer|admin --config FILE\n"
    "                                 add a web user; the password comes from stdin (typed\n"
    "                                 twice on a terminal, or one piped line)\n"
    "  farmgate user token NAME [--label LABEL] --config FILE\n"
    "                                 print a new API token for NAME's scripts (shown once)\n"
    "  farmgate user list --config FILE\n"
    "  farmgate export readings|irrigation|lots|diary|season --config FILE [--from T] [--to T]\n"
    "                  [--zone Z] [--lot L] [--format csv|json] [--lang vi|en]\n"
    "                                 print an export for officers: CSV (UTF-8 with BOM, opens\n"
    "                                 in Excel) or JSON; T as for replay\n"
    "  farmgate --version\n";

int usage(const std::string& problem) {
  std::cerr << "farmgate: " << problem << "\n" << kUsage;
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace farmgate;
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) return usage("no command given");
  if (args[0] == "--version" || args[0] == "version") {
    std::cout << "farmgate " FARMGATE_VERSION "\n";
    return 0;
  }
  if (args[0] == "--help" || args[0] == "help") {
    std::cout << kUsage;
    return 0;
  }
  const std::string& command = args[0];
  if (command != "run" && command != "check" && command != "safe-state" && command != "replay" &&
      command != "user" && command != "export") {
    return usage("unknown command '" + command + "'");
  }
  std::string config_path;
  std::string from, to, format = "text";  // replay only
  std::vector<std::string> user_args;     // user and export: the words after the command
  for (std::size_t i = 1; i < args.size(); ++i) {
    if (args[i] == "--config" && i + 1 < args.size()) {
      config_path = args[++i];
    } else if (args[i].starts_with("--config=")) {
      config_path = args[i].substr(9);
    } else if (command == "replay" && args[i] == "--from" && i + 1 < args.size()) {
      from = args[++i];
    } else if (command == "replay" && args[i] == "--to" && i + 1 < args.size()) {
      to = args[++i];
    } else if (command == "replay" && args[i] == "--format" && i + 1 < args.size()) {
      format = args[++i];
    } else if (command == "user" || command == "export") {
      user_args.push_back(args[i]);
    } else {
      return usage("unknown argument '" + args[i] + "'");
    }
  }
  if (config_path.empty()) return usage(command + " needs --config FILE");
  if (command == "replay" && (from.empty() || to.empty()))
    return usage("replay needs --from and --to");
  if (format != "text" && format != "json") return usage("--format is text or json");

  const auto env = config::process_env();
  auto loaded = config::load_config(config_path, env);
  if (auto* errors = std::get_if<std::vector<config::ConfigError>>(&loaded)) {
    // Only FILE:LINE:COL lines, so editors and scripts can read every line as a location.
    for (const auto& e : *errors) std::cerr << e.to_string() << "\n";
    return 2;
  }
  // The rules' expressions, time zone and location: checked here, since config/ knows no rules.
  if (auto errors = rules::check_rules(std::get<config::Config>(loaded)); !errors.empty()) {
    for (const auto& e : errors) std::cerr << e.to_string() << "\n";
    return 2;
  }
  if (command == "check") {
    std::cout << config_path << ": ok\n";
    return 0;
  }
  if (command == "user") {
    SystemClock clock;
    return gateway::run_user_command(
        user_args, std::get<config::Config>(loaded).store.path,
        gateway::UserCommandIo{std::cin, isatty(STDIN_FILENO) == 1, std::cout, std::cerr}, clock);
  }
  if (command == "export") {
    SystemClock clock;
    return gateway::run_export_command(user_args, std::get<config::Config>(loaded), std::cout,
                                       std::cerr, clock);
  }
  StderrLogger log;
  if (command == "replay") {
    try {
      return gateway::run_replay_command(std::get<config::Config>(loaded), from, to,
                                         format == "json", std::cout, std::cerr, log);
    } catch (const std::exception& e) {
      log.error("replay", std::string("fatal: ") + e.what());
      return 1;
    }
  }
  if (command == "safe-state") {
    try {
      return gateway::run_safe_state(std::get<config::Config>(loaded), log);
    } catch (const std::exception& e) {
      log.error("safe-state", std::string("fatal: ") + e.what());
      return 1;
    }
  }
  try {
    gateway::Daemon daemon(std::get<config::Config>(std::move(loaded)), env, log);
    return daemon.run();
  } catch (const std::exception& e) {
    log.error("farmgate", std::string("fatal: ") + e.what());
    return 1;
  }
}
