// Commands: the MQTT face of the safety supervisor. Requests arrive as JSON on
//   farmgate/<site>/cmd/irrigate  {"zone":"z1","seconds":60,"who":"..."}
//   farmgate/<site>/cmd/stop      {"zone":"z1"}
//   farmgate/<site>/cmd/stop_all  {}
// each with an optional "request_id", and every request is answered on farmgate/<site>/cmd/result:
//   {"ok":true,"command":"irrigate","run":7,"seconds":60}  or
//   {"ok":false,"command":"irrigate","error":"min_off: pump rested 40 s of 120 s"}
// with "request_id" echoed when the request had one. Runs started here have reason `remote`.
//
// Threads: construct, subscribe() and stop() on the io_context thread (or before it runs). The
// bus handlers run on the MQTT client's thread and only decode and post to the io_context, where
// the supervisor is called and the answer published. After stop() nothing posted runs.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/json/value.hpp>
#include <memory>
#include <optional>
#include <string>

#include "actuators/supervisor.h"
#include "core/log.h"
#include "core/mqtt.h"

namespace farmgate::gateway {

// A decoded request; `error` is set when it cannot be carried out as sent.
struct CommandRequest {
  enum class Kind { irrigate, stop, stop_all };
  Kind kind = Kind::irrigate;
  std::optional<boost::json::value> request_id;  // echoed as sent
  std::string zone;
  Millis duration{0};
  std::string who;
  std::optional<Error> error;  // "invalid_json: ..." or "invalid: ..."
};

// Pure decoding, for tests and for the handler.
CommandRequest decode_command(CommandRequest::Kind kind, const std::string& payload);
const char* to_string(CommandRequest::Kind kind);

class Commands {
 public:
  // `supervisor` must outlive this object or its stop(), whichever comes first.
  Commands(std::string site, MqttBus& bus, boost::asio::io_context& io,
           actuators::Supervisor& supervisor, Logger& log);
  ~Commands();
  Commands(const Commands&) = delete;
  Commands& operator=(const Commands&) = delete;

  // Subscribes to the three command topics (QoS 1). Call before the bus starts.
  void subscribe();
  // Requests still queued for the io_context are dropped unanswered.
  void stop();

  std::string result_topic() const { return prefix_ + "result"; }

 private:
  void on_message(const MqttMessage& m);
  void execute(const CommandRequest& req);
  void answer(const CommandRequest& req, bool ok, const std::string& error, std::uint64_t run = 0,
              Millis granted = Millis{0});

  const std::string prefix_;  // farmgate/<site>/cmd/
  MqttBus& bus_;
  boost::asio::io_context& io_;
  actuators::Supervisor& supervisor_;
  Logger& log_;
  // Shared with posted work, which runs only while it is true.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace farmgate::gateway
