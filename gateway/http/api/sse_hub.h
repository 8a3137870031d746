// SseHub: the fan-out behind GET /api/v1/events. Every open event stream is a subscriber; the
// daemon publishes zone, alarm and run changes (`zone`, `alarm`, `run` events, data = the JSON
// the REST routes return for the same thing) and calls ping() every kPingEvery, which keeps
// proxies and phones from closing an idle stream and finds clients that left.
//
// A subscriber that is gone or too slow (the server drops it, see
// ServerOptions::stream_buffer_limit) is forgotten at the next publish or ping.
//
// Threads: io_context thread only. Holds no socket: after the server stops, writes just fail.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string_view>
#include <vector>

#include "gateway/http/stream.h"

namespace farmgate::http::api {

class SseHub {
 public:
  static constexpr std::chrono::seconds kPingEvery{15};

  void add(std::shared_ptr<StreamWriter> writer);
  // One SSE event to every subscriber: "event: <event>\ndata: <data>\n\n". A newline in `data`
  // continues it on another data line, as the format requires.
  void publish(std::string_view event, std::string_view data);
  // A comment line (": ping"), which EventSource ignores.
  void ping();
  // Ends every stream (for shutdown before the server stops).
  void close_all();
  std::size_t subscribers() const { return writers_.size(); }

  // The bytes of one event, as publish() sends them; also for a new subscriber's first events.
  static std::string format(std::string_view event, std::string_view data);

 private:
  void send(std::string_view bytes);
  std::vector<std::shared_ptr<StreamWriter>> writers_;
};

}  // namespace farmgate::http::api
