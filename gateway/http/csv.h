// CSV for spreadsheets: what officers open in Excel. RFC 4180 quoting, CRLF line ends, and a
// UTF-8 byte order mark first, without which Excel reads Vietnamese text as Windows-1252.
// A field that starts with =, +, - or @ is prefixed with ' so a spreadsheet never runs it as a
// formula (CSV injection from a user-typed note); numbers are written by the caller as text and
// are not touched when they parse as numbers.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace farmgate::http {

class CsvWriter {
 public:
  CsvWriter();  // starts with the byte order mark
  void row(const std::vector<std::string>& fields);
  void row(std::initializer_list<std::string_view> fields);
  const std::string& text() const { return out_; }
  std::string take() { return std::move(out_); }

 private:
  void field(std::string_view f, bool first);
  std::string out_;
};

// The Content-Type of CsvWriter's output, and a Content-Disposition that saves it as `file`.
inline constexpr const char* kCsvContentType = "text/csv; charset=utf-8";
std::string csv_attachment(std::string_view file);

}  // namespace farmgate::http
