// TestHttpServer: a tiny HTTP/1.1 server on 127.0.0.1 (a free port picked by the kernel) for the
// uplink tests. It records every request and answers from a script of responses, then with a
// default one. It understands what libcurl sends us: Content-Length bodies, keep-alive.
// Thread-safe: the test thread scripts and inspects it while its own threads serve.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace farmgate::uplink::testing {

using namespace std::chrono_literals;

struct HttpRequest {
  std::string method;
  std::string target;                          // path and query, as sent
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;                            // as received
  std::chrono::steady_clock::time_point received;

  std::string header(const std::string& lower_name) const;
  std::string path() const;
  std::map<std::string, std::string> query() const;  // percent-decoded
  // The body, gunzipped when it came with Content-Encoding: gzip.
  std::string lines() const;
};

struct HttpResponse {
  HttpResponse() = default;
  HttpResponse(int status_, std::string body_ = {},  // NOLINT: implicit for brace lists
               std::vector<std::pair<std::string, std::string>> headers_ = {})
      : status(status_), body(std::move(body_)), headers(std::move(headers_)) {}
  static HttpResponse hanging() {
    HttpResponse r;
    r.hang = true;
    return r;
  }

  int status = 204;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  // Never answer: keep the connection open until the client gives up or the server stops.
  bool hang = false;
};

class TestHttpServer {
 public:
  TestHttpServer();
  ~TestHttpServer();
  TestHttpServer(const TestHttpServer&) = delete;
  TestHttpServer& operator=(const TestHttpServer&) = delete;

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int port() const { return port_; }

  // Answers the next requests with these, in order; then with the default (204).
  void script(std::vector<HttpResponse> responses);
  void set_default(HttpResponse response);

  std::vector<HttpRequest> requests() const;
  // Waits until at least `n` requests have arrived; false on timeout.
  bool wait_for_requests(std::size_t n, std::chrono::milliseconds timeout = 10s) const;

 private:
  void accept_loop();
  void serve(int fd);
  HttpResponse next_response();

  int listen_fd_ = -1;
  int port_ = 0;
  int wake_[2] = {-1, -1};  // a pipe: written once on stop, wakes every poll()

  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::deque<HttpResponse> script_;
  HttpResponse default_;
  std::vector<HttpRequest> requests_;
  std::vector<std::thread> connections_;
  std::thread acceptor_;
};

// Gunzips (or inflates) `data`; throws on corrupt input. Test helper.
std::string gunzip(std::string_view data);

// A loopback port nothing listens on (bound, then closed), for "connection refused" tests and for
// servers started by the tests.
int free_port();

}  // namespace farmgate::uplink::testing
