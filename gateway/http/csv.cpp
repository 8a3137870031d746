#include "gateway/http/csv.h"

#include <cstdlib>

namespace farmgate::http {
namespace {

bool is_number(std::string_view f) {
  if (f.empty()) return false;
  const std::string s(f);
  char* end = nullptr;
  std::strtod(s.c_str(), &end);
  return end == s.c_str() + s.size();
}

}  // namespace

CsvWriter::CsvWriter() : out_("\xEF\xBB\xBF") {}

void CsvWriter::row(const std::vector<std::string>& fields) {
  for (std::size_t i = 0; i < fields.size(); ++i) field(fields[i], i == 0);
  out_ += "\r\n";
}

void CsvWriter::row(std::initializer_list<std::string_view> fields) {
  bool first = true;
  for (auto f : fields) {
    field(f, first);
    first = false;
  }
  out_ += "\r\n";
}

void CsvWriter::field(std::string_view f, bool first) {
  if (!first) out_ += ',';
  std::string value;
  if (!f.empty() && std::string_view("=+-@").find(f.front()) != std::string_view::npos &&
      !is_number(f)) {
    value = "'";
  }
  value += f;
  if (value.find_first_of(",\"\r\n") == std::string::npos) {
    out_ += value;
    return;
  }
  out_ += '"';
  for (char c : value) {
    if (c == '"') out_ += '"';
    out_ += c;
  }
  out_ += '"';
}

std::string csv_attachment(std::string_view file) {
  return "attachment; filename=\"" + std::string(file) + "\"";
}

}  // namespace farmgate::http
