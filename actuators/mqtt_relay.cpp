#include "actuators/mqtt_relay.h"

#include <algorithm>
#include <cctype>
#include <utility>

namespace farmgate::actuators {
namespace {

// Devices differ in case and trailing whitespace ("on\n" from a shell script); the words do not.
bool same_word(std::string_view a, std::string_view b) {
  while (!a.empty() && std::isspace(static_cast<unsigned char>(a.back()))) a.remove_suffix(1);
  while (!a.empty() && std::isspace(static_cast<unsigned char>(a.front()))) a.remove_prefix(1);
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

int tasmota_pulse_time(Millis d) {
  if (d <= Millis{0}) return 0;
  if (d < Millis{12'000}) {
    // 0.1 s steps up to 11.1 s; 11.2 s .. 11.999 s round down to 11.1 s.
    return static_cast<int>(std::clamp<std::int64_t>(d.count() / 100, 1, 111));
  }
  return static_cast<int>(std::min<std::int64_t>(d.count() / 1000 + 100, 64900));
}

MqttRelay::MqttRelay(std::string id, const config::DriverConfig& config, MqttBus& bus,
                     Scheduler& scheduler)
    : id_(std::move(id)), config_(config), bus_(bus), scheduler_(scheduler) {}

MqttRelay::~MqttRelay() {
  stop();
}

Result<void> MqttRelay::start(Listener listener) {
  listener_ = std::move(listener);
  std::weak_ptr<bool> alive = alive_;
  // QoS 1: a state report lost on a flaky Wi-Fi link would read as a relay that does not answer.
  bus_.subscribe(config_.mqtt.state_topic, 1, [this, alive](const MqttMessage& m) {
    scheduler_.post([this, alive, payload = m.payload] {
      if (auto a = alive.lock(); a && *a) on_state(payload);
    });
  });
  return {};
}

void MqttRelay::stop() {
  *alive_ = false;
  scheduler_.cancel(confirm_timer_);
  confirm_timer_ = 0;
  listener_ = nullptr;
}

void MqttRelay::set(bool on, Millis auto_off) {
  if (!*alive_) return;
  const auto& m = config_.mqtt;
  if (on && m.pulse_time) {
    // Same connection, same QoS: the broker delivers it before the ON that follows.
    bus_.publish(m.pulse_time_topic, std::to_string(tasmota_pulse_time(auto_off)), 1, false);
  }
  bus_.publish(m.command_topic, on ? m.payload_on : m.payload_off, 1, false);
  pending_ = on;
  scheduler_.cancel(confirm_timer_);
  confirm_timer_ = scheduler_.after(config_.confirm_timeout, [this, on] {
    confirm_timer_ = 0;
    pending_.reset();
    if (listener_) {
      listener_({DriverReport::Kind::failed, on,
                 "actuator not responding: no " + std::string(on ? "ON" : "OFF") + " on " +
                     config_.mqtt.state_topic + " within " +
                     std::to_string(config_.confirm_timeout.count()) + " ms"});
    }
  });
}

void MqttRelay::on_state(const std::string& payload) {
  bool on;
  if (same_word(payload, config_.mqtt.payload_on)) {
    on = true;
  } else if (same_word(payload, config_.mqtt.payload_off)) {
    on = false;
  } else {
    return;  // not a state word (Tasmota also sends JSON on some stat topics)
  }
  reported_ = on;
  if (!listener_) return;
  if (pending_) {
    // A report of the other state is an echo of the past (or a device fighting back); the
    // confirm timer decides if the command failed.
    if (*pending_ != on) return;
    pending_.reset();
    scheduler_.cancel(confirm_timer_);
    confirm_timer_ = 0;
    listener_({DriverReport::Kind::confirmed, on, {}});
    return;
  }
  // Unasked-for reports go up as they are; the supervisor compares them with what it commanded.
  listener_({DriverReport::Kind::changed, on, {}});
}

}  // namespace farmgate::actuators
