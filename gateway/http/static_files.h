// Static files: serves a built web directory (the phone page's web/dist) from farmgate's own
// HTTP server, so a farmer's phone needs nothing but the gateway.
//
// The directory is read once, at registration: every regular file becomes one GET route on its
// own path ("/assets/app.js"), and "/" answers with index.html. Reading up front keeps disk I/O
// off the io_context thread and makes directory traversal impossible by construction: a request
// can only name a file that was listed, so "..", "%2e%2e" or an absolute path find no route (404).
// A file added to the directory later is not served until the next start.
//
// Per file: Content-Type from the extension; a precompressed "<name>.gz" beside it is sent with
// Content-Encoding: gzip to clients that accept gzip; a strong ETag (a content hash) answers
// If-None-Match with 304; Cache-Control is "no-cache" for index.html, the service worker and the
// manifest (so a new release is seen at once) and one year, immutable, for hashed assets
// ("app-3F2A9C1B.js": a name that changes whenever the content does).
//
// Threads: call before the server starts, on the thread that owns it (as any route()). The routes
// then run on the io_context thread and only read memory.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/result.h"
#include "gateway/http/server.h"

namespace farmgate::http {

struct StaticFilesOptions {
  // The whole directory (plain and .gz files) at most: a wrong path (say "/") must fail, not
  // fill the Pi's memory.
  std::size_t max_total_bytes = 16 * 1024 * 1024;
};

// Fails with code "static_files" when `dir` is not a readable directory, holds no index.html, or
// is larger than the limit. Throws std::invalid_argument (from route()) when a file's path
// collides with a route already registered: a deployment mistake found at start-up.
Result<void> register_static_files(HttpServer& server, std::string dir,
                                   StaticFilesOptions options = {});

// The Content-Type for a file name, by extension; "application/octet-stream" when unknown.
std::string_view content_type_for(std::string_view file_name);

// True for names carrying a content hash: a dot- or dash-separated part after the first, of 8+
// characters that are all [0-9a-f] or all [A-Z0-9] (esbuild's [hash]), e.g. "app-5XLHDAPN.js".
bool is_hashed_name(std::string_view file_name);

}  // namespace farmgate::http
