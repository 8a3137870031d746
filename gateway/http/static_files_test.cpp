#include "gateway/http/static_files.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "gateway/http/test_client.h"

namespace farmgate::http {
namespace {

namespace fs = std::filesystem;
namespace bhttp = boost::beast::http;
using testing::Client;
using testing::ClientResponse;
using testing::ServerHarness;

// A directory under the system temp dir, removed with its contents.
class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ =
        fs::temp_directory_path() / ("fg-static-" + std::to_string(rd()) + std::to_string(rd()));
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }
  void write(const std::string& rel, const std::string& content) const {
    const fs::path p = path_ / rel;
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << content;
  }

 private:
  fs::path path_;
};

const std::string kIndex = "<!doctype html><title>farmgate</title>";
const std::string kApp = "console.log('vườn')";
// Split literal: "\x00fake" would read as the one hex escape \x00fa.
const std::string kAppGz = std::string("\x1f\x8b\x08\x00" "fake-gzip", 13);

class StaticFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    web_.write("index.html", kIndex);
    web_.write("assets/app-5XLHDAPN.js", kApp);
    web_.write("assets/app-5XLHDAPN.js.gz", kAppGz);
    web_.write("assets/app-5XLHDAPN.css", "body{color:#000}");
    web_.write("sw.js", "self.addEventListener('fetch',()=>{})");
    web_.write("manifest.webmanifest", R"({"name":"farmgate — Vườn"})");
    web_.write("icons/icon.svg", "<svg/>");
    web_.write(".secret", "hidden");
    // A file beside the served directory, which traversal attempts aim at.
    secret_.write("passwd", "root:x:0:0");
    h_.server().route(Verb::get, "/api/v1/zones",
                      [](const Request&) { return Response::json(R"({"zones":[]})"); });
    const auto registered = register_static_files(h_.server(), web_.path().string());
    ASSERT_TRUE(registered.ok()) << registered.error().message;
    h_.start();
  }

  std::optional<ClientResponse> get(const std::string& target,
                                    std::vector<std::pair<bhttp::field, std::string>> hdrs = {}) {
    std::string raw = "GET " + target + " HTTP/1.1\r\nHost: x\r\n";
    for (const auto& [f, v] : hdrs) raw += std::string(bhttp::to_string(f)) + ": " + v + "\r\n";
    raw += "\r\n";
    Client c(h_.port());
    c.send_raw(raw);
    return c.read();
  }

  TempDir web_;
  TempDir secret_;
  ServerHarness h_;
};

TEST_F(StaticFilesTest, RootServesIndexHtmlAsHtmlThatIsNeverCachedBlindly) {
  const auto r = get("/");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->result_int(), 200u);
  EXPECT_EQ(r->body(), kIndex);
  EXPECT_EQ((*r)[bhttp::field::content_type], "text/html; charset=utf-8");
  EXPECT_EQ((*r)[bhttp::field::cache_control], "no-cache");
  const auto same = get("/index.html");
  ASSERT_TRUE(same);
  EXPECT_EQ(same->body(), kIndex);
  EXPECT_EQ((*same)[bhttp::field::etag], (*r)[bhttp::field::etag]);
}

TEST_F(StaticFilesTest, ContentTypesFollowTheExtension) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"/assets/app-5XLHDAPN.css", "text/css; charset=utf-8"},
      {"/sw.js", "text/javascript; charset=utf-8"},
      {"/manifest.webmanifest", "application/manifest+json"},
      {"/icons/icon.svg", "image/svg+xml"},
  };
  for (const auto& [path, type] : cases) {
    const auto r = get(path);
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->result_int(), 200u) << path;
    EXPECT_EQ((*r)[bhttp::field::content_type], type) << path;
  }
}

TEST_F(StaticFilesTest, HashedAssetsAreCachedForAYearButServiceWorkerAndManifestAreNot) {
  const auto css = get("/assets/app-5XLHDAPN.css");
  ASSERT_TRUE(css);
  EXPECT_EQ((*css)[bhttp::field::cache_control], "public, max-age=31536000, immutable");
  const auto sw = get("/sw.js");
  ASSERT_TRUE(sw);
  EXPECT_EQ((*sw)[bhttp::field::cache_control], "no-cache");
  const auto manifest = get("/manifest.webmanifest");
  ASSERT_TRUE(manifest);
  EXPECT_EQ((*manifest)[bhttp::field::cache_control], "no-cache");
}

TEST_F(StaticFilesTest, PrecompressedGzipIsSentOnlyToClientsThatAcceptIt) {
  const auto gz = get("/assets/app-5XLHDAPN.js", {{bhttp::field::accept_encoding, "br, gzip"}});
  ASSERT_TRUE(gz);
  EXPECT_EQ(gz->result_int(), 200u);
  EXPECT_EQ(gz->body(), kAppGz);
  EXPECT_EQ((*gz)[bhttp::field::content_encoding], "gzip");
  EXPECT_EQ((*gz)[bhttp::field::content_type], "text/javascript; charset=utf-8");
  EXPECT_EQ((*gz)[bhttp::field::vary], "Accept-Encoding");

  const auto plain = get("/assets/app-5XLHDAPN.js");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->body(), kApp);
  EXPECT_EQ(plain->count(bhttp::field::content_encoding), 0u);
  EXPECT_NE((*plain)[bhttp::field::etag], (*gz)[bhttp::field::etag]);

  const auto refused =
      get("/assets/app-5XLHDAPN.js", {{bhttp::field::accept_encoding, "gzip;q=0"}});
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->body(), kApp);
}

TEST_F(StaticFilesTest, TheGzFileIsNotAPageOfItsOwn) {
  const auto r = get("/assets/app-5XLHDAPN.js.gz");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->result_int(), 404u);
}

TEST_F(StaticFilesTest, MatchingIfNoneMatchGets304WithoutBody) {
  const auto first = get("/assets/app-5XLHDAPN.css");
  ASSERT_TRUE(first);
  const std::string etag((*first)[bhttp::field::etag]);
  ASSERT_FALSE(etag.empty());
  EXPECT_EQ(etag.front(), '"');

  const auto again = get("/assets/app-5XLHDAPN.css", {{bhttp::field::if_none_match, etag}});
  ASSERT_TRUE(again);
  EXPECT_EQ(again->result_int(), 304u);
  EXPECT_TRUE(again->body().empty());
  EXPECT_EQ((*again)[bhttp::field::etag], etag);

  const auto weak_in_list =
      get("/assets/app-5XLHDAPN.css", {{bhttp::field::if_none_match, "\"other\", W/" + etag}});
  ASSERT_TRUE(weak_in_list);
  EXPECT_EQ(weak_in_list->result_int(), 304u);

  const auto stale = get("/assets/app-5XLHDAPN.css", {{bhttp::field::if_none_match, "\"old\""}});
  ASSERT_TRUE(stale);
  EXPECT_EQ(stale->result_int(), 200u);
  EXPECT_EQ(stale->body(), "body{color:#000}");
}

TEST_F(StaticFilesTest, TraversalOutsideTheDirectoryIs404) {
  const std::string up = "../" + secret_.path().filename().string() + "/passwd";
  const std::vector<std::string> attempts = {
      "/" + up,
      "/assets/../../" + secret_.path().filename().string() + "/passwd",
      "/%2e%2e/" + secret_.path().filename().string() + "/passwd",
      "/%2E%2E%2F" + secret_.path().filename().string() + "%2Fpasswd",
      "/assets/%2e%2e/index.html",
      "/..%2findex.html",
      "/" + (secret_.path() / "passwd").string(),  // an absolute path: "//tmp/..."
      "/%2F" + (secret_.path() / "passwd").relative_path().string(),
      "/.secret",
      "/assets",
      "/assets/",
  };
  for (const auto& target : attempts) {
    const auto r = get(target);
    ASSERT_TRUE(r) << target;
    EXPECT_TRUE(r->result_int() == 404u || r->result_int() == 400u)
        << target << " -> " << r->result_int();
    EXPECT_EQ(r->body().find("root:"), std::string::npos) << target;
    EXPECT_EQ(r->body().find("hidden"), std::string::npos) << target;
  }
}

TEST_F(StaticFilesTest, ApiRoutesStillAnswer) {
  const auto r = get("/api/v1/zones");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->result_int(), 200u);
  EXPECT_EQ(r->body(), R"({"zones":[]})");
}

TEST_F(StaticFilesTest, HeadGetsTheHeadersWithoutTheBody) {
  Client c(h_.port());
  c.send_raw("HEAD /index.html HTTP/1.1\r\nHost: x\r\n\r\n");
  const auto r = c.read_head_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->result_int(), 200u);
  EXPECT_EQ((*r)[bhttp::field::content_length], std::to_string(kIndex.size()));
  EXPECT_TRUE(r->body().empty());
}

TEST(StaticFilesRegisterTest, MissingDirectoryOrIndexFails) {
  ServerHarness h;
  TempDir empty;
  const auto missing = register_static_files(h.server(), (empty.path() / "nope").string());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, "static_files");
  const auto no_index = register_static_files(h.server(), empty.path().string());
  ASSERT_FALSE(no_index.ok());
  EXPECT_NE(no_index.error().message.find("index.html"), std::string::npos);
}

TEST(StaticFilesRegisterTest, DirectoryOverTheSizeLimitFails) {
  ServerHarness h;
  TempDir big;
  big.write("index.html", std::string(2048, 'x'));
  StaticFilesOptions options;
  options.max_total_bytes = 1024;
  const auto r = register_static_files(h.server(), big.path().string(), options);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "static_files");
}

TEST(StaticFilesNamesTest, HashedNamesAreRecognised) {
  EXPECT_TRUE(is_hashed_name("app-5XLHDAPN.js"));
  EXPECT_TRUE(is_hashed_name("chunk-ABCDEFGH.css"));
  EXPECT_TRUE(is_hashed_name("index.3f2a9c1b.js"));
  EXPECT_FALSE(is_hashed_name("app.js"));
  EXPECT_FALSE(is_hashed_name("sw.js"));
  EXPECT_FALSE(is_hashed_name("FAVICONS.png"));
  EXPECT_FALSE(is_hashed_name("app-main.js"));
  EXPECT_EQ(content_type_for("X.PNG"), "image/png");
  EXPECT_EQ(content_type_for("noext"), "application/octet-stream");
}

}  // namespace
}  // namespace farmgate::http
