// A lot's public URL and its QR code (libqrencode), as SVG and PNG (libpng).
//
// The URL (INTERFACES.md, "OCOP traceability conventions"): with a GTIN, the GS1 Digital Link
// URI <gs1_base_url>/01/<GTIN-14>/10/<lot code>, the lot percent-encoded as RFC 3986 requires
// for a path segment; without a GTIN (or without gs1_base_url), lot_url with {lot} replaced by
// the percent-encoded code. A phone's camera opens either.
//
// Codes use error correction level M (15 % of the code may be dirty or torn and it still
// reads) and the 4-module quiet zone the standard asks for.
#pragma once

#include <string>
#include <string_view>

#include "config/config.h"
#include "core/result.h"
#include "gateway/ocop/lot.h"

namespace farmgate::ocop {

// Errors: "no_url" (neither way applies: no GTIN base or no GTIN, and no lot_url), with a
// message that names the config keys to set.
Result<std::string> lot_url(const config::OcopConfig& config, const Lot& lot);

// Errors ("qr"): the text is too long for a QR code, or libqrencode failed.
// An SVG whose viewBox is in modules (scales to any print size without blur), black on white.
Result<std::string> qr_svg(std::string_view text);
// A grayscale PNG, `scale` pixels per module (1-40).
Result<std::string> qr_png(std::string_view text, int scale = 8);

}  // namespace farmgate::ocop
