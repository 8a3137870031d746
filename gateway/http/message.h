// Request and Response: the HTTP messages route handlers see, as plain values with no Boost.Beast
// in sight, so handlers (ops routes now, the REST API later) compile fast and test without a
// socket. Built and consumed by HttpServer on its io_context thread; safe to copy or move to any
// thread.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace farmgate::http {

// The methods routes are registered for. A request with any other method gets 405 (or 404).
enum class Verb { get, head, post, put, patch, delete_, options, other };

const char* to_string(Verb v);  // "GET", ..., "OTHER"

struct Header {
  std::string name;
  std::string value;
};

struct Request {
  Verb verb = Verb::get;
  std::string method;  // as sent, e.g. "GET"; useful when verb is other
  std::string target;  // as sent, e.g. "/api/v1/readings?zone=z%201"
  std::string path;    // the target's path, still percent-encoded: "/api/v1/readings"
  // The path's segments, percent-decoded: "/a/b%2Fc" is {"a", "b/c"}; "/" is {}.
  std::vector<std::string> segments;
  // The query's parameters, percent-decoded ('+' is a space, as HTML forms send it), in order;
  // a key without '=' has an empty value.
  std::vector<std::pair<std::string, std::string>> query;
  std::vector<Header> headers;  // in order, names as sent
  std::string body;
  std::string remote;  // the peer, "192.168.4.23:51234"
  // Values of the route pattern's {name} segments, percent-decoded.
  std::map<std::string, std::string, std::less<>> params;

  // The first header with this name (case-insensitive), or "" when there is none.
  std::string_view header(std::string_view name) const;
  // The first query parameter with this key, or nullopt.
  std::optional<std::string_view> query_param(std::string_view key) const;
  // A route parameter; "" when the route has no such parameter.
  std::string_view param(std::string_view name) const;
};

struct Response {
  int status = 200;  // outside 100..599 is sent as 500
  std::string content_type = "application/json";
  std::string body;
  // Extra headers. Content-Length, Connection and Server are the server's.
  std::vector<Header> headers;

  static Response json(std::string body, int status = 200);
  static Response text(std::string body, int status = 200,
                       std::string content_type = "text/plain; charset=utf-8");
  // The body every error has: {"error":"<code>","reason":"<sentence>"}. `code` is stable and
  // machine-readable ("not_found"); `reason` is for a person.
  static Response error(int status, std::string_view code, std::string_view reason);
};

}  // namespace farmgate::http
