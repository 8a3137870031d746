#include "gateway/ocop/qr.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

namespace farmgate::ocop {
namespace {

// A unique directory under the system temp dir, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "qr_test.XXXXXX").string();
    if (mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::optional<std::string> run(const std::string& command) {
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return std::nullopt;
  std::string out;
  char buffer[4096];
  for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) out.append(buffer, n);
  if (pclose(pipe) != 0) return std::nullopt;
  return out;
}

bool have_zbarimg() {
  return run("command -v zbarimg >/dev/null 2>&1").has_value();
}

void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

// What a real decoder reads from the image file, without the newline zbarimg ends with.
std::string zbar_decode(const std::string& path) {
  auto out = run("zbarimg --raw -q '" + path + "' 2>/dev/null");
  if (!out) return "<zbarimg found no code in " + path + ">";
  if (out->ends_with('\n')) out->pop_back();
  return *out;
}

// Rasterises the SVG qr_svg() makes, from its own markup: the viewBox gives the size in modules
// and each subpath of the one <path> is filled as the rectangle it outlines. Returns a binary
// PGM at `scale` pixels per module, or "" when the markup is not what it should be.
std::string svg_to_pgm(const std::string& svg, int scale) {
  auto attr = [&](const std::string& name) -> std::string {
    const std::string key = " " + name + "=\"";
    auto at = svg.find(key);
    if (at == std::string::npos) return "";
    at += key.size();
    return svg.substr(at, svg.find('"', at) - at);
  };
  int x0 = 0, y0 = 0, w = 0, h = 0;
  if (std::sscanf(attr("viewBox").c_str(), "%d %d %d %d", &x0, &y0, &w, &h) != 4 || w <= 0 ||
      w != h || w > 400) {
    return "";
  }
  std::vector<bool> dark(static_cast<std::size_t>(w) * h, false);
  const std::string d = attr("d");
  double cx = 0, cy = 0, minx = 0, miny = 0, maxx = 0, maxy = 0;
  std::size_t i = 0;
  auto number = [&]() {
    std::size_t used = 0;
    const double v = std::stod(d.substr(i), &used);
    i += used;
    while (i < d.size() && d[i] == ' ') ++i;
    return v;
  };
  while (i < d.size()) {
    const char command = d[i++];
    switch (command) {
      case 'M':
        cx = number();
        cy = number();
        minx = maxx = cx;
        miny = maxy = cy;
        break;
      case 'h':
        cx += number();
        break;
      case 'v':
        cy += number();
        break;
      case 'z':
        for (int y = static_cast<int>(miny); y < static_cast<int>(maxy); ++y) {
          for (int x = static_cast<int>(minx); x < static_cast<int>(maxx); ++x) {
            if (x >= 0 && y >= 0 && x < w && y < h)
              dark[static_cast<std::size_t>(y) * w + x] = true;
          }
        }
        continue;
      default:
        return "";
    }
    minx = std::min(minx, cx), maxx = std::max(maxx, cx);
    miny = std::min(miny, cy), maxy = std::max(maxy, cy);
  }
  const int px = w * scale;
  std::string pgm = "P5\n" + std::to_string(px) + " " + std::to_string(px) + "\n255\n";
  for (int y = 0; y < px; ++y) {
    for (int x = 0; x < px; ++x) {
      pgm += dark[static_cast<std::size_t>(y / scale) * w + x / scale] ? '\0' : '\xff';
    }
  }
  return pgm;
}

Lot lot_with(std::string code, std::string gtin) {
  Lot lot;
  lot.code = std::move(code);
  lot.gtin = std::move(gtin);
  lot.product = "Bưởi da xanh";
  return lot;
}

config::OcopConfig gs1_config() {
  config::OcopConfig c;
  c.gs1_base_url = "https://htx-benTre.example.vn/dl";
  return c;
}

// ---- lot_url --------------------------------------------------------------------------------

TEST(LotUrlTest, GtinLotTakesTheGs1DigitalLinkRoute) {
  auto config = gs1_config();
  config.lot_url = "https://other.example/{lot}";  // the GS1 link wins when the lot has a GTIN
  auto url = lot_url(config, lot_with("BT-2026.06_a", "08934567890128"));
  ASSERT_TRUE(url.ok()) << url.error().message;
  EXPECT_EQ(*url, "https://htx-benTre.example.vn/dl/01/08934567890128/10/BT-2026.06_a");
}

TEST(LotUrlTest, TrailingSlashOfTheBaseIsNotDoubled) {
  auto config = gs1_config();
  config.gs1_base_url += "/";
  auto url = lot_url(config, lot_with("L1", "08934567890128"));
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(*url, "https://htx-benTre.example.vn/dl/01/08934567890128/10/L1");
}

TEST(LotUrlTest, ReservedAndNonAsciiCharactersArePercentEncoded) {
  auto url = lot_url(gs1_config(), lot_with("a b/c?d#e%f~g.h_i-j+Lô", "08934567890128"));
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(*url,
            "https://htx-benTre.example.vn/dl/01/08934567890128/10/"
            "a%20b%2Fc%3Fd%23e%25f~g.h_i-j%2BL%C3%B4");
}

TEST(LotUrlTest, LotWithoutGtinUsesTheTemplateEverywhereItNamesTheLot) {
  auto config = gs1_config();
  config.lot_url = "https://htx.example.vn/truy-xuat/{lot}?ma={lot}&v=1";
  auto url = lot_url(config, lot_with("CAM 7", ""));
  ASSERT_TRUE(url.ok()) << url.error().message;
  EXPECT_EQ(*url, "https://htx.example.vn/truy-xuat/CAM%207?ma=CAM%207&v=1");
}

TEST(LotUrlTest, GtinWithoutGs1BaseFallsBackToTheTemplate) {
  config::OcopConfig config;
  config.lot_url = "https://check.example.vn/p/{lot}";
  auto url = lot_url(config, lot_with("ST25-01", "08934567890128"));
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(*url, "https://check.example.vn/p/ST25-01");
}

TEST(LotUrlTest, NoUsableUrlIsNoUrlNamingTheConfigKeys) {
  auto without_gtin = lot_url(gs1_config(), lot_with("L1", ""));
  ASSERT_FALSE(without_gtin.ok());
  EXPECT_EQ(without_gtin.error().code, "no_url");
  EXPECT_NE(without_gtin.error().message.find("ocop.lot_url"), std::string::npos);
  EXPECT_NE(without_gtin.error().message.find("ocop.gs1_base_url"), std::string::npos);

  auto nothing_set = lot_url(config::OcopConfig{}, lot_with("L1", "08934567890128"));
  ASSERT_FALSE(nothing_set.ok());
  EXPECT_EQ(nothing_set.error().code, "no_url");
}

// ---- QR codes, read back by a real decoder --------------------------------------------------

std::vector<std::string> sample_urls() {
  std::vector<std::string> urls;
  auto gs1 = lot_url(gs1_config(), lot_with("BT 06/2026#1", "08934567890128"));
  urls.push_back(gs1.ok() ? *gs1 : "");
  config::OcopConfig tpl;
  tpl.lot_url = "https://htx-cam-sanh.example.vn/truy-xuat?lot={lot}&lang=vi";
  auto templ = lot_url(tpl, lot_with("CS-2026-07", ""));
  urls.push_back(templ.ok() ? *templ : "");
  std::string longer = "https://check.example.vn/truy-xuat/san-pham?ma=ST25-01";
  for (int i = 0; longer.size() < 900; ++i) longer += "&k" + std::to_string(i) + "=AbCdEf0123";
  urls.push_back(longer);
  return urls;
}

TEST(QrTest, PngDecodesBackToTheExactUrl) {
  if (!have_zbarimg()) GTEST_SKIP() << "zbarimg (zbar-tools) is not installed";
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  int n = 0;
  for (const std::string& url : sample_urls()) {
    ASSERT_FALSE(url.empty());
    auto png = qr_png(url, 3);
    ASSERT_TRUE(png.ok()) << png.error().message;
    const std::string file = dir.path() + "/code" + std::to_string(n++) + ".png";
    write_file(file, *png);
    EXPECT_EQ(zbar_decode(file), url);
  }
}

TEST(QrTest, SvgRasterisedFromItsPathDecodesBackToTheExactUrl) {
  if (!have_zbarimg()) GTEST_SKIP() << "zbarimg (zbar-tools) is not installed";
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  int n = 0;
  for (const std::string& url : sample_urls()) {
    auto svg = qr_svg(url);
    ASSERT_TRUE(svg.ok()) << svg.error().message;
    const std::string pgm = svg_to_pgm(*svg, 3);
    ASSERT_FALSE(pgm.empty()) << "unexpected SVG markup: " << svg->substr(0, 200);
    const std::string file = dir.path() + "/code" + std::to_string(n++) + ".pgm";
    write_file(file, pgm);
    EXPECT_EQ(zbar_decode(file), url);
  }
}

TEST(QrTest, SvgIsOnePathInModulesOnWhite) {
  auto svg = qr_svg("https://htx.example.vn/truy-xuat/L1");
  ASSERT_TRUE(svg.ok());
  EXPECT_TRUE(svg->starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
  EXPECT_NE(svg->find("shape-rendering=\"crispEdges\""), std::string::npos);
  EXPECT_NE(svg->find("fill=\"#fff\""), std::string::npos);
  EXPECT_EQ(svg->find("<path"), svg->rfind("<path"));
  // A version-2 or -3 symbol (25 or 29 modules) plus the quiet zone on both sides.
  int x = -1, y = -1, w = 0, h = 0;
  const auto at = svg->find("viewBox=\"");
  ASSERT_NE(at, std::string::npos);
  ASSERT_EQ(std::sscanf(svg->c_str() + at + 9, "%d %d %d %d", &x, &y, &w, &h), 4);
  EXPECT_EQ(x, 0);
  EXPECT_EQ(w, h);
  EXPECT_TRUE(w == 25 + 8 || w == 29 + 8) << w;
  EXPECT_LT(svg->size(), 8000u);  // runs, not one rectangle per module
}

TEST(QrTest, PngIsGrayscaleAtScalePixelsPerModule) {
  const std::string url = "https://htx.example.vn/truy-xuat/L1";
  auto svg = qr_svg(url);
  auto png = qr_png(url, 5);
  ASSERT_TRUE(svg.ok() && png.ok());
  ASSERT_GT(png->size(), 33u);
  EXPECT_EQ(png->substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  auto be32 = [&](std::size_t at) {
    return (static_cast<unsigned char>((*png)[at]) << 24) |
           (static_cast<unsigned char>((*png)[at + 1]) << 16) |
           (static_cast<unsigned char>((*png)[at + 2]) << 8) |
           static_cast<unsigned char>((*png)[at + 3]);
  };
  EXPECT_EQ(png->substr(12, 4), "IHDR");
  int side = 0;
  const auto at = svg->find("viewBox=\"0 0 ");
  ASSERT_EQ(std::sscanf(svg->c_str() + at + 13, "%d", &side), 1);
  EXPECT_EQ(be32(16), static_cast<unsigned>(side * 5));
  EXPECT_EQ(be32(20), static_cast<unsigned>(side * 5));
  EXPECT_EQ((*png)[25], 0);  // colour type grayscale
}

TEST(QrTest, TextTooLongForAQrCodeIsAnError) {
  const std::string huge(4000, 'x');
  auto svg = qr_svg(huge);
  ASSERT_FALSE(svg.ok());
  EXPECT_EQ(svg.error().code, "qr");
  EXPECT_NE(svg.error().message.find("too long"), std::string::npos) << svg.error().message;
  EXPECT_FALSE(qr_png(huge).ok());
}

TEST(QrTest, EmptyTextNulAndBadScaleAreErrorsNotCrashes) {
  EXPECT_EQ(qr_svg("").error().code, "qr");
  EXPECT_EQ(qr_png(std::string_view("ab\0cd", 5)).error().code, "qr");
  EXPECT_EQ(qr_png("https://x.example/1", 0).error().code, "qr");
  EXPECT_EQ(qr_png("https://x.example/1", 41).error().code, "qr");
  EXPECT_TRUE(qr_png("https://x.example/1", 1).ok());
  EXPECT_TRUE(qr_png("https://x.example/1", 40).ok());
}

}  // namespace
}  // namespace farmgate::ocop
