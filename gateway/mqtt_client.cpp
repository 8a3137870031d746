#include "gateway/mqtt_client.h"

#include "gateway/tcp_nodelay.h"

#include <mqtt/async_client.h>
#include <boost/asio/post.hpp>

namespace farmgate::gateway {
namespace {

// Paho needs a scheme it knows; mqtt:// and mqtts:// are what people write.
std::string paho_uri(std::string url) {
  if (url.starts_with("mqtt://")) return "tcp://" + url.substr(7);
  if (url.starts_with("mqtts://")) return "ssl://" + url.substr(8);
  return url;
}

class ConnectListener final : public mqtt::iaction_listener {
 public:
  explicit ConnectListener(std::function<void(std::string)> failed) : failed_(std::move(failed)) {}
  void on_failure(const mqtt::token& tok) override {
    failed_("connect failed (code " + std::to_string(tok.get_return_code()) + ")");
  }
  void on_success(const mqtt::token&) override {}

 private:
  std::function<void(std::string)> failed_;
};

}  // namespace

PahoBus::PahoBus(boost::asio::io_context& io, const config::MqttConfig& config,
                 const std::string& site, Metrics& metrics, Logger& log, Health& health)
    : io_(io),
      config_(config),
      status_topic_("farmgate/" + site + "/status"),
      log_(log),
      health_(health),
      retry_timer_(io),
      backoff_(config.reconnect_min),
      alive_(std::make_shared<bool>(true)),
      connected_(metrics.gauge("farmgate_mqtt_connected", "1 while connected to the broker")),
      connects_(metrics.counter("farmgate_mqtt_connects_total", "Successful broker connections")),
      reconnects_(
          metrics.counter("farmgate_mqtt_reconnects_total", "Broker connections after the first")),
      messages_(metrics.counter("farmgate_mqtt_messages_total", "MQTT messages received")),
      publish_errors_(metrics.counter("farmgate_mqtt_publish_errors_total",
                                      "Messages that could not be queued for publishing")) {
  health_.set("mqtt", Health::Status::down, "not connected yet");
}

PahoBus::~PahoBus() {
  stop();
}

void PahoBus::subscribe(const std::string& filter, int qos, Handler handler) {
  subs_.push_back(Subscription{filter, qos, std::move(handler)});
}

Result<void> PahoBus::start() {
  try {
    mqtt::create_options opts(MQTTVERSION_3_1_1);
    // Alarms and states raised while the broker is away are sent when it is back — also those
    // raised before the first connection (e.g. a run a crash interrupted, found at start).
    opts.set_send_while_disconnected(true, /*anyTime=*/true);
    opts.set_max_buffered_messages(10000);
    client_ = std::make_unique<mqtt::async_client>(paho_uri(config_.url), config_.client_id, opts,
                                                   nullptr);
  } catch (const mqtt::exception& e) {
    return make_error("mqtt_config", "MQTT client for " + config_.url + ": " + e.what());
  }
  client_->set_message_callback([this](mqtt::const_message_ptr m) {
    if (!dispatching_.load()) return;  // stopped: the handlers' owners may be gone
    messages_.inc();
    const MqttMessage msg{m->get_topic(), m->get_payload_str(), m->get_qos(), m->is_retained()};
    for (const auto& s : subs_) {
      if (mqtt_topic_matches(s.filter, msg.topic)) s.handler(msg);
    }
  });
  std::weak_ptr<bool> alive = alive_;
  client_->set_connected_handler([this, alive](const std::string&) {
    boost::asio::post(io_, [this, alive] {
      if (alive.lock()) on_connected();
    });
  });
  client_->set_connection_lost_handler([this, alive](const std::string& cause) {
    boost::asio::post(io_, [this, alive, cause] {
      if (alive.lock()) on_lost(cause);
    });
  });
  connect();
  return {};
}

void PahoBus::connect() {
  auto opts =
      mqtt::connect_options_builder()
          .clean_session(false)
          .keep_alive_interval(std::chrono::duration_cast<std::chrono::seconds>(config_.keepalive))
          .automatic_reconnect(
              std::chrono::duration_cast<std::chrono::seconds>(config_.reconnect_min),
              std::chrono::duration_cast<std::chrono::seconds>(config_.reconnect_max))
          .will(mqtt::message(status_topic_, "offline", 1, true))
          .max_inflight(1000)
          .finalize();
  if (!config_.username.empty()) opts.set_user_name(config_.username);
  if (!config_.password.empty()) opts.set_password(config_.password);
  std::weak_ptr<bool> alive = alive_;
  auto listener = std::make_shared<ConnectListener>([this, alive](std::string why) {
    boost::asio::post(io_, [this, alive, why] {
      if (alive.lock()) on_connect_failed(why);
    });
  });
  // Paho keeps a reference to the listener until it calls back; keep it alive with the bus.
  retry_listener_keepalive_ = listener;
  try {
    client_->connect(opts, nullptr, *listener);
  } catch (const mqtt::exception& e) {
    on_connect_failed(e.what());
  }
}

void PahoBus::on_connected() {
  if (stopping_) return;
  connects_.inc();
  if (connects_.value() > 1) reconnects_.inc();
  connected_.set(1);
  backoff_ = config_.reconnect_min;
  health_.set("mqtt", Health::Status::up, "connected to " + config_.url);
  log_.info("mqtt", "connected to " + config_.url + " as " + config_.client_id);
  // Commands answer readings within milliseconds, not after a delayed ACK (tcp_nodelay.h).
  (void)set_tcp_nodelay_to_port(mqtt_url_port(config_.url));
  publish(status_topic_, "online", 1, true);
  for (const auto& s : subs_) {
    try {
      client_->subscribe(s.filter, s.qos);
    } catch (const mqtt::exception& e) {
      log_.error("mqtt", "cannot subscribe to " + s.filter + ": " + e.what());
    }
  }
}

void PahoBus::on_connect_failed(const std::string& why) {
  if (stopping_) return;
  health_.set("mqtt", Health::Status::down, "cannot connect to " + config_.url + ": " + why);
  log_.warn("mqtt", "cannot connect to " + config_.url + ": " + why + "; retrying in " +
                        std::to_string(backoff_.count()) + " ms");
  retry_timer_.expires_after(backoff_);
  backoff_ = std::min(backoff_ * 2,
                      std::chrono::duration_cast<std::chrono::milliseconds>(config_.reconnect_max));
  retry_timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec && !stopping_) connect();
  });
}

void PahoBus::on_lost(const std::string& why) {
  if (stopping_) return;
  connected_.set(0);
  health_.set("mqtt", Health::Status::down, "connection lost: " + why + "; reconnecting");
  log_.warn("mqtt", "connection to " + config_.url + " lost" + (why.empty() ? "" : ": " + why));
}

void PahoBus::publish(const std::string& topic, const std::string& payload, int qos, bool retain) {
  if (!client_) return;
  try {
    client_->publish(topic, payload.data(), payload.size(), qos, retain);
  } catch (const mqtt::exception&) {
    publish_errors_.inc();
  }
}

void PahoBus::stop() {
  if (!client_ || stopping_) return;
  stopping_ = true;
  dispatching_ = false;
  retry_timer_.cancel();
  alive_.reset();
  try {
    if (client_->is_connected()) {
      // A clean disconnect does not fire the will, so say "offline" ourselves.
      client_->publish(status_topic_, "offline", 6, 1, true)->wait_for(std::chrono::seconds(2));
      client_->disconnect(std::chrono::seconds(2))->wait_for(std::chrono::seconds(3));
    }
  } catch (const mqtt::exception& e) {
    log_.warn("mqtt", std::string("disconnect: ") + e.what());
  }
  try {
    client_->set_message_callback(nullptr);
    client_->set_connected_handler(nullptr);
    client_->set_connection_lost_handler(nullptr);
  } catch (const mqtt::exception&) {
    // Paho refuses to change callbacks while a connect is pending. The callbacks only post to
    // the io_context and check `alive_`, which is gone, so they are harmless until destruction.
  }
  connected_.set(0);
  health_.set("mqtt", Health::Status::down, "stopped");
}

}  // namespace farmgate::gateway
