// The OCOP routes under /api/v1 (docs/openapi.yaml, docs/ocop.md):
//   GET  /api/v1/lots                        every lot (viewer and up)
//   POST /api/v1/lots                        create a lot (officer)
//   GET  /api/v1/lots/{lot}                  the lot with its diary, harvests and chain check
//   POST /api/v1/lots/{lot}/diary            a diary entry (farmer, officer)
//   POST /api/v1/lots/{lot}/harvests         a harvest (farmer, officer); 409
//                                            pre_harvest_interval unless an officer overrides
//   GET  /api/v1/lots/{lot}/record           the traceability record: JSON, or ?format=html the
//                                            printable page (?lang=vi|en)
//   GET  /api/v1/lots/{lot}/qr.svg, qr.png   the lot's QR code; 409 no_url without ocop: URLs
//   GET  /api/v1/lots/{lot}/label            the printable label (HTML)
//   GET  /api/v1/export/{kind}               readings|irrigation|lots|diary|season, ?format=
//                                            csv|json&lang=vi|en&from=&to=&zone=&lot= (officer)
// Before answering anything about lots the finished runs are imported into their diaries
// (Ledger::import_runs), so a run that just ended shows at once.
// Errors: 400 with the field and why, 404 no such lot, 409 with the reason, as everywhere.
#pragma once

#include "gateway/http/access.h"
#include "gateway/http/server.h"
#include "gateway/ocop/service.h"

namespace farmgate::ocop {

// Registered once before the server starts. `access` and `service` are borrowed and must
// outlive the server's handlers.
void register_ocop_routes(http::HttpServer& server, http::Access& access, OcopService& service);

}  // namespace farmgate::ocop
