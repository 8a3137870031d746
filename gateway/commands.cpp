#include "gateway/commands.h"

#include <boost/asio/post.hpp>
#include <boost/json.hpp>
#include <cmath>
#include <utility>

namespace farmgate::gateway {
namespace {

namespace json = boost::json;

// Longer than any max_runtime (at most a day), so the supervisor does the cutting.
constexpr double kMaxSeconds = 7.0 * 24 * 3600;

Error invalid(const std::string& what) {
  return Error{"invalid", "invalid: " + what};
}

std::optional<std::string> string_field(const json::object& o, const char* key) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr || !v->is_string()) return std::nullopt;
  return std::string(v->get_string());
}

}  // namespace

const char* to_string(CommandRequest::Kind kind) {
  switch (kind) {
    case CommandRequest::Kind::irrigate:
      return "irrigate";
    case CommandRequest::Kind::stop:
      return "stop";
    case CommandRequest::Kind::stop_all:
      return "stop_all";
  }
  return "?";
}

CommandRequest decode_command(CommandRequest::Kind kind, const std::string& payload) {
  CommandRequest req;
  req.kind = kind;
  json::value doc = json::object{};  // an empty payload reads as {}, handy with mosquitto_pub -n
  if (payload.find_first_not_of(" \t\r\n") != std::string::npos) {
    boost::system::error_code ec;
    doc = json::parse(payload, ec);
    if (ec) {
      req.error = Error{"invalid_json", "invalid_json: " + ec.message()};
      return req;
    }
  }
  if (!doc.is_object()) {
    req.error = Error{"invalid_json", "invalid_json: the request must be a JSON object"};
    return req;
  }
  const json::object& o = doc.get_object();
  if (const json::value* id = o.if_contains("request_id")) req.request_id = *id;
  req.who = string_field(o, "who").value_or("mqtt");
  if (kind == CommandRequest::Kind::stop_all) return req;

  auto zone = string_field(o, "zone");
  if (!zone || zone->empty()) {
    req.error = invalid("\"zone\" must be a non-empty string");
    return req;
  }
  req.zone = std::move(*zone);
  if (kind == CommandRequest::Kind::stop) return req;

  const json::value* secs = o.if_contains("seconds");
  if (secs == nullptr || !secs->is_number()) {
    req.error = invalid("\"seconds\" must be a number");
    return req;
  }
  boost::system::error_code ec;
  double s = secs->to_number<double>(ec);
  if (ec || !std::isfinite(s)) {
    req.error = invalid("\"seconds\" must be a finite number");
    return req;
  }
  s = std::min(s, kMaxSeconds);  // a non-positive time is refused by the supervisor, with reason
  req.duration = Millis{static_cast<Millis::rep>(std::llround(s * 1000.0))};
  return req;
}

Commands::Commands(std::string site, MqttBus& bus, boost::asio::io_context& io,
                   actuators::Supervisor& supervisor, Logger& log)
    : prefix_("farmgate/" + site + "/cmd/"),
      bus_(bus),
      io_(io),
      supervisor_(supervisor),
      log_(log) {}

Commands::~Commands() {
  stop();
}

void Commands::subscribe() {
  for (auto kind : {CommandRequest::Kind::irrigate, CommandRequest::Kind::stop,
                    CommandRequest::Kind::stop_all}) {
    bus_.subscribe(prefix_ + to_string(kind), 1, [this](const MqttMessage& m) { on_message(m); });
  }
}

void Commands::stop() {
  *alive_ = false;
}

// Paho's thread: decode, hand off.
void Commands::on_message(const MqttMessage& m) {
  const std::string name = m.topic.substr(std::min(m.topic.size(), prefix_.size()));
  CommandRequest::Kind kind = CommandRequest::Kind::stop_all;
  if (name == "irrigate") {
    kind = CommandRequest::Kind::irrigate;
  } else if (name == "stop") {
    kind = CommandRequest::Kind::stop;
  } else if (name != "stop_all") {
    return;  // not one of ours (the bus matched a filter we did not ask for)
  }
  boost::asio::post(
      io_, [this, alive = std::weak_ptr<bool>(alive_), req = decode_command(kind, m.payload)] {
        auto a = alive.lock();
        if (a && *a) execute(req);
      });
}

// The io_context thread, where the supervisor lives.
void Commands::execute(const CommandRequest& req) {
  if (req.error) {
    log_.warn("commands", std::string(to_string(req.kind)) + " refused: " + req.error->message);
    answer(req, false, req.error->message);
    return;
  }
  switch (req.kind) {
    case CommandRequest::Kind::irrigate: {
      auto r = supervisor_.irrigate(req.zone, req.duration, actuators::RunReason::remote, req.who);
      if (!r) {
        log_.info("commands",
                  "irrigate " + req.zone + " for " + req.who + " refused: " + r.error().message);
        answer(req, false, r.error().message);
        return;
      }
      answer(req, true, "", r->run_id, r->duration);
      return;
    }
    case CommandRequest::Kind::stop: {
      auto r = supervisor_.stop_zone(req.zone, "remote command", req.who);
      if (!r) {
        answer(req, false, r.error().message);
        return;
      }
      answer(req, true, "");
      return;
    }
    case CommandRequest::Kind::stop_all:
      supervisor_.stop_all("remote command by " + req.who);
      answer(req, true, "");
      return;
  }
}

void Commands::answer(const CommandRequest& req, bool ok, const std::string& error,
                      std::uint64_t run, Millis granted) {
  json::object o;
  o["ok"] = ok;
  o["command"] = to_string(req.kind);
  if (req.request_id) o["request_id"] = *req.request_id;
  if (!ok) o["error"] = error;
  if (ok && req.kind == CommandRequest::Kind::irrigate) {
    o["run"] = run;
    if (granted.count() % 1000 == 0) {
      o["seconds"] = granted.count() / 1000;
    } else {
      o["seconds"] = static_cast<double>(granted.count()) / 1000.0;
    }
  }
  if (!req.zone.empty()) o["zone"] = req.zone;
  bus_.publish(result_topic(), json::serialize(o), 1, false);
}

}  // namespace farmgate::gateway
