// farmgate-sim: publishes simulated soil telemetry for the reference farm (or N load devices)
// over MQTT and prints one JSON line saying what the broker accepted. With --relays it also plays
// the farm's relays, and (farm mode) they water the simulated farm; with --modbus-port and
// --camera-port it also serves a Modbus soil probe and an IP camera. See docs/simulator.md.
#include <cstdio>
#include <exception>
#include <memory>
#include <string>
#include <vector>

#include "sensors/sim/device_servers.h"
#include "sensors/sim/farm_link.h"
#include "sensors/sim/relay_player.h"
#include "sensors/sim/sim_options.h"
#include "sensors/sim/sim_runner.h"
#include "sensors/sim/stop_signals.h"

int main(int argc, char** argv) {
  using namespace farmgate::sim;
  // Before anything starts a thread: SIGINT/SIGTERM become something the loop waits on.
  StopSignals signals;

  auto options = parse_options(std::vector<std::string>(argv + 1, argv + argc));
  if (!options) {
    std::fprintf(stderr, "farmgate-sim: %s\n%s", options.error().message.c_str(), usage().c_str());
    return 2;
  }
  if (options->help) {
    std::fputs(usage().c_str(), stdout);
    return 0;
  }
  try {
    // The farm outlives the relay player, whose thread feeds it.
    std::unique_ptr<FarmLink> farm;
    RelayPlayer::OnSwitch on_switch;
    if (options->farm_mode() || options->serves_devices()) farm = make_farm(*options);
    if (options->farm_mode()) {
      on_switch = [&farm = *farm](const std::string& id, bool on) { farm.set_relay(id, on); };
    }
    // After the farm, so they stop before it goes.
    DeviceServers devices;
    if (options->serves_devices()) {
      auto started = start_device_servers(*options, *farm);
      if (!started) {
        std::fprintf(stderr, "farmgate-sim: %s\n", started.error().message.c_str());
        return 1;
      }
      devices = std::move(started).value();
      // Outside farm mode nothing waits for a broker before time may run.
      if (!options->farm_mode()) farm->start_clock();
    }
    std::unique_ptr<RelayPlayer> relays;
    if (!options->relays.empty()) {
      relays = std::make_unique<RelayPlayer>(options->url, options->client_id, options->relays,
                                             options->quiet, std::move(on_switch));
    }
    RunSummary summary = options->farm_mode() ? run_farm(*options, signals, *farm)
                                              : run_simulator(*options, signals);
    std::printf("%s\n", to_json(summary).c_str());
    return summary.ok() ? 0 : 1;
  } catch (const std::exception& e) {
    // Paho refuses a malformed URL or client id when the client is created.
    std::fprintf(stderr, "farmgate-sim: %s\n", e.what());
    return 1;
  }
}
