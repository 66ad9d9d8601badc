// RFC 4180 CSV (workloads/csv_reader.hpp): quoting, doubled quotes, line breaks inside fields, CRLF, a BOM, a last
// line without a break, and the errors with their lines.
#include <gtest/gtest.h>

#include <sstream>

#include "workloads/csv_reader.hpp"

namespace dcsim::wl {
namespace {

using Rows = std::vector<std::vector<std::string>>;

TEST(CsvReader, ReadsRfc4180Fields) {
  EXPECT_EQ(parse_csv("a,b,c\n1,2,3\n"), (Rows{{"a", "b", "c"}, {"1", "2", "3"}}));
  EXPECT_EQ(parse_csv("\"x, y\",\"say \"\"hi\"\"\",\n"), (Rows{{"x, y", "say \"hi\"", ""}}));
  EXPECT_EQ(parse_csv("\"two\nlines\",z\r\nlast,row"), (Rows{{"two\nlines", "z"}, {"last", "row"}}));
  EXPECT_EQ(parse_csv("\xEF\xBB\xBFh1,h2\n"), (Rows{{"h1", "h2"}}));
  EXPECT_EQ(parse_csv("a\n\nb\n"), (Rows{{"a"}, {""}, {"b"}}));
  EXPECT_EQ(parse_csv(""), Rows{});
  EXPECT_EQ(parse_csv(" spaced , kept \n"), (Rows{{" spaced ", " kept "}}));
}

TEST(CsvReader, CountsLinesAcrossQuotedBreaks) {
  std::istringstream in("h\n\"a\nb\"\nc\n");
  CsvReader r(in);
  ASSERT_TRUE(r.next());
  EXPECT_EQ(r.line(), 1u);
  ASSERT_TRUE(r.next());
  EXPECT_EQ(r.line(), 2u);
  ASSERT_TRUE(r.next());
  EXPECT_EQ(r.line(), 4u);
  EXPECT_FALSE(r.next());
}

TEST(CsvReader, NamesTheLineOfAMalformedRecord) {
  try {
    (void)parse_csv("a,b\n1,\"open\n2,3\n");
    FAIL() << "no error";
  } catch (const CsvError& e) {
    EXPECT_EQ(e.line(), 2u);
    EXPECT_NE(std::string(e.what()).find("never closed"), std::string::npos);
  }
  EXPECT_THROW((void)parse_csv("a,\"b\"c\n"), CsvError);
  // An unclosed quote in a long file stops at 1 MiB instead of reading the rest into memory.
  std::string big = "h\n\"";
  big += std::string(CsvReader::kMaxFieldBytes + 10, 'x');
  EXPECT_THROW((void)parse_csv(big), CsvError);
  EXPECT_THROW((void)parse_csv("a,b\"c\n"), CsvError);
}

}  // namespace
}  // namespace dcsim::wl
