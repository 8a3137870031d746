// JSON text for people and spreadsheets as well as for programs: Boost.JSON prints 38.7 as
// "3.87E1", which is valid JSON but reads badly in a browser's network tab, curl, or a CSV made
// from it. This prints every double in its shortest round-trip form without an exponent when
// that is reasonable ("38.7", "0.001", "1e+21"); everything else is as Boost.JSON prints it.
#pragma once

#include <string>

#include <boost/json/value.hpp>

namespace farmgate::http {

std::string to_json_text(const boost::json::value& v);

}  // namespace farmgate::http
