#include "gateway/ocop/qr.h"

#include <png.h>
#include <qrencode.h>

#include <cerrno>
#include <csetjmp>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

namespace farmgate::ocop {
namespace {

// RFC 3986 section 2.3: only these stay as they are in a path segment we build; a lot code
// never needs more than that, and encoding everything else keeps "/", "?" and "#" from
// changing what the URL means.
bool unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

std::string percent_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if (unreserved(c)) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    }
  }
  return out;
}

struct QrFree {
  void operator()(QRcode* code) const { QRcode_free(code); }
};
using QrPtr = std::unique_ptr<QRcode, QrFree>;

constexpr int kQuiet = 4;  // modules of white around the symbol (ISO/IEC 18004)

// The symbol as rows of booleans (true = dark), the quiet zone included.
struct Modules {
  int side = 0;
  std::vector<std::uint8_t> dark;  // side * side
  bool at(int x, int y) const { return dark[static_cast<std::size_t>(y) * side + x] != 0; }
};

Result<Modules> encode(std::string_view text) {
  if (text.empty()) return make_error("qr", "nothing to encode: the text is empty");
  // QRcode_encodeString reads a C string: a NUL inside would silently cut the text short.
  if (text.find('\0') != std::string_view::npos) {
    return make_error("qr", "the text holds a NUL byte, which a QR code URL cannot carry");
  }
  const std::string copy(text);
  errno = 0;
  // Mode hint 8-bit, case-sensitive: libqrencode picks numeric or alphanumeric segments where
  // they are shorter (the GTIN's digits) and keeps lower-case letters as they are.
  QrPtr code(QRcode_encodeString(copy.c_str(), 0, QR_ECLEVEL_M, QR_MODE_8, 1));
  if (!code) {
    if (errno == ERANGE) {
      return make_error("qr", "the text (" + std::to_string(text.size()) +
                                  " bytes) is too long for a QR code at error correction M");
    }
    return make_error("qr", std::string("libqrencode failed: ") + std::strerror(errno));
  }
  Modules m;
  const int width = code->width;
  m.side = width + 2 * kQuiet;
  m.dark.assign(static_cast<std::size_t>(m.side) * m.side, 0);
  for (int y = 0; y < width; ++y) {
    for (int x = 0; x < width; ++x) {
      // Bit 0 of each byte is the module's colour; the other bits describe its role.
      if (code->data[static_cast<std::size_t>(y) * width + x] & 1) {
        m.dark[static_cast<std::size_t>(y + kQuiet) * m.side + x + kQuiet] = 1;
      }
    }
  }
  return m;
}

// ---- PNG ----------------------------------------------------------------------------------
// libpng reports errors by longjmp to the setjmp in write_png(): no frame it may jump over
// (the callbacks, write_png itself) holds an object with a destructor.

struct PngJob {
  std::string* out;
  const std::uint8_t* rows;  // one packed 1-bit row per module row
  std::size_t row_bytes;
  int modules;  // rows in `rows`
  int scale;    // each module row is written `scale` times
  char error[128];
};

void on_png_error(png_structp png, png_const_charp message) {
  auto* job = static_cast<PngJob*>(png_get_error_ptr(png));
  std::snprintf(job->error, sizeof job->error, "%s", message ? message : "unknown");
  png_longjmp(png, 1);
}

void on_png_warning(png_structp, png_const_charp) {}

void on_png_write(png_structp png, png_bytep data, png_size_t size) {
  auto* job = static_cast<PngJob*>(png_get_io_ptr(png));
  bool ok = true;
  try {
    job->out->append(reinterpret_cast<const char*>(data), size);
  } catch (...) {
    ok = false;
  }
  // Outside the catch block: longjmp must not leave a handled exception behind.
  if (!ok) png_error(png, "out of memory");
}

void on_png_flush(png_structp) {}

bool write_png(PngJob* job) {
  png_structp png =
      png_create_write_struct(PNG_LIBPNG_VER_STRING, job, on_png_error, on_png_warning);
  if (png == nullptr) return false;
  png_infop info = png_create_info_struct(png);
  if (info == nullptr) {
    png_destroy_write_struct(&png, nullptr);
    return false;
  }
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    return false;
  }
  const auto pixels = static_cast<png_uint_32>(job->modules * job->scale);
  png_set_write_fn(png, job, on_png_write, on_png_flush);
  // 1-bit grayscale: the smallest file, and exactly what a two-colour code is.
  png_set_IHDR(png, info, pixels, pixels, 1, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  for (int y = 0; y < job->modules; ++y) {
    for (int i = 0; i < job->scale; ++i) {
      png_write_row(png, job->rows + static_cast<std::size_t>(y) * job->row_bytes);
    }
  }
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return true;
}

}  // namespace

Result<std::string> lot_url(const config::OcopConfig& config, const Lot& lot) {
  if (!config.gs1_base_url.empty() && !lot.gtin.empty()) {
    std::string_view base = config.gs1_base_url;
    while (base.ends_with('/')) base.remove_suffix(1);
    // Key qualifiers in the order GS1 Digital Link fixes: the GTIN (01), then the lot (10).
    return std::string(base) + "/01/" + lot.gtin + "/10/" + percent_encode(lot.code);
  }
  if (!config.lot_url.empty()) {
    static constexpr std::string_view kSlot = "{lot}";
    const std::string code = percent_encode(lot.code);
    std::string url;
    std::string_view rest = config.lot_url;
    for (auto at = rest.find(kSlot); at != std::string_view::npos; at = rest.find(kSlot)) {
      url.append(rest.substr(0, at)).append(code);
      rest.remove_prefix(at + kSlot.size());
    }
    url.append(rest);
    return url;
  }
  std::string why = lot.gtin.empty()
                        ? "lot " + lot.code + " has no GTIN and ocop.lot_url is not set"
                        : "neither ocop.gs1_base_url nor ocop.lot_url is set";
  return make_error("no_url", why +
                                  ": set ocop.gs1_base_url (for lots with a GTIN) or ocop.lot_url "
                                  "(a URL with {lot}) to give lots a QR code");
}

Result<std::string> qr_svg(std::string_view text) {
  auto modules = encode(text);
  if (!modules) return modules.error();
  const Modules& m = *modules;
  const std::string side = std::to_string(m.side);
  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " + side + " " + side +
                    "\" shape-rendering=\"crispEdges\"><rect width=\"" + side + "\" height=\"" +
                    side + "\" fill=\"#fff\"/><path fill=\"#000\" d=\"";
  // One rectangle per horizontal run of dark modules: a fraction of the size of one per module.
  for (int y = 0; y < m.side; ++y) {
    for (int x = 0; x < m.side;) {
      if (!m.at(x, y)) {
        ++x;
        continue;
      }
      int run = 1;
      while (x + run < m.side && m.at(x + run, y)) ++run;
      const std::string len = std::to_string(run);
      svg += "M" + std::to_string(x) + " " + std::to_string(y) + "h" + len + "v1h-" + len + "z";
      x += run;
    }
  }
  svg += "\"/></svg>";
  return svg;
}

Result<std::string> qr_png(std::string_view text, int scale) {
  if (scale < 1 || scale > 40) {
    return make_error("qr",
                      "scale " + std::to_string(scale) + " is outside 1-40 pixels per module");
  }
  auto modules = encode(text);
  if (!modules) return modules.error();
  const Modules& m = *modules;
  // Packed 1-bit rows at the final width, MSB first; a set bit is white in PNG grayscale.
  const std::size_t pixels = static_cast<std::size_t>(m.side) * scale;
  const std::size_t row_bytes = (pixels + 7) / 8;
  std::vector<std::uint8_t> rows(row_bytes * m.side, 0);
  for (int y = 0; y < m.side; ++y) {
    std::uint8_t* row = rows.data() + static_cast<std::size_t>(y) * row_bytes;
    for (std::size_t px = 0; px < pixels; ++px) {
      if (!m.at(static_cast<int>(px / scale), y)) row[px / 8] |= 0x80 >> (px % 8);
    }
  }
  std::string png;
  png.reserve(1024);
  PngJob job{&png, rows.data(), row_bytes, m.side, scale, {}};
  if (!write_png(&job)) {
    return make_error("qr", std::string("libpng failed: ") +
                                (job.error[0] ? job.error : "could not start the writer"));
  }
  return png;
}

}  // namespace farmgate::ocop
