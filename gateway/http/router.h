// Router: maps (verb, path) to a handler. Patterns are absolute paths whose segments are either
// literal ("zones") or a parameter ("{zone}", matching one non-empty segment):
//   /healthz   /api/v1/zones/{zone}/runs
// A literal segment beats a parameter at the same place, so /api/v1/zones/new wins over
// /api/v1/zones/{zone}. HEAD is answered by the GET handler (the server drops the body).
// Not thread-safe: built before the server starts, then read on the io_context thread.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "gateway/http/handler.h"
#include "gateway/http/stream.h"

namespace farmgate::http {

class Router {
 public:
  using Target = std::variant<Handler, AsyncHandler, StreamHandler>;

  // Throws std::invalid_argument for a malformed pattern or a verb and pattern already
  // registered: both are programming errors found at start-up.
  void add(Verb verb, std::string_view pattern, Target target);

  struct Match {
    const Target* target = nullptr;  // null: no route for this verb
    std::map<std::string, std::string, std::less<>> params;
    // When target is null: the verbs the path does have (for 405's Allow header); empty
    // means no route has this path (404).
    std::vector<Verb> allowed;
  };
  // `segments` are the request path's decoded segments (Request::segments).
  Match match(Verb verb, const std::vector<std::string>& segments) const;

  struct Entry {
    Verb verb;
    std::string pattern;
  };
  // Every registered (verb, pattern), in registration order of the patterns: for tests that
  // hold the routes against their documentation (docs/openapi.yaml).
  std::vector<Entry> routes() const;

 private:
  struct Segment {
    std::string text;  // the literal, or the parameter's name
    bool param = false;
  };
  struct Route {
    std::string pattern;
    std::vector<Segment> segments;
    std::map<Verb, Target> targets;
  };
  std::vector<Route> routes_;
};

}  // namespace farmgate::http
