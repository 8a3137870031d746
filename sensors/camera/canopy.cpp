#include "sensors/camera/canopy.h"

#include <cmath>

// jpeglib.h needs size_t and FILE declared before it.
#include <csetjmp>
#include <cstdio>

#include <jerror.h>
#include <jpeglib.h>

namespace farmgate::sensors::camera {
namespace {

// libjpeg reports a fatal error by calling error_exit, which must not return. We jump back to
// the decode function, which holds only trivially destructible locals so that the jump skips no
// destructor (the C++ rule for longjmp). Throwing instead would unwind through libjpeg's C frames.
struct ErrorManager {
  jpeg_error_mgr pub;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
  bool ended_early;
};

[[noreturn]] void on_error_exit(j_common_ptr cinfo) {
  auto* err = reinterpret_cast<ErrorManager*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, err->message);
  std::longjmp(err->jump, 1);
}

// Warnings are not printed (they would go to the daemon's stderr per frame); a file that ended
// early decodes as grey, which would read as bare soil, so it is remembered and refused.
void on_message(j_common_ptr cinfo, int level) {
  auto* err = reinterpret_cast<ErrorManager*>(cinfo->err);
  if (level < 0) {
    ++cinfo->err->num_warnings;
    if (cinfo->err->msg_code == JWRN_JPEG_EOF) err->ended_early = true;
  }
}

struct Counts {
  unsigned width, height, out_width, out_height;
  std::uint64_t green, total;
  bool too_large;
};

inline bool green_rgb(unsigned r, unsigned g, unsigned b, float threshold) {
  const unsigned sum = r + g + b;
  if (sum == 0) return false;
  const float exg_scaled =
      static_cast<float>(2 * static_cast<int>(g) - static_cast<int>(r) - static_cast<int>(b));
  return exg_scaled > threshold * static_cast<float>(sum);
}

// Only trivially destructible locals here: see ErrorManager.
// `cinfo` lives in the caller, zeroed, so that after the jump it is not one of this frame's
// locals changed since setjmp (whose values the standard leaves indeterminate), and
// jpeg_destroy_decompress is safe on it even before jpeg_create_decompress ran.
bool decode_and_count(const std::uint8_t* data, std::size_t size, const CanopyOptions& options,
                      jpeg_decompress_struct* cinfo_ptr, ErrorManager* err, Counts* out) {
  jpeg_decompress_struct& cinfo = *cinfo_ptr;
  cinfo.err = jpeg_std_error(&err->pub);
  err->pub.error_exit = on_error_exit;
  err->pub.emit_message = on_message;
  err->message[0] = '\0';
  err->ended_early = false;
  if (setjmp(err->jump) != 0) {
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, data, static_cast<unsigned long>(size));
  jpeg_read_header(&cinfo, TRUE);
  out->width = cinfo.image_width;
  out->height = cinfo.image_height;
  if (static_cast<std::uint64_t>(cinfo.image_width) * cinfo.image_height > options.max_pixels) {
    out->too_large = true;
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  unsigned denom = 1;
  if (options.min_analysis_width > 0) {
    for (unsigned d : {8u, 4u, 2u}) {
      if (cinfo.image_width / d >= static_cast<unsigned>(options.min_analysis_width)) {
        denom = d;
        break;
      }
    }
  }
  cinfo.scale_num = 1;
  cinfo.scale_denom = denom;
  cinfo.out_color_space = JCS_RGB;
  // Cover is a count over many pixels; the exact IDCT and smooth chroma upsampling change single
  // pixels at edges, not the count, and cost a good part of the decode.
  cinfo.dct_method = JDCT_IFAST;
  cinfo.do_fancy_upsampling = FALSE;
  jpeg_start_decompress(&cinfo);
  out->out_width = cinfo.output_width;
  out->out_height = cinfo.output_height;
  const JDIMENSION stride = cinfo.output_width * static_cast<JDIMENSION>(cinfo.output_components);
  // From libjpeg's pool, freed by jpeg_destroy_decompress on every path, the jump included.
  JSAMPARRAY row =
      (*cinfo.mem->alloc_sarray)(reinterpret_cast<j_common_ptr>(&cinfo), JPOOL_IMAGE, stride, 1);
  const float threshold = static_cast<float>(options.exg_threshold);
  std::uint64_t green = 0;
  while (cinfo.output_scanline < cinfo.output_height) {
    jpeg_read_scanlines(&cinfo, row, 1);
    const JSAMPLE* p = row[0];
    for (JDIMENSION x = 0; x < cinfo.output_width; ++x, p += 3) {
      green += green_rgb(p[0], p[1], p[2], threshold) ? 1 : 0;
    }
  }
  jpeg_finish_decompress(&cinfo);
  out->green = green;
  out->total = static_cast<std::uint64_t>(cinfo.output_width) * cinfo.output_height;
  jpeg_destroy_decompress(&cinfo);
  return true;
}

}  // namespace

bool is_green(std::uint8_t r, std::uint8_t g, std::uint8_t b, double exg_threshold) {
  return green_rgb(r, g, b, static_cast<float>(exg_threshold));
}

Result<CanopyImage> analyse_jpeg(std::span<const std::uint8_t> jpeg, const CanopyOptions& options) {
  if (jpeg.size() < 4 || jpeg[0] != 0xFF || jpeg[1] != 0xD8) {
    return make_error("not_jpeg", "the camera sent something that is not a JPEG image (" +
                                      std::to_string(jpeg.size()) +
                                      " bytes, no JPEG start marker)");
  }
  ErrorManager err{};
  Counts counts{};
  jpeg_decompress_struct cinfo{};
  if (!decode_and_count(jpeg.data(), jpeg.size(), options, &cinfo, &err, &counts)) {
    if (counts.too_large) {
      return make_error("too_large", "the JPEG is " + std::to_string(counts.width) + "x" +
                                         std::to_string(counts.height) +
                                         " pixels, more than this gateway analyses");
    }
    return make_error("bad_jpeg", std::string("the JPEG could not be decoded: ") + err.message);
  }
  if (err.ended_early) {
    return make_error("bad_jpeg", "the JPEG ends before its last row (truncated transfer?)");
  }
  if (counts.total == 0) return make_error("bad_jpeg", "the JPEG has no pixels");
  CanopyImage out;
  out.width = static_cast<int>(counts.width);
  out.height = static_cast<int>(counts.height);
  out.analysed_width = static_cast<int>(counts.out_width);
  out.analysed_height = static_cast<int>(counts.out_height);
  // Two decimals: a camera's green cover is not known better than that, and 40.318142361111114
  // is what a phone page, an export and the upstream database would otherwise carry.
  out.cover_percent =
      std::round(10'000.0 * static_cast<double>(counts.green) / static_cast<double>(counts.total)) /
      100.0;
  return out;
}

}  // namespace farmgate::sensors::camera
