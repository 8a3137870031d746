#include "config/source_schema.h"

namespace farmgate::config::detail {

bool read_pulse_source(NodeReader& r, const Value& item, const std::string& where, PulseSource& out,
                       DeferredChecks& /*later*/) {
  const std::vector<Field<PulseSource>> fields{
      text_field("name", &PulseSource::name, Need::required, check_id),
      known_field<PulseSource>("type"),
  };
  return read_fields(r, item, where, fields, out).has_value();
}

}  // namespace farmgate::config::detail
