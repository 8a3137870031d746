#include "gateway/http/server.h"

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <random>
#include <stdexcept>
#include <thread>

#include "gateway/http/test_client.h"

namespace farmgate::http {
namespace {

using namespace std::chrono_literals;
using testing::Client;
using testing::ClientResponse;
using testing::ServerHarness;
namespace bhttp = boost::beast::http;

// The error body every 4xx/5xx carries.
void ExpectJsonError(const ClientResponse& r, unsigned status, std::string_view code) {
  EXPECT_EQ(r.result_int(), status);
  EXPECT_EQ(r[bhttp::field::content_type], "application/json");
  boost::system::error_code ec;
  const auto body = boost::json::parse(r.body(), ec);
  ASSERT_FALSE(ec) << r.body();
  EXPECT_EQ(testing::JsonString(body, "error"), code) << r.body();
  EXPECT_FALSE(testing::JsonString(body, "reason").empty()) << r.body();
}

ServerOptions FastOptions() {
  ServerOptions o;
  o.request_timeout = 300ms;
  o.linger_timeout = 300ms;
  o.handler_timeout = 300ms;
  return o;
}

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    h_.server().route(Verb::get, "/hello",
                      [](const Request&) { return Response::text("hello farm\n"); });
    h_.server().route(Verb::post, "/echo", [](const Request& r) {
      return Response::text(r.body, 200, std::string(r.header("Content-Type")));
    });
    h_.server().route(Verb::get, "/zones/{zone}", [](const Request& r) {
      std::string out = std::string(r.param("zone"));
      if (auto d = r.query_param("day")) out += "|" + std::string(*d);
      return Response::text(out);
    });
    h_.server().route(Verb::get, "/boom",
                      [](const Request&) -> Response { throw std::runtime_error("handler bug"); });
    h_.server().route(Verb::delete_, "/zones/{zone}",
                      [](const Request&) { return Response::text("", 204, ""); });
    h_.server().route(Verb::get, "/bad-status",
                      [](const Request&) { return Response::text("?", 42); });
    h_.server().route(Verb::get, "/bad-header", [](const Request&) {
      Response r = Response::text("ok");
      r.headers.push_back(Header{"X-Injected", "a\r\nSet-Cookie: evil=1"});
      r.headers.push_back(Header{"X-Fine", "yes"});
      return r;
    });
    h_.start();
  }

  ServerHarness h_{FastOptions()};
};

TEST_F(HttpServerTest, ServesARouteOnTheEphemeralPortItBound) {
  ASSERT_NE(h_.port(), 0);
  Client c(h_.port());
  const auto r = c.get("/hello");
  ASSERT_TRUE(r) << c.error().message();
  EXPECT_EQ(r->result_int(), 200u);
  EXPECT_EQ(r->body(), "hello farm\n");
  EXPECT_EQ((*r)[bhttp::field::content_type], "text/plain; charset=utf-8");
}

TEST_F(HttpServerTest, PostBodyReachesTheHandler) {
  Client c(h_.port());
  const auto r = c.request(bhttp::verb::post, "/echo", R"({"zone":"z1"})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->result_int(), 200u);
  EXPECT_EQ(r->body(), R"({"zone":"z1"})");
}

TEST_F(HttpServerTest, PathParametersAndQueryArePercentDecoded) {
  Client c(h_.port());
  const auto r = c.get("/zones/v%C6%B0%E1%BB%9Dn%201?day=2026-01-02&x=y+z");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->result_int(), 200u);
  EXPECT_EQ(r->body(), "vườn 1|2026-01-02");
}

TEST_F(HttpServerTest, UnknownPathIs404WithJsonBody) {
  Client c(h_.port());
  const auto r = c.get("/nope");
  ASSERT_TRUE(r);
  ExpectJsonError(*r, 404, "not_found");
  // The connection stays usable after a client error that did not break the framing.
  const auto again = c.get("/hello");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->result_int(), 200u);
}

TEST_F(HttpServerTest, WrongMethodIs405WithAllowHeader) {
  Client c(h_.port());
  const auto r = c.request(bhttp::verb::delete_, "/hello");
  ASSERT_TRUE(r);
  ExpectJsonError(*r, 405, "method_not_allowed");
  EXPECT_EQ((*r)[bhttp::field::allow], "GET, HEAD");
}

TEST_F(HttpServerTest, UnknownMethodIs405) {
  Client c(h_.port());
  c.send_raw("BREW /hello HTTP/1.1\r\nHost: x\r\n\r\n");
  const auto r = c.read();
  ASSERT_TRUE(r);
  ExpectJsonError(*r, 405, "method_not_allowed");
}

TEST_F(HttpServerTest, HeadIsAnsweredByTheGetRouteWithoutBody) {
  Client c(h_.port());
  c.send_raw("HEAD /hello HTTP/1.1\r\nHost: x\r\n\r\n");
  const auto r = c.read_head_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->result_int(), 200u);
  EXPECT_EQ((*r)[bhttp::field::content_length], "11");
  EXPECT_TRUE(r->body().empty());
  // Had the server sent a body, it would now be read as the next response's start.
  const auto next = c.get("/hello");
  ASSERT_TRUE(next);
  EXPECT_EQ(next->body(), "hello farm\n");
}

TEST_F(HttpServerTest, OversizedBodyIs413) {
  Client c(h_.port());
  const auto r = c.request(bhttp::verb::post, "/echo", std::string(1024 * 1024 + 1, 'x'));
  ASSERT_TRUE(r) << c.error().message();
  ExpectJsonError(*r, 413, "payload_too_large");
  EXPECT_EQ((*r)[bhttp::field::connection], "close");
}

TEST_F(HttpServerTest, OversizedChunkedBodyIs413) {
  Client c(h_.port());
  std::string req = "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  const std::string chunk(64 * 1024, 'y');
  for (int i = 0; i < 17; ++i) req += "10000\r\n" + chunk + "\r\n";  // 17 x 64 KiB > 1 MiB
  req += "0\r\n\r\n";
  c.send_raw(req);
  const auto r = c.read();
  ASSERT_TRUE(r) << c.error().message();
  ExpectJsonError(*r, 413, "payload_too_large");
}

TEST_F(HttpServerTest, BodyAtTheLimitIsAccepted) {
  Client c(h_.port());
  const auto r = c.request(bhttp::verb::post, "/echo", std::string(1024 * 1024, 'x'));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->result_int(), 200u);
  EXPECT_EQ(r->body().size(), 1024u * 1024u);
}

TEST_F(HttpServerTest, OversizedHeaderIs431) {
  Client c(h_.port());
  c.send_raw("GET /hello HTTP/1.1\r\nHost: x\r\nX-Pad: " + std::string(16 * 1024, 'p') +
             "\r\n\r\n");
  const auto r = c.read();
  ASSERT_TRUE(r) << c.error().message();
  ExpectJsonError(*r, 431, "header_too_large");
}

TEST_F(HttpServerTest, MalformedRequestLineIs400) {
  Client c(h_.port());
  c.send_raw("THIS IS NOT HTTP\r\n\r\n");
  const auto r = c.read();
  ASSERT_TRUE(r) << c.error().message();
  ExpectJsonError(*r, 400, "bad_request");
  EXPECT_TRUE(c.closed_by_server());
}

TEST_F(HttpServerTest, TargetThatIsNotAPathIs400) {
  Client c(h_.port());
  c.send_raw("GET hello HTTP/1.1\r\nHost: x\r\n\r\n");
  const auto r = c.read();
  ASSERT_TRUE(r);
  ExpectJsonError(*r, 400, "bad_request");
}

TEST_F(HttpServerTest, KeepAliveServesTwoRequestsOnOneConnection) {
  Client c(h_.port());
  const auto first = c.get("/hello");
  ASSERT_TRUE(first);
  EXPECT_TRUE(first->keep_alive());
  const auto second = c.get("/zones/z2");
  ASSERT_TRUE(second) << c.error().message();
  EXPECT_EQ(second->body(), "z2");
  EXPECT_EQ(h_.metrics().gauge("farmgate_http_connections", "").value(), 1.0);
}

TEST_F(HttpServerTest, PipelinedRequestsAreAnsweredInOrder) {
  Client c(h_.port());
  c.send_raw(
      "GET /zones/a HTTP/1.1\r\nHost: x\r\n\r\n"
      "GET /zones/b HTTP/1.1\r\nHost: x\r\n\r\n");
  const auto a = c.read();
  const auto b = c.read();
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->body(), "a");
  EXPECT_EQ(b->body(), "b");
}

TEST_F(HttpServerTest, ConnectionCloseIsHonoured) {
  Client c(h_.port());
  const auto r = c.request(bhttp::verb::get, "/hello", {}, /*keep_alive=*/false);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->result_int(), 200u);
  EXPECT_TRUE(c.closed_by_server());
}

TEST_F(HttpServerTest, Http10ClientGetsAnHttp10ResponseAndAClose) {
  Client c(h_.port());
  c.send_raw("GET /hello HTTP/1.0\r\n\r\n");
  const auto r = c.read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->version(), 10u);
  EXPECT_EQ(r->body(), "hello farm\n");
  EXPECT_TRUE(c.closed_by_server());
}

TEST_F(HttpServerTest, NoContentResponseHasNoBody) {
  Client c(h_.port());
  const auto r = c.request(bhttp::verb::delete_, "/zones/z1");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->result_int(), 204u);
  EXPECT_TRUE(r->body().empty());
  ASSERT_TRUE(c.get("/hello"));
}

TEST_F(HttpServerTest, HandlerMistakesBecome500OrAreDropped) {
  Client c(h_.port());
  const auto r = c.get("/bad-status");
  ASSERT_TRUE(r);
  ExpectJsonError(*r, 500, "internal_error");
  const auto h = c.get("/bad-header");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->result_int(), 200u);
  EXPECT_EQ(h->count("X-Injected"), 0u);
  EXPECT_EQ(h->count("Set-Cookie"), 0u);
  EXPECT_EQ((*h)["X-Fine"], "yes");
}

TEST_F(HttpServerTest, StalledHeaderIsDisconnectedAfterTheTimeout) {
  Client c(h_.port());
  c.send_raw("GET /hello HTTP/1.1\r\nHost: x\r\n");  // and never the blank line
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(c.closed_by_server(5s)) << c.error().message();
  // Generous bound: the timeout is 300 ms; the point is that it is not the client's 5 s.
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 4s);
  h_.on_io([] {});
  EXPECT_EQ(h_.metrics().counter("farmgate_http_timeouts_total", "").value(), 1u);
}

TEST_F(HttpServerTest, IdleKeepAliveConnectionIsClosedAfterTheTimeout) {
  Client c(h_.port());
  ASSERT_TRUE(c.get("/hello"));
  EXPECT_TRUE(c.closed_by_server(5s));
}

TEST_F(HttpServerTest, HandlerExceptionIs500AndTheServerKeepsServing) {
  Client c(h_.port());
  const auto r = c.get("/boom");
  ASSERT_TRUE(r);
  ExpectJsonError(*r, 500, "internal_error");
  const auto next = c.get("/hello");
  ASSERT_TRUE(next);
  EXPECT_EQ(next->result_int(), 200u);
}

TEST_F(HttpServerTest, ExpectContinueGets100ThenTheResponse) {
  Client c(h_.port());
  c.send_raw(
      "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n"
      "Expect: 100-continue\r\n\r\n");
  const auto cont = c.read();
  ASSERT_TRUE(cont) << c.error().message();
  EXPECT_EQ(cont->result_int(), 100u);
  c.send_raw("hello");
  const auto r = c.read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->result_int(), 200u);
  EXPECT_EQ(r->body(), "hello");
}

TEST_F(HttpServerTest, CountsResponsesByStatusCode) {
  Client c(h_.port());
  ASSERT_TRUE(c.get("/hello"));
  ASSERT_TRUE(c.get("/hello"));
  ASSERT_TRUE(c.get("/nope"));
  auto& m = h_.metrics();
  EXPECT_EQ(m.counter("farmgate_http_requests_total", "", {{"code", "200"}}).value(), 2u);
  EXPECT_EQ(m.counter("farmgate_http_requests_total", "", {{"code", "404"}}).value(), 1u);
}

TEST_F(HttpServerTest, GarbageNeverTakesTheServerDown) {
  std::mt19937 rng(57);
  for (int i = 0; i < 30; ++i) {
    Client c(h_.port());
    std::string junk(1 + rng() % 3000, '\0');
    for (auto& ch : junk) ch = static_cast<char>(rng());
    if (i % 3 == 0) junk = "GET /" + junk;  // past the method, into the target and headers
    if (i % 3 == 1) junk = "GET /hello HTTP/1.1\r\n" + junk + "\r\n\r\n";
    c.send_raw(junk);
    const auto r = c.read(2s);
    if (r) {
      EXPECT_GE(r->result_int(), 400u) << i;
    }
  }
  Client c(h_.port());
  const auto r = c.get("/hello");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->result_int(), 200u);
}

TEST_F(HttpServerTest, StopClosesOpenConnections) {
  Client c(h_.port());
  ASSERT_TRUE(c.get("/hello"));
  h_.on_io([this] { h_.server().stop(); });
  EXPECT_TRUE(c.closed_by_server(2s));
  Client late(h_.port());
  EXPECT_TRUE(late.error()) << "the listening socket is closed";
}

TEST(HttpServerAsyncTest, AsyncHandlerAnswersFromAnotherThread) {
  ServerHarness h(FastOptions());
  std::thread worker;
  h.server().route_async(Verb::get, "/history", [&worker](const Request& r, Responder respond) {
    std::string zone(r.query_param("zone").value_or("?"));
    worker = std::thread([respond, zone] { respond(Response::text("history of " + zone)); });
  });
  h.start();
  Client c(h.port());
  const auto r = c.get("/history?zone=z1");
  worker.join();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->result_int(), 200u);
  EXPECT_EQ(r->body(), "history of z1");
}

TEST(HttpServerAsyncTest, AsyncHandlerThatNeverAnswersGets503) {
  ServerHarness h(FastOptions());
  std::optional<Responder> kept;
  h.server().route_async(Verb::get, "/slow", [&kept](const Request&, Responder respond) {
    kept = std::move(respond);  // and never called in time
  });
  h.server().route(Verb::get, "/fast", [](const Request&) { return Response::text("ok"); });
  h.start();
  Client c(h.port());
  const auto r = c.get("/slow");
  ASSERT_TRUE(r);
  ExpectJsonError(*r, 503, "handler_timeout");
  // A late answer is dropped; the next request on the connection gets its own response.
  (*kept)(Response::text("too late"));
  const auto next = c.get("/fast");
  ASSERT_TRUE(next);
  EXPECT_EQ(next->body(), "ok");
}

TEST(HttpServerLimitsTest, ConnectionsBeyondTheCapWaitForAFreeSlot) {
  ServerOptions o;
  o.max_connections = 1;
  ServerHarness h(o);
  h.server().route(Verb::get, "/hello", [](const Request&) { return Response::text("hi"); });
  h.start();
  auto first = std::make_unique<Client>(h.port());
  ASSERT_TRUE(first->get("/hello"));
  Client second(h.port());  // the kernel completes the handshake; the server does not accept
  second.send_raw("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_FALSE(second.readable_within(300ms)) << "served beyond the connection cap";
  first.reset();  // frees the slot
  const auto r = second.read(5s);
  ASSERT_TRUE(r) << second.error().message();
  EXPECT_EQ(r->body(), "hi");
}

TEST(HttpServerStartTest, PortInUseIsAClearError) {
  ServerHarness a;
  a.start();
  MemoryLogger log;
  Metrics metrics;
  boost::asio::io_context io;
  HttpServer b(io, config::HttpConfig{"127.0.0.1", a.port()}, log, metrics);
  const auto started = b.start();
  ASSERT_FALSE(started.ok());
  EXPECT_EQ(started.error().code, "http_listen");
  EXPECT_EQ(started.error().message,
            "cannot listen on 127.0.0.1:" + std::to_string(a.port()) + ": Address already in use");
}

TEST(HttpServerStartTest, HostThatIsNotAnAddressIsAClearError) {
  MemoryLogger log;
  Metrics metrics;
  boost::asio::io_context io;
  HttpServer s(io, config::HttpConfig{"farm.local", 8080}, log, metrics);
  const auto started = s.start();
  ASSERT_FALSE(started.ok());
  EXPECT_EQ(started.error().message,
            "cannot listen on farm.local:8080: 'farm.local' is not an IP address");
}

TEST(HttpServerStartTest, LocalhostMeansTheIpv4Loopback) {
  ServerHarness h({}, "localhost");
  h.server().route(Verb::get, "/x", [](const Request&) { return Response::text("x"); });
  h.start();
  Client c(h.port());
  const auto r = c.get("/x");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body(), "x");
}

TEST(HttpServerStartTest, Ipv6AnyAddressAlsoServesIpv4) {
  ServerHarness h({}, "::");
  h.server().route(Verb::get, "/x", [](const Request&) { return Response::text("x"); });
  h.start();
  Client c(h.port());  // connects to 127.0.0.1
  const auto r = c.get("/x");
  ASSERT_TRUE(r) << c.error().message();
  EXPECT_EQ(r->body(), "x");
}

TEST(HttpServerStartTest, DuplicateRouteIsAProgrammingError) {
  MemoryLogger log;
  Metrics metrics;
  boost::asio::io_context io;
  HttpServer s(io, config::HttpConfig{}, log, metrics);
  s.route(Verb::get, "/x", [](const Request&) { return Response{}; });
  EXPECT_THROW(s.route(Verb::get, "/x", [](const Request&) { return Response{}; }),
               std::invalid_argument);
}

// --- Streaming routes (route_stream) ---

// Reads whatever the server sends, for responses without an end.
class StreamReader {
 public:
  explicit StreamReader(unsigned short port) : socket_(io_) {
    socket_.connect(testing::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port));
  }
  void send(const std::string& bytes) { boost::asio::write(socket_, boost::asio::buffer(bytes)); }
  // True once everything received contains `marker`; false on close or after `deadline`.
  bool read_until(std::string_view marker, std::chrono::milliseconds deadline = 5s) {
    const auto until = std::chrono::steady_clock::now() + deadline;
    while (received.find(marker) == std::string::npos) {
      if (closed || std::chrono::steady_clock::now() >= until) return false;
      std::array<char, 4096> buf;
      socket_.async_read_some(boost::asio::buffer(buf),
                              [&](boost::system::error_code ec, std::size_t n) {
                                if (ec && ec != boost::asio::error::operation_aborted) {
                                  closed = true;
                                }
                                received.append(buf.data(), n);
                              });
      io_.restart();
      io_.run_until(until);
      if (!io_.stopped()) {
        socket_.cancel();
        io_.restart();
        io_.run();
      }
    }
    return true;
  }
  void close() {
    boost::system::error_code ec;
    socket_.close(ec);
  }
  std::string received;
  bool closed = false;

 private:
  boost::asio::io_context io_;
  testing::tcp::socket socket_;
};

class HttpStreamTest : public ::testing::Test {
 protected:
  void start(ServerOptions options) {
    h_.emplace(options);
    h_->server().route_stream(Verb::get, "/stream", [this](const Request&, StreamResponder out) {
      Response head = Response::text("hello\n", 200, "text/event-stream");
      head.headers.push_back(Header{"Cache-Control", "no-store"});
      out.open(std::move(head), [this](std::shared_ptr<StreamWriter> w) { writer_ = w; });
    });
    h_->server().route_stream(Verb::get, "/refused", [](const Request&, StreamResponder out) {
      std::thread([out] { out.respond(Response::error(401, "unauthorized", "log in")); }).detach();
    });
    h_->start();
  }
  bool write(const std::string& bytes) {
    bool ok = false;
    h_->on_io([&] { ok = writer_ && writer_->write(bytes); });
    return ok;
  }
  bool writer_open() {
    bool open = false;
    h_->on_io([&] { open = writer_ && writer_->is_open(); });
    return open;
  }
  void TearDown() override {
    if (h_) h_->shutdown();
  }

  std::optional<ServerHarness> h_;
  std::shared_ptr<StreamWriter> writer_;  // io thread
};

TEST_F(HttpStreamTest, StreamSendsItsHeadThenWhatIsWrittenPastTheRequestTimeout) {
  start(FastOptions());
  StreamReader c(h_->port());
  c.send("GET /stream HTTP/1.1\r\nHost: t\r\n\r\n");
  ASSERT_TRUE(c.read_until("hello\n")) << c.received;
  EXPECT_EQ(c.received.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << c.received;
  EXPECT_NE(c.received.find("Content-Type: text/event-stream\r\n"), std::string::npos);
  EXPECT_NE(c.received.find("Cache-Control: no-store\r\n"), std::string::npos);
  EXPECT_NE(c.received.find("Connection: close\r\n"), std::string::npos);
  EXPECT_EQ(c.received.find("Content-Length"), std::string::npos);
  // Longer than request_timeout (300 ms) and handler_timeout: a stream is exempt from both.
  EXPECT_FALSE(c.read_until("never", 700ms));
  EXPECT_FALSE(c.closed);
  ASSERT_TRUE(write("event: x\ndata: 1\n\n"));
  EXPECT_TRUE(c.read_until("data: 1\n\n")) << c.received;
}

TEST_F(HttpStreamTest, StreamHandlerMayAnswerWithAPlainResponseFromAnotherThread) {
  start(FastOptions());
  Client c(h_->port());
  const auto r = c.get("/refused");
  ASSERT_TRUE(r) << c.error().message();
  ExpectJsonError(*r, 401, "unauthorized");
  const auto again = c.get("/refused");  // the connection stays usable
  ASSERT_TRUE(again);
  EXPECT_EQ(again->result_int(), 401u);
}

TEST_F(HttpStreamTest, ClientLeavingClosesTheWriter) {
  start(FastOptions());
  StreamReader c(h_->port());
  c.send("GET /stream HTTP/1.1\r\nHost: t\r\n\r\n");
  ASSERT_TRUE(c.read_until("hello\n"));
  EXPECT_TRUE(writer_open());
  c.close();
  const auto until = std::chrono::steady_clock::now() + 5s;
  while (writer_open() && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(5ms);
  }
  EXPECT_FALSE(writer_open());
  EXPECT_FALSE(write("late"));
}

TEST_F(HttpStreamTest, ClientThatStopsReadingIsDroppedAtTheBufferLimit) {
  ServerOptions o = FastOptions();
  o.stream_buffer_limit = 64 * 1024;
  o.write_timeout = 30s;  // the buffer limit, not the write deadline, must end it
  start(o);
  StreamReader c(h_->port());
  c.send("GET /stream HTTP/1.1\r\nHost: t\r\n\r\n");
  ASSERT_TRUE(c.read_until("hello\n"));
  const std::string chunk(16 * 1024, 'x');
  int writes = 0;
  // The kernel's socket buffers take a few MB first; 1 GB is far beyond them.
  while (writes < 64 * 1024 && write(chunk)) ++writes;
  EXPECT_LT(writes, 64 * 1024);
  EXPECT_FALSE(writer_open());
}

TEST_F(HttpStreamTest, StopClosesOpenStreams) {
  start(FastOptions());
  StreamReader c(h_->port());
  c.send("GET /stream HTTP/1.1\r\nHost: t\r\n\r\n");
  ASSERT_TRUE(c.read_until("hello\n"));
  h_->on_io([&] { h_->server().stop(); });
  EXPECT_FALSE(writer_open());
  EXPECT_FALSE(c.read_until("never", 2s));
  EXPECT_TRUE(c.closed);
}

// ---- HTTPS ---------------------------------------------------------------------------------

class HttpsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::system("command -v openssl >/dev/null && command -v curl >/dev/null") != 0) {
      GTEST_SKIP() << "needs Debian's openssl and curl";
    }
    char tmpl[] = "/tmp/farmgate-https-XXXXXX";
    dir_ = mkdtemp(tmpl);
    const std::string cmd = "cd " + dir_ +
                            " && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1"
                            " -nodes -keyout key.pem -out cert.pem -days 2 -subj /CN=127.0.0.1"
                            " -addext subjectAltName=IP:127.0.0.1 2>/dev/null";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
    config_.host = "127.0.0.1";
    config_.port = 0;
    config_.tls_cert = dir_ + "/cert.pem";
    config_.tls_key = dir_ + "/key.pem";
  }
  void TearDown() override {
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  // curl's body, or "" on any failure (curl exits non-zero with -f).
  static std::string curl(const std::string& args) {
    std::string out;
    if (FILE* p = popen(("curl -sSf --max-time 10 " + args + " 2>/dev/null").c_str(), "r")) {
      char buf[256];
      while (std::fgets(buf, sizeof buf, p) != nullptr) out += buf;
      if (pclose(p) != 0) return "";
    }
    return out;
  }

  std::string dir_;
  config::HttpConfig config_;
};

TEST_F(HttpsTest, ServesHttpsWithTheConfiguredCertificateAndNothingInTheClear) {
  ServerHarness h(config_);
  h.server().route(Verb::get, "/x", [](const Request&) { return Response::text("over tls"); });
  h.start();
  const std::string url = "https://127.0.0.1:" + std::to_string(h.port()) + "/x";
  EXPECT_EQ(curl("--cacert " + dir_ + "/cert.pem " + url), "over tls");
  EXPECT_EQ(curl(url), "") << "a client that does not trust the certificate is refused";
  EXPECT_EQ(curl("http://127.0.0.1:" + std::to_string(h.port()) + "/x"), "")
      << "plain HTTP gets no answer on an HTTPS port";
  // The server survived the plain-text client.
  EXPECT_EQ(curl("--cacert " + dir_ + "/cert.pem " + url), "over tls");
}

TEST_F(HttpsTest, AnUnreadableKeyIsAClearStartError) {
  config_.tls_key = dir_ + "/missing.pem";
  MemoryLogger log;
  Metrics metrics;
  boost::asio::io_context io;
  HttpServer s(io, config_, log, metrics);
  const auto started = s.start();
  ASSERT_FALSE(started.ok());
  EXPECT_EQ(started.error().code, "http_tls");
  EXPECT_NE(started.error().message.find("missing.pem"), std::string::npos)
      << started.error().message;
}

}  // namespace
}  // namespace farmgate::http
