// A small HTTP/1.1 server on 127.0.0.1 (a port picked free at start) standing in for IP cameras
// in the tests: routes that serve a body, that demand basic or digest auth (the server side of
// RFC 7617 and RFC 7616 with MD5 and qop=auth, the digest most cameras speak), and that read the
// request and never answer. Test code only; a thread per connection, all stopped by the
// destructor.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

namespace farmgate::sensors::camera::testing {

class TestHttpServer {
 public:
  enum class Auth { none, basic, digest };
  struct Response {
    int status = 200;
    std::string content_type = "image/jpeg";
    std::string body;
  };
  struct Route {
    Auth auth = Auth::none;
    std::string username;
    std::string password;
    std::function<Response()> respond;
    bool hang = false;  // read the request, then say nothing until the server stops
  };

  TestHttpServer();
  ~TestHttpServer();
  TestHttpServer(const TestHttpServer&) = delete;
  TestHttpServer& operator=(const TestHttpServer&) = delete;

  // Adds or replaces a route; the path is matched without its query.
  void route(const std::string& path, Route r);
  std::string url(const std::string& path) const;
  // Requests to the path that passed its auth check (all of them for Auth::none).
  int served(const std::string& path) const;
  // Requests to the path that were answered 401.
  int challenged(const std::string& path) const;

 private:
  void accept_loop();
  void serve(std::shared_ptr<boost::asio::ip::tcp::socket> socket);
  bool authorized(const Route& r, const std::string& header, const std::string& method,
                  const std::string& target) const;

  boost::asio::io_context ioc_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::string nonce_;
  mutable std::mutex mu_;
  std::condition_variable stopped_cv_;
  bool stopping_ = false;
  std::map<std::string, Route> routes_;
  std::map<std::string, int> served_;
  std::map<std::string, int> challenged_;
  std::vector<std::shared_ptr<boost::asio::ip::tcp::socket>> sockets_;
  std::vector<std::thread> threads_;
  std::thread acceptor_thread_;
};

}  // namespace farmgate::sensors::camera::testing
