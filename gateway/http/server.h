// HttpServer: farmgate's HTTP/1.1 listener (Boost.Beast, asynchronous) for /healthz, /metrics and,
// later, the REST API and the phone page. It runs entirely on the daemon's io_context thread.
//
// Threads: construct, route(), start(), port() and stop() on the io_context thread, or before
// that thread runs the io_context. Handlers run on the io_context thread and must not block;
// AsyncHandler responses may come from any thread (see handler.h).
//
// Hostile input is expected (farm Wi-Fi, phones, scanners): every request has size limits and a
// deadline, the number of open connections is capped, and malformed requests get a JSON error
// ({"error":"...","reason":"..."}) with the right 4xx, never a crash.
//
// Lifetime: Logger and Metrics must outlive the server; after stop() the server touches neither,
// and no handler runs again. Destroy the server before its io_context.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/result.h"
#include "core/time.h"
#include "gateway/http/handler.h"
#include "gateway/http/router.h"
#include "gateway/http/stream.h"

namespace boost::asio {
class io_context;
}

namespace farmgate::http {

using namespace std::chrono_literals;

struct ServerOptions {
  std::size_t header_limit = 8 * 1024;   // request line + headers; beyond: 431
  std::size_t body_limit = 1024 * 1024;  // beyond: 413
  // Deadline for a whole request, counted from when the server starts waiting for it (accept,
  // or the previous response on a keep-alive connection). A client that trickles bytes
  // (slowloris) or idles is disconnected when it passes.
  Millis request_timeout = 15s;
  Millis write_timeout = 15s;    // for sending one response
  Millis handler_timeout = 30s;  // an AsyncHandler silent this long: 503
  // After an error response the server stops sending and reads (discarding) for at most this
  // long before closing, so the client sees the response rather than a reset.
  Millis linger_timeout = 2s;
  // Open connections at most. Further connections wait in the kernel's accept queue until one
  // closes: the Pi's memory stays bounded whatever a client does.
  std::size_t max_connections = 32;
  // A streaming client (route_stream) with more than this many bytes not yet sent to it is
  // dropped: a phone that stopped reading must not grow the gateway's memory. A stream is
  // exempt from request_timeout; each of its writes still has write_timeout.
  std::size_t stream_buffer_limit = 256 * 1024;
};

class HttpServer {
 public:
  HttpServer(boost::asio::io_context& io, const config::HttpConfig& config, Logger& log,
             Metrics& metrics, ServerOptions options = {});
  ~HttpServer();  // stop()s
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // See Router for patterns. Throws std::invalid_argument for a malformed or duplicate route.
  void route(Verb verb, std::string_view pattern, Handler handler);
  void route_async(Verb verb, std::string_view pattern, AsyncHandler handler);
  // A streaming route (see stream.h). Its connection counts against max_connections.
  void route_stream(Verb verb, std::string_view pattern, StreamHandler handler);
  // The registered (verb, pattern) pairs; see Router::routes().
  std::vector<Router::Entry> routes() const;

  // Binds and starts accepting. Fails with code "http_listen", e.g.
  // "cannot listen on 0.0.0.0:8080: Address already in use". Port 0 picks a free port.
  Result<void> start();
  // The bound port (after start()), e.g. the one port 0 picked; 0 before.
  unsigned short port() const;
  // Closes the listening socket and every connection; pending responses are dropped. Idempotent.
  void stop();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;  // shared with connections, which may outlive this object
};

}  // namespace farmgate::http
