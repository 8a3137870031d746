// The printable pages of a lot, as self-contained HTML (inline CSS, no script, no external
// file): they print from any browser and open offline on a phone.
//   - the traceability record: A4 portrait when printed (@page), one column on a phone;
//   - the label: the QR code with the product, lot code and harvest date, sized for a 50 x 30 mm
//     sticker when printed (several per A4 page of labels).
// In Vietnamese or English; every text that came from a person is HTML-escaped.
#pragma once

#include <string>
#include <string_view>

#include "gateway/ocop/trace.h"

namespace farmgate::ocop {

// `generated`: the site-local time the page is made, "YYYY-MM-DD HH:MM" (the caller has the
// site's zone), shown in the footer; "" leaves it out.
std::string trace_page(const TraceRecord& record, const std::string& qr_svg, Lang lang,
                       const std::string& generated = "");
// `harvest_date`: the lot's last harvest date, or "" before any harvest (the label then shows
// the expected harvest). `qr_svg` from qr.h; `url` printed under it in small type.
std::string label_page(const Lot& lot, const std::string& harvest_date, const std::string& url,
                       const std::string& qr_svg, Lang lang);

// Text made safe to put between HTML tags or inside a quoted attribute.
std::string html_escape(std::string_view text);

}  // namespace farmgate::ocop
