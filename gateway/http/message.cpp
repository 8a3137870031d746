#include "gateway/http/message.h"

#include <algorithm>
#include <cctype>

#include "core/health.h"  // append_json_string

namespace farmgate::http {

const char* to_string(Verb v) {
  switch (v) {
    case Verb::get:
      return "GET";
    case Verb::head:
      return "HEAD";
    case Verb::post:
      return "POST";
    case Verb::put:
      return "PUT";
    case Verb::patch:
      return "PATCH";
    case Verb::delete_:
      return "DELETE";
    case Verb::options:
      return "OPTIONS";
    case Verb::other:
      return "OTHER";
  }
  return "OTHER";
}

namespace {

bool iequals(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  });
}

}  // namespace

std::string_view Request::header(std::string_view name) const {
  for (const auto& h : headers) {
    if (iequals(h.name, name)) return h.value;
  }
  return {};
}

std::optional<std::string_view> Request::query_param(std::string_view key) const {
  for (const auto& [k, v] : query) {
    if (k == key) return std::string_view(v);
  }
  return std::nullopt;
}

std::string_view Request::param(std::string_view name) const {
  const auto it = params.find(name);
  return it == params.end() ? std::string_view() : std::string_view(it->second);
}

Response Response::json(std::string body, int status) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

Response Response::text(std::string body, int status, std::string content_type) {
  Response r;
  r.status = status;
  r.content_type = std::move(content_type);
  r.body = std::move(body);
  return r;
}

Response Response::error(int status, std::string_view code, std::string_view reason) {
  std::string body = R"({"error":)";
  append_json_string(body, code);
  body += R"(,"reason":)";
  append_json_string(body, reason);
  body += '}';
  return json(std::move(body), status);
}

}  // namespace farmgate::http
