// RelayPlayer: the simulator playing the farm's MQTT relays, Tasmota style. For each relay id it
// answers `cmnd/<id>/POWER` ON/OFF with `stat/<id>/POWER` ON/OFF, so farmgate's actuator drivers
// get the confirmations a real relay sends. `cmnd/<id>/PulseTime` is accepted and ignored.
//
// Uses its own MQTT connection (client id "<client-id>-relays", clean session) so it is never
// tied up with the telemetry stream. Paho's callback only queues the command; the player's own
// thread publishes the answer, so the client is never called from its callback.
// Each command that applies is also handed to `on_switch` (if set), on the player's thread and
// before the answer goes out: farm mode feeds the FarmModel this way.
// Construct, then destroy, on one thread; work happens on the player's thread.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace mqtt {
class async_client;
}

namespace farmgate::sim {

class RelayPlayer {
 public:
  using OnSwitch = std::function<void(const std::string& id, bool on)>;

  // Connects and subscribes; throws std::runtime_error when the broker cannot be reached.
  RelayPlayer(const std::string& url, const std::string& client_id,
              std::vector<std::string> relay_ids, bool quiet, OnSwitch on_switch = {});
  ~RelayPlayer();
  RelayPlayer(const RelayPlayer&) = delete;
  RelayPlayer& operator=(const RelayPlayer&) = delete;

 private:
  void run();

  std::vector<std::string> ids_;
  bool quiet_;
  OnSwitch on_switch_;
  std::unique_ptr<mqtt::async_client> client_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<std::pair<std::string, std::string>> answers_;  // relay id, ON/OFF
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace farmgate::sim
