// MqttBus: the one MQTT connection farmgate keeps, as seen by the parts that use it (sensor
// sources now, actuator drivers later). The gateway implements it with Paho; tests use a fake.
//
// Thread contract: subscribe() is called before start-up completes; handlers run on the MQTT
// client's own thread, one message at a time, and must only decode and hand off. A handler that
// returns has taken responsibility for the message: for QoS 1 the acknowledgement goes to the
// broker right after it returns. publish() may be called from any thread and never blocks.
#pragma once

#include <functional>
#include <string>

namespace farmgate {

struct MqttMessage {
  std::string topic;
  std::string payload;
  int qos = 0;
  bool retained = false;
};

class MqttBus {
 public:
  using Handler = std::function<void(const MqttMessage&)>;

  virtual ~MqttBus() = default;
  // Registers interest in a topic filter (MQTT wildcards allowed). Kept across reconnects.
  virtual void subscribe(const std::string& filter, int qos, Handler handler) = 0;
  // Queues a message for sending; fire and forget (failures are counted, not returned).
  virtual void publish(const std::string& topic, const std::string& payload, int qos,
                       bool retain) = 0;
};

// True when `topic` matches the MQTT filter `filter` ('+' one level, '#' the rest).
bool mqtt_topic_matches(const std::string& filter, const std::string& topic);

}  // namespace farmgate
