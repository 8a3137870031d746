#include "config/source_schema.h"

namespace farmgate::config::detail {

bool read_camera_source(NodeReader& r, const Value& item, const std::string& where,
                        CameraSource& out, DeferredChecks& /*later*/) {
  const std::vector<Field<CameraSource>> fields{
      text_field("name", &CameraSource::name, Need::required, check_id),
      known_field<CameraSource>("type"),
  };
  return read_fields(r, item, where, fields, out).has_value();
}

}  // namespace farmgate::config::detail
