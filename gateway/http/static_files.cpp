#include "gateway/http/static_files.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <system_error>
#include <utility>

namespace farmgate::http {

namespace fs = std::filesystem;

namespace {

struct Variant {
  std::string body;
  std::string etag;  // quoted, as sent
};

struct Entry {
  std::string content_type;
  std::string cache_control;
  Variant plain;
  std::optional<Variant> gzip;
};

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// FNV-1a, 64 bit: not for security, only so a changed file gets a different ETag.
std::string etag_of(std::string_view bytes, std::string_view suffix) {
  std::uint64_t h = 14695981039346656037ull;
  for (const unsigned char c : bytes) {
    h ^= c;
    h *= 1099511628211ull;
  }
  static constexpr std::array<char, 16> kHex = {'0', '1', '2', '3', '4', '5', '6', '7',
                                                '8', '9', 'a', 'b', 'c', 'd', 'e', 'f'};
  std::string out = "\"";
  for (int shift = 60; shift >= 0; shift -= 4) out += kHex[(h >> shift) & 0xf];
  out += suffix;
  out += '"';
  return out;
}

Result<std::string> read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error("static_files", "cannot read " + path.string());
  std::ostringstream out;
  out << in.rdbuf();
  if (in.bad()) return make_error("static_files", "cannot read " + path.string());
  return out.str();
}

// True when Accept-Encoding lists gzip (or *) without q=0.
bool accepts_gzip(std::string_view header) {
  const std::string h = lower(header);
  std::string_view rest = h;
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    const auto semi = item.find(';');
    std::string_view coding = item.substr(0, semi);
    while (!coding.empty() && coding.front() == ' ') coding.remove_prefix(1);
    while (!coding.empty() && coding.back() == ' ') coding.remove_suffix(1);
    if (coding != "gzip" && coding != "*") continue;
    if (semi == std::string_view::npos) return true;
    std::string params(item.substr(semi + 1));
    params.erase(std::remove(params.begin(), params.end(), ' '), params.end());
    // q=0, q=0.0, q=0.00...: refused; anything else accepts.
    if (params.rfind("q=0", 0) == 0 && params.find_first_not_of("0.", 3) == std::string::npos) {
      return false;
    }
    return true;
  }
  return false;
}

// If-None-Match: "*" or a list of entity tags, compared weakly (RFC 9110 13.1.2).
bool etag_matches(std::string_view header, std::string_view etag) {
  std::string_view rest = header;
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    std::string_view tag = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    while (!tag.empty() && tag.front() == ' ') tag.remove_prefix(1);
    while (!tag.empty() && tag.back() == ' ') tag.remove_suffix(1);
    if (tag == "*") return true;
    if (tag.rfind("W/", 0) == 0) tag.remove_prefix(2);
    if (tag == etag) return true;
  }
  return false;
}

std::string cache_control_for(std::string_view name) {
  // Must be revalidated each time: they name every other file of a release.
  if (name == "index.html" || name == "sw.js" || name == "manifest.webmanifest") {
    return "no-cache";
  }
  if (is_hashed_name(name)) return "public, max-age=31536000, immutable";
  // Icons and other unhashed files: revalidated (cheap with the ETag) so a release shows.
  return "no-cache";
}

Response serve(const Entry& e, const Request& req) {
  const bool gz = e.gzip.has_value() && accepts_gzip(req.header("Accept-Encoding"));
  const Variant& v = gz ? *e.gzip : e.plain;
  Response r;
  r.headers.push_back(Header{"ETag", v.etag});
  r.headers.push_back(Header{"Cache-Control", e.cache_control});
  if (e.gzip) r.headers.push_back(Header{"Vary", "Accept-Encoding"});
  // No sniffing: a file is what its extension says, never script from an uploaded text.
  r.headers.push_back(Header{"X-Content-Type-Options", "nosniff"});
  if (etag_matches(req.header("If-None-Match"), v.etag)) {
    r.status = 304;
    r.content_type.clear();
    return r;
  }
  if (gz) r.headers.push_back(Header{"Content-Encoding", "gzip"});
  r.content_type = e.content_type;
  r.body = v.body;
  return r;
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

bool hash_like(std::string_view part) {
  if (part.size() < 8) return false;
  const bool hex = std::all_of(part.begin(), part.end(), [](unsigned char c) {
    return std::isdigit(c) != 0 || (c >= 'a' && c <= 'f');
  });
  const bool upper = std::all_of(part.begin(), part.end(), [](unsigned char c) {
    return std::isupper(c) != 0 || std::isdigit(c) != 0;
  });
  return hex || upper;
}

}  // namespace

std::string_view content_type_for(std::string_view file_name) {
  static const std::map<std::string, std::string_view, std::less<>> kTypes = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".map", "application/json"},
      {".webmanifest", "application/manifest+json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".jpg", "image/jpeg"},
      {".jpeg", "image/jpeg"},
      {".webp", "image/webp"},
      {".woff2", "font/woff2"},
      {".txt", "text/plain; charset=utf-8"},
      {".gz", "application/gzip"},
  };
  const auto dot = file_name.rfind('.');
  if (dot == std::string_view::npos) return "application/octet-stream";
  const auto it = kTypes.find(lower(file_name.substr(dot)));
  return it == kTypes.end() ? std::string_view("application/octet-stream") : it->second;
}

bool is_hashed_name(std::string_view file_name) {
  // Only a part after the first: "app-5XLHDAPN.js" is hashed, "FAVICONS.png" is not.
  std::string_view stem = file_name.substr(0, file_name.rfind('.'));
  for (auto sep = stem.find_first_of(".-"); sep != std::string_view::npos;
       sep = stem.find_first_of(".-")) {
    stem = stem.substr(sep + 1);
    if (hash_like(stem.substr(0, stem.find_first_of(".-")))) return true;
  }
  return false;
}

Result<void> register_static_files(HttpServer& server, std::string dir,
                                   StaticFilesOptions options) {
  std::error_code ec;
  const fs::path root = fs::path(dir);
  if (!fs::is_directory(root, ec)) {
    return make_error("static_files", "web directory " + dir + " is not a directory");
  }

  // Relative '/'-separated path -> absolute path, for every regular file, symlinks left out
  // (a link could point anywhere on the gateway).
  std::map<std::string, fs::path> files;
  fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec);
  if (ec) return make_error("static_files", "cannot list " + dir + ": " + ec.message());
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) return make_error("static_files", "cannot list " + dir + ": " + ec.message());
    const auto status = it->symlink_status(ec);
    if (ec || !fs::is_regular_file(status)) continue;
    const std::string rel = it->path().lexically_relative(root).generic_string();
    // Hidden files (".gitkeep") and names the router would read as a pattern are not served.
    if (rel.empty() || rel.front() == '.' || rel.find("/.") != std::string::npos ||
        rel.find_first_of("{}") != std::string::npos) {
      continue;
    }
    files.emplace(rel, it->path());
  }
  if (files.count("index.html") == 0) {
    return make_error("static_files", "web directory " + dir + " has no index.html");
  }

  std::size_t total = 0;
  std::map<std::string, std::shared_ptr<const Entry>> entries;
  for (const auto& [rel, path] : files) {
    // "app.js.gz" beside "app.js" is that file's compressed form, not a page of its own.
    if (ends_with(rel, ".gz") && files.count(rel.substr(0, rel.size() - 3)) != 0) continue;
    auto plain = read_file(path);
    if (!plain) return plain.error();
    auto e = std::make_shared<Entry>();
    const std::string name = path.filename().string();
    e->content_type = std::string(content_type_for(name));
    e->cache_control = cache_control_for(name);
    e->plain.etag = etag_of(*plain, "");
    e->plain.body = std::move(*plain);
    total += e->plain.body.size();
    if (const auto gz = files.find(rel + ".gz"); gz != files.end()) {
      auto packed = read_file(gz->second);
      if (!packed) return packed.error();
      // Its own tag: a cache must not answer a gzip request with the plain bytes' 304.
      e->gzip = Variant{std::move(*packed), etag_of(e->plain.body, "-gz")};
      total += e->gzip->body.size();
    }
    if (total > options.max_total_bytes) {
      return make_error("static_files", "web directory " + dir + " holds more than " +
                                            std::to_string(options.max_total_bytes) + " bytes");
    }
    entries.emplace(rel, std::move(e));
  }

  for (const auto& [rel, entry] : entries) {
    auto handler = [entry = entry](const Request& req) { return serve(*entry, req); };
    server.route(Verb::get, "/" + rel, handler);
    if (rel == "index.html") server.route(Verb::get, "/", handler);
  }
  return {};
}

}  // namespace farmgate::http
