#include "config/source_schema.h"

namespace farmgate::config::detail {

bool read_modbus_source(NodeReader& r, const Value& item, const std::string& where,
                        ModbusSource& out, DeferredChecks& /*later*/) {
  const std::vector<Field<ModbusSource>> fields{
      text_field("name", &ModbusSource::name, Need::required, check_id),
      known_field<ModbusSource>("type"),
  };
  return read_fields(r, item, where, fields, out).has_value();
}

}  // namespace farmgate::config::detail
