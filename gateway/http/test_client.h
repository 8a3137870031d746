// Test support for http_test only: a real HttpServer on a loopback ephemeral port with its
// io_context running on its own thread (as in the daemon), and a blocking client with a deadline
// on every operation, so a server bug fails a test instead of hanging it.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "core/log.h"
#include "core/metrics.h"
#include "gateway/http/server.h"

namespace farmgate::http::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using ClientResponse = bhttp::response<bhttp::string_body>;

// The string at `key` of a JSON object body, or a marker that makes the comparison fail.
inline std::string JsonString(const boost::json::value& v, std::string_view key) {
  const auto* obj = v.if_object();
  const auto* field = obj ? obj->if_contains(key) : nullptr;
  const auto* str = field ? field->if_string() : nullptr;
  return str ? std::string(*str) : "<no string at " + std::string(key) + ">";
}

// Declaration order is destruction order in reverse: the server goes before its io_context, and
// the logger and metrics outlive both.
class ServerHarness {
 public:
  explicit ServerHarness(ServerOptions options = {}, std::string host = "127.0.0.1")
      : server_(io_, config::HttpConfig{std::move(host), 0}, log_, metrics_, options) {}
  explicit ServerHarness(const config::HttpConfig& config, ServerOptions options = {})
      : server_(io_, config, log_, metrics_, options) {}

  ~ServerHarness() { shutdown(); }

  HttpServer& server() { return server_; }
  asio::io_context& io() { return io_; }
  Metrics& metrics() { return metrics_; }
  MemoryLogger& log() { return log_; }
  unsigned short port() const { return server_.port(); }

  // Binds, then runs the io_context on its own thread, as the daemon does.
  void start() {
    const auto started = server_.start();
    ASSERT_TRUE(started.ok()) << started.error().message;
    thread_ = std::thread([this] { io_.run(); });
  }

  // Runs f on the io_context thread and waits for it.
  template <class F>
  void on_io(F f) {
    std::promise<void> done;
    asio::post(io_, [&] {
      f();
      done.set_value();
    });
    done.get_future().wait();
  }

  void shutdown() {
    if (!thread_.joinable()) return;
    on_io([this] { server_.stop(); });
    guard_.reset();
    thread_.join();
  }

 private:
  MemoryLogger log_;
  Metrics metrics_;
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> guard_{io_.get_executor()};
  HttpServer server_;
  std::thread thread_;
};

// One client connection. Each call runs the client's own io_context until the operation ends or
// its deadline passes.
class Client {
 public:
  static constexpr std::chrono::seconds kDeadline{5};

  explicit Client(unsigned short port) : stream_(io_) {
    stream_.expires_after(kDeadline);
    stream_.async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port),
                          [this](beast::error_code ec) { ec_ = ec; });
    run();
  }

  beast::error_code error() const { return ec_; }

  beast::error_code send_raw(const std::string& bytes) {
    stream_.expires_after(kDeadline);
    asio::async_write(stream_, asio::buffer(bytes),
                      [this](beast::error_code ec, std::size_t) { ec_ = ec; });
    run();
    return ec_;
  }

  // Reads one response; nullopt (and error() says why) when the server closed or timed out.
  std::optional<ClientResponse> read(std::chrono::milliseconds deadline = kDeadline) {
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(16 * 1024 * 1024);
    stream_.expires_after(deadline);
    bhttp::async_read(stream_, buffer_, parser,
                      [this](beast::error_code ec, std::size_t) { ec_ = ec; });
    run();
    if (ec_) return std::nullopt;
    return parser.release();
  }

  // Reads a response to a HEAD request, which has a Content-Length but no body.
  std::optional<ClientResponse> read_head_response() {
    bhttp::response_parser<bhttp::string_body> parser;
    parser.skip(true);
    stream_.expires_after(kDeadline);
    bhttp::async_read(stream_, buffer_, parser,
                      [this](beast::error_code ec, std::size_t) { ec_ = ec; });
    run();
    if (ec_) return std::nullopt;
    return parser.release();
  }

  std::optional<ClientResponse> request(bhttp::verb verb, const std::string& target,
                                        std::string body = {}, bool keep_alive = true) {
    bhttp::request<bhttp::string_body> req{verb, target, 11};
    req.set(bhttp::field::host, "farmgate.test");
    if (!body.empty() || verb == bhttp::verb::post) {
      req.set(bhttp::field::content_type, "application/json");
      req.body() = std::move(body);
      req.prepare_payload();
    }
    req.keep_alive(keep_alive);
    stream_.expires_after(kDeadline);
    bhttp::async_write(stream_, req, [this](beast::error_code ec, std::size_t) { ec_ = ec; });
    run();
    if (ec_) return std::nullopt;
    return read();
  }

  std::optional<ClientResponse> get(const std::string& target) {
    return request(bhttp::verb::get, target);
  }

  // True when the server sends something (or closes) within `d`. Unlike read() it leaves the
  // connection open when nothing comes.
  bool readable_within(std::chrono::milliseconds d) {
    bool ready = false;
    asio::steady_timer timer(io_, d);
    stream_.socket().async_wait(tcp::socket::wait_read, [&](beast::error_code ec) {
      ready = !ec;
      timer.cancel();
    });
    timer.async_wait([&](beast::error_code ec) {
      if (!ec) stream_.socket().cancel();
    });
    run();
    return ready;
  }

  // Waits for the server to close the connection: true on end of stream or reset, false when
  // the deadline passes first or the server sends something.
  bool closed_by_server(std::chrono::milliseconds deadline = kDeadline) {
    char byte;
    stream_.expires_after(deadline);
    stream_.async_read_some(asio::buffer(&byte, 1),
                            [this](beast::error_code ec, std::size_t) { ec_ = ec; });
    run();
    return ec_ == asio::error::eof || ec_ == asio::error::connection_reset;
  }

 private:
  void run() {
    io_.restart();
    io_.run();
  }

  asio::io_context io_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  beast::error_code ec_;
};

}  // namespace farmgate::http::testing
