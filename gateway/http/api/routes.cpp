#include "gateway/http/api/routes.h"

#include <charconv>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <limits>
#include <optional>
#include <utility>
#include <variant>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "gateway/http/api/route_support.h"
#include "gateway/http/json_text.h"

namespace farmgate::http::api {
namespace {

namespace json = boost::json;

const Rule kView{{Role::viewer, Role::farmer, Role::officer}, false, ""};
const Rule kIrrigate{{Role::farmer}, true, "irrigate"};
const Rule kStop{{Role::farmer}, true, "irrigate.stop"};
const Rule kAck{{Role::farmer}, true, "alarm.ack"};

constexpr int kDefaultPoints = 300;
constexpr int kMaxPoints = 2000;
constexpr int kDefaultLimit = 100;
constexpr int kMaxLimit = 1000;

bool has_zone(const ApiContext& ctx, const std::string& zone) {
  for (const auto& z : ctx.zone_ids()) {
    if (z == zone) return true;
  }
  return false;
}

Response unknown_zone(const std::string& zone) {
  return Response::error(404, "not_found", "no zone " + zone);
}

json::value ms_or_null(const std::optional<std::int64_t>& v) {
  return v ? json::value(*v) : json::value(nullptr);
}

}  // namespace

std::string run_json(const IrrigationRun& run) {
  json::array actuators;
  for (const auto& a : run.actuators) actuators.emplace_back(a);
  json::object o;
  o["id"] = run.id;
  o["zone"] = run.zone;
  o["actuators"] = std::move(actuators);
  o["start"] = to_epoch_ms(run.start);
  o["end"] = run.end ? json::value(to_epoch_ms(*run.end)) : json::value(nullptr);
  o["reason"] = run.reason;
  o["who"] = run.who;
  o["outcome"] = run.outcome;
  o["detail"] = run.detail;
  o["volume_l"] = run.volume_l ? json::value(*run.volume_l) : json::value(nullptr);
  return to_json_text(o);
}

std::string alarm_json(const store::Alarm& a) {
  json::object o;
  o["id"] = a.id;
  o["ts"] = a.ts;
  o["severity"] = a.severity;
  o["code"] = a.code;
  o["source"] = a.source;
  o["message"] = a.message;
  o["acked_by"] = a.acked_by ? json::value(*a.acked_by) : json::value(nullptr);
  o["acked_at"] = ms_or_null(a.acked_ms);
  return to_json_text(o);
}

void register_api_routes(HttpServer& server, Access& access, ApiContext& ctx) {
  server.route_async(Verb::get, "/api/v1/zones", [&](const Request& req, Responder out) {
    guard(access, kView, req, out, [&ctx, out](const Principal&) {
      ctx.on_io([&ctx, out] {
        std::string body = R"({"zones":[)";
        bool first = true;
        for (const auto& id : ctx.zone_ids()) {
          const auto zone = ctx.zone_json(id);
          if (!zone) continue;
          if (!first) body += ',';
          first = false;
          body += *zone;
        }
        body += "]}";
        out(Response::json(std::move(body)));
      });
    });
  });

  server.route_async(
      Verb::get, "/api/v1/zones/{zone}/series", [&](const Request& req, Responder out) {
        guard(access, kView, req, out, [&ctx, out, req](const Principal&) {
          const std::string zone(req.param("zone"));
          const auto metric = req.query_param("metric");
          if (!metric || metric->empty()) {
            return out(Response::error(400, "bad_request",
                                       "metric is required, e.g. "
                                       "metric=soil.moisture"));
          }
          if (metric->find('.') == std::string_view::npos) {
            return out(Response::error(400, "bad_request",
                                       "a metric is written kind.metric, e.g. soil.moisture"));
          }
          constexpr auto kMax = std::numeric_limits<std::int64_t>::max();
          const auto from = int_param(req, "from", -1, 0, kMax);
          const auto to = int_param(req, "to", -1, 0, kMax);
          const auto points = int_param(req, "points", kDefaultPoints, 1, kMaxPoints);
          for (const auto* p : {&from, &to, &points}) {
            if (const auto* r = std::get_if<Response>(p)) return out(*r);
          }
          const std::int64_t from_ms = std::get<std::int64_t>(from);
          const std::int64_t to_ms = std::get<std::int64_t>(to);
          if (from_ms < 0 || to_ms < 0 || to_ms <= from_ms) {
            return out(Response::error(400, "bad_request",
                                       "from and to (epoch ms) are required, with from < to"));
          }
          const int n = static_cast<int>(std::get<std::int64_t>(points));
          ctx.on_io([&ctx, out, zone, metric = std::string(*metric), from_ms, to_ms, n] {
            if (!ctx.zone_exists(zone)) return out(unknown_zone(zone));
            const bool queued = ctx.reader().post([=](sqlite::Db& db) {
              auto series = store::query_series(db, zone, metric, from_ms, to_ms, n);
              if (!series) return out(store_failed(series.error()));
              json::array points;
              for (const auto& p : series->points)
                points.push_back(json::array{p.ts, p.avg, p.min, p.max});
              json::object o;
              o["zone"] = zone;
              o["metric"] = metric;
              o["unit"] = series->unit;
              o["points"] = std::move(points);
              out(Response::json(to_json_text(o)));
            });
            if (!queued) out(busy());
          });
        });
      });

  server.route_async(Verb::get, "/api/v1/runs", [&](const Request& req, Responder out) {
    guard(access, kView, req, out, [&ctx, out, req](const Principal&) {
      constexpr auto kMax = std::numeric_limits<std::int64_t>::max();
      const auto from = int_param(req, "from", 0, 0, kMax);
      const auto to = int_param(req, "to", kMax, 0, kMax);
      const auto limit = int_param(req, "limit", kDefaultLimit, 1, kMaxLimit);
      for (const auto* p : {&from, &to, &limit}) {
        if (const auto* r = std::get_if<Response>(p)) return out(*r);
      }
      const std::string zone(req.query_param("zone").value_or(""));
      const bool queued = ctx.reader().post(
          [=, from = std::get<std::int64_t>(from), to = std::get<std::int64_t>(to),
           limit = std::get<std::int64_t>(limit)](sqlite::Db& db) {
            auto runs = store::query_runs(db, zone, from, to, static_cast<int>(limit));
            if (!runs) return out(store_failed(runs.error()));
            std::string body = R"({"runs":[)";
            for (std::size_t i = 0; i < runs->size(); ++i) {
              if (i > 0) body += ',';
              body += run_json((*runs)[i]);
            }
            body += "]}";
            out(Response::json(std::move(body)));
          });
      if (!queued) out(busy());
    });
  });

  server.route_async(Verb::get, "/api/v1/alarms", [&](const Request& req, Responder out) {
    guard(access, kView, req, out, [&ctx, out, req](const Principal&) {
      const auto active = int_param(req, "active", 0, 0, 1);
      const auto limit = int_param(req, "limit", kDefaultLimit, 1, kMaxLimit);
      for (const auto* p : {&active, &limit}) {
        if (const auto* r = std::get_if<Response>(p)) return out(*r);
      }
      const bool active_only = std::get<std::int64_t>(active) == 1;
      const int n = static_cast<int>(std::get<std::int64_t>(limit));
      const bool queued = ctx.reader().post([=](sqlite::Db& db) {
        auto alarms = store::query_alarms(db, active_only, n);
        if (!alarms) return out(store_failed(alarms.error()));
        std::string body = R"({"alarms":[)";
        for (std::size_t i = 0; i < alarms->size(); ++i) {
          if (i > 0) body += ',';
          body += alarm_json((*alarms)[i]);
        }
        body += "]}";
        out(Response::json(std::move(body)));
      });
      if (!queued) out(busy());
    });
  });

  server.route_async(Verb::post, "/api/v1/alarms/{id}/ack", [&](const Request& req, Responder out) {
    guard(access, kAck, req, out, [&access, &ctx, out, req](const Principal& who) {
      const Responder done = audited(access, req, who, kAck, out);
      const auto id = parse_int(req.param("id"));
      if (!id || *id < 1) {
        return done(Response::error(400, "bad_request", "an alarm id is a positive integer"));
      }
      ctx.ack_alarm(*id, who.user, [done](Result<store::Alarm> a) {
        if (!a) {
          if (a.error().code == "not_found") {
            return done(Response::error(404, "not_found", a.error().message));
          }
          return done(Response::error(500, "store_error", a.error().message));
        }
        json::object o;
        o["id"] = a->id;
        o["acked_by"] = a->acked_by ? json::value(*a->acked_by) : json::value(nullptr);
        o["acked_at"] = ms_or_null(a->acked_ms);
        done(Response::json(to_json_text(o)));
      });
    });
  });

  server.route_async(
      Verb::post, "/api/v1/zones/{zone}/irrigate", [&](const Request& req, Responder out) {
        guard(access, kIrrigate, req, out, [&access, &ctx, out, req](const Principal& who) {
          const Responder done = audited(access, req, who, kIrrigate, out);
          boost::system::error_code ec;
          const auto body = json::parse(req.body, ec);
          if (ec || !body.is_object()) {
            return done(Response::error(
                400, "bad_request", R"(the body must be a JSON object such as {"minutes": 10})"));
          }
          const auto* minutes = body.as_object().if_contains("minutes");
          std::optional<std::int64_t> m;
          if (minutes && minutes->is_int64()) m = minutes->as_int64();
          if (minutes && minutes->is_uint64()) m = -1;  // beyond any limit
          if (!m) return done(Response::error(400, "bad_request", "minutes must be an integer"));
          const std::string zone(req.param("zone"));
          ctx.on_io([&ctx, done, zone, m = *m, who] {
            if (!has_zone(ctx, zone)) return done(unknown_zone(zone));
            const std::int64_t max_minutes = ctx.max_manual_run().count() / 60'000;
            if (m < 1 || m > max_minutes) {
              return done(Response::error(
                  400, "bad_request", "minutes must be from 1 to " + std::to_string(max_minutes)));
            }
            auto grant = ctx.irrigate(zone, Millis{m * 60'000}, who.user);
            if (!grant) {
              if (grant.error().code == "unknown_zone") return done(unknown_zone(zone));
              return done(Response::error(409, "refused", grant.error().message));
            }
            json::object o;
            o["run_id"] = grant->run_id;
            o["granted_ms"] = static_cast<std::int64_t>(grant->granted.count());
            done(Response::json(to_json_text(o)));
          });
        });
      });

  server.route_async(
      Verb::post, "/api/v1/zones/{zone}/stop", [&](const Request& req, Responder out) {
        guard(access, kStop, req, out, [&access, &ctx, out, req](const Principal& who) {
          const Responder done = audited(access, req, who, kStop, out);
          const std::string zone(req.param("zone"));
          ctx.on_io([&ctx, done, zone, who] {
            if (!has_zone(ctx, zone)) return done(unknown_zone(zone));
            auto r = ctx.stop(zone, who.user);
            if (!r) {
              if (r.error().code == "unknown_zone") return done(unknown_zone(zone));
              return done(Response::error(409, "refused", r.error().message));
            }
            done(Response::json("{}"));
          });
        });
      });

  // The zone's newest camera snapshot: what was measured (JSON), and the picture itself. The
  // snapshot index and the file are read on the reader thread, never on the io thread.
  const auto snapshot_route = [&](bool picture) {
    return [&ctx, &access, picture](const Request& req, Responder out) {
      guard(access, kView, req, out,
            [&ctx, out, picture, zone = std::string(req.param("zone"))](const Principal&) {
              ctx.on_io([&ctx, out, picture, zone] {
                if (!ctx.zone_exists(zone)) return out(unknown_zone(zone));
                const bool queued = ctx.reader().post([&ctx, out, picture, zone](sqlite::Db&) {
                  auto snap = ctx.snapshot(zone);
                  if (!snap) return out(store_failed(snap.error()));
                  if (!*snap) {
                    return out(
                        Response::error(404, "not_found", "no camera snapshot of zone " + zone));
                  }
                  const SnapshotView& v = **snap;
                  if (!picture) {
                    json::object o{{"camera", v.camera},
                                   {"time", v.time_ms},
                                   {"width", v.width},
                                   {"height", v.height},
                                   {"canopy_cover", v.canopy_percent},
                                   {"url", "/api/v1/zones/" + zone +
                                               "/snapshot.jpg?t=" + std::to_string(v.time_ms)}};
                    return out(Response::json(to_json_text(o)));
                  }
                  std::ifstream in(v.path, std::ios::binary);
                  std::string bytes((std::istreambuf_iterator<char>(in)), {});
                  if (!in.good() && !in.eof()) {
                    return out(Response::error(404, "not_found", "the snapshot file is gone"));
                  }
                  Response r = Response::text(std::move(bytes), 200, "image/jpeg");
                  // A snapshot never changes under its time; the page asks with ?t=<time>.
                  r.headers.push_back(Header{"Cache-Control", "private, max-age=86400"});
                  out(std::move(r));
                });
                if (!queued) out(busy());
              });
            });
    };
  };
  server.route_async(Verb::get, "/api/v1/zones/{zone}/snapshot", snapshot_route(false));
  server.route_async(Verb::get, "/api/v1/zones/{zone}/snapshot.jpg", snapshot_route(true));

  server.route_async(Verb::get, "/api/v1/actuators", [&](const Request& req, Responder out) {
    guard(access, kView, req, out, [&ctx, out](const Principal&) {
      ctx.on_io([&ctx, out] {
        json::array list;
        for (const auto& a : ctx.actuators()) {
          json::object o;
          o["id"] = a.id;
          o["type"] = a.type;
          o["line"] = a.line;
          o["zone"] = a.zone.empty() ? json::value(nullptr) : json::value(a.zone);
          o["state"] = a.state;
          o["commanded"] = a.commanded ? "on" : "off";
          o["pending"] = a.pending;
          o["faulted"] = a.faulted;
          list.push_back(std::move(o));
        }
        json::object body;
        body["actuators"] = std::move(list);
        out(Response::json(to_json_text(body)));
      });
    });
  });

  server.route_stream(Verb::get, "/api/v1/events", [&](const Request& req, StreamResponder out) {
    guard(
        access, kView, req, [out](Response r) { out.respond(std::move(r)); },
        [&ctx, out](const Principal&) {
          Response head = Response::text("retry: 5000\n\n", 200, "text/event-stream");
          head.headers.push_back(Header{"Cache-Control", "no-store"});
          // nginx and similar proxies would otherwise hold events back in their buffers.
          head.headers.push_back(Header{"X-Accel-Buffering", "no"});
          out.open(std::move(head), [&ctx](std::shared_ptr<StreamWriter> writer) {
            // A new subscriber starts from the current state of every zone.
            for (const auto& id : ctx.zone_ids()) {
              if (const auto zone = ctx.zone_json(id)) writer->write(SseHub::format("zone", *zone));
            }
            ctx.hub().add(std::move(writer));
          });
        });
  });
}

}  // namespace farmgate::http::api
