// Streaming responses (Server-Sent Events): a route registered with HttpServer::route_stream()
// keeps its connection open and writes to it for as long as the client stays. The response has
// no Content-Length and `Connection: close`: the body ends when the connection does, which every
// HTTP/1.x client and EventSource understands.
//
// Threads: a StreamResponder may be called from any thread (like Responder); a StreamWriter is
// used on the io_context thread only.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string_view>
#include <utility>

#include "gateway/http/message.h"

namespace farmgate::http {

// The open end of a streaming response. io_context thread only.
class StreamWriter {
 public:
  virtual ~StreamWriter() = default;
  // Queues bytes for the client. False (and nothing is queued) when the stream is closed: the
  // client went away, the server stopped, or the client was dropped for reading too slowly
  // (more than ServerOptions::stream_buffer_limit bytes waiting).
  virtual bool write(std::string_view bytes) = 0;
  virtual bool is_open() const = 0;
  // Ends the stream and closes the connection. Idempotent.
  virtual void close() = 0;
};

// How a StreamHandler answers: either a plain response (an error, typically 401/403) or the
// stream's head, after which `on_open` gets the writer on the io thread. Copyable; any thread;
// the first call wins. If neither comes within the handler timeout, the client gets 503.
class StreamResponder {
 public:
  using OnOpen = std::function<void(std::shared_ptr<StreamWriter>)>;
  StreamResponder(std::function<void(Response)> respond, std::function<void(Response, OnOpen)> open)
      : state_(std::make_shared<State>(std::move(respond), std::move(open))) {}

  void respond(Response response) const {
    if (state_->done.exchange(true)) return;
    state_->respond(std::move(response));
  }
  // `head`'s status, content type and headers start the response; its body, if any, is the
  // stream's first bytes (an SSE "retry:" line).
  void open(Response head, OnOpen on_open) const {
    if (state_->done.exchange(true)) return;
    state_->open(std::move(head), std::move(on_open));
  }

 private:
  struct State {
    State(std::function<void(Response)> r, std::function<void(Response, OnOpen)> o)
        : respond(std::move(r)), open(std::move(o)) {}
    std::atomic<bool> done{false};
    std::function<void(Response)> respond;
    std::function<void(Response, OnOpen)> open;
  };
  std::shared_ptr<State> state_;
};

using StreamHandler = std::function<void(const Request&, StreamResponder)>;

}  // namespace farmgate::http
