// The REST API under /api/v1 (see docs/openapi.yaml, which a test holds against these routes):
//   GET  /api/v1/zones                      live zone state (io thread)
//   GET  /api/v1/zones/{zone}/series        downsampled history (reader thread)
//   POST /api/v1/zones/{zone}/irrigate      {"minutes": N} -> {"run_id","granted_ms"} or 409
//   POST /api/v1/zones/{zone}/stop          {} or 409
//   GET  /api/v1/runs                       the run log (reader thread)
//   GET  /api/v1/alarms                     alarms, ?active=1 for the unacknowledged
//   POST /api/v1/alarms/{id}/ack            {"id","acked_by","acked_at"}
//   GET  /api/v1/actuators                  actuator state (io thread)
//   GET  /api/v1/events                     Server-Sent Events: zone, alarm, run
// The account routes (/api/v1/session, /api/v1/users) are gateway/http/auth/'s.
//
// Every route first asks the Access with its Rule: viewer and up read; farmer irrigates, stops
// and acknowledges (state-changing, audited). A refusal passes through as its status (401, 403,
// 429) with {"error","reason"}. Bad input is 400 with the reason, an unknown zone 404.
//
// Registered once before the server starts, on the thread that owns the server. `access` and
// `context` are borrowed: they must outlive the server's handlers (stop the server first).
#pragma once

#include <string>

#include "core/run.h"
#include "gateway/http/access.h"
#include "gateway/http/api/context.h"
#include "gateway/http/server.h"
#include "gateway/store/reader.h"

namespace farmgate::http::api {

void register_api_routes(HttpServer& server, Access& access, ApiContext& context);

// The JSON of one run and one alarm, as /runs, /alarms and the SSE `run` and `alarm` events
// carry them. For the daemon, so that what it publishes matches what the routes return.
std::string run_json(const IrrigationRun& run);
std::string alarm_json(const store::Alarm& alarm);

}  // namespace farmgate::http::api
