// PahoBus: the gateway's one MQTT connection (Eclipse Paho C++), behind the MqttBus interface.
//
// - Fixed client id and clean session off: the broker keeps our subscriptions and queues QoS 1
//   messages while we are away (restart, crash, network cut), and hands them over on reconnect.
// - Last will: `farmgate/<site>/status` = "offline", retained; "online" is published on connect.
// - Connects in the background and keeps trying with exponential backoff (reconnect_min ..
//   reconnect_max); after a lost connection Paho's own automatic reconnect takes over. Every
//   (re)connect re-subscribes, in case the broker lost the session.
// - Messages are dispatched to the handlers of every matching filter on Paho's callback thread;
//   QoS 1 acknowledgement follows the handler's return (see core/sink.h for why that matters).
// Metrics: farmgate_mqtt_connected, farmgate_mqtt_connects_total, farmgate_mqtt_reconnects_total,
// farmgate_mqtt_messages_total, farmgate_mqtt_publish_errors_total. Health component "mqtt".
//
// Threads: construct, subscribe(), start() and stop() on the owner thread; publish() anywhere.
// Paho callbacks only dispatch messages or post to the io_context: they never call the client.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/health.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/mqtt.h"
#include "core/result.h"

namespace mqtt {
class async_client;
}

namespace farmgate::gateway {

class PahoBus final : public MqttBus {
 public:
  PahoBus(boost::asio::io_context& io, const config::MqttConfig& config, const std::string& site,
          Metrics& metrics, Logger& log, Health& health);
  ~PahoBus() override;

  void subscribe(const std::string& filter, int qos, Handler handler) override;
  void publish(const std::string& topic, const std::string& payload, int qos, bool retain) override;

  // Starts connecting; returns at once. Fails only on a malformed URL or client id.
  Result<void> start();
  // Publishes "offline", disconnects (bounded wait), and stops every callback.
  void stop();

  const std::string& status_topic() const { return status_topic_; }

 private:
  struct Subscription {
    std::string filter;
    int qos;
    Handler handler;
  };
  void connect();
  void on_connected();
  void on_connect_failed(const std::string& why);
  void on_lost(const std::string& why);

  boost::asio::io_context& io_;
  const config::MqttConfig config_;
  const std::string status_topic_;
  Logger& log_;
  Health& health_;
  std::vector<Subscription> subs_;  // fixed before start(); read by the Paho thread after
  std::unique_ptr<mqtt::async_client> client_;
  boost::asio::steady_timer retry_timer_;
  std::chrono::milliseconds backoff_;
  bool stopping_ = false;                // io thread only
  std::atomic<bool> dispatching_{true};  // read by the Paho thread
  std::shared_ptr<bool> alive_;          // posted handlers check it, so none runs after stop()
  std::shared_ptr<void> retry_listener_keepalive_;  // Paho holds a reference into it

  Gauge& connected_;
  Counter& connects_;
  Counter& reconnects_;
  Counter& messages_;
  Counter& publish_errors_;
};

}  // namespace farmgate::gateway
