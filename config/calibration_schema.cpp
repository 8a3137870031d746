#include "config/source_schema.h"

namespace farmgate::config::detail {

void read_calibration(NodeReader& r, const Value& v, const std::string& where, Calibration& out,
                      DeferredChecks& /*later*/) {
  const std::vector<Field<Calibration>> fields{};
  read_fields(r, v, where, fields, out);
}

}  // namespace farmgate::config::detail
