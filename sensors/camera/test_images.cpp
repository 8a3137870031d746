#include "sensors/camera/test_images.h"

#include <cstdio>

#include <jpeglib.h>

#include <cstdlib>

namespace farmgate::sensors::camera::testing {

std::vector<std::uint8_t> encode_jpeg(int width, int height,
                                      const std::function<Rgb(int x, int y)>& pixel, int quality) {
  jpeg_compress_struct cinfo{};
  jpeg_error_mgr err{};
  cinfo.err = jpeg_std_error(&err);
  jpeg_create_compress(&cinfo);
  unsigned char* out = nullptr;
  unsigned long out_size = 0;
  jpeg_mem_dest(&cinfo, &out, &out_size);
  cinfo.image_width = static_cast<JDIMENSION>(width);
  cinfo.image_height = static_cast<JDIMENSION>(height);
  cinfo.input_components = 3;
  cinfo.in_color_space = JCS_RGB;
  jpeg_set_defaults(&cinfo);
  jpeg_set_quality(&cinfo, quality, TRUE);
  jpeg_start_compress(&cinfo, TRUE);
  std::vector<JSAMPLE> row(static_cast<std::size_t>(width) * 3);
  while (cinfo.next_scanline < cinfo.image_height) {
    const int y = static_cast<int>(cinfo.next_scanline);
    for (int x = 0; x < width; ++x) {
      const Rgb p = pixel(x, y);
      row[3 * x] = p.r;
      row[3 * x + 1] = p.g;
      row[3 * x + 2] = p.b;
    }
    JSAMPROW rows[1] = {row.data()};
    jpeg_write_scanlines(&cinfo, rows, 1);
  }
  jpeg_finish_compress(&cinfo);
  std::vector<std::uint8_t> bytes(out, out + out_size);
  jpeg_destroy_compress(&cinfo);
  std::free(out);
  return bytes;
}

std::vector<std::uint8_t> field_jpeg(int width, int height, double green_share) {
  const int edge = static_cast<int>(green_share * width);
  return encode_jpeg(width, height, [edge](int x, int y) {
    const auto t = static_cast<std::uint8_t>((x * 7 + y * 13) % 23);
    if (x < edge)
      return Rgb{static_cast<std::uint8_t>(40 + t), static_cast<std::uint8_t>(140 + t),
                 static_cast<std::uint8_t>(35 + t)};
    return Rgb{static_cast<std::uint8_t>(140 + t), static_cast<std::uint8_t>(105 + t),
               static_cast<std::uint8_t>(75 + t)};
  });
}

}  // namespace farmgate::sensors::camera::testing
