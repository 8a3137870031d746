#include "gateway/http/ops_routes.h"

namespace farmgate::http {

void register_ops_routes(HttpServer& server, const Health& health, const Metrics& metrics) {
  server.route(Verb::get, "/healthz", [&health](const Request&) {
    const auto components = health.snapshot();
    const bool down = Health::overall(components) == Health::Status::down;
    Response r = Response::json(Health::to_json(components), down ? 503 : 200);
    // A cached "up" would hide an outage from whoever polls through a proxy.
    r.headers.push_back(Header{"Cache-Control", "no-store"});
    return r;
  });
  server.route(Verb::get, "/metrics", [&metrics](const Request&) {
    return Response::text(metrics.render(), 200, "text/plain; version=0.0.4; charset=utf-8");
  });
}

}  // namespace farmgate::http
