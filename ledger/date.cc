#include "ledger/date.h"

#include <charconv>

#include <fmt/format.h>

#include "ledger/quote.h"

namespace demarche::ledger {
namespace {

bool IsLeap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int DaysInMonth(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return (m == 2 && IsLeap(y)) ? 29 : kDays[m - 1];
}

bool ParseInt(std::string_view s, size_t width, int* out) {
  if (s.size() != width) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return std::from_chars(s.data(), s.data() + s.size(), *out).ec == std::errc();
}

}  // namespace

absl::Status ValidateDate(const v1::PartialDate& d, std::string_view field) {
  if (d.year() < 1 || d.year() > 9999)
    return absl::InvalidArgumentError(
        fmt::format("{}.year: must be 1..9999, got {}", field, d.year()));
  if (d.month() < 0 || d.month() > 12)
    return absl::InvalidArgumentError(
        fmt::format("{}.month: must be 0 (unknown) or 1..12, got {}", field, d.month()));
  if (d.day() < 0)
    return absl::InvalidArgumentError(fmt::format("{}.day: must not be negative", field));
  if (d.day() > 0 && d.month() == 0)
    return absl::InvalidArgumentError(fmt::format("{}.day: a day needs a month", field));
  if (d.day() > 0 && d.day() > DaysInMonth(d.year(), d.month()))
    return absl::InvalidArgumentError(
        fmt::format("{}.day: {:04}-{:02} has no day {}", field, d.year(), d.month(), d.day()));
  return absl::OkStatus();
}

DatePrecision PrecisionOf(const v1::PartialDate& d) {
  if (d.month() == 0) return DatePrecision::kYear;
  if (d.day() == 0) return DatePrecision::kMonth;
  return DatePrecision::kDay;
}

uint32_t SortKey(const v1::PartialDate& d) {
  return static_cast<uint32_t>(d.year()) * 10000u + static_cast<uint32_t>(d.month()) * 100u +
         static_cast<uint32_t>(d.day());
}

uint32_t LastDayKey(const v1::PartialDate& d) {
  const int m = d.month() == 0 ? 12 : d.month();
  const int day = d.day() == 0 ? DaysInMonth(d.year(), m) : d.day();
  return static_cast<uint32_t>(d.year()) * 10000u + static_cast<uint32_t>(m) * 100u +
         static_cast<uint32_t>(day);
}

std::string FormatDate(const v1::PartialDate& d) {
  switch (PrecisionOf(d)) {
    case DatePrecision::kYear:
      return fmt::format("{:04}", d.year());
    case DatePrecision::kMonth:
      return fmt::format("{:04}-{:02}", d.year(), d.month());
    case DatePrecision::kDay:
      break;
  }
  return fmt::format("{:04}-{:02}-{:02}", d.year(), d.month(), d.day());
}

absl::StatusOr<v1::PartialDate> ParseDate(std::string_view text, std::string_view field) {
  v1::PartialDate d;
  int y = 0, m = 0, day = 0;
  bool ok = false;
  if (text.size() == 4) {
    ok = ParseInt(text, 4, &y);
  } else if (text.size() == 7 && text[4] == '-') {
    ok = ParseInt(text.substr(0, 4), 4, &y) && ParseInt(text.substr(5, 2), 2, &m);
  } else if (text.size() == 10 && text[4] == '-' && text[7] == '-') {
    ok = ParseInt(text.substr(0, 4), 4, &y) && ParseInt(text.substr(5, 2), 2, &m) &&
         ParseInt(text.substr(8, 2), 2, &day);
  }
  if (!ok)
    return absl::InvalidArgumentError(
        fmt::format("{}: expected YYYY, YYYY-MM or YYYY-MM-DD, got {}", field, Quote(text)));
  d.set_year(y);
  d.set_month(m);
  d.set_day(day);
  if (m == 0 && text.size() > 4)
    return absl::InvalidArgumentError(fmt::format("{}.month: must be 1..12, got 0", field));
  if (day == 0 && text.size() > 7)
    return absl::InvalidArgumentError(fmt::format("{}.day: must be 1..31, got 0", field));
  if (absl::Status s = ValidateDate(d, field); !s.ok()) return s;
  return d;
}

bool IsSet(const v1::PartialDate& d) { return d.year() != 0; }

}  // namespace demarche::ledger
