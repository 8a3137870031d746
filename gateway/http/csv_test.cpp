#include "gateway/http/csv.h"

#include <gtest/gtest.h>

namespace farmgate::http {
namespace {

TEST(CsvWriter, StartsWithByteOrderMarkAndEndsRowsWithCrLf) {
  CsvWriter w;
  w.row({"a", "b"});
  EXPECT_EQ(w.text(),
            "\xEF\xBB\xBF"
            "a,b\r\n");
}

TEST(CsvWriter, QuotesWhatWouldBreakTheRow) {
  CsvWriter w;
  w.row({"Tưới \"khu 1\"", "x,y", "line\nbreak", "plain"});
  EXPECT_EQ(w.text().substr(3), "\"Tưới \"\"khu 1\"\"\",\"x,y\",\"line\nbreak\",plain\r\n");
}

TEST(CsvWriter, DefusesFormulasButNotNegativeNumbers) {
  CsvWriter w;
  w.row({"=HYPERLINK(\"x\")", "-3.5", "+1", "@SUM(A1)", "-x"});
  EXPECT_EQ(w.text().substr(3), "\"'=HYPERLINK(\"\"x\"\")\",-3.5,+1,'@SUM(A1),'-x\r\n");
}

}  // namespace
}  // namespace farmgate::http
