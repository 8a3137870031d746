#include "config/source_schema.h"

namespace farmgate::config::detail {

bool read_chirpstack_source(NodeReader& r, const Value& item, const std::string& where,
                            ChirpstackSource& out, DeferredChecks& /*later*/) {
  const std::vector<Field<ChirpstackSource>> fields{
      text_field("name", &ChirpstackSource::name, Need::required, check_id),
      known_field<ChirpstackSource>("type"),
  };
  return read_fields(r, item, where, fields, out).has_value();
}

}  // namespace farmgate::config::detail
