#include "gateway/http/router.h"

#include <algorithm>
#include <set>
#include <stdexcept>

namespace farmgate::http {

namespace {

bool same_shape(const auto& a, const auto& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](const auto& x, const auto& y) {
    return x.param == y.param && (x.param || x.text == y.text);
  });
}

}  // namespace

void Router::add(Verb verb, std::string_view pattern, Target target) {
  const std::string where = "route " + std::string(to_string(verb)) + " " + std::string(pattern);
  if (pattern.empty() || pattern.front() != '/') {
    throw std::invalid_argument(where + ": a pattern starts with '/'");
  }
  if (verb == Verb::other) throw std::invalid_argument(where + ": no route for Verb::other");

  // "/" has no segments; "/a/" has {"a", ""}, as request paths are split (Request::segments).
  std::vector<std::string_view> parts;
  if (pattern.size() > 1) {
    std::string_view rest = pattern.substr(1);
    for (;;) {
      const auto slash = rest.find('/');
      parts.push_back(rest.substr(0, slash));
      if (slash == std::string_view::npos) break;
      rest = rest.substr(slash + 1);
    }
  }
  std::vector<Segment> segments;
  for (const std::string_view s : parts) {
    Segment seg;
    if (s.size() >= 2 && s.front() == '{' && s.back() == '}') {
      seg.param = true;
      seg.text = std::string(s.substr(1, s.size() - 2));
      if (seg.text.find_first_of("{}") != std::string::npos) {
        throw std::invalid_argument(where + ": malformed parameter");
      }
    } else {
      if (s.find_first_of("{}") != std::string_view::npos) {
        throw std::invalid_argument(where + ": malformed parameter");
      }
      seg.text = std::string(s);
    }
    segments.push_back(std::move(seg));
  }
  std::set<std::string_view> names;
  for (const auto& seg : segments) {
    if (seg.param && (seg.text.empty() || !names.insert(seg.text).second)) {
      throw std::invalid_argument(where + ": parameter names must be non-empty and distinct");
    }
  }

  for (auto& route : routes_) {
    if (!same_shape(route.segments, segments)) continue;
    if (route.targets.count(verb) != 0) {
      throw std::invalid_argument(where + ": already registered as " + route.pattern);
    }
    if (route.pattern == pattern) {
      route.targets.emplace(verb, std::move(target));
      return;
    }
  }
  Route route;
  route.pattern = std::string(pattern);
  route.segments = std::move(segments);
  route.targets.emplace(verb, std::move(target));
  routes_.push_back(std::move(route));
}

std::vector<Router::Entry> Router::routes() const {
  std::vector<Entry> out;
  for (const auto& route : routes_) {
    for (const auto& [verb, target] : route.targets) out.push_back(Entry{verb, route.pattern});
  }
  return out;
}

Router::Match Router::match(Verb verb, const std::vector<std::string>& segments) const {
  Match best;
  std::vector<bool> best_rank;  // per segment: literal (true) beats parameter (false)
  std::set<Verb> allowed;
  for (const auto& route : routes_) {
    if (route.segments.size() != segments.size()) continue;
    bool fits = true;
    std::vector<bool> rank(segments.size());
    for (std::size_t i = 0; i < segments.size() && fits; ++i) {
      const Segment& seg = route.segments[i];
      fits = seg.param ? !segments[i].empty() : seg.text == segments[i];
      rank[i] = !seg.param;
    }
    if (!fits) continue;

    for (const auto& [v, t] : route.targets) allowed.insert(v);
    auto it = route.targets.find(verb);
    if (it == route.targets.end() && verb == Verb::head) it = route.targets.find(Verb::get);
    if (it == route.targets.end()) continue;
    if (best.target != nullptr && rank <= best_rank) continue;  // ties: first registered wins

    best.target = &it->second;
    best_rank = std::move(rank);
    best.params.clear();
    for (std::size_t i = 0; i < segments.size(); ++i) {
      if (route.segments[i].param) best.params.emplace(route.segments[i].text, segments[i]);
    }
  }
  if (best.target == nullptr) {
    if (allowed.count(Verb::get) != 0) allowed.insert(Verb::head);
    best.allowed.assign(allowed.begin(), allowed.end());
  }
  return best;
}

}  // namespace farmgate::http
