#include "ledger/date.h"

#include <gtest/gtest.h>

namespace demarche::ledger {
namespace {

TEST(DateTest, ParsesAndFormatsEachPrecision) {
  for (const char* text : {"2003", "2003-12", "2004-05-22", "2004-02-29"}) {
    auto d = ParseDate(text);
    ASSERT_TRUE(d.ok()) << text << ": " << d.status();
    EXPECT_EQ(FormatDate(*d), text);
  }
}

TEST(DateTest, RejectsImpossibleDatesNamingTheField) {
  struct Case {
    const char* text;
    const char* message;
  } cases[] = {
      {"2003-13", "occurred.month: must be 0 (unknown) or 1..12, got 13"},
      {"2003-02-29", "occurred.day: 2003-02 has no day 29"},
      {"2003-04-31", "occurred.day: 2003-04 has no day 31"},
      {"2003-00", "occurred.month: must be 1..12, got 0"},
      {"03-12-01", "occurred: expected YYYY, YYYY-MM or YYYY-MM-DD"},
      {"2003-1-01", "occurred: expected YYYY, YYYY-MM or YYYY-MM-DD"},
  };
  for (const auto& c : cases) {
    auto d = ParseDate(c.text, "occurred");
    ASSERT_FALSE(d.ok()) << c.text;
    EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(d.status().message().find(c.message), std::string_view::npos)
        << c.text << " -> " << d.status().message();
  }
  v1::PartialDate day_without_month;
  day_without_month.set_year(2003);
  day_without_month.set_day(4);
  EXPECT_EQ(ValidateDate(day_without_month, "f").message(), "f.day: a day needs a month");
}

TEST(DateTest, PartialDatesSortAtTheStartOfTheirPeriod) {
  auto year = *ParseDate("2003");
  auto month = *ParseDate("2003-12");
  auto first = *ParseDate("2003-12-01");
  EXPECT_LT(SortKey(year), SortKey(month));
  EXPECT_LT(SortKey(month), SortKey(first));
  EXPECT_EQ(LastDayKey(month), 20031231u);
  EXPECT_EQ(LastDayKey(*ParseDate("2004-02")), 20040229u);
  EXPECT_EQ(PrecisionOf(month), DatePrecision::kMonth);
}

}  // namespace
}  // namespace demarche::ledger
