#include "sensors/camera/test_http_server.h"

#include <openssl/evp.h>
#include <sys/socket.h>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <cstdio>
#include <random>

namespace farmgate::sensors::camera::testing {
namespace {

namespace http = boost::beast::http;
using boost::asio::ip::tcp;

std::string md5_hex(const std::string& s) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(s.data(), s.size(), md, &len, EVP_md5(), nullptr);
  std::string out;
  char hex[3];
  for (unsigned i = 0; i < len; ++i) {
    std::snprintf(hex, sizeof hex, "%02x", md[i]);
    out += hex;
  }
  return out;
}

std::string base64(const std::string& s) {
  std::string out(4 * ((s.size() + 2) / 3) + 1, '\0');
  const int n =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                      reinterpret_cast<const unsigned char*>(s.data()), static_cast<int>(s.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

// The parameters of a "Digest k=v, k="v", ..." header; quoted values may hold commas.
std::map<std::string, std::string> digest_params(const std::string& header) {
  std::map<std::string, std::string> out;
  if (header.rfind("Digest ", 0) != 0) return out;
  std::size_t i = 7;
  while (i < header.size()) {
    while (i < header.size() && (header[i] == ' ' || header[i] == ',')) ++i;
    const std::size_t eq = header.find('=', i);
    if (eq == std::string::npos) break;
    const std::string key = header.substr(i, eq - i);
    i = eq + 1;
    std::string value;
    if (i < header.size() && header[i] == '"') {
      const std::size_t end = header.find('"', i + 1);
      if (end == std::string::npos) break;
      value = header.substr(i + 1, end - i - 1);
      i = end + 1;
    } else {
      const std::size_t end = header.find(',', i);
      value = header.substr(i, end == std::string::npos ? std::string::npos : end - i);
      i = end == std::string::npos ? header.size() : end;
    }
    out[key] = value;
  }
  return out;
}

constexpr const char* kRealm = "farmgate-test-camera";

}  // namespace

TestHttpServer::TestHttpServer()
    : acceptor_(ioc_, tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0)) {
  std::random_device rd;
  nonce_ = md5_hex(std::to_string(rd()) + std::to_string(rd()));
  acceptor_thread_ = std::thread([this] { accept_loop(); });
}

TestHttpServer::~TestHttpServer() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    // shutdown() wakes the threads blocked in accept() and read() on these descriptors.
    ::shutdown(acceptor_.native_handle(), SHUT_RDWR);
    for (const auto& s : sockets_) ::shutdown(s->native_handle(), SHUT_RDWR);
  }
  stopped_cv_.notify_all();
  acceptor_thread_.join();
  for (auto& t : threads_) t.join();
}

void TestHttpServer::route(const std::string& path, Route r) {
  std::lock_guard lock(mu_);
  routes_[path] = std::move(r);
}

std::string TestHttpServer::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()) + path;
}

int TestHttpServer::served(const std::string& path) const {
  std::lock_guard lock(mu_);
  auto it = served_.find(path);
  return it == served_.end() ? 0 : it->second;
}

int TestHttpServer::challenged(const std::string& path) const {
  std::lock_guard lock(mu_);
  auto it = challenged_.find(path);
  return it == challenged_.end() ? 0 : it->second;
}

void TestHttpServer::accept_loop() {
  for (;;) {
    auto socket = std::make_shared<tcp::socket>(ioc_);
    boost::system::error_code ec;
    acceptor_.accept(*socket, ec);
    std::lock_guard lock(mu_);
    if (ec || stopping_) return;
    sockets_.push_back(socket);
    threads_.emplace_back([this, socket] { serve(socket); });
  }
}

bool TestHttpServer::authorized(const Route& r, const std::string& header,
                                const std::string& method, const std::string& target) const {
  switch (r.auth) {
    case Auth::none:
      return true;
    case Auth::basic:
      return header == "Basic " + base64(r.username + ":" + r.password);
    case Auth::digest: {
      auto p = digest_params(header);
      if (p["username"] != r.username || p["realm"] != kRealm || p["nonce"] != nonce_ ||
          p["uri"] != target || p["qop"] != "auth") {
        return false;
      }
      const std::string ha1 = md5_hex(r.username + ":" + kRealm + ":" + r.password);
      const std::string ha2 = md5_hex(method + ":" + target);
      return p["response"] ==
             md5_hex(ha1 + ":" + nonce_ + ":" + p["nc"] + ":" + p["cnonce"] + ":auth:" + ha2);
    }
  }
  return false;
}

void TestHttpServer::serve(std::shared_ptr<tcp::socket> socket) {
  boost::beast::flat_buffer buffer;
  for (;;) {
    http::request<http::string_body> req;
    boost::system::error_code ec;
    http::read(*socket, buffer, req, ec);
    if (ec) return;
    const std::string target(req.target());
    const std::string path = target.substr(0, target.find('?'));
    Route route;
    {
      std::lock_guard lock(mu_);
      auto it = routes_.find(path);
      if (it != routes_.end()) route = it->second;
    }
    http::response<http::string_body> res;
    res.version(11);
    res.keep_alive(req.keep_alive());
    const std::string auth_header(req[http::field::authorization]);
    if (!route.respond && !route.hang) {
      res.result(http::status::not_found);
    } else if (!authorized(route, auth_header, std::string(req.method_string()), target)) {
      {
        std::lock_guard lock(mu_);
        ++challenged_[path];
      }
      res.result(http::status::unauthorized);
      if (route.auth == Auth::basic) {
        res.set(http::field::www_authenticate, std::string("Basic realm=\"") + kRealm + "\"");
      } else {
        res.set(http::field::www_authenticate, std::string("Digest realm=\"") + kRealm +
                                                   "\", qop=\"auth\", algorithm=MD5, nonce=\"" +
                                                   nonce_ + "\"");
      }
    } else {
      {
        std::lock_guard lock(mu_);
        ++served_[path];
      }
      if (route.hang) {
        std::unique_lock lock(mu_);
        stopped_cv_.wait(lock, [this] { return stopping_; });
        return;
      }
      const Response r = route.respond();
      res.result(static_cast<unsigned>(r.status));
      res.set(http::field::content_type, r.content_type);
      res.body() = r.body;
    }
    res.prepare_payload();
    http::write(*socket, res, ec);
    if (ec || !res.keep_alive()) return;
  }
}

}  // namespace farmgate::sensors::camera::testing
