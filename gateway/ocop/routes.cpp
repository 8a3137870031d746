#include "gateway/ocop/routes.h"

#include <cmath>
#include <cstdio>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "gateway/http/api/route_support.h"
#include "gateway/http/json_text.h"
#include "gateway/ocop/export.h"
#include "gateway/ocop/pages.h"
#include "gateway/ocop/qr.h"
#include "gateway/ocop/trace.h"

namespace farmgate::ocop {
namespace {

namespace json = boost::json;
using http::Principal;
using http::Request;
using http::Responder;
using http::Response;
using http::Role;
using http::Rule;
using http::Verb;
using http::api::audited;
using http::api::busy;
using http::api::guard;

const Rule kView{{Role::viewer, Role::farmer, Role::officer}, false, ""};
const Rule kCreateLot{{Role::officer}, true, "lot.create"};
const Rule kDiary{{Role::farmer, Role::officer}, true, "lot.diary"};
const Rule kHarvest{{Role::farmer, Role::officer}, true, "lot.harvest"};
const Rule kExport{{Role::officer}, false, ""};
constexpr std::size_t kApiMaxReadings = 300'000;

// The ledger's error codes (ledger.h) as HTTP answers.
Response ledger_error(const Error& e) {
  if (e.code == "bad_input") return Response::error(400, "bad_input", e.message);
  if (e.code == "not_found") return Response::error(404, "not_found", e.message);
  if (e.code == "forbidden") return Response::error(403, "forbidden", e.message);
  if (e.code == "exists" || e.code == "closed" || e.code == "pre_harvest_interval" ||
      e.code == "no_url") {
    return Response::error(409, e.code, e.message);
  }
  if (e.code == "too_large") return Response::error(413, "too_large", e.message);
  if (e.code == "bad_time") return Response::error(400, "bad_input", e.message);
  return Response::error(500, "store_error", e.message);
}

Response no_lot(const std::string& code) {
  return Response::error(404, "not_found", "no lot " + code);
}

// Reads a JSON request body's members with located, typed errors ("zones[1].area_m2 must be a
// number"). The first error wins; later reads are skipped.
class BodyReader {
 public:
  explicit BodyReader(const std::string& body) {
    boost::system::error_code ec;
    value_ = json::parse(body, ec);
    if (ec || !value_.is_object()) error_ = "the body must be a JSON object";
  }

  const std::optional<std::string>& error() const { return error_; }
  const json::object* object() const { return error_ ? nullptr : &value_.as_object(); }

  std::string text(const char* key, bool required = false) {
    const json::value* v = member(key, required);
    if (!v || v->is_null()) return {};
    if (!v->is_string()) return fail(std::string(key) + " must be text"), std::string{};
    return std::string(v->as_string());
  }
  std::optional<double> number(const char* key, bool required = false) {
    const json::value* v = member(key, required);
    if (!v || v->is_null()) return std::nullopt;
    if (v->is_int64()) return static_cast<double>(v->as_int64());
    if (v->is_uint64()) return static_cast<double>(v->as_uint64());
    if (v->is_double() && std::isfinite(v->as_double())) return v->as_double();
    fail(std::string(key) + " must be a number");
    return std::nullopt;
  }
  int integer(const char* key) {
    const json::value* v = member(key, false);
    if (!v || v->is_null()) return 0;
    if (v->is_int64() && v->as_int64() >= -1'000'000 && v->as_int64() <= 1'000'000) {
      return static_cast<int>(v->as_int64());
    }
    fail(std::string(key) + " must be a whole number");
    return 0;
  }
  bool boolean(const char* key) {
    const json::value* v = member(key, false);
    if (!v || v->is_null()) return false;
    if (!v->is_bool()) return fail(std::string(key) + " must be true or false"), false;
    return v->as_bool();
  }
  void fail(std::string why) {
    if (!error_) error_ = std::move(why);
  }

 private:
  const json::value* member(const char* key, bool required) {
    if (error_) return nullptr;
    const json::value* v = value_.as_object().if_contains(key);
    if (!v && required) fail(std::string(key) + " is required");
    return v;
  }

  json::value value_;
  std::optional<std::string> error_;
};

Response bad_body(const std::string& why) {
  return Response::error(400, "bad_input", why);
}

std::optional<NewLot> read_new_lot(BodyReader& b) {
  NewLot lot;
  lot.code = b.text("code", true);
  lot.product = b.text("product", true);
  lot.variety = b.text("variety");
  lot.gtin = b.text("gtin");
  lot.ocop_stars = b.integer("ocop_stars");
  lot.planted = b.text("planted", true);
  lot.expected_harvest = b.text("expected_harvest");
  lot.notes = b.text("notes");
  if (b.error()) return std::nullopt;
  const json::value* zones = b.object()->if_contains("zones");
  if (!zones || !zones->is_array() || zones->as_array().empty()) {
    b.fail(R"(zones must be a list such as [{"zone":"z1","area_m2":5000}] or ["z1"])");
    return std::nullopt;
  }
  std::size_t i = 0;
  for (const json::value& z : zones->as_array()) {
    const std::string where = "zones[" + std::to_string(i++) + "]";
    LotZone lz;
    if (z.is_string()) {
      lz.zone = std::string(z.as_string());
    } else if (z.is_object() && z.as_object().if_contains("zone") &&
               z.as_object().at("zone").is_string()) {
      lz.zone = std::string(z.as_object().at("zone").as_string());
      if (const json::value* a = z.as_object().if_contains("area_m2"); a && !a->is_null()) {
        if (a->is_int64()) {
          lz.area_m2 = static_cast<double>(a->as_int64());
        } else if (a->is_double() && std::isfinite(a->as_double())) {
          lz.area_m2 = a->as_double();
        } else {
          b.fail(where + ".area_m2 must be a number (square metres)");
          return std::nullopt;
        }
      }
    } else {
      b.fail(where + " must be a zone id or {\"zone\": id, \"area_m2\": number}");
      return std::nullopt;
    }
    lot.zones.push_back(std::move(lz));
  }
  return lot;
}

NewEntry read_entry(BodyReader& b, bool harvest) {
  NewEntry e;
  e.date = b.text("date", true);
  e.zone = b.text("zone");
  e.note = b.text("note");
  if (harvest) {
    e.kind = EntryKind::harvest;
    e.quantity_kg = b.number("quantity_kg", true).value_or(0);
    e.grade = b.text("grade");
    e.final_harvest = b.boolean("final");
    e.override_reason = b.text("override_reason");
    return e;
  }
  const std::string kind = b.text("kind", true);
  if (b.error()) return e;
  const auto k = parse_entry_kind(kind);
  if (!k || *k == EntryKind::harvest) {
    b.fail("kind must be fertiliser, pesticide, pruning or other (harvests go to /harvests)");
    return e;
  }
  if (*k == EntryKind::irrigation) {
    b.fail("irrigation entries come from the run log by themselves; they cannot be typed in");
    return e;
  }
  e.kind = *k;
  e.material = b.text("material");
  e.active_ingredient = b.text("active_ingredient");
  e.amount = b.number("amount");
  e.unit = b.text("unit");
  e.phi_days = b.integer("phi_days");
  return e;
}

bool may_override(const Principal& who) {
  return who.role == Role::officer || who.role == Role::admin;
}

struct Totals {
  double harvest_kg = 0;
  std::optional<double> yield_kg_ha;
};

Totals totals(const Lot& lot, const std::vector<Entry>& entries) {
  Totals t;
  for (const auto& e : entries) {
    if (e.kind == EntryKind::harvest) t.harvest_kg += e.quantity_kg;
  }
  // As in the record (trace.cpp): no yield before the first harvest.
  if (lot.area_m2() > 0 && t.harvest_kg > 0) {
    t.yield_kg_ha = t.harvest_kg / (lot.area_m2() / 10'000.0);
  }
  return t;
}

// lot_json with the harvest totals added, as GET /lots lists it.
json::object lot_summary(const Lot& lot, const std::vector<Entry>& entries) {
  json::object o = json::parse(lot_json(lot)).as_object();
  const Totals t = totals(lot, entries);
  o["harvest_kg"] = t.harvest_kg;
  o["yield_kg_ha"] = t.yield_kg_ha ? json::value(*t.yield_kg_ha) : json::value(nullptr);
  return o;
}

Lang lang_of(const Request& req) {
  const auto l = req.query_param("lang");
  return l && *l == "en" ? Lang::en : Lang::vi;
}

std::optional<std::string> url_of(const OcopService& service, const Lot& lot) {
  auto url = lot_url(service.config(), lot);
  if (!url) return std::nullopt;
  return *url;
}

// The lot's last harvest date, "" before any.
std::string last_harvest(const std::vector<Entry>& entries) {
  std::string date;
  for (const auto& e : entries) {
    if (e.kind == EntryKind::harvest && e.date > date) date = e.date;
  }
  return date;
}

// "2026-06-01 14:05" in the farm's time: when a printed record was made.
std::string local_minute(const rules::SiteTime& tz, std::int64_t ms) {
  const rules::LocalTime t = tz.to_local(from_epoch_ms(ms));
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d", t.year, t.month, t.day, t.hour,
                t.minute);
  return buf;
}

Response html(std::string body) {
  Response r = Response::text(std::move(body), 200, "text/html; charset=utf-8");
  // Printable pages hold the farm's own data: not for shared caches.
  r.headers.push_back({"Cache-Control", "private, no-store"});
  return r;
}

// Runs `job` on the OCOP worker after importing the finished runs, so that a run that just
// ended is in the diary of every lot it watered. A failed import is answered, not hidden.
void with_ledger(OcopService& service, Responder out,
                 std::function<void(Ledger&, std::int64_t now_ms)> job) {
  const bool queued = service.post([out, job = std::move(job)](Ledger& ledger, std::int64_t now) {
    if (auto imported = ledger.import_runs(now); !imported)
      return out(ledger_error(imported.error()));
    job(ledger, now);
  });
  if (!queued) out(busy());
}

// The GET routes of one lot: they answer from the lot and its entries, read in one snapshot.
using LotView = std::function<Response(Ledger&, const Request&, const Lot&,
                                       const std::vector<Entry>&, std::int64_t now_ms)>;

void view_lot(http::HttpServer& server, http::Access& access, OcopService& service,
              const char* pattern, LotView view) {
  server.route_async(
      Verb::get, pattern, [&access, &service, view](const Request& req, Responder out) {
        guard(access, kView, req, out, [&service, out, req, view](const Principal&) {
          with_ledger(service, out, [out, req, view](Ledger& ledger, std::int64_t now) {
            const std::string code(req.param("lot"));
            auto lot = ledger.read(code);
            if (!lot) return out(ledger_error(lot.error()));
            if (!*lot) return out(no_lot(code));
            out(view(ledger, req, (*lot)->lot, (*lot)->entries, now));
          });
        });
      });
}

// POST /lots/{lot}/diary and /harvests.
void add_entry_route(http::HttpServer& server, http::Access& access, OcopService& service,
                     const char* pattern, const Rule& rule, bool harvest) {
  server.route_async(
      Verb::post, pattern, [&access, &service, &rule, harvest](const Request& req, Responder out) {
        guard(access, rule, req, out,
              [&access, &service, &rule, out, req, harvest](const Principal& who) {
                const Responder done = audited(access, req, who, rule, out);
                BodyReader body(req.body);
                const NewEntry entry = read_entry(body, harvest);
                if (body.error()) return done(bad_body(*body.error()));
                const std::string code(req.param("lot"));
                const Actor actor{who.user, may_override(who)};
                with_ledger(service, done,
                            [done, code, entry, actor](Ledger& ledger, std::int64_t now) {
                              auto added = ledger.add_entry(code, entry, actor, now);
                              if (!added) return done(ledger_error(added.error()));
                              done(Response::json(entry_json(*added), 201));
                            });
              });
      });
}

}  // namespace

void register_ocop_routes(http::HttpServer& server, http::Access& access, OcopService& service) {
  server.route_async(Verb::get, "/api/v1/lots", [&](const Request& req, Responder out) {
    guard(access, kView, req, out, [&service, out](const Principal&) {
      with_ledger(service, out, [out](Ledger& ledger, std::int64_t) {
        auto lots = ledger.lots();
        if (!lots) return out(ledger_error(lots.error()));
        json::array list;
        for (const Lot& lot : *lots) {
          auto read_back = ledger.read(lot.code);
          if (!read_back) return out(ledger_error(read_back.error()));
          if (*read_back) list.push_back(lot_summary((*read_back)->lot, (*read_back)->entries));
        }
        json::object o;
        o["lots"] = std::move(list);
        out(Response::json(http::to_json_text(o)));
      });
    });
  });

  server.route_async(Verb::post, "/api/v1/lots", [&](const Request& req, Responder out) {
    guard(access, kCreateLot, req, out, [&access, &service, out, req](const Principal& who) {
      const Responder done = audited(access, req, who, kCreateLot, out);
      BodyReader body(req.body);
      auto lot = body.error() ? std::nullopt : read_new_lot(body);
      if (body.error()) return done(bad_body(*body.error()));
      with_ledger(service, done,
                  [done, lot = std::move(*lot), user = who.user](Ledger& ledger, std::int64_t now) {
                    auto created = ledger.create_lot(lot, user, now);
                    if (!created) return done(ledger_error(created.error()));
                    done(Response::json(lot_json(*created), 201));
                  });
    });
  });

  view_lot(server, access, service, "/api/v1/lots/{lot}",
           [&service](Ledger&, const Request&, const Lot& lot, const std::vector<Entry>& entries,
                      std::int64_t) {
             json::array list;
             for (const auto& e : entries) list.push_back(json::parse(entry_json(e)));
             const Totals t = totals(lot, entries);
             const auto url = url_of(service, lot);
             json::object o;
             o["lot"] = json::parse(lot_json(lot));
             o["entries"] = std::move(list);
             o["chain"] = json::parse(chain_json(verify_chain(lot, entries)));
             o["url"] = url ? json::value(*url) : json::value(nullptr);
             o["harvest_kg"] = t.harvest_kg;
             o["yield_kg_ha"] = t.yield_kg_ha ? json::value(*t.yield_kg_ha) : json::value(nullptr);
             return Response::json(http::to_json_text(o));
           });

  add_entry_route(server, access, service, "/api/v1/lots/{lot}/diary", kDiary, false);
  add_entry_route(server, access, service, "/api/v1/lots/{lot}/harvests", kHarvest, true);

  view_lot(server, access, service, "/api/v1/lots/{lot}/record",
           [&service](Ledger& ledger, const Request& req, const Lot& lot, const std::vector<Entry>&,
                      std::int64_t now) {
             const auto format = req.query_param("format").value_or("json");
             if (format != "json" && format != "html") {
               return bad_body("format must be json or html");
             }
             const std::string url = url_of(service, lot).value_or("");
             auto record = build_trace(ledger, lot.code, now, url);
             if (!record) return ledger_error(record.error());
             if (format == "json") return Response::json(trace_json(*record));
             std::string svg;
             if (!url.empty()) {
               if (auto q = qr_svg(url)) svg = std::move(*q);
             }
             return html(trace_page(*record, svg, lang_of(req), local_minute(service.tz(), now)));
           });

  view_lot(
      server, access, service, "/api/v1/lots/{lot}/qr.svg",
      [&service](Ledger&, const Request&, const Lot& lot, const std::vector<Entry>&, std::int64_t) {
        auto url = lot_url(service.config(), lot);
        if (!url) return ledger_error(url.error());
        auto svg = qr_svg(*url);
        if (!svg) return Response::error(500, "qr", svg.error().message);
        return Response::text(std::move(*svg), 200, "image/svg+xml");
      });
  view_lot(
      server, access, service, "/api/v1/lots/{lot}/qr.png",
      [&service](Ledger&, const Request&, const Lot& lot, const std::vector<Entry>&, std::int64_t) {
        auto url = lot_url(service.config(), lot);
        if (!url) return ledger_error(url.error());
        auto png = qr_png(*url);
        if (!png) return Response::error(500, "qr", png.error().message);
        return Response::text(std::move(*png), 200, "image/png");
      });
  view_lot(server, access, service, "/api/v1/lots/{lot}/label",
           [&service](Ledger&, const Request& req, const Lot& lot,
                      const std::vector<Entry>& entries, std::int64_t) {
             auto url = lot_url(service.config(), lot);
             if (!url) return ledger_error(url.error());
             auto svg = qr_svg(*url);
             if (!svg) return Response::error(500, "qr", svg.error().message);
             return html(label_page(lot, last_harvest(entries), *url, *svg, lang_of(req)));
           });

  server.route_async(Verb::get, "/api/v1/export/{kind}", [&](const Request& req, Responder out) {
    guard(access, kExport, req, out, [&service, out, req](const Principal&) {
      ExportQuery q;
      const auto kind = parse_export_kind(req.param("kind"));
      if (!kind) {
        return out(Response::error(404, "not_found",
                                   "no export " + std::string(req.param("kind")) +
                                       "; there are readings, irrigation, lots, diary, season"));
      }
      q.kind = *kind;
      const auto format = req.query_param("format").value_or("csv");
      if (format != "csv" && format != "json") return out(bad_body("format must be csv or json"));
      q.format = format == "json" ? Format::json : Format::csv;
      q.lang = lang_of(req);
      q.zone = std::string(req.query_param("zone").value_or(""));
      q.lot = std::string(req.query_param("lot").value_or(""));
      // The answer is built in the gateway's memory (about 80 bytes a reading in CSV): a Pi
      // with 1 GB must not spend it on one download. `farmgate export` runs in its own process
      // and takes more.
      q.max_rows = kApiMaxReadings;
      std::optional<std::int64_t> from, to;
      for (auto [key, slot] : {std::pair{"from", &from}, std::pair{"to", &to}}) {
        const auto raw = req.query_param(key);
        if (!raw) continue;
        auto t = rules::parse_time_arg(*raw, service.tz());
        if (!t) return out(bad_body(std::string(key) + ": " + t.error().message));
        *slot = to_epoch_ms(*t);
      }
      with_ledger(service, out, [out, q, from, to](Ledger& ledger, std::int64_t now) mutable {
        q.from_ms = from.value_or(0);
        q.to_ms = to.value_or(now + 1);
        auto result = run_export(ledger, q);
        if (!result) return out(ledger_error(result.error()));
        Response r = Response::text(std::move(result->body), 200, result->content_type);
        r.headers.push_back(
            {"Content-Disposition", "attachment; filename=\"" + result->file_name + "\""});
        r.headers.push_back({"Cache-Control", "private, no-store"});
        out(std::move(r));
      });
    });
  });
}

}  // namespace farmgate::ocop
