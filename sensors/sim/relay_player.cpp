#include "sensors/sim/relay_player.h"

#include <mqtt/async_client.h>

#include <algorithm>
#include <cstdio>
#include <stdexcept>

namespace farmgate::sim {

RelayPlayer::RelayPlayer(const std::string& url, const std::string& client_id,
                         std::vector<std::string> relay_ids, bool quiet, OnSwitch on_switch)
    : ids_(std::move(relay_ids)), quiet_(quiet), on_switch_(std::move(on_switch)) {
  client_ = std::make_unique<mqtt::async_client>(url, client_id + "-relays",
                                                 mqtt::create_options(MQTTVERSION_3_1_1), nullptr);
  client_->set_message_callback([this](mqtt::const_message_ptr m) {
    // cmnd/<id>/POWER → stat/<id>/POWER with the state now in force.
    const std::string& topic = m->get_topic();
    const auto first = topic.find('/');
    const auto last = topic.rfind('/');
    if (first == std::string::npos || last <= first) return;
    const std::string id = topic.substr(first + 1, last - first - 1);
    if (topic.substr(last + 1) != "POWER") return;  // PulseTime and the rest: nothing to say
    if (std::find(ids_.begin(), ids_.end(), id) == ids_.end()) return;
    std::string state = m->get_payload_str();
    if (state != "ON" && state != "OFF") return;
    std::lock_guard lock(mu_);
    answers_.emplace_back(id, std::move(state));
    wake_.notify_one();
  });
  auto opts = mqtt::connect_options_builder()
                  .clean_session(true)
                  .automatic_reconnect(std::chrono::seconds(1), std::chrono::seconds(10))
                  .finalize();
  try {
    client_->connect(opts)->wait_for(std::chrono::seconds(10));
    if (!client_->is_connected()) throw std::runtime_error("relay player cannot connect to " + url);
    for (const auto& id : ids_) client_->subscribe("cmnd/" + id + "/+", 1)->wait();
  } catch (const mqtt::exception& e) {
    throw std::runtime_error(std::string("relay player: ") + e.what());
  }
  thread_ = std::thread([this] { run(); });
}

RelayPlayer::~RelayPlayer() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
  try {
    client_->set_message_callback(nullptr);
    client_->disconnect()->wait_for(std::chrono::seconds(2));
  } catch (const mqtt::exception&) {
  }
}

void RelayPlayer::run() {
  std::unique_lock lock(mu_);
  for (;;) {
    wake_.wait(lock, [&] { return stopping_ || !answers_.empty(); });
    if (stopping_) return;
    auto [id, payload] = std::move(answers_.front());
    answers_.pop_front();
    lock.unlock();
    // The relay switches before it says so, as a real one does.
    if (on_switch_) on_switch_(id, payload == "ON");
    const std::string topic = "stat/" + id + "/POWER";
    try {
      client_->publish(topic, payload, 1, false);
      if (!quiet_)
        std::fprintf(stderr, "farmgate-sim: relay %s %s\n", topic.c_str(), payload.c_str());
    } catch (const mqtt::exception&) {
      // Not connected just now: farmgate times out, raises its alarm and retries, as with a
      // real relay that missed a command.
    }
    lock.lock();
  }
}

}  // namespace farmgate::sim
