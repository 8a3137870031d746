// The operations routes every gateway serves: GET /healthz (component health as JSON; 503 when a
// component is down, for systemd-less supervisors and load balancers) and GET /metrics (the
// Prometheus text format). Registration is one explicit call, made before the server starts, on
// the thread that owns the server.
#pragma once

#include "core/health.h"
#include "core/metrics.h"
#include "gateway/http/server.h"

namespace farmgate::http {

// `health` and `metrics` are borrowed: they must outlive the server's handlers (stop() it first).
void register_ops_routes(HttpServer& server, const Health& health, const Metrics& metrics);

}  // namespace farmgate::http
